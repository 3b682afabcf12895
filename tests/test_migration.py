"""migrate-legacy end to end: a generated legacy database (phaseline.legacy_fixture)
beside a deployed phaseline, through expand, backfill, verify and contract
(phaseline.migrate). Each test works in its own scratch database (the plugin's
per-test clone; the resume test makes a second one).

Covers: a small legacy database migrates and verifies, and the engine then
works on the migrated rows; the compatibility views answer old read queries
as the legacy tables did; legacy writes during the migration reach phaseline
(and the echo guard holds them back when set); a backfill killed mid-batch
and resumed ends identical to an uninterrupted one, and a second pass
changes nothing; defects are recorded, and hiding one fails verify; contract
refuses until a verify passed with no legacy write since.
"""

from __future__ import annotations

import psycopg
import pytest
from phaseline.legacy_fixture import create_fixture
from phaseline.migrate import ContractRefused, backfill, contract, expand, verify
from phaseline.pytest_plugin import TEST_DB, conninfo

SCALE = 1500  # sample records: 14 masters of 3 versions, ~110 records each
PHASE_TABLES = (
    "data_profiling_phases",
    "scoping_phases",
    "sample_selection_phases",
    "request_info_phases",
    "test_execution_phases",
    "observation_management_phases",
    "test_report_phases",
)
BATCH = 250


def quiet(*_args) -> None:
    pass


def md5_uuid(text: str) -> str:
    import hashlib
    import uuid

    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


@pytest.fixture
def legacy_dsn(phaseline_dsn) -> str:
    create_fixture(phaseline_dsn, SCALE, log=quiet)
    return phaseline_dsn


def migrate(dsn: str, **kw) -> None:
    expand(dsn, log=quiet)
    backfill(dsn, batch_size=kw.pop("batch_size", BATCH), log=quiet, **kw)


def rows(dsn: str, query: str, params=None, search_path: str | None = None) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if search_path:
            conn.execute(f"SET search_path TO {search_path}")
        return conn.execute(query, params).fetchall()


def one(dsn: str, query: str, params=None):
    return rows(dsn, query, params)[0][0]


def test_legacy_database_migrates_verifies_and_the_engine_takes_over(legacy_dsn):
    migrate(legacy_dsn)
    passed, report = verify(legacy_dsn, log=quiet)
    assert passed, report

    legacy_records = one(legacy_dsn, "SELECT count(*) FROM legacy.sample_records")
    orphans = one(
        legacy_dsn,
        "SELECT count(*) FROM legacy.sample_records r "
        "WHERE NOT EXISTS (SELECT FROM legacy.sample_sets s WHERE s.set_id = r.set_id)",
    )
    assert orphans == 3
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions") == legacy_records - orphans
    # Users and attributes keep their ids; sets and records become versions and decisions with theirs.
    assert one(legacy_dsn, "SELECT count(*) FROM legacy.users u JOIN phaseline.users p USING (user_id)") == one(
        legacy_dsn, "SELECT count(*) FROM legacy.users"
    )
    assert one(
        legacy_dsn,
        "SELECT count(*) FROM legacy.report_attributes a JOIN phaseline.report_attributes p ON p.id = a.attribute_id",
    ) == one(legacy_dsn, "SELECT count(*) FROM legacy.report_attributes")

    # Master 3 was approved again in v3 while v2 stood approved: v2 is superseded when v3 was approved.
    v2, v3 = md5_uuid("set:3:2"), md5_uuid("set:3:3")
    got = rows(
        legacy_dsn,
        "SELECT v.version_number, v.version_status::text, a.superseded_at IS NULL, "
        "a.superseded_at = (SELECT reviewed_at FROM phaseline.sample_selection_versions WHERE id = %s) "
        "FROM phaseline.sample_selection_versions v JOIN phaseline.approved_artifacts a ON a.reference_id = v.id "
        "WHERE v.id IN (%s, %s) ORDER BY 1",
        (v3, v2, v3),
    )
    assert got == [(2, "superseded", False, True), (3, "approved", True, None)]

    # Lineage rebuilt from sample identity: S-0-1 runs through all three versions of master 0.
    lineage = rows(
        legacy_dsn,
        "SELECT step, version_number, recommendation_source, decision_status FROM phaseline_api.sample_lineage(%s)",
        (md5_uuid("rec:0:3:1"),),
    )
    assert lineage == [
        (0, 3, "carried_forward", "pending"),
        (1, 2, "carried_forward", "approved"),
        (2, 1, "tester", "rejected"),
    ]
    # S-0-5 was dropped from v2 (every fifth is), so v3 does not carry it and v1 has it alone.
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE sample_key = 'S-0-5'") == 1

    # The engine takes over: master 1's v3 waits for approval; its owner decides and approves it.
    owner, version = rows(
        legacy_dsn,
        "SELECT r.owner_user_id, v.id FROM phaseline.sample_selection_versions v "
        "JOIN phaseline.reports r USING (report_id) WHERE v.id = %s",
        (md5_uuid("set:1:3"),),
    )[0]
    assert owner == one(
        legacy_dsn, "SELECT approved_by FROM legacy.sample_sets WHERE set_id = %s", (md5_uuid("set:1:2"),)
    )
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute(
            "SELECT phaseline_api.decide_samples(%s, (SELECT jsonb_agg(jsonb_build_object('sample_key', sample_key, "
            "'status', 'approved')) FROM phaseline.sample_decisions WHERE version_id = %s), %s)",
            (version, version, owner),
        )
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (version, owner))
        tester = conn.execute(
            "SELECT tester_user_id FROM phaseline.cycle_reports cr JOIN phaseline.sample_selection_versions v "
            "USING (cycle_id, report_id) WHERE v.id = %s",
            (version,),
        ).fetchone()[0]
        cycle, report = conn.execute(
            "SELECT cycle_id, report_id FROM phaseline.sample_selection_versions WHERE id = %s", (version,)
        ).fetchone()
        v4 = conn.execute(
            "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (cycle, report, tester)
        ).fetchone()[0]
    assert one(legacy_dsn, "SELECT version_number FROM phaseline.sample_selection_versions WHERE id = %s", (v4,)) == 4
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE version_id = %s", (v4,)) == one(
        legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE version_id = %s", (version,)
    )


