"""Every rule name raised in sql/ is asserted by a test, one rule per name, and the rules no other test reaches.

A rule is a name in an error's CONSTRAINT field (`CONSTRAINT = 'four_eyes'`);
callers branch on it. The coverage test reads every literal rule raised in
sql/ and looks for it in tests/: a rule nobody asserts can silently stop
firing. The one-rule-per-name tests read the RAISE sites and the tables'
CHECK constraints: a name that also covers another failure (a blank name, a
bad ordinal) tells a caller the wrong thing.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from phaseline import Build, deploy
from phaseline.deploy import DeployError
from phaseline.migrate import backfill, expand
from phaseline.render import SQL_DIR

TESTS = Path(__file__).resolve().parent


def raised_rules() -> set[str]:
    return {
        rule
        for path in SQL_DIR.rglob("*.sql")
        for rule in re.findall(r"CONSTRAINT\s*=\s*'([a-z_0-9]+)'", path.read_text())
    }


def test_every_rule_raised_in_sql_is_asserted_by_a_test():
    texts = "\n".join(
        p.read_text()
        for p in TESTS.rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".sql", ".mjs")
        and "fixtures" not in p.parts
        and "node_modules" not in p.parts
    )
    untested = sorted(rule for rule in raised_rules() if not re.search(rf"\b{rule}\b", texts))
    assert not untested, f"rules raised in sql/ that no test asserts: {untested}"


_RAISE = re.compile(
    r"\b(?P<kw>(?:ELS)?IF)\s+(?P<cond>(?:(?!\bTHEN\b|\bIF\b).)+?)\s+THEN\s+RAISE\s+EXCEPTION\s+USING(?P<using>.*?);"
    r"|RAISE\s+EXCEPTION\s+USING(?P<bare>.*?);",
    re.S,
)
_CHECK = re.compile(r"CONSTRAINT\s+([a-z_0-9]+)\s+CHECK\s*\(")


def _sqlstate(errcode: str) -> str:
    return errcode if re.fullmatch(r"[0-9A-Z]{5}", errcode) else psycopg.errors.lookup(errcode.upper()).sqlstate


def raise_sites() -> list[dict]:
    """Every RAISE ... USING with a literal rule: its file, SQLSTATE, and the IF condition guarding it (if any)."""
    sites = []
    for path in sorted(SQL_DIR.rglob("*.sql")):
        text = path.read_text()
        for m in _RAISE.finditer(text):
            using = m.group("using") or m.group("bare")
            rule = re.search(r"CONSTRAINT\s*=\s*'([a-z_0-9]+)'", using)
            state = re.search(r"ERRCODE\s*=\s*'([A-Za-z_0-9]+)'", using)
            if not rule:
                continue
            guard = m.group("cond") if m.group("kw") else None
            if guard and re.fullmatch(r"(NOT\s+)?FOUND", guard.strip()):
                # the condition is the statement before the IF (a SELECT ... INTO that found the bad value)
                before = text[: m.start()].rstrip()
                guard = before[before.rfind(";", 0, len(before) - 1) + 1 :]
            sites.append(
                {
                    "where": f"{path.relative_to(SQL_DIR)}:{text.count(chr(10), 0, m.start()) + 1}",
                    "rule": rule.group(1),
                    "sqlstate": _sqlstate(state.group(1)) if state else "P0001",
                    "guard": guard,
                }
            )
    return sites


def check_constraints() -> dict[str, str]:
    """Each CHECK constraint's name and expression in sql/once; a later file's definition replaces an earlier one."""
    checks = {}
    for path in sorted((SQL_DIR / "once").glob("*.sql")):
        text = path.read_text()
        for m in _CHECK.finditer(text):
            depth, i = 1, m.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            checks[m.group(1)] = text[m.end() : i - 1]
    return checks


def disjuncts(condition: str) -> list[str]:
    """A condition split at its top-level ORs (string literals and parentheses respected)."""
    flat = re.sub(r"'(?:[^']|'')*'", "''", condition)
    parts, depth, current = [], 0, ""
    for token in re.split(r"(\(|\)|\bOR\b)", flat):
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == "OR" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += token
    return [*parts, current]


def test_a_rule_name_has_one_sqlstate_wherever_it_is_raised():
    states: dict[str, set[str]] = {}
    where: dict[str, list[str]] = {}
    for site in raise_sites():
        states.setdefault(site["rule"], set()).add(site["sqlstate"])
        where.setdefault(site["rule"], []).append(f"{site['where']} {site['sqlstate']}")
    split = {rule: where[rule] for rule, s in states.items() if len(s) > 1}
    assert not split, f"rule names raised with more than one SQLSTATE: {split}"


def test_a_rule_named_after_a_check_constraint_tests_what_the_check_tests():
    """A RAISE that borrows a CHECK constraint's name raises it for that check only, through the check's own functions.

    Its guard may test one argument (or one set of arguments) in several ways,
    e.g. `p_x IS NULL OR NOT _is_x(p_x)`, but not several arguments in turn:
    `p_phase ... OR p_ordinal < 1` named a bad ordinal phase_name_is_plain.
    And it calls every function the CHECK calls (`_is_email`, `_text_limit`,
    `isfinite`), with no regular expression of its own: one rule, written once.
    """
    checks = check_constraints()
    problems = []
    for site in raise_sites():
        check = checks.get(site["rule"])
        if check is None or site["guard"] is None:
            continue
        guard = site["guard"]
        arguments = {frozenset(re.findall(r"\b(?:[pv]_\w+|NEW\.\w+|OLD\.\w+|e\.x)\b", d)) for d in disjuncts(guard)}
        if len(arguments) > 1:
            problems.append(f"{site['where']} {site['rule']}: the guard tests several things in turn: {guard.strip()}")
        functions = set(re.findall(r"(?:\}\}\.)?\b([a-z_]\w*)\s*\(", check)) - {"CHECK", "NOT"}
        missing = sorted(f for f in functions if not re.search(rf"\b{f}\s*\(", guard))
        if missing:
            problems.append(f"{site['where']} {site['rule']}: the guard does not call {missing}, as the CHECK does")
        if re.search(r"[!~]~\*?\s*'|\bSIMILAR TO\b", guard):
            problems.append(f"{site['where']} {site['rule']}: the guard spells out a pattern of its own")
    assert not problems, "\n".join(problems)


def test_the_one_rule_per_name_check_can_fail():
    """The two cases issue 17 found, as they were, are caught by the checks above."""
    old_guard = "p_phase IS NULL OR p_phase !~ '^[a-z][a-z0-9_]{0,62}$' OR p_ordinal IS NULL OR p_ordinal < 1"
    assert len({frozenset(re.findall(r"\bp_\w+", d)) for d in disjuncts(old_guard)}) > 1
    old_guard = "p_period_start IS NULL OR p_period_end IS NULL OR p_period_end < p_period_start"
    assert len({frozenset(re.findall(r"\bp_\w+", d)) for d in disjuncts(old_guard)}) > 1
    assert "_is_phase_name" in check_constraints()["phase_name_is_plain"]


@pytest.mark.parametrize(
    "var, rule", [("actor_binding", "unknown_actor_binding"), ("max_json_bytes", "unknown_max_json_bytes")]
)
def test_a_deploy_variable_out_of_its_values_is_refused(scratch_dsn, var, rule):
    with pytest.raises(DeployError) as err:
        deploy(scratch_dsn, {var: "bogus"}, log=lambda *_: None)
    cause = err.value.__cause__
    assert isinstance(cause, psycopg.Error) and cause.diag.constraint_name == rule, err.value


def test_migration_steps_refuse_bad_arguments(phaseline_dsn):
    from phaseline.legacy_fixture import create_fixture

    create_fixture(phaseline_dsn, 200, log=lambda *_: None)
    expand(phaseline_dsn, log=lambda *_: None)
    migration = Build.load().ctx["migration_schema_name"]
    with psycopg.connect(phaseline_dsn, autocommit=True) as conn:
        name = f"{migration}._mig_backfill_batch"
        for args, rule in ((("no_such_step", 10), "unknown_step"), (("users", 0), "batch_size_positive")):
            with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
                conn.execute(f"SELECT * FROM {name}(%s, %s)", args)
            assert err.value.diag.constraint_name == rule
        with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
            conn.execute(f"SELECT {migration}._mig_lock('no_such_group', ARRAY['x'])")
        assert err.value.diag.constraint_name == "unknown_lock_group"
        # a batch finds a group locked by a legacy write being mirrored: it gives way at once
        group = conn.execute(f"SELECT lock_group FROM {migration}.lock_classes ORDER BY 1 LIMIT 1").fetchone()[0]
        with psycopg.connect(phaseline_dsn) as holder:
            holder.execute("SET phaseline.legacy_sync = 'on'")
            holder.execute(f"SELECT {migration}._mig_lock(%s, ARRAY['k1'])", (group,))
            with pytest.raises(psycopg.errors.LockNotAvailable) as err:
                conn.execute(f"SELECT {migration}._mig_lock(%s, ARRAY['k1'])", (group,))
            assert err.value.diag.constraint_name == "group_busy"
        # the way out of a deletion in legacy needs a defect to accept, and a note saying why
        with pytest.raises(psycopg.errors.NoDataFound) as err:
            conn.execute(f"SELECT {migration}.accept_defect('sample_records', 'no-such-record', 'gone')")
        assert err.value.diag.constraint_name == "unknown_defect"
    backfill(phaseline_dsn, log=lambda *_: None)
    with psycopg.connect(phaseline_dsn, autocommit=True) as conn:
        record = conn.execute(
            "DELETE FROM legacy.sample_records WHERE record_id = (SELECT record_id FROM "
            "legacy.sample_records ORDER BY record_id LIMIT 1) RETURNING record_id"
        ).fetchone()[0]
        with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
            conn.execute(f"SELECT {migration}.accept_defect('sample_records', %s, ' ')", (str(record),))
        assert err.value.diag.constraint_name == "note_required"
        conn.execute(f"SELECT {migration}.accept_defect('sample_records', %s, 'dropped from scope')", (str(record),))
