"""migrate-legacy on a live legacy database: the legacy application keeps
writing, as it would, through its own non-superuser role that owns the
legacy tables, at READ COMMITTED and REPEATABLE READ, during expand,
backfill and after. One test (or two) per defect of issue 13, each failing
before its fix; the ways out of docs/MIGRATION.md, exercised.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from phaseline.legacy_fixture import LEGACY_TABLES, create_fixture
from phaseline.migrate import backfill, contract, expand, verify
from phaseline.pytest_plugin import conninfo
from psycopg import sql
from psycopg.types.json import Jsonb

SCALE = 300  # 10 masters, ~10 records a set: small and fast
BATCH = 60


def quiet(*_args) -> None:
    pass


def md5_uuid(text: str) -> str:
    import hashlib

    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def q(dsn: str, query: str, params=None) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def one(dsn: str, query: str, params=None):
    return q(dsn, query, params)[0][0]


def defects(dsn: str, kind: str | None = None) -> dict[tuple[str, str], tuple]:
    return {
        (r[0], r[1]): r[2:]
        for r in q(
            dsn,
            "SELECT kind, legacy_id, blocking, columns, detail FROM phaseline_legacy.migration_defects "
            "WHERE %s::text IS NULL OR kind = %s",
            (kind, kind),
        )
    }


@pytest.fixture
def legacy_dsn(phaseline_dsn) -> str:
    create_fixture(phaseline_dsn, SCALE, log=quiet)
    return phaseline_dsn


@pytest.fixture
def app(legacy_dsn):
    """The legacy application: a login role, not a superuser, that owns the legacy schema and tables."""
    role = f"legacy_app_{uuid.uuid4().hex[:12]}"
    dbname = psycopg.conninfo.conninfo_to_dict(legacy_dsn)["dbname"]
    with psycopg.connect(legacy_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER SCHEMA legacy OWNER TO {}").format(sql.Identifier(role)))
        for t in LEGACY_TABLES:
            conn.execute(sql.SQL("ALTER TABLE legacy.{} OWNER TO {}").format(sql.Identifier(t), sql.Identifier(role)))
    try:
        yield conninfo(dbname, user=role)
    finally:
        with psycopg.connect(legacy_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
            # the test database may still have a session of the role (a failed thread): end it first
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def migrate(dsn: str) -> None:
    expand(dsn, log=quiet)
    backfill(dsn, batch_size=BATCH, log=quiet)


def assert_verifies(dsn: str) -> dict:
    passed, report = verify(dsn, log=quiet)
    assert passed, {
        k: report[k]
        for k in (
            "unexplained_differences",
            "blocking_defects",
            "legacy_defect_scan",
            "backfill_unfinished_steps",
            "sync_queue",
            "lineage",
            "invariants",
        )
    }
    return report


def legacy_writes(app_dsn: str, isolation=psycopg.IsolationLevel.READ_COMMITTED) -> None:
    """A few writes the old application makes every day, each in its own transaction."""
    with psycopg.connect(app_dsn) as conn:
        conn.isolation_level = isolation
        uid = conn.execute(
            "INSERT INTO legacy.users (email, full_name, role) VALUES (%s, 'New Tester', 'tester') RETURNING user_id",
            (f"t{uuid.uuid4().hex[:8]}@legacy.example",),
        ).fetchone()[0]
        conn.commit()
        conn.execute("UPDATE legacy.users SET full_name = 'Renamed' WHERE user_id = 5")
        conn.commit()
        conn.execute(
            "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) "
            'VALUES (%s, %s, \'{"account": "ACC-LIVE"}\')',
            (md5_uuid("set:1:3"), f"S-LIVE-{uuid.uuid4().hex[:6]}"),
        )
        conn.commit()
        conn.execute(
            "UPDATE legacy.report_attributes SET description = 'edited live' WHERE attribute_id = %s",
            (md5_uuid("attr:2:3:1"),),
        )
        conn.commit()
        conn.execute(
            "UPDATE legacy.test_execution_phases SET tests_executed = coalesce(tests_executed, 0) + 1 "
            "WHERE phase_id = %s",
            (md5_uuid("phase:4:5"),),
        )
        conn.commit()
        conn.execute(
            "UPDATE legacy.sample_records SET sample_data = sample_data || '{\"checked\": true}' WHERE record_id = %s",
            (md5_uuid("rec:2:3:1"),),
        )
        conn.commit()
        del uid


# --- 1: the legacy application's own role, after expand ----------------------


def test_the_legacy_role_writes_after_expand_and_is_mirrored(legacy_dsn, app):
    expand(legacy_dsn, log=quiet)
    legacy_writes(app)  # each write mirrors before any backfill: whole groups placed by the sync
    assert one(legacy_dsn, "SELECT display_name FROM phaseline.users WHERE user_id = 5") == "Renamed"
    assert (
        one(
            legacy_dsn,
            "SELECT definition ->> 'description' FROM phaseline.report_attributes WHERE id = %s",
            (md5_uuid("attr:2:3:1"),),
        )
        == "edited live"
    )
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE sample_key LIKE 'S-LIVE-%%'") == 1
    backfill(legacy_dsn, batch_size=BATCH, log=quiet)
    legacy_writes(app)  # and after the backfill
    assert_verifies(legacy_dsn)


def test_the_legacy_role_cannot_use_the_engine_bypass_itself(legacy_dsn, app):
    migrate(legacy_dsn)
    role = psycopg.conninfo.conninfo_to_dict(app)["user"]
    q(legacy_dsn, sql.SQL("GRANT phaseline_app TO {}").format(sql.Identifier(role)))
    draft = one(legacy_dsn, "SELECT id FROM phaseline.sample_selection_versions WHERE version_status = 'draft' LIMIT 1")
    admin = one(legacy_dsn, "SELECT user_id FROM phaseline.users WHERE role = 'admin' ORDER BY user_id LIMIT 1")
    with psycopg.connect(app) as conn:
        conn.execute("SET phaseline.backfill = 'on'")
        conn.execute("SET phaseline.legacy_sync = 'on'")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as err:
            conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (draft, admin))
    assert err.value.diag.constraint_name == "illegal_transition"


# --- 9: REPEATABLE READ writers ----------------------------------------------


def test_repeatable_read_writers_whose_snapshot_predates_a_batch_succeed(legacy_dsn, app):
    expand(legacy_dsn, log=quiet)
    with psycopg.connect(app) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute("SELECT count(*) FROM legacy.users").fetchone()  # the snapshot, before the backfill
        backfill(legacy_dsn, batch_size=BATCH, log=quiet)  # commits every user meanwhile
        conn.execute("UPDATE legacy.users SET full_name = 'Snapshot writer' WHERE user_id = 6")
        conn.execute(
            "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) VALUES (%s, 'S-RR-1', '{}')",
            (md5_uuid("set:3:3"),),
        )
        conn.execute(
            "UPDATE legacy.scoping_phases SET scoping_notes = 'rr' WHERE phase_id = %s", (md5_uuid("phase:1:2"),)
        )
        conn.commit()
    legacy_writes(app, psycopg.IsolationLevel.REPEATABLE_READ)
    with psycopg.connect(app) as conn:  # several phase keys of one cycle in one queue drain
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute(
            "UPDATE legacy.test_execution_phases SET tests_executed = coalesce(tests_executed, 0) + 7 "
            "WHERE cycle_id = (SELECT cycle_id FROM legacy.test_execution_phases WHERE phase_id = %s)",
            (md5_uuid("phase:4:2"),),
        )
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline_migration.sync_queue WHERE group_kind = 'phase_keys'") > 3
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline_migration.sync_queue") > 0
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed and report["sync_queue"] > 0  # queued, not yet placed: verify says so
    summary = backfill(legacy_dsn, batch_size=BATCH, log=quiet)  # places the queue
    assert summary["queued_placed"] > 0
    assert one(legacy_dsn, "SELECT display_name FROM phaseline.users WHERE user_id = 6") == "Snapshot writer"
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE sample_key = 'S-RR-1'") == 1
    assert_verifies(legacy_dsn)


# --- 2: users whose role maps to viewer --------------------------------------


def test_rows_made_by_users_who_map_to_viewers_migrate(legacy_dsn, app):
    with psycopg.connect(app) as conn:
        conn.execute("UPDATE legacy.users SET role = 'Test Manager' WHERE user_id = 2")  # owner of many reports
        conn.execute("UPDATE legacy.users SET role = 'system' WHERE user_id = 6")
        conn.execute("UPDATE legacy.users SET role = NULL WHERE user_id = 7")
    migrate(legacy_dsn)
    roles = dict(q(legacy_dsn, "SELECT user_id, role::text FROM phaseline.users WHERE user_id IN (2, 6, 7)"))
    assert roles == {2: "viewer", 6: "viewer", 7: "viewer"}
    # their rows keep them as reviewer and creator; the writes are attributed to the migration user
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_selection_versions WHERE reviewed_by = 2") > 0
    assert_verifies(legacy_dsn)
    legacy_writes(app)
    assert_verifies(legacy_dsn)


# --- 3: deletes, and their ways out ------------------------------------------


def test_a_deleted_record_blocks_until_put_back_or_accepted(legacy_dsn, app):
    migrate(legacy_dsn)
    draft = one(legacy_dsn, "SELECT set_id FROM legacy.sample_sets WHERE status = 'draft' ORDER BY set_id LIMIT 1")
    with psycopg.connect(app) as conn:
        gone = conn.execute(
            "DELETE FROM legacy.sample_records WHERE record_id = (SELECT min(record_id::text)::uuid "
            "FROM legacy.sample_records WHERE set_id = %s) RETURNING *",
            (draft,),
        ).fetchone()
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed
    assert [(x["kind"], x["legacy_id"]) for x in report["blocking_defects"]["examples"]] == [
        ("deleted_in_legacy", str(gone[0]))
    ]

    # Way out 1: the row was deleted by mistake: put it back.
    with psycopg.connect(app) as conn:
        conn.execute(
            "INSERT INTO legacy.sample_records VALUES (%s, %s, %s, %s, %s)", (*gone[:3], Jsonb(gone[3]), gone[4])
        )
    assert_verifies(legacy_dsn)
    # ... also after a restarted pass
    backfill(legacy_dsn, batch_size=BATCH, restart=True, log=quiet)
    assert_verifies(legacy_dsn)

    # Way out 2: the deletion was meant: accept it; phaseline keeps the decision (invariant 8).
    with psycopg.connect(app) as conn:
        conn.execute("DELETE FROM legacy.sample_records WHERE record_id = %s", (gone[0],))
    assert not verify(legacy_dsn, log=quiet)[0]
    q(
        legacy_dsn,
        "SELECT phaseline_migration.accept_defect('sample_records', %s, 'removed from the draft by the tester')",
        (str(gone[0]),),
    )
    assert_verifies(legacy_dsn)
    backfill(legacy_dsn, batch_size=BATCH, restart=True, log=quiet)  # the acceptance outlives re-derivation
    assert_verifies(legacy_dsn)
    assert contract(legacy_dsn, log=quiet)
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE id = %s", (gone[0],)) == 1


def test_accepting_a_deleted_version_is_refused_with_the_way_out(legacy_dsn, app):
    migrate(legacy_dsn)
    with psycopg.connect(app) as conn:
        row = conn.execute(
            "DELETE FROM legacy.report_attributes WHERE attribute_id = %s RETURNING *", (md5_uuid("attr:3:1:1"),)
        ).fetchone()
    assert ("deleted_in_legacy", md5_uuid("attr:3:1:1")) in defects(legacy_dsn, "deleted_in_legacy")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as err:
        q(
            legacy_dsn,
            "SELECT phaseline_migration.accept_defect('report_attributes', %s, 'meant')",
            (md5_uuid("attr:3:1:1"),),
        )
    assert (
        err.value.diag.constraint_name == "deletion_not_acceptable"
        and "put the legacy row back" in err.value.diag.message_hint.lower()
    )
    with psycopg.connect(app) as conn:
        conn.execute("INSERT INTO legacy.report_attributes VALUES (" + ", ".join(["%s"] * len(row)) + ")", row)
    assert_verifies(legacy_dsn)


# --- 4: JSON copied exactly ---------------------------------------------------


def test_phase_json_is_copied_exactly_and_a_json_null_that_breaks_the_contract_blocks(legacy_dsn, app):
    nested = '{"passed": 3, "failed": null, "by_rule": {"R1": null, "R2": [null, 1]}}'
    with psycopg.connect(app) as conn:
        conn.execute(
            "UPDATE legacy.data_profiling_phases SET validation_results = %s WHERE phase_id = %s",
            (nested, md5_uuid("phase:0:1")),
        )
        conn.execute(
            "UPDATE legacy.data_profiling_phases SET validation_results = 'null' WHERE phase_id = %s",
            (md5_uuid("phase:0:2"),),
        )
    migrate(legacy_dsn)
    data = dict(
        q(
            legacy_dsn,
            "SELECT id::text, phase_data FROM phaseline.workflow_phase_data WHERE id IN (%s, %s)",
            (md5_uuid("phase:0:1"), md5_uuid("phase:0:2")),
        )
    )
    import json

    assert data[md5_uuid("phase:0:1")]["validation_results"] == json.loads(nested)
    assert (
        "validation_results" in data[md5_uuid("phase:0:2")]
        and data[md5_uuid("phase:0:2")]["validation_results"] is None
    )
    # the JSON null breaks today's contract (an object): the latest version blocks, with the way out in the defect
    found = defects(legacy_dsn, "phase_contract")
    assert found[("phase_contract", md5_uuid("phase:0:2"))][0] is True
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed and report["unexplained_differences"]["count"] == 0
    # Way out: fix the legacy row; the mirror re-derives it.
    with psycopg.connect(app) as conn:
        conn.execute(
            "UPDATE legacy.data_profiling_phases SET validation_results = '{}' WHERE phase_id = %s",
            (md5_uuid("phase:0:2"),),
        )
    assert_verifies(legacy_dsn)

    # verify tells SQL NULL from JSON null: a phaseline copy that lost the JSON null is a difference
    with psycopg.connect(legacy_dsn) as conn:
        conn.execute("SET LOCAL phaseline.backfill = 'on'")
        conn.execute("SET LOCAL phaseline.legacy_sync = 'on'")  # not mirrored: the copy keeps its old value
        conn.execute("SET LOCAL phaseline.actor = '1'")
        conn.execute(
            "UPDATE legacy.data_profiling_phases SET validation_results = 'null' WHERE phase_id = %s",
            (md5_uuid("phase:0:1"),),
        )
        conn.execute(
            "UPDATE phaseline.workflow_phase_data SET phase_data = phase_data - 'validation_results' WHERE id = %s",
            (md5_uuid("phase:0:1"),),
        )
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed
    assert [x["id"] for x in report["unexplained_differences"]["examples"]] == [md5_uuid("phase:0:1")]


# --- 5: old open versions under a closed latest ------------------------------


def test_an_open_version_under_a_closed_latest_is_closed_and_the_engine_goes_on(legacy_dsn, app):
    attr = md5_uuid("attr:5:1:1")  # master 5, attribute 1: v1 approved, v2 pending
    with psycopg.connect(app) as conn:
        conn.execute(
            "UPDATE legacy.report_attributes SET approval_status = 'pending', approved_by = NULL, approved_at = NULL "
            "WHERE attribute_id = %s",
            (attr,),
        )
        conn.execute(
            "UPDATE legacy.report_attributes SET approval_status = 'approved', approved_by = 2, "
            "approved_at = created_at + interval '1 day' WHERE attribute_id = %s",
            (md5_uuid("attr:5:1:2"),),
        )
    migrate(legacy_dsn)
    assert (
        one(legacy_dsn, "SELECT version_status::text FROM phaseline.report_attributes WHERE id = %s", (attr,))
        == "rejected"
    )
    assert ("open_under_closed", attr) in defects(legacy_dsn)
    assert_verifies(legacy_dsn)
    cycle, report, name, tester = q(
        legacy_dsn,
        "SELECT a.cycle_id, a.report_id, a.attribute_name, cr.tester_user_id "
        "FROM phaseline.report_attributes a JOIN phaseline.cycle_reports cr "
        "USING (cycle_id, report_id) WHERE a.id = %s",
        (attr,),
    )[0]
    v3 = one(
        legacy_dsn, "SELECT phaseline_api.propose_report_attribute(%s, %s, %s, '{}', %s)", (cycle, report, name, tester)
    )
    assert one(legacy_dsn, "SELECT version_number FROM phaseline.report_attributes WHERE id = %s", (v3,)) == 3


# --- 6: status spellings -----------------------------------------------------


def test_status_spellings_are_read_and_each_is_a_defect(legacy_dsn, app):
    with psycopg.connect(app) as conn:
        conn.execute("UPDATE legacy.sample_sets SET status = 'Approved' WHERE set_id = %s", (md5_uuid("set:0:2"),))
        conn.execute(
            "UPDATE legacy.report_attributes SET approval_status = 'APPROVED ' WHERE attribute_id = %s",
            (md5_uuid("attr:0:1:1"),),
        )
        conn.execute(
            "UPDATE legacy.scoping_phases SET status = 'Completed' WHERE phase_id = %s", (md5_uuid("phase:1:3"),)
        )
        conn.execute(
            "UPDATE legacy.data_profiling_phases SET status = 'IN_PROGRESS' WHERE phase_id = %s",
            (md5_uuid("phase:0:0"),),
        )
    migrate(legacy_dsn)
    found = defects(legacy_dsn, "status_spelling")
    assert {md5_uuid("set:0:2"), md5_uuid("attr:0:1:1"), md5_uuid("phase:1:3"), md5_uuid("phase:0:0")} <= {
        k[1] for k in found
    }
    assert (
        one(
            legacy_dsn,
            "SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = %s",
            (md5_uuid("set:0:2"),),
        )
        == "approved"
    )
    assert_verifies(legacy_dsn)


# --- 7: a slow legacy transaction holds a group --------------------------------


def test_backfill_waits_out_a_slow_legacy_transaction_and_says_what_it_waits_for(legacy_dsn, app):
    expand(legacy_dsn, log=quiet)
    said: list[str] = []
    holding = threading.Event()

    def slow_legacy_job():
        with psycopg.connect(app, application_name="legacy nightly job") as conn:
            conn.execute(
                "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) "
                "VALUES (%s, 'S-SLOW', '{}')",
                (md5_uuid("set:0:3"),),
            )  # mirrored: holds master 0 till commit
            holding.set()
            time.sleep(4)
            conn.commit()

    job = threading.Thread(target=slow_legacy_job)
    job.start()
    holding.wait(10)
    try:
        backfill(legacy_dsn, batch_size=BATCH, log=said.append, wait_legacy=30)
    finally:
        job.join()
    waits = [s for s in said if " waits for " in s]
    assert waits and "legacy nightly job" in waits[0] and "pid" in waits[0], said
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.sample_decisions WHERE sample_key = 'S-SLOW'") == 1
    assert_verifies(legacy_dsn)


def test_backfill_gives_up_after_the_configured_wait_and_resumes(legacy_dsn, app):
    from phaseline.migrate import MigrationError

    expand(legacy_dsn, log=quiet)
    with psycopg.connect(app) as conn:
        conn.execute(
            "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) VALUES (%s, 'S-HELD', '{}')",
            (md5_uuid("set:0:3"),),
        )
        with pytest.raises(MigrationError, match="wait-legacy"):
            backfill(legacy_dsn, batch_size=BATCH, log=quiet, wait_legacy=1)
        conn.commit()
    backfill(legacy_dsn, batch_size=BATCH, log=quiet)
    assert_verifies(legacy_dsn)


# --- 8: a mirrored write costs the same whatever the master's size -----------


def test_a_mirrored_record_write_re_derives_only_its_sample(legacy_dsn, app):
    migrate(legacy_dsn)
    master = md5_uuid("set:1")
    whole = one(legacy_dsn, "SELECT phaseline_migration._mig_apply_sample_sets(ARRAY[%s]::uuid[])", (master,))
    sample = one(
        legacy_dsn,
        "SELECT phaseline_migration._mig_apply_sample_sets(ARRAY[%s]::uuid[], ARRAY['S-1-1'], '{}')",
        (master,),
    )
    versions = 3
    assert whole > 15 + versions and sample <= versions + 3  # the versions, and the sample in each of them
    # and the trigger path: one record in, one decision written, nothing else of the master touched
    audit = one(legacy_dsn, "SELECT count(*) FROM phaseline.audit_log")
    with psycopg.connect(app) as conn:
        conn.execute(
            "INSERT INTO legacy.sample_records (set_id, sample_identifier, sample_data) VALUES (%s, 'S-ONE', '{}')",
            (md5_uuid("set:1:3"),),
        )
    assert one(legacy_dsn, "SELECT count(*) FROM phaseline.audit_log") == audit + 1
    assert_verifies(legacy_dsn)


# --- 10: an email change -------------------------------------------------------


def test_an_email_change_to_a_newer_users_address_is_mirrored(legacy_dsn, app):
    migrate(legacy_dsn)
    with psycopg.connect(app) as conn:
        conn.execute("UPDATE legacy.users SET email = 'USER9@legacy.example' WHERE user_id = 5")
    emails = dict(q(legacy_dsn, "SELECT user_id, email FROM phaseline.users WHERE user_id IN (5, 9)"))
    assert emails == {5: "USER9@legacy.example", 9: "legacy-user-9@migration.invalid"}
    assert ("email_rewritten", "9") in defects(legacy_dsn)
    assert_verifies(legacy_dsn)
    with psycopg.connect(app) as conn:  # and back
        conn.execute("UPDATE legacy.users SET email = 'user5@legacy.example' WHERE user_id = 5")
    assert dict(q(legacy_dsn, "SELECT user_id, email FROM phaseline.users WHERE user_id IN (5, 9)")) == {
        5: "user5@legacy.example",
        9: "user9@legacy.example",
    }
    assert_verifies(legacy_dsn)


# --- 11: blocked sets' records, compat views, renamed attributes ---------------


def test_records_of_a_blocked_set_are_defects_not_lost(legacy_dsn, app):
    with psycopg.connect(app) as conn:  # a second master for master 0's key: neither can be placed
        conn.execute(
            "INSERT INTO legacy.sample_sets (master_set_id, version_number, is_latest, cycle_id, report_id, status, created_by) "
            "SELECT gen_random_uuid(), 1, true, cycle_id, report_id, 'draft', created_by FROM legacy.sample_sets "
            "WHERE set_id = %s",
            (md5_uuid("set:0:1"),),
        )
    migrate(legacy_dsn)
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed and report["unexplained_differences"]["count"] == 0
    blocked = defects(legacy_dsn, "group_blocked")
    records = one(
        legacy_dsn,
        "SELECT count(*) FROM legacy.sample_records r JOIN legacy.sample_sets s USING (set_id) "
        "WHERE s.master_set_id = %s",
        (md5_uuid("set:0"),),
    )
    assert records > 15
    assert (
        one(
            legacy_dsn,
            "SELECT count(*) FROM legacy.sample_records WHERE record_id::text = ANY (%s)",
            ([i for _, i in blocked],),
        )
        == records
    )


def test_compatibility_views_refuse_writes(legacy_dsn):
    migrate(legacy_dsn)
    for stmt in (
        "UPDATE phaseline_legacy.users SET full_name = 'x' WHERE user_id = 5",
        "DELETE FROM phaseline_legacy.sample_records",
        "INSERT INTO phaseline_legacy.scoping_phases (phase_id) VALUES (gen_random_uuid())",
    ):
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as err:
            q(legacy_dsn, stmt)
        assert err.value.diag.constraint_name == "compat_view_read_only"


def test_a_renamed_attribute_blocks_until_every_version_has_the_name(legacy_dsn, app):
    migrate(legacy_dsn)
    with psycopg.connect(app) as conn:
        conn.execute(
            "UPDATE legacy.report_attributes SET attribute_name = 'ATTR_RENAMED' WHERE attribute_id = %s",
            (md5_uuid("attr:1:0:2"),),
        )
    passed, report = verify(legacy_dsn, log=quiet)
    assert not passed and "master_key_inconsistent" in {x["kind"] for x in report["blocking_defects"]["examples"]}
    # Way out: one name for the whole master.
    with psycopg.connect(app) as conn:
        conn.execute(
            "UPDATE legacy.report_attributes SET attribute_name = 'ATTR_RENAMED' WHERE master_attribute_id = %s",
            (md5_uuid("attr:1:0"),),
        )
    assert_verifies(legacy_dsn)
    assert (
        one(legacy_dsn, "SELECT count(*) FROM phaseline.report_attributes WHERE attribute_name = 'ATTR_RENAMED'") == 2
    )


# --- the boundary --------------------------------------------------------------


def test_the_machinery_has_its_own_schema_and_named_lock_classes(legacy_dsn):
    expand(legacy_dsn, log=quiet)
    assert (
        one(
            legacy_dsn,
            "SELECT count(*) FROM pg_proc WHERE pronamespace = 'phaseline_legacy'::regnamespace "
            "AND proname <> '_compat_read_only'",
        )
        == 0
    )
    assert one(legacy_dsn, "SELECT count(*) FROM pg_proc WHERE pronamespace = 'phaseline_migration'::regnamespace") > 20
    assert dict(q(legacy_dsn, "SELECT lock_group, class FROM phaseline_migration.lock_classes")) == {
        "users": 7201,
        "attribute_masters": 7202,
        "set_masters": 7203,
        "phase_keys": 7204,
    }
