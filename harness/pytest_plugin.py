"""pytest plugin and test kit: a deployed phaseline database per test, and pgTAP files as test items.

Registered through the ``pytest11`` entry point, so any project that installs
phaseline gets it with no ``-p`` flag. What it gives a test session:

- a template database with phaseline deployed, pgTAP (and plpgsql_check when
  the server has it) installed and the ``test.*`` helpers loaded; then the
  ``pytest_phaseline_load_template(dsn)`` hook runs, so a downstream project
  loads its own SQL (tables, functions) into the template after phaseline;
- per-test clones of it: ``phaseline_db`` (a connection), ``phaseline_dsn``;
- ``scratch_dsn`` (an empty database owned by the deploy role), ``world``
  (``test.world()`` committed), ``app_dsn`` (a login role granted the
  application role, as applications connect);
- every ``pgtap/*.sql`` file under the test paths as one test item, run as
  an application runs: as a login granted the application role
  (``<test db>_tap``, in ``phaseline_app``), which calls the API and reads
  its views and the test kit (``test.*`` helpers, ``peek.*`` read-only
  views of the tables). A file that tests direct table writes (triggers
  under a plain INSERT or UPDATE) says so on a line of its opening
  comment, and then runs as the role that owns the tables::

      -- phaseline: direct-writes

  (``-- phaseline: superuser``: as the server's user, for a file that loads
  volume with ``session_replication_role = replica``.)

Phaseline is deployed the way a DBA on a managed service does it: as a
plain login role that owns the database (``<test db>_owner``, no superuser,
no CREATEROLE; the group roles exist beforehand). The server comes from the
libpq variables (phaseline.pgconn); PHASELINE_TEST_DB names the template
(default phaseline_test) so that parallel runs on one server stay apart.
Set PHASELINE_TEST_OWNER to an existing role to deploy as it, or to an empty
string to deploy as the connecting user; PHASELINE_TEST_APP_LOGIN names the
login pgTAP files run as (default ``<test db>_tap``). PHASELINE_TEST_EXTENSIONS
lists extension directories (as for ``phaseline deploy --extension``, separated
by ":") deployed into the template with phaseline.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from .deploy import deploy
from .pgconn import conninfo, server_params
from .render import Build

try:  # the kit needs pytest-postgresql; without it (no [test] extra) the plugin stays out of the way
    from pytest_postgresql import factories
except ImportError:  # pragma: no cover - exercised only in environments without the extra
    factories = None

SERVER = server_params()
TEST_DB = os.environ.get("PHASELINE_TEST_DB", "phaseline_test")
DEPLOY_OWNER = os.environ.get("PHASELINE_TEST_OWNER", f"{TEST_DB}_owner")
# the login pgTAP files run as, a member of the application role (PHASELINE_TEST_APP_LOGIN to name it)
TAP_LOGIN = os.environ.get("PHASELINE_TEST_APP_LOGIN", f"{TEST_DB}_tap")
HELPERS_SQL = Path(str(importlib.resources.files("phaseline") / "testkit" / "helpers.sql"))
_CONFIG: list[pytest.Config] = []  # the running session's config, for the template loader's hook call


# A project's own entities and decision sets (phaseline deploy --extension PATH), deployed into the
# template with phaseline: PHASELINE_TEST_EXTENSIONS, paths separated by os.pathsep (":").
EXTENSIONS = tuple(Path(p) for p in os.environ.get("PHASELINE_TEST_EXTENSIONS", "").split(os.pathsep) if p)


@functools.cache
def build() -> Build:
    """The session's one build context: the TOML read and the SQL rendered once."""
    return Build.load(extensions=EXTENSIONS)


class PhaselineHookspecs:
    @pytest.hookspec
    def pytest_phaseline_load_template(self, dsn: str) -> None:
        """Load the project's own SQL into the template, after phaseline is deployed.

        ``dsn`` connects to the template as the role that deployed phaseline
        (the database owner). Every test's clone has what this loads.
        """


def pytest_addhooks(pluginmanager) -> None:
    pluginmanager.add_hookspecs(PhaselineHookspecs)


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


def _admin() -> psycopg.Connection:
    return psycopg.connect(conninfo("postgres", connect_timeout=5), autocommit=True)


def _server_problem() -> str | None:
    """Why the suite cannot run on this server, or None."""
    where = f"{SERVER['host']}:{SERVER['port']} as {SERVER['user']}"
    if factories is None:
        return "phaseline's test kit needs pytest-postgresql: pip install 'phaseline[test]'"
    try:
        with _admin() as conn:
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
            f"Install it on the server (Debian: apt-get install postgresql-{major}-pgtap, "
            "or run `make install` as root), then rerun."
        )
    return None


def _ensure_roles() -> None:
    """The deploy owner (a plain login role), the group roles and the pgTAP login, created as a DBA would beforehand."""
    ctx = build().ctx
    with _admin() as conn:
        if not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            return  # not a superuser: deploy as the connecting user, who must be able to create databases
        for role, login in (
            (DEPLOY_OWNER, True),
            (ctx["app_role_name"], False),
            (ctx["readonly_role_name"], False),
            (TAP_LOGIN, True),
        ):
            if role and conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                try:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(sql.Identifier(role))
                    )
                except psycopg.errors.DuplicateObject:
                    pass  # a parallel session created it first
        try:
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(ctx["app_role_name"]), sql.Identifier(TAP_LOGIN))
            )
        except psycopg.errors.UniqueViolation:
            pass  # a parallel session granted it at the same moment (pg_auth_members' unique index)


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    problem = _server_problem()
    if problem:
        pytest.exit(problem, returncode=3)
    _ensure_roles()


