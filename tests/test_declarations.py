"""The invariant suite, generated from the declarations: every versioned entity and every decision set of
phaseline.toml and of the example extension (tests/extension_example: evidence_request, review_checklist)
gets the same tests, so declaring one gives it the whole suite.

One database, deployed once with the extension by the owner role; each test runs in a transaction that
is rolled back. Rows go in by direct INSERT/UPDATE (the engine's triggers must hold them, not the API),
the decision sets through the generic API (start_decision_set, recommend_items, decide_items,
carry_items_forward, item_lineage, view decision_items) plus direct writes.

Per versioned entity (invariants of DESIGN.md): 1 numbering, 2 one latest, 3 one open
(open_version_exists), 4 one approved (superseded, artifact closed), 5 parent, 6 transitions
(illegal_transition), 7 frozen content (version_frozen), 8 never deleted (no_delete), 9 four eyes
(four_eyes / not_reviewer), 10 audit, 11 write scope (not_assigned).
Per decision set: a three-version flow with partial approvals, carry-forward, lineage back to the
origin, four eyes per item and per version, pending_decisions, the item contract, and the direct-write
rules (version_not_draft, decision_window, immutable_column, recommendation_shape, carried_lineage,
version_frozen, no_delete).
"""

from __future__ import annotations

import tomllib
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from phaseline import Build, deploy
from phaseline.client import Client, PhaselineError
from phaseline.render import SQL_DIR
from psycopg import sql
from psycopg.types.json import Jsonb

EXAMPLE = Path(__file__).resolve().parent / "extension_example"
BUILD = Build.load(extensions=(EXAMPLE,))
ENTITIES = BUILD.ctx["versioned"]
SETS = BUILD.ctx["decision_sets"]
VERSIONING = {
    "id", "version_number", "is_latest", "version_status", "parent_version_id", "created_at", "created_by",
    "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "review_note", "contributors", "cycle_id", "report_id",
}  # fmt: skip
# What a version of an entity needs to be submittable beyond the catalog's NOT NULL columns: the
# entity's own before_submit rule (phase data is submitted completed, with its contract's required keys).
READY = {
    "phase_data": {
        "phase_name": "request_info",
        "phase_status": "completed",
        "phase_data": Jsonb({"requests_sent": 1}),
        "started_at": "2026-01-02",
        "completed_at": "2026-01-03",
    }
}


def test_the_suite_covers_every_declaration():
    """Every entry of phaseline.toml and of the extension's is parametrized below (a set declared with
    `versions` is a versioned entity too), so a declaration cannot be left out of the suite."""
    tomls = [
        tomllib.loads((SQL_DIR / "phaseline.toml").read_text()),
        tomllib.loads((EXAMPLE / "phaseline.toml").read_text()),
    ]
    declared_sets = {s["name"] for t in tomls for s in t.get("decision_set", [])}
    declared_entities = {e["entity"] for t in tomls for e in t.get("versioned", [])}
    declared_entities |= {s["name"] for t in tomls for s in t.get("decision_set", []) if "versions" in s}
    assert {s["name"] for s in SETS} == declared_sets
    assert {e["entity"] for e in ENTITIES} == declared_entities
    assert "evidence_request" in declared_entities and "review_checklist" in declared_sets, "the example's own"


