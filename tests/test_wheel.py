"""phaseline as a platform team installs it: from the built wheel, into a new venv, away from the checkout.

The wheel is built from this checkout and installed (no editable install)
into a virtual environment in a temporary directory; every command then
runs with that directory as the working directory, so nothing can be read
from the checkout by a relative path. The downstream project of
tests/downstream (its own pgTAP file, Python test and SQL loaded through
the test kit's hook) runs under that venv's pytest and passes; a failing
pgTAP file added to it fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from phaseline.pgconn import conninfo
from phaseline.render import render_all
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=work,
        timeout=300,
    )
    (wheel,) = dist.glob("phaseline-*.whl")
    env_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    subprocess.run(
        [str(env_dir / "bin" / "pip"), "install", "--quiet", f"{wheel}[test]"], check=True, cwd=work, timeout=600
    )
    return env_dir


def run(venv: Path, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV")}
    environ.update(env or {})
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=environ, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def fresh_db():
    name = f"phaseline_wheel_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield conninfo(name)
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_the_installed_wheel_deploys_checks_and_renders(venv, fresh_db, tmp_path):
    out = run(venv, "phaseline", "--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("phaseline "), out.stderr
    location = run(venv, "python", "-c", "import phaseline.render as r; print(r.SQL_DIR)", cwd=tmp_path).stdout
    assert str(venv) in location and str(ROOT) not in location, location

    assert run(venv, "phaseline", "deploy", "--db", fresh_db, cwd=tmp_path).returncode == 0
    status = run(venv, "phaseline", "status", "--json", "--db", fresh_db, cwd=tmp_path)
    report = json.loads(status.stdout)
    assert report["pending"] == 0 and report["files"] and all(f["action"] == "applied" for f in report["files"])
    validate = run(venv, "phaseline", "validate", "--db", fresh_db, cwd=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    rendered = run(venv, "phaseline", "render", cwd=tmp_path).stdout
    checkout = "".join(
        f"-- phaseline: {f.name} ({f.kind})\nBEGIN;\n{f.text.rstrip()}\nCOMMIT;\n\n" for f in render_all()
    )
    assert rendered == checkout, "the wheel renders byte-identical to the checkout"
    assert run(venv, "python", "-m", "phaseline", "--version", cwd=tmp_path).returncode == 0


def test_a_downstream_project_tests_its_own_sql_with_the_kit(venv, tmp_path):
    project = tmp_path / "acme"
    shutil.copytree(ROOT / "tests" / "downstream", project)
    # its own versioned entity, an extension deployed into the template with phaseline
    shutil.copytree(ROOT / "tests" / "extension_example", project / "ext")
    env = {
        "PHASELINE_TEST_DB": f"phaseline_ds_{uuid.uuid4().hex[:8]}",
        "PHASELINE_TEST_OWNER": "phaseline_downstream_owner",
        "PHASELINE_TEST_APP_LOGIN": "phaseline_downstream_tap",
        "PHASELINE_TEST_EXTENSIONS": str(project / "ext"),
    }
    out = run(venv, "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout, out.stdout

    (project / "pgtap" / "broken.sql").write_text(
        "BEGIN;\nSELECT plan(1);\nSELECT is(1, 2, 'one is two');\nSELECT * FROM finish();\nROLLBACK;\n"
    )
    env["PHASELINE_TEST_DB"] = f"phaseline_ds_{uuid.uuid4().hex[:8]}"
    out = run(venv, "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed, 3 passed" in out.stdout and "one is two" in out.stdout, out.stdout
