"""Issue 12: bad input, systematically. For every function of the API the
catalog lists, and every argument, a generated set of bad values:

- NULL (every argument; a few are documented as optional and left out),
- blank text (ASCII and Unicode whitespace, a zero-width space),
- over-long text (100,000 characters),
- an unknown value for the arguments that take one of a set (role, source,
  artifact type, phase, database role),
- JSON of the wrong type (each JSON type the argument does not take) and
  JSON over max_json_bytes,
- an unknown or out-of-range id (user ids -1, 0 and 2^31-1; a random uuid),
- an infinite date.

Each call must fail with a documented SQLSTATE and a rule name that sql/
raises (read functions may instead return no row for an unknown id), must
not echo more than 40 characters of the bad value, and must leave every
phaseline table as it was: row counts and a checksum of every table (the
test.state() helper) before and after each case.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DOCUMENTED_STATES = {"P0002", "22023", "22001", "23514", "55000", "42501", "23505"}
LONG = "x" * 100_000
BLANK = " \t\n\u00a0\u3000\u200b "
UNKNOWN = "no_such_value"
# Arguments that take one of a set of values.
ENUM_ARGS = {"p_role", "p_source", "p_artifact_type", "p_phase", "p_set"}
# Arguments documented as optional (NULL means "none" or "the default").
OPTIONAL = {("approve_version", "p_note"), ("approved_artifact", "p_artifact_key"), ("approved_phase_data", "p_phase")}
USER_ARGS = {"p_actor", "p_owner", "p_tester", "p_user"}


def documented_rules() -> set[str]:
    """Every rule name sql/ raises or names in a constraint."""
    text = "\n".join(p.read_text() for p in SQL_DIR.rglob("*.sql"))
    rules = set(re.findall(r"CONSTRAINT = '(\w+)'", text))
    rules |= set(re.findall(r"ADD CONSTRAINT (\w+)", text))
    fields = re.findall(r"WHEN '(\w+)'\s+THEN \d+", text)  # _text_limit's fields: <field>_not_blank, <field>_length
    rules |= {f"{f}_not_blank" for f in fields} | {f"{f}_length" for f in fields}
    return rules


@pytest.fixture
def base(phaseline_dsn, world) -> dict:
    """A world with one thing of each kind, committed; valid arguments per function."""
    w = dict(world)
    with psycopg.connect(phaseline_dsn, autocommit=True) as c:
        one = lambda q, *a: c.execute(q, a).fetchone()[0]  # noqa: E731
        w["report2"] = one("SELECT phaseline_api.create_report('Second', %s, %s)", w["owner"], w["admin"])
        c.execute(
            "SELECT phaseline_api.assign_report(%s, %s, %s, %s)", (w["cycle"], w["report2"], w["tester"], w["admin"])
        )
        w["attr"] = one(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'balance', '{}', %s)",
            w["cycle"],
            w["report"],
            w["tester"],
        )
        w["attr_pending"] = one(
            "SELECT phaseline_api.propose_report_attribute(%s, %s, 'rate', '{}', %s)",
            w["cycle"],
            w["report"],
            w["tester"],
        )
        c.execute("SELECT phaseline_api.submit_version(%s, %s)", (w["attr_pending"], w["tester"]))
        w["samples"] = one(
            "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", w["cycle"], w["report"], w["tester"]
        )
        w["samples_pending"] = one(
            "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", w["cycle"], w["report2"], w["tester"]
        )
        c.execute(
            "SELECT phaseline_api.recommend_samples(%s, %s, 'tester', %s)",
            (w["samples_pending"], Jsonb([{"sample_key": "S1"}]), w["tester"]),
        )
        c.execute("SELECT phaseline_api.submit_version(%s, %s)", (w["samples_pending"], w["tester"]))
        w["decision"] = one("SELECT id FROM phaseline.sample_decisions WHERE version_id = %s", w["samples_pending"])
        w["scoping"] = one(
            "SELECT phaseline_api.start_decision_set('scoping', %s, %s, %s)", w["cycle"], w["report"], w["tester"]
        )
        w["scoping_pending"] = one(
            "SELECT phaseline_api.start_decision_set('scoping', %s, %s, %s)", w["cycle"], w["report2"], w["tester"]
        )
        c.execute(
            "SELECT phaseline_api.recommend_items(%s, %s, 'tester', %s)",
            (w["scoping_pending"], Jsonb([{"item_key": "A1"}]), w["tester"]),
        )
        c.execute("SELECT phaseline_api.submit_version(%s, %s)", (w["scoping_pending"], w["tester"]))
        w["item"] = one("SELECT id FROM phaseline.scoping_items WHERE version_id = %s", w["scoping_pending"])
        w["phase"] = one(
            "SELECT phaseline_api.start_phase(%s, %s, 'scoping', %s)", w["cycle"], w["report"], w["tester"]
        )
    a, t, o = w["admin"], w["tester"], w["owner"]
    cy, rp = w["cycle"], w["report"]
    w["calls"] = {
        "actor_binding": {},
        "session_user_id": {},
        "create_user": dict(p_email="new@test.io", p_display_name="New", p_role="tester", p_actor=a),
        "set_user_active": dict(p_user=w["tester2"], p_active=False, p_actor=a),
        "create_cycle": dict(p_name="Q2 2026", p_period_start="2026-04-01", p_period_end="2026-06-30", p_actor=a),
        "create_report": dict(p_name="Third", p_owner=o, p_actor=a),
        "assign_report": dict(p_cycle=cy, p_report=rp, p_tester=w["tester2"], p_actor=a),
        "map_user_role": dict(p_user=w["tester2"], p_role="phaseline_readonly", p_actor=a),
        "unmap_user_role": dict(p_role="phaseline_readonly", p_actor=a),
        "submit_version": dict(p_version=w["attr"], p_actor=t),
        "withdraw_version": dict(p_version=w["attr_pending"], p_actor=t),
        "approve_version": dict(p_version=w["attr_pending"], p_actor=o, p_note="fine"),
        "reject_version": dict(p_version=w["attr_pending"], p_actor=o, p_note="vague"),
        "version_history": dict(p_version=w["attr"]),
        "approved_artifact": dict(p_cycle=cy, p_report=rp, p_artifact_type="attribute", p_artifact_key="balance"),
        "audit_trail": dict(p_row=w["attr"]),
        "propose_report_attribute": dict(
            p_cycle=cy, p_report=w["report2"], p_attribute_name="limit", p_definition={}, p_actor=t
        ),
        "update_report_attribute": dict(p_version=w["attr"], p_definition={"v": 1}, p_actor=t),
        "start_sample_selection": dict(p_cycle=cy, p_report=rp, p_actor=t),
        "carry_forward": dict(p_from_version=w["samples_pending"], p_to_version=w["samples"], p_actor=t),
        "recommend_samples": dict(
            p_version=w["samples"], p_samples=[{"sample_key": "N1"}], p_source="tester", p_actor=t
        ),
        "decide_samples": dict(
            p_version=w["samples_pending"], p_decisions=[{"sample_key": "S1", "status": "approved"}], p_actor=o
        ),
        "sample_lineage": dict(p_decision=w["decision"]),
        "start_decision_set": dict(p_set="observations", p_cycle=cy, p_report=rp, p_actor=t),
        "carry_items_forward": dict(p_from_version=w["scoping_pending"], p_to_version=w["scoping"], p_actor=t),
        "recommend_items": dict(p_version=w["scoping"], p_items=[{"item_key": "N1"}], p_source="tester", p_actor=t),
        "decide_items": dict(
            p_version=w["scoping_pending"], p_decisions=[{"item_key": "A1", "status": "approved"}], p_actor=o
        ),
        "item_lineage": dict(p_item=w["item"]),
        "start_phase": dict(p_cycle=cy, p_report=rp, p_phase="data_profiling", p_actor=t),
        "save_phase_data": dict(p_version=w["phase"], p_data={"scoping_notes": "x"}, p_actor=t, p_merge=False),
        "complete_phase": dict(p_version=w["phase"], p_actor=t),
        "register_phase": dict(p_phase="extra_phase", p_ordinal=8, p_contract={}, p_actor=a),
        "phase_overview": dict(p_cycle=cy, p_report=rp),
        "approved_phase_data": dict(p_cycle=cy, p_phase="scoping"),
    }
    return w


def catalog(conn) -> dict[str, tuple[list[str], list[str], bool]]:
    """name -> (argument names, argument types, volatile) of every API function."""
    rows = conn.execute(
        """SELECT p.proname, coalesce(p.proargnames[1:p.pronargs], '{}'),
                  array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) AS t), p.provolatile = 'v'
             FROM pg_proc p WHERE p.pronamespace = 'phaseline_api'::regnamespace ORDER BY 1"""
    ).fetchall()
    return {r[0]: (list(r[1]), list(r[2]), r[3]) for r in rows}


def bad_values(fn: str, arg: str, typ: str) -> list[tuple[str, object]]:
    """(kind, value) of every bad value for one argument."""
    cases: list[tuple[str, object]] = []
    if (fn, arg) not in OPTIONAL:
        cases.append(("null", None))
    if typ == "text":
        cases += [("blank", BLANK), ("over-long", LONG)]
        # register_phase names a new phase: any plain name is a good one
        if (arg in ENUM_ARGS and fn != "register_phase") or (
            fn in ("map_user_role", "unmap_user_role") and arg == "p_role"
        ):
            cases.append(("unknown value", UNKNOWN))
    elif typ == "jsonb":
        for kind, value in (
            ("JSON string", "text"),
            ("JSON number", 42),
            ("JSON array", []),
            ("JSON object", {}),
            ("JSON null", Jsonb(None)),
        ):
            cases.append((f"wrong JSON type: {kind}", value))
        cases.append(("JSON over max_json_bytes", {"big": "y" * 1_100_000}))
    elif typ == "integer":
        if arg in USER_ARGS:
            cases += [("id -1", -1), ("id 0", 0), ("id 2^31-1", 2_147_483_647)]
        elif arg == "p_ordinal":
            cases += [("ordinal -1", -1), ("ordinal 0", 0)]
    elif typ == "uuid":
        cases.append(("unknown id", uuid.UUID("00000000-0000-4000-8000-000000000000")))
    elif typ == "date":
        cases.append(("infinite date", "infinity"))
    return cases


def literal(value, typ: str) -> sql.Composable:
    if value is None:
        return sql.SQL("NULL::{}").format(sql.SQL(typ))
    if typ == "jsonb" and not isinstance(value, Jsonb):
        value = Jsonb(value)
    return sql.SQL("{}::{}").format(sql.Literal(value), sql.SQL(typ))


def is_wrong_json_type(fn: str, arg: str, kind: str) -> bool:
    """The given JSON type is the right one for this argument: not a bad case."""
    wants = {"p_samples": "array", "p_decisions": "array", "p_items": "array"}.get(arg, "object")
    return kind.startswith("wrong JSON type") and kind.endswith(wants)


def test_every_api_function_refuses_bad_input_and_changes_nothing(phaseline_dsn, base):
    rules = documented_rules()
    failures: list[str] = []
    ran = 0
    with psycopg.connect(phaseline_dsn, autocommit=True) as c:
        functions = catalog(c)
        assert set(functions) == set(base["calls"]), "every API function needs valid arguments in this test"
        state = lambda: c.execute("SELECT * FROM test.state()").fetchall()  # noqa: E731
        before = state()
        for fn, (names, types, volatile) in functions.items():
            valid = base["calls"][fn]
            for arg, typ in zip(names, types, strict=False):
                for kind, value in bad_values(fn, arg, typ):
                    if is_wrong_json_type(fn, arg, kind):
                        continue
                    args = {n: (value if n == arg else valid[n]) for n in names if n in valid or n == arg}
                    stmt = sql.SQL("SELECT * FROM phaseline_api.{}({})").format(
                        sql.Identifier(fn),
                        sql.SQL(", ").join(
                            sql.SQL("{} => {}").format(sql.Identifier(n), literal(v, types[names.index(n)]))
                            for n, v in args.items()
                        ),
                    )
                    ran += 1
                    where = f"{fn}({arg}: {kind})"
                    try:
                        rows = c.execute(stmt).fetchall()
                        if volatile or rows:
                            failures.append(f"{where}: no error")
                    except psycopg.Error as exc:
                        d = exc.diag
                        if exc.sqlstate not in DOCUMENTED_STATES:
                            failures.append(f"{where}: undocumented SQLSTATE {exc.sqlstate}: {d.message_primary}")
                        elif d.constraint_name not in rules:
                            failures.append(
                                f"{where}: {exc.sqlstate} without a known rule ({d.constraint_name}): {d.message_primary}"
                            )
                        said = " ".join(filter(None, (d.message_primary, d.message_detail, d.message_hint)))
                        if re.search(r"x{41}|y{41}", said):
                            failures.append(f"{where}: the error echoes more than 40 characters of the input")
                    after = state()
                    if after != before:
                        failures.append(
                            f"{where}: a table changed: "
                            + ", ".join(a[0] for a, b in zip(after, before, strict=False) if a != b)
                        )
                        before = after
    print(f"\nbad-input cases run: {ran}")
    assert ran >= 150
    assert failures == [], f"{len(failures)} of {ran} cases:\n" + "\n".join(failures)
