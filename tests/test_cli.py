"""The phaseline command as a DBA runs it: where it connects, what it says, and its exit codes.

Every exit code of the documented table is produced here by a real case.
Each test works in its own scratch database, deployed as its owner (a plain
login role, no superuser).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest
from phaseline.deploy import DEPLOY_LOCK_KEY
from phaseline.pytest_plugin import conninfo


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "phaseline", *args], capture_output=True, text=True, timeout=120, env=full_env
    )


def dbname(dsn: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]


def test_version_is_the_package_version():
    out = run("--version")
    assert out.returncode == 0
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert out.stdout.strip() == f"phaseline {pyproject['project']['version']}"


def test_database_url_is_honoured_and_beaten_by_db(scratch_dsn):
    user = psycopg.conninfo.conninfo_to_dict(scratch_dsn)["user"]
    # DATABASE_URL alone: deploys there and says so on stderr, without a password
    out = run("deploy", env={"DATABASE_URL": scratch_dsn + " password=not-shown"})
    assert out.returncode == 0, out.stderr
    assert f"/{dbname(scratch_dsn)} as {user}" in out.stderr.splitlines()[0]
    assert "not-shown" not in out.stderr + out.stdout
    # --db after the subcommand beats DATABASE_URL (which points at a database that does not exist)
    out = run("status", "--json", "--db", scratch_dsn, env={"DATABASE_URL": conninfo("no_such_database_here")})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["pending"] == 0 and all(f["action"] == "applied" for f in report["files"])
    # and before the subcommand too
    assert run("--db", scratch_dsn, "validate", env={"DATABASE_URL": conninfo("no_such_database_here")}).returncode == 0


def test_exit_3_when_the_server_cannot_be_reached():
    out = run("status", "--db", "host=127.0.0.1 port=1 dbname=x connect_timeout=2")
    assert out.returncode == 3
    assert "cannot connect" in out.stderr and "Traceback" not in out.stderr


def test_exit_2_on_a_bad_option_value_with_one_line():
    out = run("deploy", "--lock-timeout", "abc")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].endswith("not a duration: 'abc' (examples: 500ms, 2s, 1min)")
    assert run("no-such-command").returncode == 2


def test_every_subcommand_has_help():
    for command in ("render", "deploy", "status", "plan", "validate", "baseline", "migrate-legacy", "legacy-fixture"):
        out = run(command, "--help")
        assert out.returncode == 0 and "--db" in out.stdout, command


def test_exit_4_when_another_deploy_holds_the_lock(scratch_dsn):
    with psycopg.connect(scratch_dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (DEPLOY_LOCK_KEY,))
        out = run("deploy", "--db", scratch_dsn, "--wait", "1")
    assert out.returncode == 4, out.stderr
    assert "deploy lock" in out.stderr


def test_exit_1_on_a_drifted_file(scratch_dsn):
    assert run("deploy", "--db", scratch_dsn).returncode == 0
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        conn.execute("UPDATE phaseline_deploy.ledger SET sha256 = 'changed' WHERE file = 'once/002_types.sql'")
    for command in ("deploy", "validate"):
        out = run(command, "--db", scratch_dsn)
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        assert "once/002_types.sql" in out.stdout + out.stderr


def test_exit_5_on_a_sql_error_and_nothing_of_the_file_applied(scratch_dsn):
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA phaseline")
        conn.execute("CREATE TABLE phaseline.users (x int)")  # in the way of once/010_reference.sql
    out = run("deploy", "--db", scratch_dsn)
    assert out.returncode == 5, out.stderr
    assert "once/010_reference.sql:" in out.stderr and "42P07" in out.stderr
    with psycopg.connect(scratch_dsn) as conn:
        files = [r[0] for r in conn.execute("SELECT file FROM phaseline_deploy.ledger ORDER BY id")]
        assert "once/010_reference.sql" not in files
        assert conn.execute("SELECT to_regclass('phaseline.test_cycles')").fetchone()[0] is None


def test_plan_sql_prints_exactly_what_is_left(scratch_dsn):
    out = run("plan", "--sql", "--db", scratch_dsn)
    assert out.returncode == 0
    assert out.stdout.count("-- phaseline: ") == len(
        json.loads(run("plan", "--json", "--db", scratch_dsn).stdout)["files"]
    )
    assert run("deploy", "--db", scratch_dsn).returncode == 0
    assert run("plan", "--sql", "--db", scratch_dsn).stdout == ""


@pytest.mark.parametrize("command", ["status", "plan", "validate"])
def test_json_output_parses(scratch_dsn, command):
    run("deploy", "--db", scratch_dsn)
    out = run(command, "--json", "--db", scratch_dsn)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["release"]
