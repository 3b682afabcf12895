"""The engine's bulk writes skip checks they make redundant; nobody else can pass for them.

Carry-forward's INSERT ... SELECT and decide's UPDATE are recognised by their
rules triggers (through _engine_statement) and skip the checks their callers
made under their locks. The
call stack it reads quotes each statement's text, so a direct writer can put
a line that looks like the engine's into a comment. Such a write must still
be checked in full: here a non-owner with every table privilege forges the
stack to insert into a version that is no longer a draft, and to decide
items as a tester, who may not review.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

FORGED = (
    "INSERT INTO phaseline.{table} (version_id, {key}, recommendation_source, recommended_by) "
    "VALUES ({version}, 'FORGED', 'tester', {actor}) /*\n"
    "PL/pgSQL function phaseline.{caller}(uuid,uuid,integer) line 9 at SQL statement\n*/"
)

SETS = [
    # (items table, key column, how a version starts, the engine's carry function)
    ("sample_decisions", "sample_key", "start_sample_selection(%s, %s, %s)", "_ds_samples_carry"),
    ("scoping_items", "attribute_name", "start_decision_set('scoping', %s, %s, %s)", "_ds_scoping_carry"),
]


@pytest.mark.parametrize(("table", "key", "start", "caller"), SETS, ids=[s[0] for s in SETS])
def test_a_forged_stack_does_not_skip_the_checks_of_a_direct_insert(phaseline_db, table, key, start, caller):
    c = phaseline_db
    w = c.execute("SELECT admin, tester, cycle, report FROM test.world()").fetchone()
    _, tester, cycle, report = w
    version = c.execute(f"SELECT phaseline_api.{start}", (cycle, report, tester)).fetchone()[0]
    recommend = (
        "recommend_samples(%s, '[{\"sample_key\": \"S1\"}]', 'tester', %s)"
        if table == "sample_decisions"
        else "recommend_items(%s, '[{\"item_key\": \"S1\"}]', 'tester', %s)"
    )
    c.execute(f"SELECT phaseline_api.{recommend}", (version, tester))
    c.execute("SELECT phaseline_api.submit_version(%s, %s)", (version, tester))  # no longer a draft

    # A direct writer that is not the owner, with every table privilege.
    c.execute("CREATE ROLE phaseline_forger NOLOGIN")
    for grant in (
        "GRANT USAGE ON SCHEMA phaseline TO phaseline_forger",
        "GRANT ALL ON ALL TABLES IN SCHEMA phaseline TO phaseline_forger",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA phaseline TO phaseline_forger",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA phaseline TO phaseline_forger",
    ):
        c.execute(grant)
    c.execute("SET LOCAL ROLE phaseline_forger")
    c.execute("SELECT set_config('phaseline.actor', %s, true)", (str(tester),))
    forged = FORGED.format(table=table, key=key, version=f"'{version}'", actor=tester, caller=caller)
    c.execute("SAVEPOINT forged")
    with pytest.raises(psycopg.Error) as refused:
        # EXECUTE from a PL/pgSQL block: the stack then holds the statement's text
        c.execute(sql.SQL("DO {}").format(sql.Literal(f"BEGIN EXECUTE {sql.Literal(forged).as_string(c)}; END")))
    assert (refused.value.sqlstate, refused.value.diag.constraint_name) == ("55000", "version_not_draft")
    c.execute("ROLLBACK TO SAVEPOINT forged")
    # the same statement without the forged line: the same refusal
    c.execute("SAVEPOINT plain")
    with pytest.raises(psycopg.Error) as plain:
        c.execute(forged.split(" /*")[0])
    assert plain.value.diag.constraint_name == "version_not_draft"
    c.execute("ROLLBACK TO SAVEPOINT plain")
    c.rollback()


FORGED_DECIDE = (
    "UPDATE phaseline.{table} SET decision_status = 'approved', decided_by = {actor}, decided_at = now() "
    "WHERE version_id = {version} /*\n"
    "PL/pgSQL function phaseline.{caller}(uuid,jsonb,integer) line 30 at SQL statement\n*/"
)

DECIDERS = [
    # (items table, key column, how a version starts, the engine's decide function)
    ("sample_decisions", "sample_key", "start_sample_selection(%s, %s, %s)", "_ds_samples_decide"),
    ("scoping_items", "attribute_name", "start_decision_set('scoping', %s, %s, %s)", "_ds_scoping_decide"),
]


@pytest.mark.parametrize(("table", "key", "start", "caller"), DECIDERS, ids=[s[0] for s in DECIDERS])
def test_a_forged_stack_does_not_skip_the_checks_of_a_direct_update(phaseline_db, table, key, start, caller):
    c = phaseline_db
    _, tester, cycle, report = c.execute("SELECT admin, tester, cycle, report FROM test.world()").fetchone()
    version = c.execute(f"SELECT phaseline_api.{start}", (cycle, report, tester)).fetchone()[0]
    recommend = (
        "recommend_samples(%s, '[{\"sample_key\": \"S1\"}]', 'tester', %s)"
        if table == "sample_decisions"
        else "recommend_items(%s, '[{\"item_key\": \"S1\"}]', 'tester', %s)"
    )
    c.execute(f"SELECT phaseline_api.{recommend}", (version, tester))
    c.execute("SELECT phaseline_api.submit_version(%s, %s)", (version, tester))  # pending approval

    c.execute("CREATE ROLE phaseline_forger NOLOGIN")
    c.execute("GRANT USAGE ON SCHEMA phaseline TO phaseline_forger")
    c.execute("GRANT ALL ON ALL TABLES IN SCHEMA phaseline TO phaseline_forger")
    c.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA phaseline TO phaseline_forger")
    c.execute("SET LOCAL ROLE phaseline_forger")
    c.execute("SELECT set_config('phaseline.actor', %s, true)", (str(tester),))  # the recommender, not a reviewer
    forged = FORGED_DECIDE.format(table=table, version=f"'{version}'", actor=tester, caller=caller)
    refusals = []
    for statement in (forged, forged.split(" /*")[0]):
        c.execute("SAVEPOINT s")
        with pytest.raises(psycopg.Error) as refused:
            c.execute(sql.SQL("DO {}").format(sql.Literal(f"BEGIN EXECUTE {sql.Literal(statement).as_string(c)}; END")))
        refusals.append((refused.value.sqlstate, refused.value.diag.constraint_name))
        c.execute("ROLLBACK TO SAVEPOINT s")
    assert refusals == [("42501", "not_reviewer")] * 2
    c.rollback()


STACK = (
    "PL/pgSQL function phaseline._sample_decisions_rules_insert() line 14 at GET DIAGNOSTICS\n"
    'SQL statement "INSERT INTO phaseline.sample_decisions ..."\n'
    "PL/pgSQL function phaseline._ds_samples_carry(uuid,uuid,integer) line 9 at SQL statement"
)


@pytest.mark.parametrize(
    ("role", "caller", "engine"),
    [
        ("owner", "phaseline._ds_samples_carry(uuid,uuid,integer)", True),
        ("owner", "phaseline._ds_scoping_carry(uuid,uuid,integer)", False),  # another caller
        ("superuser", "phaseline._ds_samples_carry(uuid,uuid,integer)", False),  # not the owner
    ],
)
def test_engine_statement_needs_the_caller_and_the_owner(phaseline_db, role, caller, engine):
    c = phaseline_db
    if role == "owner":
        owner = c.execute(
            "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'phaseline.sample_decisions'::regclass"
        )
        c.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(owner.fetchone()[0])))
    got = c.execute(
        "SELECT phaseline._engine_statement('phaseline.sample_decisions', %s, %s)", (STACK, caller)
    ).fetchone()[0]
    assert got is engine
    c.rollback()
