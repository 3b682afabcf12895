"""Apply the rendered SQL in order, with a ledger, under an advisory lock, without stalling writers.

Run-once files (sql/once) are applied once and never change afterwards: a
changed text is drift and deploy refuses, naming the template or include
whose source changed. Repeatable files (sql/repeatable: functions, triggers,
views, all CREATE OR REPLACE) are re-applied whenever their rendered text
changes, after the run-once files.

Release awareness: the ledger schema records each deploy's release (the
package version) and the variables it rendered with. Deploy refuses an older
release over a newer database and a database rendered with other variables;
a guard trigger on the ledger refuses ledger rows without a release, so the
0.1.0 harness (which writes none) cannot deploy over a newer database
either: its first file rolls back. After applying, deploy records a snapshot
of the catalog (phaseline.catalog) that validate compares with; a database
that differs from its snapshot is refused until ``deploy --repair``.

Writers are not stalled: each statement runs under a short lock_timeout in a
savepoint and is retried with backoff when the lock is not granted (a
waiting ALTER or CREATE TRIGGER queues every later writer behind it, so it
must never wait long). A repeatable file that changed re-runs only the
statements that take table locks (CREATE TRIGGER, CREATE VIEW) when their
text changed or their object is gone: a new function body takes no table
lock, and an edited comment between statements takes none at all.

Each file runs in its own transaction and writes its ledger row in that same
transaction, so a file is either applied and recorded, or neither.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from . import catalog
from .render import CATALOG_DERIVED_FILES, RESTATED_FILES, SQL_DIR, Build, SqlFile
from .sqlsplit import split_statements
from .version import RELEASE, release_key

# pg_advisory_lock key: the ASCII of "phaseline" folded into a bigint.
DEPLOY_LOCK_KEY = 0x7068_6173_656C_696E
DEFAULT_LOCK_TIMEOUT = "1s"  # per statement; a waiting lock request blocks writers queued behind it
DEFAULT_LOCK_RETRIES = 8  # per statement, with exponential backoff from 0.25 s, capped at 4 s
# Repeatable files that restate something about every object (its grants, its
# comment): re-applied whenever any file is applied, even if their own text
# did not change, since a new or re-created function starts without either.
RESTATED = RESTATED_FILES
CATALOG_DERIVED = CATALOG_DERIVED_FILES


class DeployError(Exception):
    """A deploy stopped; the message says which file, where and why."""

    exit_code = 5  # a SQL error while applying


class RefusedError(DeployError):
    """The database differs from this release in a way deploy will not touch (drift, release, variables, tampering)."""

    exit_code = 1


class LockError(DeployError):
    """A lock (the deploy lock, or a table lock after every retry) was not obtained."""

    exit_code = 4


@dataclass
class PlanItem:
    file: SqlFile
    action: str  # "apply", "reapply", "applied", "drift"
    changed_sources: list[str] = field(default_factory=list)  # for drift: the templates whose source changed


# --- the ledger ---------------------------------------------------------------------------


def _t(ledger_schema: str, name: str) -> sql.Composable:
    return sql.SQL("{}.{}").format(sql.Identifier(ledger_schema), sql.Identifier(name))


def ledger_table(ledger_schema: str) -> sql.Composable:
    return _t(ledger_schema, "ledger")


def ensure_ledger(conn: psycopg.Connection, ledger_schema: str) -> None:
    """Create or upgrade the ledger schema (idempotent; the shape 0.1.0 made is upgraded in place)."""
    s = sql.Identifier(ledger_schema)
    with conn.transaction():
        # IF NOT EXISTS still needs CREATE on the database: ask first, so a role
        # that owns the schemas but not the database can redeploy.
        if conn.execute("SELECT FROM pg_namespace WHERE nspname = %s", (ledger_schema,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(s))
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(s))
        conn.execute(
            sql.SQL(
                """
                CREATE TABLE IF NOT EXISTS {} (
                    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    file        text        NOT NULL,
                    kind        text        NOT NULL CHECK (kind IN ('once', 'repeatable')),
                    sha256      text        NOT NULL,
                    applied_by  text        NOT NULL DEFAULT current_user,
                    client_user text,
                    applied_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
                    duration_ms numeric     NOT NULL
                )"""
            ).format(ledger_table(ledger_schema))
        )
        # A run-once file is applied at most once: a concurrent second apply collides here.
        conn.execute(
            sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS ledger_once_file ON {} (file) WHERE kind = 'once'").format(
                ledger_table(ledger_schema)
            )
        )
        # Since 0.2.0: which release wrote the row, and the source checksums of what it rendered.
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS release text").format(ledger_table(ledger_schema))
        )
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS sources jsonb").format(ledger_table(ledger_schema))
        )
        conn.execute(
            sql.SQL(
                """
                CREATE TABLE IF NOT EXISTS {} (
                    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    release     text        NOT NULL,
                    vars        jsonb       NOT NULL,
                    action      text        NOT NULL,  -- deploy, repair, baseline
                    deployed_by text        NOT NULL DEFAULT current_user,
                    deployed_at timestamptz NOT NULL DEFAULT clock_timestamp()
                )"""
            ).format(_t(ledger_schema, "releases"))
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (kind text NOT NULL, name text NOT NULL, fingerprint text NOT NULL,"
                " PRIMARY KEY (kind, name))"
            ).format(_t(ledger_schema, "catalog"))
        )
        # Statements of repeatable files that take table locks, by checksum: skipped while unchanged.
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (sha256 text PRIMARY KEY, file text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
            ).format(_t(ledger_schema, "statements"))
        )
        # A harness that writes no release (0.1.0) must not apply anything over a newer database.
        conn.execute(
            sql.SQL(
                """
                CREATE OR REPLACE FUNCTION {}() RETURNS trigger
                LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
                BEGIN
                    IF NEW.release IS NULL THEN
                        RAISE EXCEPTION USING
                            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'release_required',
                            MESSAGE = format('refusing to record %s: this database was deployed by a newer phaseline', NEW.file),
                            DETAIL = 'The deploying harness records no release, so it is older than the one that deployed this database.',
                            HINT = 'Deploy with the release the database has, or a newer one (phaseline status shows it).';
                    END IF;
                    RETURN NEW;
                END
                $fn$"""
            ).format(_t(ledger_schema, "_ledger_requires_release"))
        )
        conn.execute(
            sql.SQL(
                "CREATE OR REPLACE TRIGGER ledger_requires_release BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION {}()"
            ).format(ledger_table(ledger_schema), _t(ledger_schema, "_ledger_requires_release"))
        )


def _ledger_exists(conn: psycopg.Connection, ledger_schema: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{ledger_schema}".ledger',)).fetchone()[0]


def ledger_state(conn: psycopg.Connection, ledger_schema: str) -> dict[str, dict]:
    """The last ledger row per file, or {} when nothing was ever deployed."""
    if not _ledger_exists(conn, ledger_schema):
        return {}
    has_sources = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'sources')",
        (f'"{ledger_schema}".ledger',),
    ).fetchone()[0]
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (file) file, kind, sha256, applied_by, applied_at, duration_ms, {} "
            "FROM {} ORDER BY file, id DESC"
        ).format(sql.SQL("sources" if has_sources else "NULL::jsonb"), ledger_table(ledger_schema))
    ).fetchall()
    return {
        r[0]: dict(kind=r[1], sha256=r[2], applied_by=r[3], applied_at=r[4], duration_ms=r[5], sources=r[6])
        for r in rows
    }


def installed_release(conn: psycopg.Connection, ledger_schema: str) -> dict | None:
    """The last recorded release row, or None (never deployed, or deployed by 0.1.0, which recorded none)."""
    if conn.execute("SELECT to_regclass(%s) IS NULL", (f'"{ledger_schema}".releases',)).fetchone()[0]:
        return None
    row = conn.execute(
        sql.SQL("SELECT release, vars, action, deployed_by, deployed_at FROM {} ORDER BY id DESC LIMIT 1").format(
            _t(ledger_schema, "releases")
        )
    ).fetchone()
    return dict(zip(("release", "vars", "action", "deployed_by", "deployed_at"), row, strict=True)) if row else None


def make_plan(files: list[SqlFile], state: dict[str, dict]) -> list[PlanItem]:
    plan = []
    for f in files:
        row = state.get(f.name)
        if row is None:
            plan.append(PlanItem(f, "apply"))
        elif row["sha256"] == f.sha256:
            plan.append(PlanItem(f, "applied"))
        elif f.kind == "once":
            recorded = row.get("sources") or {}
            changed = sorted(n for n, sha in f.sources.items() if recorded.get(n) not in (None, sha))
            changed += sorted(n for n in f.sources if n not in recorded and recorded)
            plan.append(PlanItem(f, "drift", changed or sorted(f.sources)))
        else:
            plan.append(PlanItem(f, "reapply"))
    # A run-once file may add a column to a table whose audit function is generated from
    # its columns: the generating file goes again, so the new column is audited.
    if any(p.action == "apply" and p.file.kind == "once" for p in plan):
        for item in plan:
            if item.file.name in CATALOG_DERIVED and item.action == "applied":
                item.action = "reapply"
    # A new or re-created object starts without its grants and comment: the files
    # that restate them for every object go again whenever anything is applied.
    if any(p.action in ("apply", "reapply") for p in plan):
        for item in plan:
            if item.file.name in RESTATED and item.action == "applied":
                item.action = "restate"
    return plan


# Repeatable files a release removed: what they defined is now made by later files, which
# re-point its triggers, and dropped by 890_renamed_trigger_functions.sql. Their ledger rows
# stay as history; deploy and validate do not count them as unknown.
RETIRED = ("repeatable/130_sample_decisions.sql",)  # 0.2.0: samples generated by include/decision_set.sql


def unknown_files(files: list[SqlFile], state: dict[str, dict]) -> list[str]:
    """Ledger files this release does not have (a newer release's, or removed by mistake)."""
    known = {f.name for f in files} | set(RETIRED)
    return sorted(name for name in state if name not in known)


def missing_extensions(files: list[SqlFile], state: dict[str, dict]) -> list[str]:
    """Extensions (ext-<name>/ files) the ledger has and this build lacks."""
    known = {f.name.split("/", 1)[0] for f in files if f.name.startswith("ext-")}
    return sorted({n.split("/", 1)[0] for n in state if n.startswith("ext-")} - known)


def missing_extensions_message(missing: list[str]) -> str:
    names = ", ".join(m.removeprefix("ext-") for m in missing)
    return (
        f"the database was deployed with extension(s) {names} ({', '.join(m + '/' for m in missing)} in the ledger), "
        "which this run does not have: pass --extension PATH for each (a deploy without them would re-render "
        "the engine's repeatable files without their entities and decision sets)"
    )


def drift_message(drift: list[PlanItem]) -> str:
    lines = ["refusing to deploy: run-once file(s) changed after they were applied:"]
    for item in drift:
        lines.append(
            f"  {item.file.name}: its text now differs; source(s) that changed: {', '.join(item.changed_sources)}"
        )
    lines.append(
        "A run-once file must render exactly as when it was applied: restore the old text of the template or "
        "include named, and put the change in a new numbered file under sql/once/."
    )
    return "\n".join(lines)


def check_release(conn: psycopg.Connection, build: Build) -> dict | None:
    """Refuse an older release over a newer database, and other variables; returns the installed release."""
    ledger_schema = build.ctx["ledger_schema_name"]
    installed = installed_release(conn, ledger_schema)
    if installed is None:
        return None
    if release_key(installed["release"]) > release_key(RELEASE):
        raise RefusedError(
            f"refusing to deploy phaseline {RELEASE} over a database at release {installed['release']} "
            f"(deployed {installed['deployed_at']:%Y-%m-%d %H:%M} by {installed['deployed_by']}): downgrades are not supported. "
            f"Deploy {installed['release']} or newer."
        )
    # A variable a newer release introduced is absent from older records: it
    # takes its default. Only a value that differs is a different rendering.
    diff = {k: (v, build.vars[k]) for k, v in installed["vars"].items() if k in build.vars and build.vars[k] != v}
    if diff:
        said = ", ".join(f"{k}: database {a!r}, now {b!r}" for k, (a, b) in sorted(diff.items()))
        raise RefusedError(
            f"refusing to deploy: the database was rendered with other variables ({said}). "
            "Pass the same --var values it was deployed with."
        )
    return installed


def describe_error(file: SqlFile, line: int, exc: psycopg.Error) -> str:
    """file:line: SQLSTATE message, then DETAIL, HINT and CONTEXT as the server sent them."""
    d = exc.diag
    parts = [f"{file.name}:{line}: {d.sqlstate} {d.message_primary}"]
    for label, value in (("DETAIL", d.message_detail), ("HINT", d.message_hint), ("CONTEXT", d.context)):
        if value:
            parts.append(f"  {label}: {value}")
    return "\n".join(parts)


def _lock(conn: psycopg.Connection, wait_seconds: float, log) -> None:
    deadline = time.monotonic() + wait_seconds
    said = False
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", (DEPLOY_LOCK_KEY,)).fetchone()[0]:
        if time.monotonic() > deadline:
            raise LockError(f"another deploy has held the deploy lock for over {wait_seconds:g}s; try again later")
        if not said:
            log("waiting for another deploy to finish ...")
            said = True
        time.sleep(0.2)


# Statements that lock a table (or a view) and that a changed file re-runs only if they changed.
_LOCKING = re.compile(
    r"^\s*CREATE\s+OR\s+REPLACE\s+(?:CONSTRAINT\s+)?(?P<what>TRIGGER|VIEW)\s+(?P<name>\S+)"
    r"(?:.*?\sON\s+(?P<table>\S+))?",
    re.I | re.S,
)


def _strip_leading_comments(statement: str) -> str:
    lines = statement.splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines)


