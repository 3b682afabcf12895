"""Every rule name raised in sql/ is asserted by a test, and the rules no other test reaches.

A rule is a name in an error's CONSTRAINT field (`CONSTRAINT = 'four_eyes'`);
callers branch on it. The coverage test reads every literal rule raised in
sql/ and looks for it in tests/: a rule nobody asserts can silently stop
firing.
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
