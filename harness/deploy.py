"""Apply the rendered SQL in order, with a ledger, under an advisory lock.

Run-once files (sql/once) are applied once and never change afterwards: a
changed text is drift and deploy refuses. Repeatable files (sql/repeatable:
functions, triggers, views, all CREATE OR REPLACE) are re-applied whenever
their rendered text changes, after the run-once files.

Each file runs in its own transaction and writes its ledger row in that same
transaction, so a file is either applied and recorded, or neither.
A session-level advisory lock serializes deploys: the plan is computed only
after the lock is held, so a deploy that waited sees what the other applied.
"""

from __future__ import annotations

import getpass
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from pathlib import Path

from .render import SQL_DIR, SqlFile, build_context, quote_ident, render_all
from .sqlsplit import split_statements

# pg_advisory_lock key: the ASCII of "phaseline" folded into a bigint.
DEPLOY_LOCK_KEY = 0x7068_6173_656C_696E
DEFAULT_LOCK_TIMEOUT = "10s"


class DeployError(Exception):
    """A deploy stopped; the message says which file, where and why."""


@dataclass
class PlanItem:
    file: SqlFile
    action: str  # "apply", "reapply", "applied", "drift"


def ledger_table(ledger_schema: str) -> sql.Composable:
    return sql.SQL("{}.ledger").format(sql.Identifier(ledger_schema))


def ensure_ledger(conn: psycopg.Connection, ledger_schema: str) -> None:
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(ledger_schema)))
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
            sql.SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS ledger_once_file ON {} (file) WHERE kind = 'once'"
            ).format(ledger_table(ledger_schema))
        )


def ledger_state(conn: psycopg.Connection, ledger_schema: str) -> dict[str, dict]:
    """The last ledger row per file, or {} when nothing was ever deployed."""
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{quote_ident(ledger_schema)}.ledger",)
    ).fetchone()[0]
    if not exists:
        return {}
    rows = conn.execute(
        sql.SQL(
            "SELECT DISTINCT ON (file) file, kind, sha256, applied_by, applied_at, duration_ms "
            "FROM {} ORDER BY file, id DESC"
        ).format(ledger_table(ledger_schema))
    ).fetchall()
    return {r[0]: dict(kind=r[1], sha256=r[2], applied_by=r[3], applied_at=r[4], duration_ms=r[5]) for r in rows}


def make_plan(files: list[SqlFile], state: dict[str, dict]) -> list[PlanItem]:
    plan = []
    for f in files:
        row = state.get(f.name)
        if row is None:
            action = "apply"
        elif row["sha256"] == f.sha256:
            action = "applied"
        elif f.kind == "once":
            action = "drift"
        else:
            action = "reapply"
        plan.append(PlanItem(f, action))
    return plan


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
            raise DeployError(f"another deploy has held the deploy lock for over {wait_seconds:.0f}s; try again later")
        if not said:
            log("waiting for another deploy to finish ...")
            said = True
        time.sleep(0.2)


def deploy(
    conninfo: str = "",
    overrides: dict[str, str] | None = None,
    *,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
    wait_seconds: float = 300,
    log=print,
    sql_dir: Path = SQL_DIR,
) -> list[PlanItem]:
    """Apply what the plan says; returns the items applied. Raises DeployError."""
    files = render_all(overrides, sql_dir)
    ledger_schema = build_context(overrides, sql_dir)["ledger_schema_name"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET application_name = 'phaseline deploy'")
        _lock(conn, wait_seconds, log)
        try:
            conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(lock_timeout)))
            ensure_ledger(conn, ledger_schema)
            plan = make_plan(files, ledger_state(conn, ledger_schema))
            drift = [p.file.name for p in plan if p.action == "drift"]
            if drift:
                raise DeployError(
                    "refusing to deploy: run-once file(s) changed after they were applied: "
                    + ", ".join(drift)
                    + ". Put the change in a new numbered file under sql/once/ and restore the old text."
                )
            done = []
            todo = [p for p in plan if p.action in ("apply", "reapply")]
            if not todo:
                log("nothing to apply: the database is up to date")
            started = time.perf_counter()
            for item in todo:
                _apply(conn, item, ledger_schema, log)
                done.append(item)
            if done:
                log(f"applied {len(done)} file(s) in {(time.perf_counter() - started) * 1000:.0f} ms")
            return done
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DEPLOY_LOCK_KEY,))


def _apply(conn: psycopg.Connection, item: PlanItem, ledger_schema: str, log) -> None:
    f = item.file
    started = time.perf_counter()
    line = 1
    try:
        with conn.transaction():
            with conn.cursor() as cur:
                # One statement at a time, so an error names the line it came from.
                for line, statement in split_statements(f.text):
                    try:
                        cur.execute(statement.encode())  # bytes: no client-side placeholder parsing
                    except psycopg.Error as exc:
                        pos = exc.diag.statement_position  # set for syntax errors only
                        if pos:
                            line += statement.count("\n", 0, int(pos) - 1)
                        raise
            elapsed_ms = (time.perf_counter() - started) * 1000
            conn.execute(
                sql.SQL("INSERT INTO {} (file, kind, sha256, client_user, duration_ms) VALUES (%s, %s, %s, %s, %s)").format(
                    ledger_table(ledger_schema)
                ),
                (f.name, f.kind, f.sha256, getpass.getuser(), round(elapsed_ms, 1)),
            )
    except psycopg.Error as exc:
        raise DeployError(describe_error(f, line, exc)) from exc
    log(f"{item.action:8} {f.name:40} {elapsed_ms:9.1f} ms")


def status(
    conninfo: str = "", overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR
) -> list[tuple[PlanItem, dict | None]]:
    """Each file with what deploy would do and its ledger row."""
    files = render_all(overrides, sql_dir)
    ledger_schema = build_context(overrides, sql_dir)["ledger_schema_name"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        state = ledger_state(conn, ledger_schema)
    return [(item, state.get(item.file.name)) for item in make_plan(files, state)]