def _statement_sha(statement: str) -> str:
    return hashlib.sha256(_strip_leading_comments(statement).encode()).hexdigest()


def _object_present(conn: psycopg.Connection, m: re.Match) -> bool:
    if m.group("what").upper() == "TRIGGER":
        return conn.execute(
            "SELECT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s AND tgenabled <> 'D')",
            (m.group("table"), m.group("name").strip('"')),
        ).fetchone()[0]
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (m.group("name"),)).fetchone()[0]


@dataclass
class Options:  # how hard deploy tries for each lock, and whether it re-applies everything
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    lock_retries: int = DEFAULT_LOCK_RETRIES
    repair: bool = False


def deploy(
    conninfo: str = "",
    overrides: dict[str, str] | None = None,
    *,
    build: Build | None = None,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
    lock_retries: int = DEFAULT_LOCK_RETRIES,
    repair: bool = False,
    wait_seconds: float = 300,
    log=print,
    sql_dir: Path = SQL_DIR,
) -> list[PlanItem]:
    """Apply what the plan says; returns the items applied. Raises DeployError (or a subclass)."""
    build = build or Build.load(overrides, sql_dir)
    opts = Options(lock_timeout, lock_retries, repair)
    files = build.files
    ledger_schema = build.ctx["ledger_schema_name"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET application_name = 'phaseline deploy'")
        _lock(conn, wait_seconds, log)
        try:
            ensure_ledger(conn, ledger_schema)
            installed = check_release(conn, build)
            state = ledger_state(conn, ledger_schema)
            plan = make_plan(files, state)
            drift = [p for p in plan if p.action == "drift"]
            if drift:
                raise RefusedError(drift_message(drift))
            missing = missing_extensions(files, state)
            if missing:
                raise RefusedError("refusing to deploy: " + missing_extensions_message(missing))
            for name in unknown_files(files, state):
                log(f"note: the ledger has {name}, which this release does not know")
            if installed and not repair:
                differences = tampering(conn, build, rules=False)
                if differences:
                    raise RefusedError(
                        "refusing to deploy: the database differs from what its release deployed:\n"
                        + "\n".join(f"  {d}" for d in differences)
                        + "\nRun `phaseline validate` for the full report, and `phaseline deploy --repair` to restore it."
                    )
            if repair:
                for item in plan:
                    if item.file.kind == "repeatable" and item.action == "applied":
                        item.action = "repair"
            todo = [p for p in plan if p.action in ("apply", "reapply", "repair", "restate")]
            started = time.perf_counter()
            for item in todo:
                _apply(conn, item, ledger_schema, opts, log)
            with conn.transaction():
                if todo or installed is None or installed["release"] != RELEASE:
                    conn.execute(
                        sql.SQL("INSERT INTO {} (release, vars, action) VALUES (%s, %s, %s)").format(
                            _t(ledger_schema, "releases")
                        ),
                        (RELEASE, json.dumps(build.vars), "repair" if repair else "deploy"),
                    )
                catalog.save_snapshot(conn, build.ctx, _t(ledger_schema, "catalog"))
            if todo:
                log(f"applied {len(todo)} file(s) in {(time.perf_counter() - started) * 1000:.0f} ms")
            else:
                log("nothing to apply: the database is up to date")
            return todo
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DEPLOY_LOCK_KEY,))


