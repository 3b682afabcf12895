"""Issue 12: actor binding "session". In a database deployed with
--var actor_binding=session the acting user is the phaseline user mapped to
the database role the session acts as: a login mapped to one user cannot act
as another through any mutating API function, four eyes holds against a
dishonest caller, and the SET ROLE pattern of poolers and PostgREST works.

Roles are cluster-wide and other suites run on the same server: every role
here carries a random suffix and is dropped afterwards (after the scratch
database, which holds their grants).
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from phaseline.deploy import deploy
from phaseline.pytest_plugin import conninfo
from psycopg import sql
from psycopg.types.json import Jsonb

ROLE_NAMES = ("admin", "tester", "owner", "stranger", "pool", "as_tester", "as_owner")


def quiet(*_args) -> None:
    pass


def rule_of(exc: psycopg.Error) -> tuple[str | None, str | None]:
    return exc.sqlstate, exc.diag.constraint_name


@pytest.fixture
def roles():
    """Database roles for this test, dropped afterwards. Set up before the
    scratch database, so torn down after it."""
    suffix = uuid.uuid4().hex[:12]
    names = {n: f"pl12_{suffix}_{n}" for n in ROLE_NAMES}
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        for key, name in names.items():
            if key == "pool":
                # a pooler's login: NOINHERIT, it works only through SET ROLE
                admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT").format(sql.Identifier(name)))
            elif key.startswith("as_"):
                admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
            else:
                admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        for key, name in names.items():
            if key != "pool":
                admin.execute(sql.SQL("GRANT phaseline_app TO {}").format(sql.Identifier(name)))
        for key in ("as_tester", "as_owner"):
            admin.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(names[key]), sql.Identifier(names["pool"])))
    try:
        yield names
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            for name in names.values():
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def session_world(roles, scratch_dsn):
    """phaseline deployed with actor_binding=session; users mapped to logins."""
    deploy(scratch_dsn, {"actor_binding": "session"}, log=quiet)
    dbname = psycopg.conninfo.conninfo_to_dict(scratch_dsn)["dbname"]

    def as_role(key: str) -> psycopg.Connection:
        return psycopg.connect(conninfo(dbname, user=roles[key]), autocommit=True)

    w: dict = {"roles": roles, "as_role": as_role, "dsn": scratch_dsn}
    with as_role("admin") as a:
        # the bootstrap call maps the calling role to the first admin
        w["admin"] = a.execute("SELECT phaseline_api.create_user('admin@s.io', 'Ada Admin', 'admin')").fetchone()[0]
        for key, role in (("tester", "tester"), ("owner", "report_owner"), ("tester2", "tester")):
            w[key] = a.execute(
                "SELECT phaseline_api.create_user(%s, %s, %s)", (f"{key}@s.io", key.title(), role)
            ).fetchone()[0]
        a.execute("SELECT phaseline_api.map_user_role(%s, %s)", (w["tester"], roles["tester"]))
        a.execute("SELECT phaseline_api.map_user_role(%s, %s)", (w["owner"], roles["owner"]))
        a.execute("SELECT phaseline_api.map_user_role(%s, %s)", (w["tester"], roles["as_tester"]))
        a.execute("SELECT phaseline_api.map_user_role(%s, %s)", (w["owner"], roles["as_owner"]))
        w["cycle"] = a.execute("SELECT phaseline_api.create_cycle('Q1', '2026-01-01', '2026-03-31')").fetchone()[0]
        w["report"] = a.execute("SELECT phaseline_api.create_report('R1', %s)", (w["owner"],)).fetchone()[0]
        a.execute("SELECT phaseline_api.assign_report(%s, %s, %s)", (w["cycle"], w["report"], w["tester"]))
    return w


def test_the_mode_is_recorded_and_readable(session_world):
    with session_world["as_role"]("tester") as c:
        assert c.execute("SELECT phaseline_api.actor_binding()").fetchone()[0] == "session"
        assert c.execute("SELECT phaseline_api.session_user_id()").fetchone()[0] == session_world["tester"]


def test_an_unknown_binding_is_refused_at_deploy(scratch_dsn):
    with pytest.raises(Exception, match="unknown actor binding"):
        deploy(scratch_dsn, {"actor_binding": "trust_me"}, log=quiet)


def mutating_calls(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, SQL) for every API function that takes p_actor: every other
    argument null, p_actor named."""
    rows = conn.execute(
        """SELECT p.proname, p.oid::regprocedure::text,
                  array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t),
                  p.proargnames
             FROM pg_proc p
            WHERE p.pronamespace = 'phaseline_api'::regnamespace AND 'p_actor' = ANY (p.proargnames)
            ORDER BY 2"""
    ).fetchall()
    calls = []
    for name, sig, types, argnames in rows:
        args = [
            f"{a} => %s::integer" if a == "p_actor" else f"{a} => NULL::{t}"
            for t, a in zip(types, argnames, strict=False)
        ]
        calls.append((sig, f"SELECT phaseline_api.{name}({', '.join(args)})"))
    return calls


