"""Upgrading a database deployed with release 0.1.0, and refusing to downgrade it.

Release 0.1.0 (commit 37723f3) is kept as tests/fixtures/release_0_1_0/: the
files it rendered with the default variables. ``deploy_0_1_0`` applies them
the way 0.1.0's harness did (a file per transaction, its ledger row written
in the same transaction, no release recorded) as a superuser, which 0.1.0
required. Data goes in through 0.1.0's API, then this release deploys over
it, as the same role that owns the objects.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

import psycopg
import pytest
from phaseline import Build, deploy, validate
from phaseline.sqlsplit import split_statements
from psycopg import sql
from psycopg.types.json import Jsonb

RELEASE_0_1_0 = Path(__file__).resolve().parent / "fixtures" / "release_0_1_0"


def deploy_0_1_0(dsn: str) -> None:
    """What `phaseline deploy` of release 0.1.0 did: ensure_ledger, then each file not yet applied."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS phaseline_deploy")
        conn.execute(
            """CREATE TABLE IF NOT EXISTS phaseline_deploy.ledger (
                   id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                   file        text        NOT NULL,
                   kind        text        NOT NULL CHECK (kind IN ('once', 'repeatable')),
                   sha256      text        NOT NULL,
                   applied_by  text        NOT NULL DEFAULT current_user,
                   client_user text,
                   applied_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
                   duration_ms numeric     NOT NULL)"""
        )
        conn.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS ledger_once_file ON phaseline_deploy.ledger (file) WHERE kind = 'once'"
        )
        last = dict(
            conn.execute(
                "SELECT DISTINCT ON (file) file, sha256 FROM phaseline_deploy.ledger ORDER BY file, id DESC"
            ).fetchall()
        )
        for kind in ("once", "repeatable"):
            for path in sorted((RELEASE_0_1_0 / kind).glob("*.sql")):
                name, text = f"{kind}/{path.name}", path.read_text()
                sha = hashlib.sha256(text.encode()).hexdigest()
                if last.get(name) == sha:
                    continue
                if name in last and kind == "once":
                    raise AssertionError(f"0.1.0 would refuse: {name} drifted")
                with conn.transaction():
                    for _line, statement in split_statements(text):
                        conn.execute(statement.encode())
                    conn.execute(
                        "INSERT INTO phaseline_deploy.ledger (file, kind, sha256, client_user, duration_ms)"
                        " VALUES (%s, %s, %s, %s, 0)",
                        (name, kind, sha, getpass.getuser()),
                    )


@pytest.fixture
def superuser_scratch(scratch_dsn):
    """The scratch database, as the superuser that 0.1.0 needed to deploy."""
    params = psycopg.conninfo.conninfo_to_dict(scratch_dsn)
    from phaseline.pytest_plugin import conninfo

    return conninfo(params["dbname"])


def load_through_0_1_0_api(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        q = lambda query, *args: conn.execute(query, args).fetchone()[0]  # noqa: E731
        admin = q("SELECT phaseline_api.create_user('admin@bank.test', 'Admin', 'admin')")
        owner = q("SELECT phaseline_api.create_user('owner@bank.test', 'Owner', 'report_owner', %s)", admin)
        tester = q("SELECT phaseline_api.create_user('tester@bank.test', 'Tester', 'tester', %s)", admin)
        cycle = q("SELECT phaseline_api.create_cycle('Q4', '2026-10-01', '2026-12-31', %s)", admin)
        report = q("SELECT phaseline_api.create_report('FR Y-9C', %s, %s)", owner, admin)
        conn.execute("SELECT phaseline_api.assign_report(%s, %s, %s, %s)", (cycle, report, tester, admin))
        attr = q(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'total_assets', %s, %s)",
            cycle,
            report,
            Jsonb({"type": "number"}),
            tester,
        )
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (attr, tester))
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (attr, owner))
        sel = q("SELECT phaseline_api.start_sample_selection(%s, %s, %s)", cycle, report, tester)
        samples = [{"sample_key": f"s{i}", "data": {"n": i}} for i in range(20)]
        conn.execute("SELECT phaseline_api.recommend_samples(%s, %s, 'tester', %s)", (sel, Jsonb(samples), tester))
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (sel, tester))
        decisions = [
            {"sample_key": f"s{i}", "status": "approved" if i < 15 else "rejected", "note": "ok"} for i in range(20)
        ]
        conn.execute("SELECT phaseline_api.decide_samples(%s, %s, %s)", (sel, Jsonb(decisions), owner))
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (sel, owner))
        return dict(admin=admin, owner=owner, tester=tester, cycle=cycle, report=report, attr=attr, sel=sel)


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'phaseline'::regnamespace"
                " AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'audit_log' ORDER BY 1"
            )
        ]
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(t))).fetchone()[0] for t in tables}