def _execute_with_retries(conn, cur, statement: str, opts: Options, log, where: str) -> None:
    """One statement in a savepoint; a lock not granted within lock_timeout is retried with backoff."""
    delay = 0.25
    for attempt in range(opts.lock_retries + 1):
        try:
            with conn.transaction():  # a savepoint: a timed-out lock wait undoes only this statement
                cur.execute(statement.encode())  # bytes: no client-side placeholder parsing
            return
        except psycopg.errors.LockNotAvailable:
            if attempt == opts.lock_retries:
                raise
            log(
                f"  {where}: lock not granted within {opts.lock_timeout}, retry {attempt + 1} of {opts.lock_retries} in {delay:g}s"
            )
            time.sleep(delay)
            delay = min(delay * 2, 4.0)


def _apply(conn: psycopg.Connection, item: PlanItem, ledger_schema: str, opts: Options, log) -> None:
    f = item.file
    started = time.perf_counter()
    line = 1
    skipped = 0
    statements_table = _t(ledger_schema, "statements")
    try:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(opts.lock_timeout)))
            with conn.cursor() as cur:
                for line, statement in split_statements(f.text):
                    locking = _LOCKING.match(_strip_leading_comments(statement)) if f.kind == "repeatable" else None
                    sha = _statement_sha(statement) if locking else None
                    if locking and not opts.repair and item.action == "reapply":
                        seen = (
                            conn.execute(
                                sql.SQL("SELECT FROM {} WHERE sha256 = %s").format(statements_table), (sha,)
                            ).fetchone()
                            is not None
                        )
                        if seen and _object_present(conn, locking):
                            skipped += 1
                            continue
                    try:
                        _execute_with_retries(conn, cur, statement, opts, log, f"{f.name}:{line}")
                    except psycopg.Error as exc:
                        pos = exc.diag.statement_position  # set for syntax errors only
                        if pos:
                            line += statement.count("\n", 0, int(pos) - 1)
                        raise
                    if sha:
                        conn.execute(
                            sql.SQL("INSERT INTO {} (sha256, file) VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                                statements_table
                            ),
                            (sha, f.name),
                        )
            elapsed_ms = (time.perf_counter() - started) * 1000
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (file, kind, sha256, client_user, duration_ms, release, sources)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
                ).format(ledger_table(ledger_schema)),
                (f.name, f.kind, f.sha256, getpass.getuser(), round(elapsed_ms, 1), RELEASE, json.dumps(f.sources)),
            )
    except psycopg.errors.LockNotAvailable as exc:
        raise LockError(
            describe_error(f, line, exc)
            + f"\n  (after {opts.lock_retries} retries; nothing of {f.name} was applied: a long transaction holds the table."
            " Retry later, or raise --lock-retries.)"
        ) from exc
    except psycopg.Error as exc:
        raise DeployError(describe_error(f, line, exc)) from exc
    note = f" ({skipped} unchanged trigger/view statement(s) left alone)" if skipped else ""
    log(f"{item.action:8} {f.name:48} {elapsed_ms:9.1f} ms{note}")


