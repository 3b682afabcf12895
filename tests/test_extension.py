"""Versioning your own table: an extension deployed with `phaseline deploy --extension PATH`.

tests/extension_example declares a versioned entity (evidence_requests) in
its own phaseline.toml and creates its table with the engine's column and
index macros. Deployed with phaseline, the table gets the engine's triggers,
the generic API serves it, the ledger records its files and validate covers
it; the invariant suite of tests/test_declarations.py runs for it and its review_checklist decision set too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from phaseline import Build, deploy, validate
from phaseline.deploy import RefusedError

EXAMPLE = Path(__file__).resolve().parent / "extension_example"


def quiet(*_args) -> None:
    pass


def test_an_extension_is_deployed_versioned_and_validated(scratch_dsn):
    build = Build.load(extensions=(EXAMPLE,))
    deploy(scratch_dsn, build=build, log=quiet)
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        files = [r[0] for r in conn.execute("SELECT file FROM phaseline_deploy.ledger ORDER BY id")]
        assert "ext-acme/once/010_evidence_requests.sql" in files
        assert files.index("ext-acme/once/010_evidence_requests.sql") < files.index("repeatable/100_helpers.sql")
        # grants and comments are restated after the extension's functions exist
        assert files.index("ext-acme/repeatable/100_evidence_requests.sql") < files.index(
            "repeatable/900_privileges.sql"
        )
        q = lambda query, *args: conn.execute(query, args).fetchone()[0]  # noqa: E731
        admin = q("SELECT phaseline_api.create_user('a@x.io', 'Admin', 'admin')")
        owner = q("SELECT phaseline_api.create_user('o@x.io', 'Owner', 'report_owner', %s)", admin)
        tester = q("SELECT phaseline_api.create_user('t@x.io', 'Tester', 'tester', %s)", admin)
        cycle = q("SELECT phaseline_api.create_cycle('Q1', '2026-01-01', '2026-03-31', %s)", admin)
        report = q("SELECT phaseline_api.create_report('R', %s, %s)", owner, admin)
        conn.execute("SELECT phaseline_api.assign_report(%s, %s, %s, %s)", (cycle, report, tester, admin))
        v1 = q("SELECT phaseline_api.request_evidence(%s, %s, 'gl', 'GL extract', %s)", cycle, report, tester)
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (v1, tester))
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (v1, tester))
        assert err.value.diag.constraint_name in ("four_eyes", "not_reviewer")
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (v1, owner))
        v2 = q("SELECT phaseline_api.request_evidence(%s, %s, 'gl', 'GL extract, Q1 close', %s)", cycle, report, tester)
        assert conn.execute(
            "SELECT version_number, parent_version_id FROM phaseline.evidence_requests WHERE id = %s", (v2,)
        ).fetchone() == (2, v1)
        assert (
            q("SELECT artifact_type FROM phaseline_api.current_artifacts WHERE reference_id = %s", v1)
            == "evidence_request"
        )
        # a direct write is held by the same engine
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as err:
            with conn.transaction():
                conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(tester),))
                conn.execute("UPDATE phaseline.evidence_requests SET request = 'x' WHERE id = %s", (v1,))
        assert err.value.diag.constraint_name == "version_frozen"

    assert validate(scratch_dsn, build=build) == []
    # Without --extension, validate says which extension is missing, and deploy
    # refuses: it would re-render the engine's files without the extension's entities.
    plain = [str(d) for d in validate(scratch_dsn, build=Build.load())]
    assert any(d.startswith("extension acme:") and "pass --extension PATH" in d for d in plain), plain
    with pytest.raises(RefusedError, match=r"deployed with extension\(s\) acme .*pass --extension PATH"):
        deploy(scratch_dsn, build=Build.load(), log=quiet)
    assert validate(scratch_dsn, build=build) == [], "the refused deploy changed nothing"
    cli = subprocess.run(
        [sys.executable, "-m", "phaseline", "validate", "--extension", str(EXAMPLE), "--db", scratch_dsn],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr


def test_an_extension_changes_no_run_once_file_of_phaseline():
    plain = {f.name: f.sha256 for f in Build.load().files if f.kind == "once"}
    extended = {f.name: f.sha256 for f in Build.load(extensions=(EXAMPLE,)).files if f.kind == "once"}
    assert {name: extended[name] for name in plain} == plain, "adding an extension later must not drift phaseline"
    assert set(extended) - set(plain) == {
        "ext-acme/once/010_evidence_requests.sql",
        "ext-acme/once/020_review_checklist.sql",
    }