def owner_conninfo(dbname: str) -> str:
    """conninfo of dbname as the role that deploys (and owns) phaseline."""
    return conninfo(dbname, user=DEPLOY_OWNER) if DEPLOY_OWNER else conninfo(dbname)


def load_template(host, port, user, dbname, password=None, **_ignored) -> None:
    """pytest-postgresql loader: hand the template to the deploy owner, deploy, add the test kit."""
    admin = psycopg.conninfo.make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password)
    with psycopg.connect(admin, autocommit=True) as conn:
        if DEPLOY_OWNER:
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(dbname), sql.Identifier(DEPLOY_OWNER))
            )
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(DEPLOY_OWNER)))
        # Test-only extensions: a superuser installs them, as a DBA would.
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        if conn.execute("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'plpgsql_check')").fetchone()[
            0
        ]:
            conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    owner = owner_conninfo(dbname)
    deploy(owner, build=build(), log=lambda *_: None)
    # The project's own SQL first, so that the kit's peek views cover its tables too.
    if _CONFIG:
        _CONFIG[0].hook.pytest_phaseline_load_template(dsn=owner)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(HELPERS_SQL.read_bytes())
        # What a pgTAP file acting as the application needs of the test kit,
        # granted in the test template only: the helpers and read-only peeks.
        app = sql.Identifier(build().ctx["app_role_name"])
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA test, peek TO {}").format(app))
        conn.execute(sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test TO {}").format(app))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA peek TO {}").format(app))


if factories is not None:
    phaseline_server = factories.postgresql_noproc(
        host=SERVER["host"],
        port=int(SERVER["port"]),
        user=SERVER["user"],
        password=SERVER.get("password"),
        dbname=TEST_DB,
        load=[load_template],
    )
    # A connection (autocommit off) to a fresh clone of the deployed template.
    phaseline_db = factories.postgresql("phaseline_server")


@pytest.fixture
def phaseline_dsn(phaseline_db) -> str:
    """conninfo of this test's database (as the test server's user), for tests that open several connections."""
    return conninfo(phaseline_db.info.dbname)


@pytest.fixture
def scratch_dsn() -> str:
    """conninfo of a new, empty database owned by the deploy role, as that role; dropped afterwards."""
    name = f"{TEST_DB}_scratch_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        owner = sql.SQL(" OWNER {}").format(sql.Identifier(DEPLOY_OWNER)) if DEPLOY_OWNER else sql.SQL("")
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)) + owner)
    try:
        yield owner_conninfo(name)
    finally:
        with _admin() as admin:
            # FORCE: a thread of a failed test may still hold a connection
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def world(phaseline_dsn) -> dict:
    """test.world() committed, so that every connection of the test sees it."""
    with psycopg.connect(phaseline_dsn, autocommit=True) as conn:
        cur = conn.execute("SELECT * FROM test.world()")
        names = [c.name for c in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


@pytest.fixture
def app_dsn(phaseline_db) -> str:
    """conninfo of this test's database as a fresh login role granted the application role."""
    role = f"{TEST_DB}_app_{uuid.uuid4().hex[:8]}"
    app_role = build().ctx["app_role_name"]
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(sql.Identifier(role), sql.Identifier(app_role)))
    try:
        yield conninfo(phaseline_db.info.dbname, user=role)
    finally:
        with _admin() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


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


_MARKER = re.compile(r"^--\s*phaseline:\s*(\S.*?)\s*$")
MARKERS = {
    "direct-writes": "the file tests direct table writes: it runs as the role that owns the tables",
    "superuser": "the file loads volume with triggers off (session_replication_role): it runs as the server's user",
}


def pgtap_markers(text: str) -> set[str]:
    """The ``-- phaseline: <marker>`` lines of a pgTAP file's opening comment. Raises PgTapFailure on an unknown one."""
    found = set()
    for line in text.splitlines():
        if not line.startswith("--"):
            break  # the opening comment ends at the first line of SQL (or a blank line)
        if m := _MARKER.match(line):
            if m.group(1) not in MARKERS:
                raise PgTapFailure(f"unknown marker {line.strip()!r}; known: " + ", ".join(sorted(MARKERS)))
            found.add(m.group(1))
    return found


def pgtap_conninfo(dbname: str, markers: set[str]) -> str:
    """Who runs a pgTAP file: the application's login, unless a marker says the tables' owner or the superuser."""
    if "superuser" in markers:
        return conninfo(dbname)
    if "direct-writes" in markers:
        return owner_conninfo(dbname)
    if _role_exists(TAP_LOGIN):
        return conninfo(dbname, user=TAP_LOGIN)
    # no superuser made the login: the connecting user, acting as the application role
    return conninfo(dbname, options=f"-c role={build().ctx['app_role_name']}")


@functools.cache
def _role_exists(role: str) -> bool:
    with _admin() as conn:
        return conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def _pgtap_test(phaseline_db, pgtap_path):  # the body of every pgTAP item
    try:
        markers = pgtap_markers(pgtap_path.read_text())
        with psycopg.connect(pgtap_conninfo(phaseline_db.info.dbname, markers)) as conn:
            run_pgtap(conn, pgtap_path)
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