# --- status, plan, validate, baseline ------------------------------------------------------


def status(
    conninfo: str = "", overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR, *, build: Build | None = None
) -> list[tuple[PlanItem, dict | None]]:
    """Each file with what deploy would do and its ledger row."""
    build = build or Build.load(overrides, sql_dir)
    ledger_schema = build.ctx["ledger_schema_name"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        state = ledger_state(conn, ledger_schema)
    return [(item, state.get(item.file.name)) for item in make_plan(build.files, state)]


def tampering(conn: psycopg.Connection, build: Build, *, rules: bool = True) -> list[catalog.Difference]:
    """How the live catalog differs from the snapshot deploy recorded, plus (rules) what must always hold.

    Deploy asks without the rules: what changed by hand since the last deploy
    blocks it, while a rule this release adds is what the deploy comes to fix.
    """
    ledger_schema = build.ctx["ledger_schema_name"]
    out: list[catalog.Difference] = []
    if conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{ledger_schema}".catalog',)).fetchone()[0]:
        recorded = catalog.recorded_snapshot(conn, _t(ledger_schema, "catalog"))
        if recorded:
            out += catalog.compare(recorded, catalog.snapshot(conn, build.ctx))
    return out + (catalog.rule_breaches(conn, build.ctx) if rules else [])


def validate(conninfo: str = "", *, build: Build) -> list[catalog.Difference]:
    """Every way the database differs from this release: ledger, release, variables, catalog."""
    ledger_schema = build.ctx["ledger_schema_name"]
    out: list[catalog.Difference] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        state = ledger_state(conn, ledger_schema)
        if not state:
            return [catalog.Difference("release", RELEASE, "not deployed in this database (no ledger)")]
        installed = installed_release(conn, ledger_schema)
        if installed is None:
            out.append(catalog.Difference("release", RELEASE, "the database records no release (deployed by 0.1.0?)"))
        else:
            if installed["release"] != RELEASE:
                out.append(catalog.Difference("release", RELEASE, f"the database is at release {installed['release']}"))
            for key, value in sorted(installed["vars"].items()):
                if key in build.vars and build.vars[key] != value:
                    out.append(
                        catalog.Difference(
                            "variable", key, f"the database has {value!r}, this render {build.vars[key]!r}"
                        )
                    )
        for item in make_plan(build.files, state):
            if item.action == "drift":
                out.append(
                    catalog.Difference("file", item.file.name, f"drifted; changed: {', '.join(item.changed_sources)}")
                )
            elif item.action not in ("applied", "restate"):
                out.append(catalog.Difference("file", item.file.name, f"not applied ({item.action})"))
        missing = missing_extensions(build.files, state)
        for ext in missing:
            out.append(catalog.Difference("extension", ext.removeprefix("ext-"), missing_extensions_message(missing)))
        for name in unknown_files(build.files, state):
            if name.split("/", 1)[0] not in missing:
                out.append(catalog.Difference("file", name, "in the ledger but unknown to this release"))
        out += tampering(conn, build)
    return out


def pending_sql(conninfo: str = "", *, build: Build) -> str:
    """The exact SQL deploy would still apply, file by file (repeatable files whole: deploy may skip unchanged triggers)."""
    chunks = []
    for item, _row in status(conninfo, build=build):
        if item.action in ("apply", "reapply"):
            chunks.append(
                f"-- phaseline: {item.file.name} ({item.action})\nBEGIN;\n{item.file.text.rstrip()}\nCOMMIT;\n"
            )
    return "\n".join(chunks)


_CREATED = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?(?P<what>TABLE|TYPE|SCHEMA|INDEX)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[^\s(;]+)", re.I
)


