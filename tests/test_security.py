"""Issue 12: what needs several connections or the rendered SQL.

- Finding 2: two admins deactivating each other at the same time leave one
  active admin (the second waits, then gets 55000 last_admin), so the
  actor-less create_user stays closed.
- Finding 7: repeatable/900_privileges.sql holds the whole privilege state;
  re-applying it restores grants that were tampered with.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from phaseline.render import render_all


def rule_of(exc: psycopg.Error) -> tuple[str | None, str | None]:
    return exc.sqlstate, exc.diag.constraint_name


def test_two_admins_deactivating_each_other_at_once_leave_one(phaseline_dsn, world):
    w = world
    with psycopg.connect(phaseline_dsn, autocommit=True) as c:
        admin2 = c.execute(
            "SELECT phaseline_api.create_user('admin2@test.io', 'Ann Admin', 'admin', %s)", (w["admin"],)
        ).fetchone()[0]
    first = psycopg.connect(phaseline_dsn)  # a transaction left open
    first.execute("SELECT phaseline_api.set_user_active(%s, false, %s)", (admin2, w["admin"]))
    outcome: dict = {}

    def second() -> None:
        with psycopg.connect(phaseline_dsn, autocommit=True) as c:
            try:
                c.execute("SELECT phaseline_api.set_user_active(%s, false, %s)", (w["admin"], admin2))
                outcome["result"] = "deactivated"
            except psycopg.Error as exc:
                outcome["result"] = rule_of(exc)

    t = threading.Thread(target=second)
    t.start()
    t.join(1.0)
    assert t.is_alive(), "the second deactivation must wait for the first"
    first.commit()
    first.close()
    t.join(20)
    # the second passed its actor check while admin2 was still active, then
    # queued on the lock, and counted the admins after the first committed
    assert outcome["result"] == ("55000", "last_admin")
    with psycopg.connect(phaseline_dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM phaseline.users WHERE role = 'admin' AND is_active").fetchone()[0] == 1
        with pytest.raises(psycopg.Error) as refused:
            c.execute("SELECT phaseline_api.create_user('root@x.io', 'Root', 'admin')")
        assert rule_of(refused.value) == ("42501", "actor_required")


def privileges_sql() -> str:
    [f] = [f for f in render_all() if f.name == "repeatable/900_privileges.sql"]
    return f.text


def test_reapplying_the_privileges_file_restores_tampered_grants(phaseline_dsn):
    checks = {
        "PUBLIC executes an internal function": "SELECT has_function_privilege('public', 'phaseline._actor()', 'EXECUTE')",
        "PUBLIC has USAGE on the private schema": "SELECT has_schema_privilege('public', 'phaseline', 'USAGE')",
        "the app role reads a table": "SELECT has_table_privilege('phaseline_app', 'phaseline.users', 'SELECT')",
        "the read-only role executes a mutating API function": "SELECT has_function_privilege('phaseline_readonly', 'phaseline_api.submit_version(uuid, integer)', 'EXECUTE')",
        "PUBLIC uses an enum": "SELECT has_type_privilege('public', 'phaseline.version_status', 'USAGE')",
        "the app role cannot execute the API": "SELECT NOT has_function_privilege('phaseline_app', 'phaseline_api.submit_version(uuid, integer)', 'EXECUTE')",
    }
    with psycopg.connect(phaseline_dsn, autocommit=True) as c:
        for what, q in checks.items():
            assert c.execute(q).fetchone()[0] is False, f"before tampering: {what}"
        c.execute("GRANT EXECUTE ON FUNCTION phaseline._actor() TO PUBLIC")
        c.execute("GRANT USAGE ON SCHEMA phaseline TO PUBLIC")
        c.execute("GRANT SELECT ON phaseline.users TO phaseline_app")
        c.execute("GRANT EXECUTE ON FUNCTION phaseline_api.submit_version(uuid, integer) TO phaseline_readonly")
        c.execute("GRANT USAGE ON TYPE phaseline.version_status TO PUBLIC")
        c.execute("REVOKE EXECUTE ON FUNCTION phaseline_api.submit_version(uuid, integer) FROM phaseline_app")
        for what, q in checks.items():
            assert c.execute(q).fetchone()[0] is True, f"tampering failed: {what}"
        c.execute(privileges_sql().encode())
        for what, q in checks.items():
            assert c.execute(q).fetchone()[0] is False, f"after re-applying 900_privileges.sql: {what}"
        c.execute(privileges_sql().encode())  # idempotent
        assert c.execute(checks["the app role reads a table"]).fetchone()[0] is False