def test_a_login_cannot_act_as_another_user_through_any_mutating_function(session_world):
    w = session_world
    with w["as_role"]("tester") as c:
        calls = mutating_calls(c)
        assert len(calls) >= 20, calls  # every mutating function of the API
        refused = []
        for sig, stmt in calls:
            for other in (w["owner"], w["admin"], 2_000_000_000):
                try:
                    c.execute(stmt, (other,))
                    refused.append(f"{sig} as user {other}: no error")
                except psycopg.Error as exc:
                    if rule_of(exc) != ("42501", "actor_not_session"):
                        refused.append(f"{sig} as user {other}: {rule_of(exc)} {exc.diag.message_primary}")
        assert refused == []
    with psycopg.connect(w["dsn"]) as owner_conn:  # nothing was written
        assert (
            owner_conn.execute(
                "SELECT count(*) FROM phaseline.audit_log WHERE db_user = %s", (w["roles"]["tester"],)
            ).fetchone()[0]
            == 0
        )


def test_p_actor_may_be_omitted_or_match(session_world):
    w = session_world
    with w["as_role"]("tester") as c:
        v = c.execute(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'balance', '{}')", (w["cycle"], w["report"])
        ).fetchone()[0]
        c.execute("SELECT phaseline_api.update_report_attribute(%s, '{\"v\": 1}', %s)", (v, w["tester"]))
    with psycopg.connect(w["dsn"]) as o:
        assert o.execute(
            "SELECT created_by, contributors FROM phaseline.report_attributes WHERE id = %s", (v,)
        ).fetchone() == (w["tester"], [w["tester"]])


def test_four_eyes_holds_against_a_dishonest_caller(session_world):
    w = session_world
    with w["as_role"]("tester") as t, w["as_role"]("owner") as o:
        v = t.execute(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'rate', '{}')", (w["cycle"], w["report"])
        ).fetchone()[0]
        t.execute("SELECT phaseline_api.submit_version(%s)", (v,))
        # the tester claims to be the owner, then the admin: refused both times
        for other in (w["owner"], w["admin"]):
            with pytest.raises(psycopg.Error) as e:
                t.execute("SELECT phaseline_api.approve_version(%s, %s)", (v, other))
            assert rule_of(e.value) == ("42501", "actor_not_session")
        with pytest.raises(psycopg.Error) as e:
            t.execute("SELECT phaseline_api.approve_version(%s)", (v,))
        assert rule_of(e.value) == ("42501", "not_reviewer")

        # the owner writes a version, and cannot approve it as themself or as anyone else
        v2 = o.execute(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'limit', '{}')", (w["cycle"], w["report"])
        ).fetchone()[0]
        o.execute("SELECT phaseline_api.submit_version(%s)", (v2,))
        with pytest.raises(psycopg.Error) as e:
            o.execute("SELECT phaseline_api.approve_version(%s)", (v2,))
        assert rule_of(e.value) == ("42501", "four_eyes")
        with pytest.raises(psycopg.Error) as e:
            o.execute("SELECT phaseline_api.approve_version(%s, %s)", (v2, w["admin"]))
        assert rule_of(e.value) == ("42501", "actor_not_session")

        # the honest path: the owner approves the tester's version
        o.execute("SELECT phaseline_api.approve_version(%s)", (v,))
    with w["as_role"]("admin") as a:
        a.execute("SELECT phaseline_api.approve_version(%s)", (v2,))
    with psycopg.connect(w["dsn"]) as db:
        assert db.execute(
            "SELECT reviewed_by FROM phaseline.report_attributes WHERE id IN (%s, %s) ORDER BY attribute_name", (v, v2)
        ).fetchall() == [(w["admin"],), (w["owner"],)]