def test_upgrade_from_0_1_0_keeps_data_and_invariants_and_refuses_the_downgrade(superuser_scratch):
    dsn = superuser_scratch
    deploy_0_1_0(dsn)
    world = load_through_0_1_0_api(dsn)
    before = counts(dsn)
    with psycopg.connect(dsn) as conn:
        audit_before = conn.execute("SELECT count(*) FROM phaseline.audit_log").fetchone()[0]

    build = Build.load()
    said: list[str] = []
    deploy(dsn, build=build, log=said.append)
    after = counts(dsn)
    assert {t: after[t] for t in before} == before, "the upgrade changed no row of data"
    added = {t for t in set(after) - set(before) if not t.startswith("phaseline.audit_")}  # the log moved (issue 14)
    # decision_sets is a catalog: deploy keeps it from phaseline.toml's [[decision_set]] entries (issue 16)
    assert after.pop("phaseline.decision_sets") == len(build.ctx["decision_sets"])
    assert all(after[t] == 0 for t in added - {"phaseline.decision_sets"}), "tables this release adds start empty"
    assert validate(dsn, build=build) == [], "validate holds right after the upgrade"

    with psycopg.connect(dsn, autocommit=True) as conn:
        # the history written by 0.1.0 is still there for audit_trail
        trail = conn.execute(
            "SELECT action, actor FROM phaseline_api.audit_trail(%s) ORDER BY at", (world["attr"],)
        ).fetchall()
        assert [a for a, _ in trail][:1] == ["INSERT"] and len(trail) >= 3
        assert conn.execute("SELECT count(*) FROM phaseline.audit_log").fetchone()[0] >= audit_before
        # the engine still holds: a new version through this release's API numbers on, four eyes still refuses
        v2 = conn.execute(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'total_assets', %s, %s)",
            (world["cycle"], world["report"], Jsonb({"type": "integer"}), world["tester"]),
        ).fetchone()[0]
        number, parent = conn.execute(
            "SELECT version_number, parent_version_id FROM phaseline.report_attributes WHERE id = %s", (v2,)
        ).fetchone()
        assert (number, parent) == (2, world["attr"])
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (v2, world["tester"]))
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (v2, world["tester"]))
        assert err.value.diag.constraint_name in ("four_eyes", "not_reviewer")
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (v2, world["owner"]))
        assert (
            conn.execute(
                "SELECT version_status FROM phaseline.report_attributes WHERE id = %s", (world["attr"],)
            ).fetchone()[0]
            == "superseded"
        )
        # carry-forward from the selection 0.1.0 approved
        v2sel = conn.execute(
            "SELECT phaseline_api.start_sample_selection(%s, %s, %s)",
            (world["cycle"], world["report"], world["tester"]),
        ).fetchone()[0]
        assert (
            conn.execute("SELECT count(*) FROM phaseline.sample_decisions WHERE version_id = %s", (v2sel,)).fetchone()[
                0
            ]
            == 15
        )

    # 0.1.0 over the upgraded database: refused at its first file, nothing applied
    with psycopg.connect(dsn) as conn:
        ledger_before = conn.execute("SELECT count(*) FROM phaseline_deploy.ledger").fetchone()[0]
    with pytest.raises(psycopg.Error) as err:
        deploy_0_1_0(dsn)
    assert err.value.diag.constraint_name == "release_required", err.value
    assert "deployed by a newer phaseline" in str(err.value)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM phaseline_deploy.ledger").fetchone()[0] == ledger_before
    assert validate(dsn, build=build) == [], "nothing of 0.1.0 was applied"


def test_an_older_release_of_this_harness_is_refused(scratch_dsn, monkeypatch):
    build = Build.load()
    deploy(scratch_dsn, build=build, log=lambda *_: None)
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        conn.execute("UPDATE phaseline_deploy.releases SET release = '99.0.0'")
    from phaseline.deploy import RefusedError

    with pytest.raises(RefusedError, match=r"over a database at release 99\.0\.0"):
        deploy(scratch_dsn, build=build, log=lambda *_: None)


def test_other_variables_are_refused(scratch_dsn):
    deploy(scratch_dsn, log=lambda *_: None)
    from phaseline.deploy import RefusedError

    with pytest.raises(RefusedError, match="rendered with other variables.*compat_schema"):
        deploy(scratch_dsn, {"compat_schema": "other_compat"}, log=lambda *_: None)