@pytest.fixture(scope="module")
def declared_dsn(tmp_path_factory):
    """A database deployed with the example extension, as the owner role; dropped afterwards."""
    from phaseline.pytest_plugin import _admin, owner_conninfo

    name = f"{BUILD.ctx['schema_name']}_decl_{uuid.uuid4().hex[:8]}"
    from phaseline.pytest_plugin import DEPLOY_OWNER

    with _admin() as admin:
        owner = sql.SQL(" OWNER {}").format(sql.Identifier(DEPLOY_OWNER)) if DEPLOY_OWNER else sql.SQL("")
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)) + owner)
    try:
        dsn = owner_conninfo(name)
        deploy(dsn, build=BUILD, log=lambda *_: None)
        yield dsn
    finally:
        with _admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def db(declared_dsn):
    """A connection in a transaction that is rolled back, with a world: users of each role, a cycle, a report."""
    with psycopg.connect(declared_dsn) as conn:
        q = lambda query, *args: conn.execute(query, args).fetchone()[0]  # noqa: E731
        w = {"admin": q("SELECT phaseline_api.create_user('a@x.io', 'Admin', 'admin')")}
        for key, role in (
            ("owner", "report_owner"),
            ("owner2", "report_owner"),
            ("tester", "tester"),
            ("tester2", "tester"),
        ):
            w[key] = q("SELECT phaseline_api.create_user(%s, %s, %s, %s)", f"{key}@x.io", key, role, w["admin"])
        w["cycle"] = q("SELECT phaseline_api.create_cycle('Q1', '2026-01-01', '2026-03-31', %s)", w["admin"])
        w["report"] = q("SELECT phaseline_api.create_report('R', %s, %s)", w["owner"], w["admin"])
        conn.execute(
            "SELECT phaseline_api.assign_report(%s, %s, %s, %s)", (w["cycle"], w["report"], w["tester"], w["admin"])
        )
        conn.w = w  # type: ignore[attr-defined]
        conn.q = q  # type: ignore[attr-defined]
        yield conn
        conn.rollback()


@contextmanager
def refused(conn, rule: str, *states: str):
    """The block raises an error naming `rule` (in a savepoint: a failed call changes nothing)."""
    with pytest.raises((psycopg.Error, PhaselineError)) as err:
        with conn.transaction():
            yield
    got = err.value.rule if isinstance(err.value, PhaselineError) else err.value.diag.constraint_name
    assert got in rule.split("|"), f"wanted {rule}, got {got}: {err.value}"
    if states:
        assert err.value.sqlstate in states, err.value.sqlstate


def act(conn, user: int) -> None:
    conn.execute("SELECT set_config('phaseline.actor', %s, false)", (str(user),))


# --- versioned entities -------------------------------------------------------------------------------


def content(conn, e: dict, n: int) -> dict:
    """Values for a new version's key and content: each NOT NULL column without a default, from the catalog."""
    table = f"{BUILD.ctx['schema_name']}.{e['table_name']}"
    cols = conn.execute(
        """SELECT a.attname, format_type(a.atttypid, a.atttypmod),
                  (SELECT format('SELECT %%I FROM %%s LIMIT 1', fa.attname, c.confrelid::regclass)
                     FROM pg_constraint c JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
                    WHERE c.conrelid = a.attrelid AND c.contype = 'f' AND c.conkey = ARRAY[a.attnum])
             FROM pg_attribute a
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND a.attnotnull AND NOT a.atthasdef ORDER BY a.attnum""",
        (table,),
    ).fetchall()
    values: dict = {}
    for name, typ, ref in cols:
        if name in VERSIONING:
            continue
        if ref:
            values[name] = conn.execute(ref).fetchone()[0]
        elif typ == "jsonb":
            values[name] = Jsonb({})
        elif typ in ("integer", "bigint", "numeric"):
            values[name] = n
        elif typ == "date":
            values[name] = "2026-01-01"
        else:
            values[name] = f"v{n}"
    values.update(READY.get(e["entity"], {}))
    return values


def insert_version(conn, e: dict, values: dict, cycle, report):
    row = {"cycle_id": cycle, "report_id": report, **values}
    stmt = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({}) RETURNING id").format(
        sql.Identifier(BUILD.ctx["schema_name"]),
        sql.Identifier(e["table_name"]),
        sql.SQL(", ").join(map(sql.Identifier, row)),
        sql.SQL(", ").join(sql.Placeholder() * len(row)),
    )
    return conn.execute(stmt, tuple(row.values())).fetchone()[0]


