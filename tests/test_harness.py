"""The harness: deploy with its ledger (apply once, re-apply repeatables, refuse
drift, serialize concurrent deploys, fail atomically with a precise message),
deterministic rendering, the privileges deploy leaves, and the CLI.

Each deploy test runs in its own empty scratch database (fixture scratch_dsn).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from phaseline import DeployError, RenderError, deploy, render_all, status
from phaseline.deploy import RESTATED
from phaseline.render import SQL_DIR

ROOT = Path(__file__).resolve().parent.parent
LEDGER = "phaseline_deploy.ledger"


def quiet(*_args) -> None:
    pass


def ledger_rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT file, kind, sha256, duration_ms FROM {LEDGER} ORDER BY id").fetchall()


def copy_sql(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: expected exactly one {old!r} to replace"
    path.write_text(text.replace(old, new))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "phaseline", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def prosrc(dsn: str, fn: str) -> str:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT prosrc FROM pg_proc WHERE oid = %s::regproc", (fn,)).fetchone()[0]


# A function body whose text tests change to make a repeatable file differ.
ATTR_FILE = "repeatable/220_api_attributes.sql"
ATTR_MSG = "needs a name and a JSON object as definition"


# --- deploy -------------------------------------------------------------------


def test_deploy_on_an_empty_database_applies_every_file_once(scratch_dsn):
    files = render_all()
    done = deploy(scratch_dsn, log=quiet)
    assert [p.file.name for p in done] == [f.name for f in files]
    assert {p.action for p in done} == {"apply"}

    rows = ledger_rows(scratch_dsn)
    assert [r[0] for r in rows] == [f.name for f in files], "one ledger row per file, in apply order"
    for (name, kind, sha, duration), f in zip(rows, files, strict=True):
        assert (kind, sha) == (f.kind, f.sha256), name
        assert duration is not None and duration >= 0, name

    said: list[str] = []
    assert deploy(scratch_dsn, log=said.append) == []
    assert any("nothing to apply" in s for s in said)
    assert ledger_rows(scratch_dsn) == rows, "a second deploy writes no ledger row"


def test_a_changed_repeatable_file_is_reapplied_alone(scratch_dsn, tmp_path):
    deploy(scratch_dsn, log=quiet)
    before = ledger_rows(scratch_dsn)
    sql_dir = copy_sql(tmp_path)
    edit(sql_dir / ATTR_FILE, ATTR_MSG, "needs a name and a JSON object as its definition")

    done = deploy(scratch_dsn, log=quiet, sql_dir=sql_dir)

    # the changed file, then the files that restate grants and comments for every object (deploy.RESTATED)
    assert [(p.file.name, p.action) for p in done] == [(ATTR_FILE, "reapply")] + [(n, "restate") for n in RESTATED]
    after = ledger_rows(scratch_dsn)
    assert after[: len(before)] == before
    assert [r[0] for r in after[len(before) :]] == [ATTR_FILE, *RESTATED]
    assert after[len(before)][2] == next(f.sha256 for f in render_all(sql_dir=sql_dir) if f.name == ATTR_FILE)
    assert "as its definition" in prosrc(scratch_dsn, "phaseline_api.propose_report_attribute")
    assert deploy(scratch_dsn, log=quiet, sql_dir=sql_dir) == []


def test_a_column_a_new_run_once_file_adds_is_audited(scratch_dsn, tmp_path):
    # The audit functions are generated from the columns (repeatable/110_audit.sql):
    # a run-once file that adds one makes deploy re-apply that file, unchanged.
    deploy(scratch_dsn, log=quiet)
    sql_dir = copy_sql(tmp_path)
    # json has no equality operator: its column is compared as jsonb
    (sql_dir / "once/990_report_region.sql").write_text(
        "ALTER TABLE {{ schema }}.reports ADD COLUMN region text, ADD COLUMN extra json;\n"
    )

    done = deploy(scratch_dsn, log=quiet, sql_dir=sql_dir)

    assert [(p.file.name, p.action) for p in done][:2] == [
        ("once/990_report_region.sql", "apply"),
        ("repeatable/110_audit.sql", "reapply"),
    ]
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        admin = conn.execute("SELECT phaseline_api.create_user('region@test.io', 'Rey', 'admin')").fetchone()[0]
        report = conn.execute("SELECT phaseline_api.create_report('Regional', %s, %s)", (admin, admin)).fetchone()[0]
        with conn.transaction():
            conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(admin),))
            conn.execute("UPDATE phaseline.reports SET region = 'EMEA' WHERE report_id = %s", (report,))
            conn.execute(
                """UPDATE phaseline.reports SET region = 'APAC', extra = '{"tier": 1}' WHERE report_id = %s""",
                (report,),
            )
        deltas = conn.execute(
            "SELECT old_values FROM phaseline.audit_events WHERE row_key = %s AND action = 'UPDATE' ORDER BY id",
            (str(report),),
        ).fetchall()
    assert [d[0] for d in deltas] == [{"region": None}, {"region": "EMEA", "extra": None}]


def test_a_changed_run_once_file_is_drift_and_nothing_is_applied(scratch_dsn, tmp_path):
    # Deploy a copy, then treat the real sql/ as the changed version: that way
    # the CLI (which always renders sql/) sees the same drift.
    old = copy_sql(tmp_path)
    (old / "once/010_reference.sql").write_text((old / "once/010_reference.sql").read_text() + "-- an older text\n")
    edit(old / ATTR_FILE, ATTR_MSG, "needs a name and a JSON object as its definition")
    deploy(scratch_dsn, log=quiet, sql_dir=old)
    before = ledger_rows(scratch_dsn)

    with pytest.raises(DeployError) as err:
        deploy(scratch_dsn, log=quiet)
    assert "once/010_reference.sql" in str(err.value)
    assert ledger_rows(scratch_dsn) == before, "drift applies nothing, not even the changed repeatable file"
    assert "as its definition" in prosrc(scratch_dsn, "phaseline_api.propose_report_attribute")

    actions = {item.file.name: item.action for item, _led in status(scratch_dsn)}
    assert actions["once/010_reference.sql"] == "drift"
    assert actions[ATTR_FILE] == "reapply"

    cli = run_cli("--db", scratch_dsn, "validate")
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert re.search(r"^file once/010_reference\.sql: drifted", cli.stdout, re.M), cli.stdout


def test_two_concurrent_deploys_apply_each_file_exactly_once(scratch_dsn):
    start = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = deploy(scratch_dsn, log=quiet)
        except Exception as exc:  # reported below, with the other thread's outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(isinstance(r, Exception) for r in results), results
    applied = sorted(len(r) for r in results)
    assert applied == [0, len(render_all())], "one deploy applied everything, the other found nothing to do"
    with psycopg.connect(scratch_dsn) as conn:
        counts = conn.execute(f"SELECT file, count(*) FROM {LEDGER} GROUP BY file").fetchall()
    assert sorted(counts) == sorted((f.name, 1) for f in render_all())


BROKEN_RUNTIME = """\
-- created before the error: must not survive it
CREATE TABLE {{ schema }}.broken_before (id integer);
CREATE FUNCTION {{ schema }}.broken_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1';

