"""Upgrade from release 0.1.0 keeps the whole audit history.

A database is deployed with 0.1.0's rendered files (tests/fixtures/release_0_1_0),
written to through its API, and then upgraded by deploying this checkout. The
0.1.0 log (whole rows) is kept as audit_log_0_1_0: audit_trail returns its
entries exactly as 0.1.0 did, and changes after the upgrade continue each
row's history in the new storage, rebuilt from the row and the deltas.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
from phaseline.deploy import deploy
from phaseline.pytest_plugin import conninfo
from phaseline.render import SQL_DIR
from psycopg.types.json import Jsonb

RELEASE_0_1_0 = Path(__file__).resolve().parent / "fixtures" / "release_0_1_0"


def trail(conn, row_id):
    return conn.execute(
        "SELECT at, actor, action, table_name, row_id, old_row, new_row FROM phaseline_api.audit_trail(%s) ORDER BY audit_id",
        (row_id,),
    ).fetchall()


def test_upgrade_from_0_1_0_keeps_and_continues_the_audit_history(scratch_dsn, tmp_path):
    # 0.1.0 deployed only as a superuser (its functions SET a custom parameter); the upgrade runs as the same role
    scratch_dsn = conninfo(psycopg.conninfo.conninfo_to_dict(scratch_dsn)["dbname"])
    old = tmp_path / "sql"
    shutil.copytree(RELEASE_0_1_0, old)
    shutil.copy(SQL_DIR / "phaseline.toml", old / "phaseline.toml")
    deploy(scratch_dsn, sql_dir=old, log=lambda *_: None)

    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        one = lambda q, p=(): conn.execute(q, p).fetchone()[0]  # noqa: E731
        admin = one("SELECT phaseline_api.create_user('admin@up.io', 'Ada', 'admin')")
        owner = one("SELECT phaseline_api.create_user('owner@up.io', 'Olga', 'report_owner', %s)", (admin,))
        tester = one("SELECT phaseline_api.create_user('tester@up.io', 'Tara', 'tester', %s)", (admin,))
        cycle = one("SELECT phaseline_api.create_cycle('Q1', '2026-01-01', '2026-03-31', %s)", (admin,))
        report = one("SELECT phaseline_api.create_report('R', %s, %s)", (owner, admin))
        conn.execute("SELECT phaseline_api.assign_report(%s, %s, %s, %s)", (cycle, report, tester, admin))
        attr = one(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'balance', '{\"v\": 1}', %s)",
            (cycle, report, tester),
        )
        conn.execute("SELECT phaseline_api.update_report_attribute(%s, '{\"v\": 2}', %s)", (attr, tester))
        draft = one(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'rate', '{\"v\": 1}', %s)", (cycle, report, tester)
        )
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (attr, tester))
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (attr, owner))
        sel = one("SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (cycle, report, tester))
        conn.execute(
            "SELECT phaseline_api.recommend_samples(%s, %s, 'tester', %s)",
            (sel, Jsonb([{"sample_key": "A", "data": {"n": 1}}, {"sample_key": "B"}]), tester),
        )
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (sel, tester))
        conn.execute(
            "SELECT phaseline_api.decide_samples(%s, %s, %s)",
            (sel, Jsonb([{"sample_key": "A", "status": "modified", "data": {"n": 9}}]), owner),
        )
        decision = one("SELECT id FROM phaseline.sample_decisions WHERE version_id = %s AND sample_key = 'A'", (sel,))
        rows = [attr, draft, sel, decision, cycle]
        before = {r: trail(conn, r) for r in rows}
        entries = one("SELECT count(*) FROM phaseline.audit_log")
        assert entries > 15 and all(before[r] for r in rows)

    deploy(scratch_dsn, log=lambda *_: None)  # the upgrade

    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        one = lambda q, p=(): conn.execute(q, p).fetchone()[0]  # noqa: E731
        assert one("SELECT count(*) FROM phaseline.audit_log_0_1_0") == entries, "the 0.1.0 log is kept whole"
        assert one("SELECT count(*) FROM phaseline.audit_log") == entries, "the audit_log view shows it"
        for r in rows:
            assert trail(conn, r) == before[r], f"audit_trail of {r} changed by the upgrade"
        assert one("SELECT min(id) FROM phaseline.audit_events") is None
        assert one("SELECT nextval('phaseline.audit_event_id_seq')") > one(
            "SELECT max(id) FROM phaseline.audit_log_0_1_0"
        )

        # History continues: each row's next change lands in the new storage.
        conn.execute("SELECT phaseline_api.update_report_attribute(%s, '{\"v\": 3}', %s)", (draft, tester))
        conn.execute(
            "SELECT phaseline_api.decide_samples(%s, %s, %s)",
            (sel, Jsonb([{"sample_key": "B", "status": "approved"}]), owner),
        )
        # the owner modified a sample of it: four eyes (issue 12) leaves the approval to an admin
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (sel, admin))
        new_attr = one(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'balance', '{\"v\": 4}', %s)",
            (cycle, report, tester),
        )
        for r, n in ((draft, 1), (sel, 1), (attr, 1)):
            after = trail(conn, r)
            assert after[: len(before[r])] == before[r], f"{r}: the 0.1.0 entries come first, unchanged"
            added = after[len(before[r]) :]
            assert len(added) == n, (r, added)
            # the first new entry starts where the last 0.1.0 entry ended
            assert added[0][5] == before[r][-1][6], f"{r}: the rebuilt old row is the last recorded new row"
            current = one(
                f"SELECT to_jsonb(t) FROM phaseline.{'report_attributes' if r != sel else 'sample_selection_versions'} t WHERE id = %s",
                (r,),
            )
            assert added[-1][6] == current
        assert trail(conn, draft)[-1][5]["definition"] == {"v": 1} and trail(conn, draft)[-1][6]["definition"] == {
            "v": 3
        }
        assert [e[2] for e in trail(conn, attr)][-1] == "UPDATE"  # the latest flag moved by the new version
        assert trail(conn, attr)[-1][5]["is_latest"] is True and trail(conn, attr)[-1][6]["is_latest"] is False
        assert [e[2] for e in trail(conn, new_attr)] == ["INSERT"]
        # the decision decided before the upgrade keeps its 0.1.0 entries; B's decision after it is rebuilt
        b = one("SELECT id FROM phaseline.sample_decisions WHERE version_id = %s AND sample_key = 'B'", (sel,))
        tb = trail(conn, b)
        assert [e[2] for e in tb] == ["INSERT", "UPDATE"]
        assert tb[1][5]["decision_status"] == "pending" and tb[1][6]["decision_status"] == "approved"
        assert trail(conn, decision) == before[decision]