def versions(conn, e: dict, cycle, report) -> list[tuple]:
    return conn.execute(
        sql.SQL(
            "SELECT id, version_number, is_latest, version_status::text, parent_version_id FROM {}.{} "
            "WHERE cycle_id = %s AND report_id = %s ORDER BY version_number"
        ).format(sql.Identifier(BUILD.ctx["schema_name"]), sql.Identifier(e["table_name"])),
        (cycle, report),
    ).fetchall()


@pytest.mark.parametrize("e", ENTITIES, ids=[e["entity"] for e in ENTITIES])
def test_invariants_of_every_versioned_entity(db, e):
    w, api = db.w, Client(db)
    table = sql.SQL("{}.{}").format(sql.Identifier(BUILD.ctx["schema_name"]), sql.Identifier(e["table_name"]))
    values = content(db, e, 1)

    # 11: only the assigned tester, the owner or an admin starts a version
    act(db, w["tester2"])
    with refused(db, "not_assigned", "42501"):
        insert_version(db, e, values, w["cycle"], w["report"])
    act(db, w["tester"])
    v1 = insert_version(db, e, values, w["cycle"], w["report"])
    # 3: one open version per key
    with refused(db, "open_version_exists", "55000"):
        insert_version(db, e, values, w["cycle"], w["report"])
    # 6: draft -> approved is not a move
    with refused(db, "illegal_transition", "55000"):
        db.execute(sql.SQL("UPDATE {} SET version_status = 'approved' WHERE id = %s").format(table), (v1,))
    api.submit_version(v1, w["tester"])
    # 9: the submitter does not review it; nor does a tester
    with refused(db, "four_eyes|not_reviewer", "42501"):
        api.approve_version(v1, w["tester"])
    with refused(db, "not_reviewer", "42501"):
        api.approve_version(v1, w["tester2"])
    api.approve_version(v1, w["owner"])
    # 7: approved content is frozen; 8: never deleted
    act(db, w["admin"])
    first_content = next((c for c in values if c not in e["key_names"]), None)
    assignment = (
        sql.SQL("review_note = review_note")
        if first_content is None
        else sql.SQL("{} = {}").format(sql.Identifier(first_content), sql.Identifier(first_content))
    )
    with refused(db, "version_frozen", "55000"):
        db.execute(sql.SQL("UPDATE {} SET {} WHERE id = %s").format(table, assignment), (v1,))
    with refused(db, "no_delete", "55000"):
        db.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(table), (v1,))

    # 1, 2, 5: the next version is number 2, the only latest, with version 1 as parent
    act(db, w["tester"])
    v2 = insert_version(db, e, values, w["cycle"], w["report"])
    rows = versions(db, e, w["cycle"], w["report"])
    assert [(r[1], r[2], r[4]) for r in rows] == [(1, False, None), (2, True, v1)]
    api.submit_version(v2, w["tester"])
    api.approve_version(v2, w["admin"])
    # 4: one approved version per key; the older one is superseded and its artifact closed
    assert [r[3] for r in versions(db, e, w["cycle"], w["report"])] == ["superseded", "approved"]
    closed = db.execute(
        "SELECT reference_id, superseded_at IS NOT NULL FROM phaseline.approved_artifacts WHERE reference_id IN (%s, %s) "
        "ORDER BY reference_version",
        (v1, v2),
    ).fetchall()
    assert closed == [(v1, True), (v2, False)]
    # 10: every change is in the audit trail, with its actor
    trail = api.audit_trail(v1)
    assert [t.action for t in trail][:1] == ["INSERT"] and len(trail) >= 4
    assert {t.actor for t in trail} >= {w["tester"], w["owner"]}


# --- decision sets -------------------------------------------------------------------------------------