def test_the_set_role_pattern_of_poolers_acts_as_the_role_set(session_world):
    w = session_world
    r = w["roles"]
    with w["as_role"]("pool") as p:
        # the pooler's own login is mapped to nobody
        with pytest.raises(psycopg.Error) as e:
            p.execute("SELECT phaseline_api.start_sample_selection(%s, %s)", (w["cycle"], w["report"]))
        # a NOINHERIT login without SET ROLE cannot even execute the API
        assert e.value.sqlstate == "42501"

        p.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(r["as_tester"])))
        v = p.execute("SELECT phaseline_api.start_sample_selection(%s, %s)", (w["cycle"], w["report"])).fetchone()[0]
        p.execute("SELECT phaseline_api.recommend_samples(%s, %s, 'tester')", (v, Jsonb([{"sample_key": "S1"}])))
        p.execute("SELECT phaseline_api.submit_version(%s)", (v,))
        with pytest.raises(psycopg.Error) as e:
            p.execute(
                "SELECT phaseline_api.decide_samples(%s, %s, %s)",
                (v, Jsonb([{"sample_key": "S1", "status": "approved"}]), w["owner"]),
            )
        assert rule_of(e.value) == ("42501", "actor_not_session")

        p.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(r["as_owner"])))
        p.execute(
            "SELECT phaseline_api.decide_samples(%s, %s)", (v, Jsonb([{"sample_key": "S1", "status": "approved"}]))
        )
        p.execute("SELECT phaseline_api.approve_version(%s)", (v,))

        p.execute("RESET ROLE")
        # within a transaction too (PostgREST's SET LOCAL ROLE per request)
        with p.transaction():
            p.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(r["as_tester"])))
            assert p.execute("SELECT phaseline_api.session_user_id()").fetchone()[0] == w["tester"]
    with psycopg.connect(w["dsn"]) as db:
        row = db.execute(
            "SELECT created_by, submitted_by, reviewed_by FROM phaseline.sample_selection_versions WHERE id = %s", (v,)
        ).fetchone()
        assert row == (w["tester"], w["tester"], w["owner"])
        assert db.execute(
            "SELECT recommended_by, decided_by FROM phaseline.sample_decisions WHERE version_id = %s", (v,)
        ).fetchone() == (w["tester"], w["owner"])
        # the audit names the role the pooler switched to, not the pooler
        assert db.execute(
            "SELECT array_agg(DISTINCT db_user ORDER BY db_user) FROM phaseline.audit_log WHERE row_id = %s", (str(v),)
        ).fetchone()[0] == sorted([r["as_tester"], r["as_owner"]])


def test_unmapped_roles_cannot_act_and_mapping_is_for_admins(session_world):
    w = session_world
    r = w["roles"]
    with w["as_role"]("stranger") as s:
        with pytest.raises(psycopg.Error) as e:
            s.execute("SELECT phaseline_api.start_phase(%s, %s, 'scoping')", (w["cycle"], w["report"]))
        assert rule_of(e.value) == ("42501", "role_not_mapped")
        # the bootstrap path is closed once users exist: no way in without a mapping
        with pytest.raises(psycopg.Error) as e:
            s.execute("SELECT phaseline_api.create_user('x@s.io', 'X', 'admin')")
        assert rule_of(e.value) == ("42501", "role_not_mapped")
    with w["as_role"]("tester") as t:
        with pytest.raises(psycopg.Error) as e:
            t.execute("SELECT phaseline_api.map_user_role(%s, %s)", (w["tester2"], r["stranger"]))
        assert rule_of(e.value) == ("42501", "admin_only")
    with w["as_role"]("admin") as a:
        with pytest.raises(psycopg.Error) as e:
            a.execute("SELECT phaseline_api.map_user_role(%s, %s)", (w["tester2"], r["tester"]))
        assert rule_of(e.value) == ("23505", "db_role_mapped")
        with pytest.raises(psycopg.Error) as e:
            a.execute("SELECT phaseline_api.map_user_role(%s, 'postgres')", (w["tester2"],))
        assert rule_of(e.value) == ("42501", "db_role_superuser")
        a.execute("SELECT phaseline_api.unmap_user_role(%s)", (r["tester"],))
    with w["as_role"]("tester") as t:
        with pytest.raises(psycopg.Error) as e:
            t.execute("SELECT phaseline_api.start_phase(%s, %s, 'scoping')", (w["cycle"], w["report"]))
        assert rule_of(e.value) == ("42501", "role_not_mapped")
    with psycopg.connect(w["dsn"]) as db:
        assert (
            db.execute(
                "SELECT count(*) FROM phaseline.user_db_roles WHERE role_name = %s AND unmapped_at IS NOT NULL",
                (r["tester"],),
            ).fetchone()[0]
            == 1
        ), "unmapping keeps the row, closed"
