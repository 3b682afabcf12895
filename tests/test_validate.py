"""validate reads the live catalog: each tampering is named, deploy refuses it, deploy --repair restores it.

And baseline adopts a database deployed with `phaseline render | psql`.
Each test works in a scratch database deployed by its owner (a plain role),
who is also the one tampering: the worst a database owner can do by hand.
"""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
from phaseline import Build, deploy, validate
from phaseline.deploy import RefusedError
from phaseline.render import render_all

TAMPERING = {
    "empty reviewer check": (
        "CREATE OR REPLACE FUNCTION phaseline._check_reviewer(p_actor integer, p_report uuid, p_contributors integer[],"
        " p_what text) RETURNS void LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $$BEGIN END$$",
        "function phaseline._check_reviewer(integer,uuid,integer[],text): changed since deploy: definition differs",
    ),
    "disabled append-only guard": (
        "ALTER TABLE phaseline.audit_events DISABLE TRIGGER _100_append_only",
        "trigger phaseline.audit_events._100_append_only: is disabled",
    ),
    "schema usage for PUBLIC": (
        "GRANT USAGE ON SCHEMA phaseline TO PUBLIC",
        "schema phaseline: PUBLIC may usage",
    ),
    "dropped API function": (
        "DROP FUNCTION phaseline_api.withdraw_version",
        "function phaseline_api.withdraw_version(uuid,integer): missing",
    ),
    "table grant to the application role": (
        "GRANT SELECT ON phaseline.users TO phaseline_app",
        "table phaseline.users: phaseline_app may select",
    ),
    "API function made SECURITY INVOKER": (
        "ALTER FUNCTION phaseline_api.version_history(uuid) SECURITY INVOKER",
        "is not SECURITY DEFINER",
    ),
}


def quiet(*_args) -> None:
    pass


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_each_tampering_is_named_refused_and_repaired(scratch_dsn, case):
    statement, expected = TAMPERING[case]
    build = Build.load()
    deploy(scratch_dsn, build=build, log=quiet)
    assert validate(scratch_dsn, build=build) == []
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        conn.execute(statement)
    found = [str(d) for d in validate(scratch_dsn, build=build)]
    assert any(expected in line for line in found), found
    cli = subprocess.run(
        [sys.executable, "-m", "phaseline", "validate", "--db", scratch_dsn], capture_output=True, text=True, timeout=60
    )
    assert cli.returncode == 1 and expected in cli.stdout, cli.stdout + cli.stderr

    with pytest.raises(RefusedError, match="differs from what its release deployed"):
        deploy(scratch_dsn, build=build, log=quiet)
    deploy(scratch_dsn, build=build, repair=True, log=quiet)
    assert validate(scratch_dsn, build=build) == [], "repair restored everything"


def test_baseline_adopts_a_database_deployed_with_psql(scratch_dsn):
    script = "".join(f"BEGIN;\n{f.text}\nCOMMIT;\n" for f in render_all())
    psql = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", scratch_dsn],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert psql.returncode == 0, psql.stderr
    build = Build.load()
    assert validate(scratch_dsn, build=build)[0].problem.startswith("not deployed")
    out = subprocess.run(
        [sys.executable, "-m", "phaseline", "baseline", "--db", scratch_dsn],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert validate(scratch_dsn, build=build) == []
    assert deploy(scratch_dsn, build=build, log=quiet) == [], "nothing left to apply"


def test_baseline_refuses_a_database_that_does_not_match(scratch_dsn):
    script = "".join(f"BEGIN;\n{f.text}\nCOMMIT;\n" for f in render_all())
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", scratch_dsn],
        input=script,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        conn.execute(TAMPERING["empty reviewer check"][0])
    out = subprocess.run(
        [sys.executable, "-m", "phaseline", "baseline", "--db", scratch_dsn],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "_check_reviewer" in out.stderr and "cannot baseline" in out.stderr