_RENAMED = re.compile(r"^\s*ALTER\s+(?:TABLE|INDEX)\s+(?P<old>[^\s;]+)\s+RENAME\s+TO\s+(?P<new>[^\s;]+)", re.I)


def baseline(conninfo: str = "", *, build: Build, log=print) -> None:
    """Adopt a database deployed with `phaseline render | psql`: check it matches, then write the ledger.

    Matching means: every table, type, schema and index the run-once files
    create exists, and re-applying the repeatable files (inside a
    transaction that is rolled back) changes nothing in the catalog.
    """
    ledger_schema = build.ctx["ledger_schema_name"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        _lock(conn, 30, log)
        try:
            if ledger_state(conn, ledger_schema):
                raise RefusedError("this database has a ledger already: baseline is for databases deployed without one")
            missing = []
            # a later run-once file may rename what an earlier one created (ALTER TABLE x RENAME TO y)
            renamed = {}
            for f in build.files:
                if f.kind == "once":
                    for _line, statement in split_statements(f.text):
                        r = _RENAMED.match(_strip_leading_comments(statement))
                        if r:
                            renamed[r.group("old").split(".")[-1]] = r.group("new")
            for f in build.files:
                if f.kind != "once":
                    continue
                for _line, statement in split_statements(f.text):
                    m = _CREATED.match(_strip_leading_comments(statement))
                    if not m:
                        continue
                    what, name = m.group("what").upper(), m.group("name")
                    schema_part, _, bare = name.rpartition(".")
                    while bare in renamed:
                        bare = renamed.pop(bare)
                    name = f"{schema_part}.{bare}" if schema_part else bare
                    if what == "SCHEMA":
                        ok = conn.execute(
                            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s)", (name.strip('"'),)
                        ).fetchone()[0]
                    elif what == "TYPE":
                        ok = conn.execute("SELECT to_regtype(%s) IS NOT NULL", (name,)).fetchone()[0]
                    elif what == "INDEX":
                        schema = build.ctx["schema_name"]
                        ok = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{schema}".{name}',)).fetchone()[0]
                    else:
                        ok = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]
                    if not ok:
                        missing.append(f"{what.lower()} {name} ({f.name})")
            if missing:
                raise RefusedError(
                    "cannot baseline: the database lacks what this release creates:\n  " + "\n  ".join(missing)
                )
            before = catalog.snapshot(conn, build.ctx)
            conn.execute("BEGIN")
            try:
                conn.execute("SET LOCAL lock_timeout = '5s'")
                for f in build.files:
                    if f.kind == "repeatable":
                        for _line, statement in split_statements(f.text):
                            conn.execute(statement.encode())
                after = catalog.snapshot(conn, build.ctx)
            finally:
                conn.execute("ROLLBACK")
            differences = catalog.compare(before, after)
            if differences:
                raise RefusedError(
                    "cannot baseline: the database's functions, triggers or grants differ from this release's:\n  "
                    + "\n  ".join(str(d) for d in differences)
                )
            ensure_ledger(conn, ledger_schema)
            with conn.transaction():
                for f in build.files:
                    conn.execute(
                        sql.SQL(
                            "INSERT INTO {} (file, kind, sha256, client_user, duration_ms, release, sources)"
                            " VALUES (%s, %s, %s, %s, 0, %s, %s)"
                        ).format(ledger_table(ledger_schema)),
                        (f.name, f.kind, f.sha256, getpass.getuser(), RELEASE, json.dumps(f.sources)),
                    )
                conn.execute(
                    sql.SQL("INSERT INTO {} (release, vars, action) VALUES (%s, %s, 'baseline')").format(
                        _t(ledger_schema, "releases")
                    ),
                    (RELEASE, json.dumps(build.vars)),
                )
                catalog.save_snapshot(conn, build.ctx, _t(ledger_schema, "catalog"))
            log(f"baselined: {len(build.files)} file(s) recorded as applied, release {RELEASE}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DEPLOY_LOCK_KEY,))
