"""Proof from a second language: tests/node/seed_flow.mjs runs the seed's
sample-selection flow with node-postgres (npm `pg`) as an application login
role granted phaseline_app, and branches on a rule name from an error.

Skipped, saying why, only where Node.js is absent; under CI a missing Node
fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        message = "Node.js and npm are not installed: the second-language proof needs them (apt-get install nodejs npm)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    if not (NODE_DIR / "node_modules" / "pg").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True, timeout=300)
    return node


def test_the_seed_flow_from_node(node, app_dsn, world):
    params = psycopg.conninfo.conninfo_to_dict(app_dsn)
    env = {
        **os.environ,
        "PGHOST": params["host"],
        "PGPORT": str(params["port"]),
        "PGUSER": params["user"],
        "PGDATABASE": params["dbname"],
    }
    env.pop("PGPASSWORD", None) if "password" not in params else env.update(PGPASSWORD=params["password"])
    arg = json.dumps(
        {k: str(world[k]) if k in ("cycle", "report") else world[k] for k in ("owner", "tester", "cycle", "report")}
    )
    out = subprocess.run(
        [node, "seed_flow.mjs", arg], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["refusedBy"]["rule"] == "not_reviewer" and result["refusedBy"]["sqlstate"] == "42501"
    assert result["refusedBy"]["hint"]
    assert (result["carried"], result["approved"]) == (80, 90)
    assert [(s["step"], s["version_number"], s["recommendation_source"]) for s in result["lineage"]] == [
        (0, 2, "carried_forward"),
        (1, 1, "tester"),
    ]
