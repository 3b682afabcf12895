"""Where phaseline connects: the one place for connection defaults.

The CLI follows psql: ``--db``, else ``DATABASE_URL``, else the libpq
variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, ...), which libpq
reads itself when the conninfo is empty. The test kit and the benchmarks
default to the local test server (127.0.0.1:5432 as postgres) where a libpq
variable is not set, so that ``make test`` needs no configuration.
"""

from __future__ import annotations

import os

import psycopg

# The test kit's and the benchmarks' server when no libpq variable says otherwise.
TEST_SERVER_DEFAULTS = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}


def resolve_conninfo(db: str | None) -> str:
    """--db, else DATABASE_URL, else "" (libpq's variables and defaults)."""
    return db or os.environ.get("DATABASE_URL", "")


def describe_target(conn: psycopg.Connection) -> str:
    """host:port/dbname as user, never a password."""
    info = conn.info
    host = info.host if not info.host.startswith("/") else f"socket {info.host}"
    return f"{host}:{info.port}/{info.dbname} as {info.user}"


def server_params() -> dict[str, str]:
    """The test server: the libpq variables, falling back to TEST_SERVER_DEFAULTS."""
    params = {
        "host": os.environ.get("PGHOST") or TEST_SERVER_DEFAULTS["host"],
        "port": os.environ.get("PGPORT") or TEST_SERVER_DEFAULTS["port"],
        "user": os.environ.get("PGUSER") or TEST_SERVER_DEFAULTS["user"],
    }
    if os.environ.get("PGPASSWORD"):
        params["password"] = os.environ["PGPASSWORD"]
    return params


def conninfo(dbname: str, **extra) -> str:
    """A conninfo string for dbname on the test server; extra keys override (user=...)."""
    params = {**server_params(), "dbname": dbname, **extra}
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})
