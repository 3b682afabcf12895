"""Static check of every PL/pgSQL function of phaseline with plpgsql_check.

PL/pgSQL is checked by Postgres only when a statement first runs, so a typo
in a rarely taken branch (an error path, the backfill bypass) surfaces in
production. plpgsql_check plans every statement of every function up front;
trigger functions are checked once per table they are attached to, with
their transition tables, since NEW/OLD and the transition tables take their
row type from that table.
"""

from __future__ import annotations

import os

import pytest

SCHEMAS = ("phaseline", "phaseline_api")

# Levels reported, and why:
# - errors (fatal_errors off, so every error is listed, not just the first);
# - 'warning' (other_warnings): type mismatches on assignment, unreachable
#   code, a missing RETURN, shadowed variables: each is a latent bug;
# - 'security' (security_warnings): possible SQL injection in dynamic SQL,
#   which DESIGN.md rules out (format('%I'), EXECUTE ... USING);
# - not 'warning extra' (never-read variables, unused parameters): hooks and
#   trigger functions share signatures they do not fully use;
# - not 'performance' (implicit casts, volatile calls): a matter for the
#   benchmarks, not a defect.
CHECK = """
SELECT t.fn::regprocedure::text, t.rel::regclass::text, c.level, c.lineno, c.sqlstate, c.message, c.detail, c.query
  FROM targets t
 CROSS JOIN LATERAL plpgsql_check_function_tb(
           t.fn, coalesce(t.rel, 0),
           fatal_errors => false, other_warnings => true, performance_warnings => false,
           extra_warnings => false, security_warnings => true, compatibility_warnings => false,
           oldtable => t.oldtable, newtable => t.newtable) AS c
 ORDER BY 1, 2, c.lineno
"""

# One row per check: a function alone, or a trigger function with each
# table (and transition tables) it fires on.
TARGETS = """
CREATE TEMP TABLE targets AS
SELECT p.oid AS fn, p.prorettype = 'trigger'::regtype AS is_trigger,
       t.tgrelid AS rel, t.tgoldtable AS oldtable, t.tgnewtable AS newtable
  FROM pg_proc p
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
  LEFT JOIN LATERAL (SELECT DISTINCT tg.tgrelid, tg.tgoldtable, tg.tgnewtable
                       FROM pg_trigger tg
                      WHERE tg.tgfoid = p.oid AND NOT tg.tgisinternal) AS t ON p.prorettype = 'trigger'::regtype
 WHERE p.pronamespace::regnamespace::text = ANY (%s)
"""


def require_plpgsql_check(conn) -> list[str]:
    """Problems with the setup; skips (fails under CI) when the server lacks the extension."""
    if conn.execute("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'plpgsql_check')").fetchone()[0]:
        return []
    if conn.execute("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'plpgsql_check')").fetchone()[0]:
        # Still run the check, but say that the template should have had it.
        conn.execute("CREATE EXTENSION plpgsql_check")
        return [
            "the test template lacks plpgsql_check although the server has it "
            "(harness/pytest_plugin.py load_template should create it)"
        ]
    major = conn.info.server_version // 10000
    message = (
        f"plpgsql_check is not installed on the PostgreSQL {major} server; install it there "
        f"(Debian: apt-get install postgresql-{major}-plpgsql-check) to run the static check of PL/pgSQL"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def test_every_plpgsql_function_passes_plpgsql_check(phaseline_db):
    conn = phaseline_db
    setup_problems = require_plpgsql_check(conn)
    conn.execute(TARGETS, (list(SCHEMAS),))

    n_functions, n_trigger_checks = conn.execute(
        "SELECT count(DISTINCT fn), count(*) FILTER (WHERE is_trigger) FROM targets"
    ).fetchone()
    assert n_functions >= 40 and n_trigger_checks >= 20, "the catalog query found too few functions to check"

    problems = setup_problems + [
        f"{fn}: a trigger function attached to no table cannot be checked (dead code?)"
        for (fn,) in conn.execute("SELECT fn::regprocedure::text FROM targets WHERE is_trigger AND rel IS NULL")
    ]
    for fn, rel, level, lineno, sqlstate, message, detail, query in conn.execute(CHECK):
        where = f"{fn} on {rel}" if rel else fn
        problems.append(
            f"{where} line {lineno}: {level} {sqlstate}: {message}"
            + (f"\n    DETAIL: {detail}" if detail else "")
            + (f"\n    QUERY: {' '.join(query.split())}" if query else "")
        )
    conn.rollback()
    assert not problems, f"plpgsql_check found {len(problems)} problem(s):\n" + "\n".join(problems)
