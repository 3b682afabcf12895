"""Fixtures shared by the Python tests (the deployed per-test clone comes from phaseline.pytest_plugin)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from phaseline.pytest_plugin import TEST_DB, conninfo


@pytest.fixture
def scratch_dsn() -> str:
    """conninfo of a new, empty database on the test server, dropped afterwards.

    Named after PHASELINE_TEST_DB so that parallel runs on one server never
    touch each other's databases.
    """
    name = f"{TEST_DB}_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield conninfo(name)
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            # FORCE: a thread of a failed test may still hold a connection
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def world(phaseline_dsn) -> dict:
    """test.world() committed, so that every connection of the test sees it."""
    with psycopg.connect(phaseline_dsn, autocommit=True) as conn:
        cur = conn.execute("SELECT * FROM test.world()")
        names = [c.name for c in cur.description]
        return dict(zip(names, cur.fetchone()))