def item_data(s: dict, n: int) -> dict:
    """Data that meets the set's item contract."""
    by_type = {"string": f"s{n}", "number": n + 0.5, "integer": n, "boolean": True, "array": [n], "object": {"n": n}}
    props = s["contract"].get("properties", {})
    data = {k: by_type[p["type"]] for k, p in props.items()}
    data.update({k: data.get(k, f"r{n}") for k in s["contract"].get("required", [])})
    return data or {"n": n}


@pytest.mark.parametrize("s", SETS, ids=[s["name"] for s in SETS])
def test_every_decision_set_flows_through_three_versions(db, s):
    w, api = db.w, Client(db)
    name, cy, rp = s["name"], w["cycle"], w["report"]
    table = sql.SQL("{}.{}").format(sql.Identifier("phaseline"), sql.Identifier(s["items_name"]))
    key, data = sql.Identifier(s["item_key_name"]), sql.Identifier(s["item_data_name"])

    # Version 1: the tester recommends A, B, C; the owner recommends D.
    v1 = api.start_decision_set(name, cy, rp, w["tester"])
    assert (
        api.recommend_items(
            v1, [{"item_key": k, "data": item_data(s, i)} for i, k in enumerate("ABC")], "tester", w["tester"]
        )
        == 3
    )
    assert api.recommend_items(v1, [{"item_key": "D", "data": item_data(s, 4)}], "llm", w["owner"]) == 1
    with refused(db, s["rule_duplicate_key"], "22023"):
        api.recommend_items(v1, [{"item_key": "A"}], "tester", w["tester"])
    with refused(db, "unknown_source", "22023"):
        api.recommend_items(v1, [{"item_key": "E"}], "carried_forward", w["tester"])
    with refused(db, "decision_window", "55000"):
        api.decide_items(v1, [{"item_key": "A", "status": "approved"}], w["owner"])
    api.submit_version(v1, w["tester"])
    with refused(db, "version_not_draft", "55000"):
        api.recommend_items(v1, [{"item_key": "E", "data": item_data(s, 5)}], "tester", w["tester"])
    # four eyes per item: the owner recommended D and may not decide it
    with refused(db, "four_eyes", "42501"):
        api.decide_items(v1, [{"item_key": "D", "status": "approved"}], w["owner"])
    with refused(db, "not_reviewer", "42501"):
        api.decide_items(v1, [{"item_key": "A", "status": "approved"}], w["tester2"])
    modified = {**item_data(s, 22), "note": "changed"} if not s["contract"].get("properties") else item_data(s, 22)
    api.decide_items(
        v1,
        [
            {"item_key": "A", "status": "approved", "note": "fine"},
            {"item_key": "B", "status": "modified", "data": modified},
            {"item_key": "C", "status": "rejected", "note": "out"},
        ],
        w["owner"],
    )
    with refused(db, s["rule_unknown_key"], "P0002"):
        api.decide_items(v1, [{"item_key": "Z", "status": "approved"}], w["admin"])
    # every item decided before approval
    with refused(db, "pending_decisions", "55000"):
        api.approve_version(v1, w["admin"])
    api.decide_items(v1, [{"item_key": "D", "status": "approved"}], w["admin"])
    # four eyes per version: the owner recommended and modified items in it
    with refused(db, "four_eyes", "42501"):
        api.approve_version(v1, w["owner"])
    api.approve_version(v1, w["admin"])

    # Version 2: A, B and D carried (partial approval: C rejected stays behind); the tester adds E.
    v2 = api.start_decision_set(name, cy, rp, w["tester"])
    carried = db.execute(
        "SELECT item_key, recommendation_source::text, decision_status::text, origin_source::text FROM "
        "phaseline_api.decision_items WHERE version_id = %s ORDER BY item_key",
        (v2,),
    ).fetchall()
    assert carried == [
        ("A", "carried_forward", "approved", "tester"),
        ("B", "carried_forward", "modified", "tester"),
        ("D", "carried_forward", "approved", "llm"),
    ]
    assert api.carry_items_forward(v1, v2, w["tester"]) == 0, "carrying twice carries nothing twice"
    api.recommend_items(v2, [{"item_key": "E", "data": item_data(s, 5)}], "manual", w["tester"])
    api.submit_version(v2, w["tester"])
    api.decide_items(v2, [{"item_key": "E", "status": "rejected", "note": "no"}], w["owner"])
    api.approve_version(v2, w["admin"])

    # Version 3: A, B, D again, each with lineage back to version 1.
    v3 = api.start_decision_set(name, cy, rp, w["tester"])
    with refused(db, "carry_scope", "22023"):
        api.carry_items_forward(v1, v3, w["tester"])
    b3 = db.execute(
        "SELECT id, item_data FROM phaseline_api.decision_items WHERE version_id = %s AND item_key = 'B'", (v3,)
    ).fetchone()
    assert b3[1] == modified
    lineage = api.item_lineage(b3[0])
    assert [(step.step, step.version_id, step.set_name) for step in lineage] == [
        (0, v3, name),
        (1, v2, name),
        (2, v1, name),
    ]
    assert lineage[-1].recommendation_source == "tester" and lineage[-1].decision_status == "modified"
    assert sorted(
        db.execute("SELECT item_key FROM phaseline_api.decision_items WHERE version_id = %s", (v3,)).fetchall()
    ) == [
        ("A",),
        ("B",),
        ("D",),
    ]

    # Direct writes keep the rules.
    act(db, w["tester"])
    with refused(db, "version_not_draft", "55000"):
        db.execute(
            sql.SQL(
                "INSERT INTO {} (version_id, {}, {}, recommendation_source, recommended_by) VALUES (%s, 'X', %s, 'tester', %s)"
            ).format(table, key, data),
            (v1, Jsonb(item_data(s, 9)), w["tester"]),
        )
    with refused(db, "recommendation_shape", "22023"):
        db.execute(
            sql.SQL(
                "INSERT INTO {} (version_id, {}, {}, recommendation_source, recommended_by) VALUES (%s, 'X', %s, 'tester', %s)"
            ).format(table, key, data),
            (v3, Jsonb(item_data(s, 9)), w["owner"]),
        )
    with refused(db, "carried_lineage", "22023"):  # carrying the rejected C
        db.execute(
            sql.SQL(
                "INSERT INTO {t} (version_id, {k}, {d}, recommendation_source, recommended_by, decision_status, decided_by, "
                "decided_at, decision_note, carried_from_version_id, carried_from_decision_id, origin_decision_id) "
                "SELECT %s, c.{k}, c.{d}, 'carried_forward', %s, 'approved', c.decided_by, c.decided_at, c.decision_note, "
                "c.version_id, c.id, c.id FROM {t} c WHERE c.version_id = %s AND c.{k} = 'C'"
            ).format(t=table, k=key, d=data),
            (v3, w["tester"], v1),
        )
    with refused(db, "decision_window", "55000"):
        db.execute(
            sql.SQL("UPDATE {} SET decision_note = 'x' WHERE version_id = %s AND {} = 'A'").format(table, key), (v3,)
        )
    with refused(db, "immutable_column", "55000"):
        db.execute(sql.SQL("UPDATE {} SET {} = 'A2' WHERE version_id = %s AND {} = 'A'").format(table, key, key), (v3,))
    with refused(db, "version_frozen", "55000"):
        db.execute(
            sql.SQL("UPDATE {} SET decision_note = 'x' WHERE version_id = %s AND {} = 'A'").format(table, key), (v1,)
        )
    with refused(db, "no_delete", "55000"):
        db.execute(sql.SQL("DELETE FROM {} WHERE version_id = %s").format(table), (v1,))
    # the audit keeps every change of an item, with whole rows
    b1 = db.execute(
        sql.SQL("SELECT id FROM {} WHERE version_id = %s AND {} = 'B'").format(table, key), (v1,)
    ).fetchone()[0]
    trail = api.audit_trail(b1)
    assert [t.action for t in trail] == ["INSERT", "UPDATE"]
    assert trail[1].old_row["decision_status"] == "pending" and trail[1].new_row["decision_status"] == "modified"