# Old read queries, run unchanged against the legacy tables and the views.
PHASE_JOIN = """
SELECT dp.cycle_id, dp.report_id, dp.status, dp.files_uploaded, dp.validation_results, sc.status, sc.attributes_scoped,
       sc.scoping_notes, ss.status, ss.sample_size_target, ss.selection_method, ri.status, ri.responses_received,
       ri.due_date, te.status, te.tests_executed, te.tests_passed, om.observations_closed, tr.status,
       tr.report_document, tr.signed_off_by, tr.signed_off_at, dp.phase_id, sc.phase_id, tr.phase_id
  FROM data_profiling_phases dp
  JOIN scoping_phases sc ON sc.cycle_id = dp.cycle_id AND sc.report_id = dp.report_id
  JOIN sample_selection_phases ss ON ss.cycle_id = dp.cycle_id AND ss.report_id = dp.report_id
  JOIN request_info_phases ri ON ri.cycle_id = dp.cycle_id AND ri.report_id = dp.report_id
  JOIN test_execution_phases te ON te.cycle_id = dp.cycle_id AND te.report_id = dp.report_id
  JOIN observation_management_phases om ON om.cycle_id = dp.cycle_id AND om.report_id = dp.report_id
  JOIN test_report_phases tr ON tr.cycle_id = dp.cycle_id AND tr.report_id = dp.report_id
 ORDER BY dp.cycle_id, dp.report_id, sc.phase_id
"""
LATEST_SETS = """
SELECT s.master_set_id, s.set_id, s.version_number, s.status, s.created_by, s.approved_by, s.approved_at,
       s.rejection_reason, count(r.record_id), min(r.sample_identifier), max(r.created_at)
  FROM sample_sets s LEFT JOIN sample_records r ON r.set_id = s.set_id
 WHERE s.is_latest
 GROUP BY s.master_set_id, s.set_id, s.version_number, s.status, s.created_by, s.approved_by, s.approved_at, s.rejection_reason
 ORDER BY s.master_set_id
"""
APPROVED_ATTRIBUTES = """
SELECT a.master_attribute_id, a.attribute_id, a.attribute_name, a.version_number, a.data_type, a.is_cde, a.is_scoped,
       u.full_name, u.email, a.approved_at
  FROM report_attributes a JOIN users u ON u.user_id = a.approved_by
 WHERE a.approval_status = 'approved'
 ORDER BY a.attribute_id
"""
SET_RECORDS = """
SELECT r.sample_identifier, r.sample_data ->> 'account', r.sample_data, r.created_at
  FROM sample_records r JOIN sample_sets s USING (set_id)
 WHERE s.master_set_id = %s AND s.version_number = 2
 ORDER BY r.sample_identifier
"""


