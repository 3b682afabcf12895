"""pytest plugin: a deployed phaseline database per test, and pgTAP files as test items.

The server comes from the standard libpq variables (PGHOST, PGPORT, PGUSER,
PGPASSWORD), defaulting to 127.0.0.1:5432 as postgres. A template database is
built once per session with pytest-postgresql's noproc factory: phaseline
deployed by the harness, pgTAP (and plpgsql_check when the server has it)
installed. Every test gets a fresh clone of it.

Each tests/pgtap/*.sql file is one test item: it runs on its own connection
in its own clone, its TAP output is parsed, and the item fails with the
`not ok` lines and their diagnostics, when the plan does not match, or when
the script raises an error.
"""

from __future__ import annotations

import importlib.resources
import os
import re
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories

from .deploy import deploy

SERVER = dict(
    host=os.environ.get("PGHOST") or "127.0.0.1",
    port=int(os.environ.get("PGPORT") or 5432),
    user=os.environ.get("PGUSER") or "postgres",
    password=os.environ.get("PGPASSWORD") or None,
)
TEST_DB = os.environ.get("PHASELINE_TEST_DB", "phaseline_test")
HELPERS_SQL = Path(str(importlib.resources.files("phaseline") / "testkit" / "helpers.sql"))


def conninfo(dbname: str, **extra) -> str:
    """A libpq conninfo string for dbname on the test server."""
    params = {**SERVER, "dbname": dbname, **extra}
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v is not None})


def _server_problem() -> str | None:
    """Why the suite cannot run on this server, or None."""
    where = f"{SERVER['host']}:{SERVER['port']} as {SERVER['user']}"
    try:
        with psycopg.connect(conninfo("postgres", connect_timeout=5)) as conn:
            major = conn.info.server_version // 10000
            has = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions WHERE name IN ('pgtap')")}
    except psycopg.OperationalError as exc:
        return (
            f"No PostgreSQL server reachable at {where}:\n  {str(exc).strip()}\n"
            "Start one (Debian: pg_ctlcluster 15 main start) or point the tests at one with "
            "PGHOST, PGPORT, PGUSER and PGPASSWORD."
        )
    if "pgtap" not in has:
        return (
            f"pgTAP is not installed on the PostgreSQL {major} server at {where}.\n"
            f"Install it on the server (Debian: apt-get install postgresql-{major}-pgtap), then rerun."
        )
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    problem = _server_problem()
    if problem:
        pytest.exit(problem, returncode=3)


def load_template(host, port, user, dbname, password=None, **_ignored) -> None:
    """pytest-postgresql loader: deploy phaseline and the test extensions into the template."""
    dsn = psycopg.conninfo.make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password)
    deploy(dsn, log=lambda *_: None)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        if conn.execute("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'plpgsql_check')").fetchone()[0]:
            conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
        conn.execute(HELPERS_SQL.read_bytes())


phaseline_server = factories.postgresql_noproc(
    host=SERVER["host"],
    port=SERVER["port"],
    user=SERVER["user"],
    password=SERVER["password"],
    dbname=TEST_DB,
    load=[load_template],
)
# A connection (autocommit off) to a fresh clone of the deployed template.
phaseline_db = factories.postgresql("phaseline_server")


@pytest.fixture
def phaseline_dsn(phaseline_db) -> str:
    """conninfo of this test's database, for tests that open several connections."""
    return conninfo(phaseline_db.info.dbname)


# --- pgTAP files as items ---------------------------------------------------

_PLAN = re.compile(r"^1\.\.(\d+)")
_RESULT = re.compile(r"^(not ok|ok)\b")
_EXPECTED_FAILURE = re.compile(r"#\s*todo\b", re.I)  # a "not ok" marked todo is expected to fail


def parse_tap(lines: list[str]) -> tuple[int | None, list[str], list[str], list[str]]:
    """(planned, result lines, failure blocks: a not-ok line and its diagnostics, pgTAP's own complaints)."""
    planned = None
    results: list[str] = []
    failures: list[str] = []
    complaints: list[str] = []
    current: list[str] | None = None
    for line in lines:
        if m := _PLAN.match(line):
            planned = int(m.group(1))
            continue
        if m := _RESULT.match(line):
            results.append(line)
            todo = bool(_EXPECTED_FAILURE.search(line))
            if current:
                failures.append("\n".join(current))
            current = [line] if m.group(1) == "not ok" and not todo else None
        elif line.startswith("# Looks like you"):
            # finish() counts every ok() pgTAP saw, printed or not
            complaints.append(line)
        elif line.startswith("#") and current is not None:
            current.append(line)
    if current:
        failures.append("\n".join(current))
    return planned, results, failures, complaints


class PgTapFailure(Exception):
    """A pgTAP script failed: the message lists what and where."""


def run_pgtap(conn: psycopg.Connection, path: Path) -> list[str]:
    """Run a pgTAP script; returns its TAP lines. Raises PgTapFailure."""
    text = path.read_text()
    conn.autocommit = True  # the script brings its own BEGIN ... ROLLBACK
    lines: list[str] = []
    try:
        with conn.cursor() as cur:
            cur.execute(text.encode())
            while True:
                if cur.description is not None:
                    lines.extend(str(v) for row in cur.fetchall() for v in row if v is not None)
                if not cur.nextset():
                    break
    except psycopg.Error as exc:
        pos = exc.diag.statement_position  # only parse errors have one
        where = f"{path.name}:{text.count(chr(10), 0, int(pos) - 1) + 1}" if pos else path.name
        raise PgTapFailure(
            f"{where}: the script raised {exc.diag.sqlstate}: {exc.diag.message_primary}"
            + (f"\n  DETAIL: {exc.diag.message_detail}" if exc.diag.message_detail else "")
            + (f"\n  CONTEXT: {exc.diag.context}" if exc.diag.context else "")
        ) from None
    lines = [ln for chunk in lines for ln in chunk.splitlines()]
    planned, results, failures, complaints = parse_tap(lines)
    problems = list(complaints)
    if planned is None:
        problems.append("no plan (1..N) in the output: call plan(n) and finish()")
    elif planned != len(results):
        problems.append(f"planned {planned} tests but ran {len(results)}")
    if failures:
        problems.append(f"{len(failures)} of {len(results)} failed:\n" + "\n".join(failures))
    if problems:
        raise PgTapFailure(f"{path.name}: " + "\n".join(problems))
    return lines


def _pgtap_test(phaseline_db, pgtap_path):  # the body of every pgTAP item
    try:
        run_pgtap(phaseline_db, pgtap_path)
        return
    except PgTapFailure as exc:
        failure = str(exc)
    pytest.fail(failure, pytrace=False)


class PgTapFile(pytest.File):
    def collect(self):
        item = pytest.Function.from_parent(self, name=self.path.stem, callobj=_pgtap_test)
        item.pgtap_path = self.path
        yield item


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".sql" and file_path.parent.name == "pgtap":
        return PgTapFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture
def pgtap_path(request) -> Path:
    return request.node.pgtap_path


def pytest_report_header(config) -> str:
    return f"phaseline: PostgreSQL at {SERVER['host']}:{SERVER['port']} as {SERVER['user']}, test db {TEST_DB}"