@pytest.mark.parametrize("s", [s for s in SETS if s["contract"]], ids=[s["name"] for s in SETS if s["contract"]])
def test_a_set_with_an_item_contract_refuses_data_that_breaks_it(db, s):
    w, api = db.w, Client(db)
    v1 = api.start_decision_set(s["name"], w["cycle"], w["report"], w["tester"])
    kind = next(iter(s["contract"].get("properties", {}).values()))["type"]
    wrong = {"string": 1, "number": "x", "integer": "x", "boolean": "x", "array": "x", "object": "x"}[kind]
    bad = {**item_data(s, 1), next(iter(s["contract"]["properties"])): wrong}
    with refused(db, "item_contract", "23514"):
        api.recommend_items(v1, [{"item_key": "A", "data": bad}], "tester", w["tester"])
    # modified data meets it too: through decide (checked by the engine's UPDATE) and directly (by the trigger)
    api.recommend_items(v1, [{"item_key": "A", "data": item_data(s, 1)}], "tester", w["tester"])
    api.submit_version(v1, w["tester"])
    with refused(db, "item_contract", "23514"):
        api.decide_items(v1, [{"item_key": "A", "status": "modified", "data": bad}], w["owner"])
    act(db, w["owner"])
    with refused(db, "item_contract", "23514"):
        db.execute(
            sql.SQL(
                "UPDATE {} SET {} = %s, decision_status = 'modified', decided_by = %s, decided_at = now() "
                "WHERE version_id = %s AND {} = 'A'"
            ).format(
                sql.Identifier("phaseline", s["items_name"]),
                sql.Identifier(s["item_data_name"]),
                sql.Identifier(s["item_key_name"]),
            ),
            (Jsonb(bad), w["owner"], v1),
        )
    assert api.decide_items(v1, [{"item_key": "A", "status": "modified", "data": item_data(s, 2)}], w["owner"]) == 1
    assert (
        db.execute("SELECT item_contract FROM phaseline.decision_sets WHERE set_name = %s", (s["name"],)).fetchone()[0]
        == s["contract"]
    )