def test_compatibility_views_answer_legacy_queries_as_the_legacy_tables_did(legacy_dsn):
    migrate(legacy_dsn)

    def both(query, params=None):
        return (
            rows(legacy_dsn, query, params, search_path="legacy"),
            rows(legacy_dsn, query, params, search_path="phaseline_legacy"),
        )

    def defect_groups(*tables):
        return {
            r[0]
            for r in rows(
                legacy_dsn,
                "SELECT DISTINCT group_id FROM phaseline_legacy.migration_defects WHERE legacy_table = ANY(%s)",
                (list(tables),),
            )
        }

    # The old multi-join across the seven phase tables: the same rows, except
    # the pair whose scoping phase had two legacy rows (a recorded defect:
    # legacy joins it twice, the view holds its latest version) and the pair
    # whose statuses are spelled in upper case (the view reads them lower).
    old, new = both(PHASE_JOIN)
    dup = {tuple(g.split("/")[:2]) for g in defect_groups(*PHASE_TABLES)}
    assert len(dup) == 2
    assert [r for r in old if (str(r[0]), str(r[1])) not in dup] == [
        r for r in new if (str(r[0]), str(r[1])) not in dup
    ]
    assert len(new) == len(old) - 1 and len(new) == one(legacy_dsn, "SELECT count(*) FROM legacy.data_profiling_phases")

    # Latest sets with their records: the same, except masters whose latest flags or numbers were corrected.
    old, new = both(LATEST_SETS)
    bad = defect_groups("sample_sets")
    assert 0 < len(bad) < 6
    assert [r for r in old if str(r[0]) not in bad] == [r for r in new if str(r[0]) not in bad]
    assert len(new) == one(
        legacy_dsn, "SELECT count(DISTINCT master_set_id) FROM legacy.sample_sets"
    )  # one latest each

    # Approved attributes with the approver's name: the same, except the renumbered master.
    old, new = both(APPROVED_ATTRIBUTES)
    bad = defect_groups("report_attributes")
    assert [r for r in old if str(r[0]) not in bad] == [r for r in new if str(r[0]) not in bad]
    assert len(new) > 20

    # A set's records, exactly.
    old, new = both(SET_RECORDS, (md5_uuid("set:7"),))
    assert old == new and len(old) > 30


