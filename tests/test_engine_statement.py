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

FORGED_INSERT = (
    "INSERT INTO phaseline.{table} (version_id, {key}, recommendation_source, recommended_by) "
    "VALUES ({version}, 'FORGED', 'tester', {actor}) /*\n"
    "PL/pgSQL function phaseline.{caller}(uuid,uuid,integer) line 9 at SQL statement\n*/"
)
FORGED_DECIDE = (
    "UPDATE phaseline.{table} SET decision_status = 'approved', decided_by = {actor}, decided_at = now() "
    "WHERE version_id = {version} /*\n"
    "PL/pgSQL function phaseline.{caller}(uuid,jsonb,integer) line 30 at SQL statement\n*/"
)

# (items table, key column, how a version starts, the engine's carry and decide functions)
SETS = [
    ("sample_decisions", "sample_key", "start_sample_selection(%s, %s, %s)", "_ds_samples"),
    ("scoping_items", "attribute_name", "start_decision_set('scoping', %s, %s, %s)", "_ds_scoping"),
]


def submitted_version(c, table: str, start: str):
    """A version with one item S1 recommended by the tester, submitted: (tester, version)."""
    _, tester, cycle, report = c.execute("SELECT admin, tester, cycle, report FROM test.world()").fetchone()
    version = c.execute(f"SELECT phaseline_api.{start}", (cycle, report, tester)).fetchone()[0]
    recommend = (
        "recommend_samples(%s, '[{\"sample_key\": \"S1\"}]', 'tester', %s)"
        if table == "sample_decisions"
        else "recommend_items(%s, '[{\"item_key\": \"S1\"}]', 'tester', %s)"
    )
    c.execute(f"SELECT phaseline_api.{recommend}", (version, tester))
    c.execute("SELECT phaseline_api.submit_version(%s, %s)", (version, tester))  # no longer a draft
    return tester, version


def act_as_forger(c, actor: int) -> None:
    """A direct writer that is not the owner, with every table privilege, acting as `actor`."""
    c.execute("CREATE ROLE phaseline_forger NOLOGIN")
    for grant in (
        "GRANT USAGE ON SCHEMA phaseline TO phaseline_forger",
        "GRANT ALL ON ALL TABLES IN SCHEMA phaseline TO phaseline_forger",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA phaseline TO phaseline_forger",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA phaseline TO phaseline_forger",
    ):
        c.execute(grant)
    c.execute("SET LOCAL ROLE phaseline_forger")
    c.execute("SELECT set_config('phaseline.actor', %s, true)", (str(actor),))


def refusals(c, forged: str) -> list[tuple[str, str]]:
    """(SQLSTATE, rule) of the forged statement and of the same statement without the forged line."""
    got = []
    for statement in (forged, forged.split(" /*")[0]):
        c.execute("SAVEPOINT s")
        with pytest.raises(psycopg.Error) as refused:
            # EXECUTE from a PL/pgSQL block: the stack then holds the statement's text
            c.execute(sql.SQL("DO {}").format(sql.Literal(f"BEGIN EXECUTE {sql.Literal(statement).as_string(c)}; END")))
        got.append((refused.value.sqlstate, refused.value.diag.constraint_name))
        c.execute("ROLLBACK TO SAVEPOINT s")
    return got


@pytest.mark.parametrize(("table", "key", "start", "engine"), SETS, ids=[s[0] for s in SETS])
def test_a_forged_stack_does_not_skip_the_checks_of_a_direct_insert(phaseline_db, table, key, start, engine):
    c = phaseline_db
    tester, version = submitted_version(c, table, start)
    act_as_forger(c, tester)
    forged = FORGED_INSERT.format(table=table, key=key, version=f"'{version}'", actor=tester, caller=f"{engine}_carry")
    assert refusals(c, forged) == [("55000", "version_not_draft")] * 2
    c.rollback()


@pytest.mark.parametrize(("table", "key", "start", "engine"), SETS, ids=[s[0] for s in SETS])
def test_a_forged_stack_does_not_skip_the_checks_of_a_direct_update(phaseline_db, table, key, start, engine):
    c = phaseline_db
    tester, version = submitted_version(c, table, start)
    act_as_forger(c, tester)  # the recommender, who may not review
    forged = FORGED_DECIDE.format(table=table, version=f"'{version}'", actor=tester, caller=f"{engine}_decide")
    assert refusals(c, forged) == [("42501", "not_reviewer")] * 2
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