def test_the_generic_api_refuses_unknown_sets_versions_and_items(db):
    w, api = db.w, Client(db)
    with refused(db, "unknown_decision_set", "22023"):
        api.start_decision_set("no_such_set", w["cycle"], w["report"], w["tester"])
    with refused(db, "unknown_version", "P0002"):
        api.recommend_items(uuid.uuid4(), [{"item_key": "A"}], "tester", w["tester"])
    with refused(db, "unknown_item", "P0002"):
        api.item_lineage(uuid.uuid4())
    v1 = api.start_decision_set("scoping", w["cycle"], w["report"], w["tester"])
    with refused(db, "items_shape", "22023"):
        api.recommend_items(v1, [{"sample_key": "A"}], "tester", w["tester"])
    with refused(db, "item_key_length", "22001"):
        api.recommend_items(v1, [{"item_key": "k" * 201}], "tester", w["tester"])
    with refused(db, "decisions_shape", "22023"):
        api.decide_items(v1, [{"item_key": "A", "status": "maybe"}], w["owner"])


def test_a_direct_insert_naming_no_version_is_a_dangling_reference(db):
    w = db.w
    act(db, w["tester"])
    with refused(db, "decision_items_references", "23503"):
        db.execute(
            "INSERT INTO phaseline.observations (version_id, observation_key, recommendation_source, recommended_by) "
            "VALUES (%s, 'A', 'tester', %s)",
            (uuid.uuid4(), w["tester"]),
        )