def test_legacy_writes_during_the_migration_reach_phaseline(legacy_dsn):
    expand(legacy_dsn, log=quiet)  # before any backfill: the mirror places whole groups on its own
    master = md5_uuid("set:2")
    with psycopg.connect(legacy_dsn) as conn:
        new_user = conn.execute(
            "INSERT INTO legacy.users (email, full_name, role) "
            "VALUES ('late.tester@legacy.example', 'Late Tester', 'tester') RETURNING *"
        ).fetchone()
        assert new_user[1:] == ("late.tester@legacy.example", "Late Tester", "tester")
        conn.commit()
        # The legacy application starts version 4 of master 2 the way it always did.
        inserted = conn.execute(
            "INSERT INTO legacy.sample_sets (master_set_id, version_number, is_latest, cycle_id, report_id, status, created_by) "
            "SELECT master_set_id, 4, true, cycle_id, report_id, 'draft', %s FROM legacy.sample_sets "
            "WHERE master_set_id = %s AND version_number = 3 RETURNING set_id, status, is_latest",
            (new_user[0], master),
        ).fetchone()
        assert inserted[1:] == ("draft", True)
        conn.execute(
            "UPDATE legacy.sample_sets SET is_latest = false WHERE master_set_id = %s AND version_number = 3", (master,)
        )
        conn.execute(
            "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) "
            "SELECT %s, sample_identifier, sample_data FROM legacy.sample_records "
            "WHERE set_id = %s AND sample_identifier LIKE 'S-2-1_'",
            (inserted[0], md5_uuid("set:2:3")),
        )
        conn.execute(
            "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) "
            "VALUES (%s, 'S-2-NEW', '{\"account\": \"ACC-NEW\"}')",
            (inserted[0],),
        )
        conn.commit()
        # Master 1's scoping phase, in progress, completes.
        conn.execute(
            "UPDATE legacy.scoping_phases SET status = 'completed', completed_at = started_at + interval '1 day', "
            "scoping_notes = 'done late' WHERE phase_id = %s AND status = 'in_progress'",
            (md5_uuid("phase:1:1"),),
        )
        conn.commit()

    assert rows(legacy_dsn, "SELECT email, role::text FROM phaseline.users WHERE user_id = %s", (new_user[0],)) == [
        ("late.tester@legacy.example", "tester")
    ]
    versions = rows(
        legacy_dsn,
        "SELECT version_number, is_latest, version_status::text, created_by FROM "
        "phaseline.sample_selection_versions v WHERE v.id IN "
        "(SELECT set_id FROM legacy.sample_sets WHERE master_set_id = %s) ORDER BY 1",
        (master,),
    )
    assert [v[:3] for v in versions] == [
        (1, False, "rejected"),
        (2, False, "approved"),
        (3, False, "rejected"),
        (4, True, "draft"),
    ]
    assert versions[3][3] == new_user[0]
    carried = rows(
        legacy_dsn,
        "SELECT recommendation_source::text, count(*) FROM phaseline.sample_decisions "
        "WHERE version_id = %s GROUP BY 1 ORDER BY 1",
        (inserted[0],),
    )
    copied = one(
        legacy_dsn,
        "SELECT count(*) FROM legacy.sample_records WHERE set_id = %s AND sample_identifier LIKE 'S-2-1_'",
        (md5_uuid("set:2:3"),),
    )
    assert carried == [("carried_forward", copied), ("tester", 1)] and copied > 5
    assert rows(
        legacy_dsn,
        "SELECT phase_status::text, version_status::text, phase_data ->> 'scoping_notes' "
        "FROM phaseline.workflow_phase_data WHERE id = %s",
        (md5_uuid("phase:1:1"),),
    ) == [("completed", "approved", "done late")]
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline_legacy.migration_sync_journal") == 6

    # The echo guard: a write made while a mirror runs is not mirrored again.
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute("SET LOCAL phaseline.legacy_sync = 'on'")
        conn.execute("UPDATE legacy.users SET full_name = 'Echo' WHERE user_id = %s", (new_user[0],))
    assert (
        one(legacy_dsn, "SELECT display_name FROM phaseline.users WHERE user_id = %s", (new_user[0],)) == "Late Tester"
    )
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute("UPDATE legacy.users SET full_name = 'Late Tester' WHERE user_id = %s", (new_user[0],))

    backfill(legacy_dsn, batch_size=BATCH, log=quiet)
    passed, report = verify(legacy_dsn, log=quiet)
    assert passed, report


PHASELINE_CONTENT = {
    "users": "SELECT user_id, email, display_name, role, is_active FROM phaseline.users ORDER BY user_id",
    "test_cycles": "SELECT * FROM phaseline.test_cycles ORDER BY cycle_id",
    "reports": "SELECT * FROM phaseline.reports ORDER BY report_id",
    "cycle_reports": "SELECT * FROM phaseline.cycle_reports ORDER BY id",
    "report_attributes": "SELECT * FROM phaseline.report_attributes ORDER BY id",
    "sample_selection_versions": "SELECT * FROM phaseline.sample_selection_versions ORDER BY id",
    "sample_decisions": "SELECT * FROM phaseline.sample_decisions ORDER BY id",
    "workflow_phase_data": "SELECT * FROM phaseline.workflow_phase_data ORDER BY id",
    "approved_artifacts": "SELECT * FROM phaseline.approved_artifacts ORDER BY id",
    "audit": "SELECT table_name, action, actor, count(*) FROM phaseline.audit_log GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    "defects": "SELECT legacy_table, legacy_id, kind, group_id, blocking, absent, columns, detail "
    "FROM phaseline_legacy.migration_defects ORDER BY 1, 2, 3",
    "masters": "SELECT * FROM phaseline_legacy.migration_masters ORDER BY 1, 2",
}


