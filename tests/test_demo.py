"""`make demo` end to end: a scratch database is (re)created, phaseline deployed,
the seed example run through the API, and the summary a person reads printed."""

from __future__ import annotations

import psycopg
from phaseline import demo
from phaseline.pytest_plugin import TEST_DB, conninfo
from psycopg import sql


def test_demo_runs_twice_and_prints_the_seed_example(capsys):
    name = f"{TEST_DB}_demo"
    try:
        for _ in range(2):  # the second run drops what the first left
            assert demo.main(["--db", conninfo("postgres"), "--dbname", name]) == 0
        out = capsys.readouterr().out
        lines = out.splitlines()
        # version 1: 100 from the tester, 80 approved, 20 rejected; version 2: 80 carried + 10 new, all approved
        assert any(line.split() == ["1", "superseded", "100", "0", "80", "20", "0", "100"] for line in lines), out
        assert any(line.split() == ["2", "approved", "10", "80", "90", "0", "0", "90"] for line in lines), out
        assert "Current approved artifact: sample selection version 2" in out
        assert "step 0: version 2, source carried_forward" in out
        assert "step 1: version 1, source tester" in out
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