INSERT INTO {{ schema }}.broken_before
SELECT 1 / (g - 3) FROM generate_series(1, 5) AS g;

CREATE TABLE {{ schema }}.broken_after (id integer);
"""
BROKEN_SYNTAX = """\
-- created before the error: must not survive it
CREATE TABLE {{ schema }}.broken_before (id integer);
CREATE FUNCTION {{ schema }}.broken_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1';

SELECT 1
  FROM pg_class
 WHERE WHERE relname = 'x';

CREATE TABLE {{ schema }}.broken_after (id integer);
"""


@pytest.mark.parametrize(
    "body, sqlstate, message, lines",
    [
        # the failing statement spans lines 5-6 of the file
        (BROKEN_RUNTIME, "22012", "division by zero", range(5, 7)),
        (BROKEN_SYNTAX, "42601", 'syntax error at or near "WHERE"', range(7, 8)),
    ],
    ids=["runtime_error", "syntax_error"],
)
def test_a_failing_file_stops_the_deploy_and_leaves_no_trace(scratch_dsn, tmp_path, body, sqlstate, message, lines):
    deploy(scratch_dsn, log=quiet)
    before = ledger_rows(scratch_dsn)
    sql_dir = copy_sql(tmp_path)
    (sql_dir / "repeatable/999_broken.sql").write_text(body)
    # sorts after 999_broken.sql: must not run once the deploy stopped
    (sql_dir / "repeatable/999_zz_after.sql").write_text("CREATE TABLE {{ schema }}.after_broken (id integer);\n")

    with pytest.raises(DeployError) as err:
        deploy(scratch_dsn, log=quiet, sql_dir=sql_dir)

    msg = str(err.value)
    m = re.match(r"repeatable/999_broken\.sql:(\S+): (\w{5}) (.*)", msg)
    assert m, f"the message names file, line, SQLSTATE and message: {msg!r}"
    assert m.group(2) == sqlstate, msg
    assert message in m.group(3), msg

    after = ledger_rows(scratch_dsn)
    assert after[: len(before)] == before
    # neither it nor any later file was applied: the restated grants and comments come last
    assert [r[0] for r in after[len(before) :]] == [], "neither the broken file nor any later one is in the ledger"
    with psycopg.connect(scratch_dsn) as conn:
        left = conn.execute(
            "SELECT to_regclass('phaseline.broken_before'), to_regprocedure('phaseline.broken_fn()'),"
            "       to_regclass('phaseline.broken_after'), to_regclass('phaseline.after_broken')"
        ).fetchone()
    assert left == (None, None, None, None)
    # Last, as it is the one check that needs more than the server gives: a
    # runtime error has no statement position, so the harness must know
    # where each statement of the file starts.
    assert m.group(1).isdigit() and int(m.group(1)) in lines, f"line of the failing statement, in {lines}: {msg!r}"


# --- render -------------------------------------------------------------------


def test_render_is_deterministic():
    first = [(f.kind, f.name, f.text) for f in render_all()]
    assert first == [(f.kind, f.name, f.text) for f in render_all()]
    # Across processes too: a set or dict iterated in a template would show
    # here, as the hash seed changes iteration order between runs.
    outs = []
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "phaseline", "render"],
            cwd=ROOT,
            capture_output=True,
            timeout=60,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0]) > 1000


def test_an_unknown_variable_override_is_refused():
    with pytest.raises(RenderError, match="unknown variable 'no_such_var'"):
        render_all({"no_such_var": "x"})
    cli = run_cli("--var", "no_such_var=x", "render")
    assert cli.returncode == 2  # bad usage
    assert "no_such_var" in cli.stderr and cli.stdout == ""


@pytest.mark.parametrize(
    "snippet, problem",
    [
        ("SELECT {{ no_such_placeholder }};", "no_such_placeholder"),
        ("SELECT 1; -- {% raw %}{{ schema }}{% endraw %}", "placeholder left unrendered"),
    ],
    ids=["undefined", "left_unrendered"],
)
def test_a_bad_placeholder_is_a_render_error_naming_the_file(tmp_path, snippet, problem):
    sql_dir = copy_sql(tmp_path)
    path = sql_dir / ATTR_FILE
    path.write_text(path.read_text() + "\n" + snippet + "\n")
    with pytest.raises(RenderError) as err:
        render_all(sql_dir=sql_dir)
    assert ATTR_FILE in str(err.value) and problem in str(err.value), str(err.value)


# --- privileges ---------------------------------------------------------------


def test_the_app_role_reaches_the_api_and_not_the_tables(phaseline_db):
    conn = phaseline_db
    table_privs = conn.execute(
        """
        SELECT c.oid::regclass::text, p.priv
          FROM pg_class c CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(priv)
         WHERE c.relnamespace = 'phaseline'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND has_table_privilege('phaseline_app', c.oid, p.priv)
        """
    ).fetchall()
    assert table_privs == [], "the app role holds privileges on phaseline's tables"
    assert (
        conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'phaseline'::regnamespace AND relkind = 'r'"
        ).fetchone()[0]
        >= 8
    )
    assert not conn.execute("SELECT has_schema_privilege('phaseline_app', 'phaseline', 'USAGE')").fetchone()[0]

    missing_exec = conn.execute(
        """
        SELECT p.oid::regprocedure::text FROM pg_proc p
         WHERE p.pronamespace = 'phaseline_api'::regnamespace
           AND NOT has_function_privilege('phaseline_app', p.oid, 'EXECUTE')
        """
    ).fetchall()
    assert missing_exec == []
    missing_select = conn.execute(
        """
        SELECT c.oid::regclass::text FROM pg_class c
         WHERE c.relnamespace = 'phaseline_api'::regnamespace AND c.relkind IN ('v', 'm')
           AND NOT has_table_privilege('phaseline_app', c.oid, 'SELECT')
        """
    ).fetchall()
    assert missing_select == []
    n_fn, n_view = conn.execute(
        "SELECT (SELECT count(*) FROM pg_proc WHERE pronamespace = 'phaseline_api'::regnamespace),"
        "       (SELECT count(*) FROM pg_class WHERE relnamespace = 'phaseline_api'::regnamespace AND relkind = 'v')"
    ).fetchone()
    assert n_fn >= 20 and n_view >= 2

    # And for real, as the role, the way a caller connects.
    conn.execute("SET ROLE phaseline_app")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("SELECT * FROM phaseline.users")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("UPDATE phaseline.users SET is_active = false")
    admin = conn.execute("SELECT phaseline_api.create_user('app@test.io', 'App Made', 'admin')").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM phaseline_api.sample_decisions").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM phaseline_api.current_artifacts").fetchone()[0] == 0
    conn.execute("RESET ROLE")
    assert conn.execute("SELECT email FROM phaseline.users WHERE user_id = %s", (admin,)).fetchone()[0] == "app@test.io"
    conn.rollback()


# --- CLI ----------------------------------------------------------------------


def test_cli_deploys_then_finds_nothing_to_apply_and_prints_the_ledger(scratch_dsn):
    first = run_cli("--db", scratch_dsn, "deploy")
    assert first.returncode == 0, first.stderr
    assert "nothing to apply" not in first.stdout
    second = run_cli("--db", scratch_dsn, "deploy")
    assert second.returncode == 0, second.stderr
    assert "nothing to apply" in second.stdout

    shown = run_cli("--db", scratch_dsn, "status")
    assert shown.returncode == 0, shown.stderr
    files = render_all()
    for f in files:
        assert re.search(
            rf"^applied\s+{re.escape(f.name)}\s+{f.sha256[:12]}\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d by \S+ \([\d.]+ ms\)$",
            shown.stdout,
            re.M,
        ), f"{f.name} not listed as applied with its ledger row:\n{shown.stdout}"
    assert f"{len(files)} files: {len(files)} applied, 0 to apply or drifted" in shown.stdout
    assert run_cli("--db", scratch_dsn, "validate").returncode == 0