def content(dsn: str) -> dict[str, list]:
    return {name: rows(dsn, q) for name, q in PHASELINE_CONTENT.items()}


@pytest.fixture
def second_db(phaseline_server):
    """A second deployed scratch database, cloned from the plugin's template."""
    name = f"{TEST_DB}_resume"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{phaseline_server.template_dbname}"')
    yield conninfo(name)
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backfill_killed_mid_batch_resumes_to_the_uninterrupted_result(legacy_dsn, second_db):
    migrate(legacy_dsn)
    uninterrupted = content(legacy_dsn)

    create_fixture(second_db, SCALE, log=quiet)
    expand(second_db, log=quiet)

    def kill_in_third_batch(step, batch_no, conn):
        # Inside the batch's transaction, before its commit: the server ends the session.
        if step == "sample_sets" and batch_no == 3:
            with psycopg.connect(second_db, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))

    with pytest.raises(psycopg.OperationalError):
        backfill(second_db, batch_size=BATCH, log=quiet, hook=kill_in_third_batch)
    progress = rows(
        second_db,
        "SELECT batches, finished_at IS NULL FROM phaseline_legacy.migration_progress WHERE step = 'sample_sets'",
    )
    assert progress == [(2, True)]  # two batches committed, the third rolled back whole

    said = []
    backfill(second_db, batch_size=BATCH, log=said.append)
    assert any("resuming after batch 2" in line for line in said)
    assert content(second_db) == uninterrupted

    # Idempotent: a second full pass writes nothing at all.
    audit_rows = one(second_db, "SELECT count(*) FROM phaseline.audit_log")
    backfill(second_db, batch_size=BATCH, restart=True, log=quiet)
    assert one(second_db, "SELECT count(*) FROM phaseline.audit_log") == audit_rows
    assert content(second_db) == uninterrupted
    passed, report = verify(second_db, log=quiet)
    assert passed, report


def test_defects_are_recorded_and_hiding_one_fails_verify(legacy_dsn):
    migrate(legacy_dsn)
    defects = {
        (r[0], r[1]): r[2]
        for r in rows(legacy_dsn, "SELECT kind, legacy_id, detail FROM phaseline_legacy.migration_defects")
    }

    # The gap 1, 2, 4 of master 4: renumbered, old and new number said.
    gap = defects[("version_renumbered", md5_uuid("set:4:3"))]
    assert (gap["legacy_version_number"], gap["version_number"]) == (4, 3)
    # Two latest rows (master 5) and none (master 6): each corrected flag is a defect.
    assert ("latest_flag_corrected", md5_uuid("set:5:2")) in defects
    assert ("latest_flag_corrected", md5_uuid("set:6:3")) in defects
    # A newer approval next to an older one is how legacy recorded every approval: superseded, and no defect.
    assert not any(k == "reapproved" for k, _ in defects)
    assert ("multiple_open", md5_uuid("set:9:2")) in defects
    # Orphans keep their whole legacy row.
    orphan = defects[("orphan_record", md5_uuid("orphan:1"))]
    assert orphan["row"]["sample_identifier"] == "ORPHAN-1" and orphan["row"]["set_id"] == md5_uuid("gone-set:1")
    kinds = {k for k, _ in defects}
    assert {
        "email_rewritten",
        "role_mapped",
        "display_name_filled",
        "phase_duplicate",
        "version_renumbered",
        "status_spelling",
        "open_under_closed",
        "sample_data_coerced",
    } <= kinds
    # the generator's JSON nulls, copied exactly: a nested null in a phase payload and in sample_data
    assert (
        one(
            legacy_dsn,
            "SELECT count(*) FROM phaseline.workflow_phase_data WHERE phase_data -> 'validation_results' "
            "-> 'by_rule' -> 'R1' = 'null'::jsonb",
        )
        > 0
    )
    assert (
        one(
            legacy_dsn,
            "SELECT count(*) FROM phaseline.sample_decisions WHERE sample_data -> 'reviewer_note' = 'null'::jsonb",
        )
        > 0
    )
    # rows a viewer made or approved are placed, attributed to the migration user in the audit log
    viewer = one(
        legacy_dsn,
        "SELECT user_id FROM phaseline.users WHERE role = 'viewer' AND user_id IN "
        "(SELECT reviewed_by FROM phaseline.sample_selection_versions)",
    )
    assert viewer is not None

    passed, report = verify(legacy_dsn, log=quiet)
    assert passed
    scan = {c["check"]: c for c in report["legacy_defect_scan"]}
    assert len(scan) >= 14 and all(c["missing"] == 0 for c in scan.values())
    assert {
        "report_attributes: an open version under a newer closed one",
        "sample_sets: a status spelled other than in lower case without blanks",
        "phases: a status spelled other than in lower case without blanks",
    } <= set(scan)
    assert all(c["found"] > 0 for c in scan.values())

    # Hidden: without its defect rows, the orphans are unexplained and the scan misses them.
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute("DELETE FROM phaseline_legacy.migration_defects WHERE kind = 'orphan_record'")
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed
    assert report["unexplained_differences"]["count"] == 3
    assert (
        scan
        and {c["check"]: c["missing"] for c in report["legacy_defect_scan"]}[
            "sample_records: set_id names no sample set"
        ]
        == 3
    )
    backfill(legacy_dsn, batch_size=BATCH, restart=True, log=quiet)  # the orphans step records them again
    assert verify(legacy_dsn, log=quiet)[0]

    # A defect the migration cannot resolve blocks: a second master for one report's sample selection.
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute(
            "INSERT INTO legacy.sample_sets (master_set_id, version_number, is_latest, cycle_id, report_id, status, created_by) "
            "SELECT gen_random_uuid(), 1, true, cycle_id, report_id, 'draft', created_by FROM legacy.sample_sets "
            "WHERE set_id = %s",
            (md5_uuid("set:0:1"),),
        )
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed
    assert [x["kind"] for x in report["blocking_defects"]["examples"]] == ["key_collision"]


