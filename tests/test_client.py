"""The typed client against the catalog, and the API's self-description.

- every API function is a Client method whose parameters are the function's
  arguments without ``p_`` (so a new function or argument cannot be forgotten);
- every rule raised in sql/ has its exception class, with its SQLSTATE;
- a four-eyes breach raises FourEyesError with rule and hint;
- every API function, view and view column, and every column of the private
  tables, has a COMMENT; every argument follows the naming rule;
- docs/API.md is what `phaseline docs` generates from this release.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import psycopg
import pytest
from phaseline import Build, deploy, docs, errors
from phaseline.client import Client, FourEyesError, NotAllowedError, PhaselineError
from phaseline.render import SQL_DIR

ROOT = Path(__file__).resolve().parent.parent


def api_functions(conn) -> dict[str, list[tuple[str, bool]]]:
    """name -> [(argument name, has a default)]."""
    out = {}
    for name, names, nargs, ndefaults in conn.execute(
        """SELECT proname, proargnames, pronargs, pronargdefaults FROM pg_proc
            WHERE pronamespace = 'phaseline_api'::regnamespace ORDER BY proname"""
    ):
        names = (names or [])[:nargs]
        out[name] = [(n, i >= nargs - ndefaults) for i, n in enumerate(names)]
    return out


def test_every_api_function_is_a_client_method_with_its_arguments(phaseline_db):
    for name, args in api_functions(phaseline_db).items():
        method = getattr(Client, name, None)
        assert method is not None, f"Client has no method for phaseline_api.{name}"
        params = inspect.signature(method).parameters
        expected = {a.removeprefix("p_") for a, _ in args}
        assert set(params) - {"self"} == expected, f"{name}: client {sorted(params)} vs catalog {sorted(expected)}"
        for arg, has_default in args:
            if not has_default and arg != "p_actor":
                assert params[arg.removeprefix("p_")].default is inspect.Parameter.empty, f"{name}.{arg} is required"


def test_every_rule_in_sql_has_its_exception_class():
    raised = {}
    for path in SQL_DIR.rglob("*.sql"):
        for m in re.finditer(r"ERRCODE\s*=\s*'([a-z_0-9]+)'\s*,\s*CONSTRAINT\s*=\s*'([a-z_0-9]+)'", path.read_text()):
            raised[m.group(2)] = m.group(1)
    missing = sorted(set(raised) - set(errors.RULES))
    assert not missing, f"rules without an exception class in phaseline/errors.py: {missing}"
    for rule, condition in raised.items():
        cls = errors.RULES[rule]
        assert cls.rule == rule and cls.sqlstate == errors.SQLSTATES[condition], rule
        assert cls.__name__ == "".join(w.capitalize() for w in rule.split("_")) + "Error"


def test_a_four_eyes_breach_raises_four_eyes_error(phaseline_db, world):
    phaseline_db.autocommit = True
    api = Client(phaseline_db, actor=world["owner"])
    version = api.propose_report_attribute(world["cycle"], world["report"], "total_assets", {"type": "number"})
    api.submit_version(version)
    with pytest.raises(FourEyesError) as err:
        api.approve_version(version)
    assert isinstance(err.value, NotAllowedError) and isinstance(err.value, PhaselineError)
    assert (err.value.sqlstate, err.value.rule) == ("42501", "four_eyes")
    assert err.value.hint and err.value.message
    assert [r.version_number for r in api.version_history(version)] == [1]


def test_every_api_object_and_column_is_documented(phaseline_db):
    undocumented = [
        r[0]
        for r in phaseline_db.execute(
            """SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = 'phaseline_api'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
           UNION ALL
           SELECT 'view ' || c.oid::regclass FROM pg_class c
            WHERE c.relnamespace = 'phaseline_api'::regnamespace AND c.relkind = 'v'
              AND obj_description(c.oid, 'pg_class') IS NULL
           UNION ALL
           SELECT 'column ' || c.oid::regclass || '.' || a.attname FROM pg_class c
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE ((c.relnamespace = 'phaseline_api'::regnamespace AND c.relkind = 'v')
                OR (c.relnamespace = 'phaseline'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition))
              AND col_description(c.oid, a.attnum) IS NULL
           ORDER BY 1"""
        )
    ]
    assert not undocumented, "\n".join(undocumented)


def test_every_argument_follows_the_naming_rule(phaseline_db):
    bad = [
        f"{name}({arg})"
        for name, args in api_functions(phaseline_db).items()
        for arg, _ in args
        if not arg.startswith("p_") or arg.endswith("_id")
    ]
    assert not bad, f"arguments are p_<name>, an entity reference p_<entity> without _id: {bad}"


def test_docs_api_md_is_current(scratch_dsn):
    build = Build.load()
    deploy(scratch_dsn, build=build, log=lambda *_: None)
    with psycopg.connect(scratch_dsn) as conn:
        generated = docs.generate(conn, build)
    committed = (ROOT / "docs" / "API.md").read_text()
    assert generated == committed, "docs/API.md is stale: run `phaseline docs --output docs/API.md` on a fresh deploy"