def test_contract_refuses_until_a_passing_verify_with_no_write_since(legacy_dsn):
    expand(legacy_dsn, log=quiet)
    with pytest.raises(ContractRefused, match="no verify has run"):
        contract(legacy_dsn, log=quiet)
    assert not verify(legacy_dsn, log=quiet)[0]  # the backfill has not run
    with pytest.raises(ContractRefused, match="failed"):
        contract(legacy_dsn, log=quiet)

    backfill(legacy_dsn, batch_size=BATCH, log=quiet)
    assert verify(legacy_dsn, log=quiet)[0]
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute(
            "UPDATE legacy.sample_sets SET rejection_reason = 'late note' WHERE set_id = %s", (md5_uuid("set:1:1"),)
        )
    with pytest.raises(ContractRefused, match="after the last passing verify"):
        contract(legacy_dsn, log=quiet)
    assert one(legacy_dsn, "SELECT to_regclass('legacy.sample_sets') IS NOT NULL")

    assert verify(legacy_dsn, log=quiet)[0]
    said = []
    assert contract(legacy_dsn, dry_run=True, log=said.append)
    assert "DROP TABLE legacy.sample_records;" in said[0] and "DROP SCHEMA phaseline_migration CASCADE;" in said[0]
    assert one(legacy_dsn, "SELECT to_regclass('legacy.sample_sets') IS NOT NULL")

    before = rows(legacy_dsn, LATEST_SETS, search_path="phaseline_legacy")
    assert contract(legacy_dsn, log=quiet)
    assert one(legacy_dsn, "SELECT to_regnamespace('legacy') IS NULL")
    assert one(legacy_dsn, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '\\_mig\\_sync%%'") == 0
    # the machinery went whole; the records stay
    assert one(legacy_dsn, "SELECT to_regnamespace('phaseline_migration') IS NULL")
    assert (
        one(
            legacy_dsn,
            "SELECT count(*) FROM pg_proc WHERE pronamespace = 'phaseline_legacy'::regnamespace "
            "AND proname LIKE '\\_mig%%'",
        )
        == 0
    )
    assert rows(legacy_dsn, LATEST_SETS, search_path="phaseline_legacy") == before
    assert contract(legacy_dsn, log=quiet)  # rerun: nothing left to drop
