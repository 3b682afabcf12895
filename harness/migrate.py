"""migrate-legacy: from the legacy shapes (docs/LEGACY.md) to phaseline, in four commands.

  expand    deploy phaseline beside the legacy tables; install the migration's
            state, the sync triggers and the compatibility views (sql/migrate)
  backfill  copy the legacy rows in keyset batches, one transaction each,
            resumable and idempotent (progress in <compat>.migration_progress)
  verify    old against new, as a report; records whether it passed
  contract  after a passing verify with no legacy write since: drop the sync
            triggers and the legacy tables, in one transaction

The SQL lives in sql/migrate (Jinja2, rendered with the variables of
sql/phaseline.toml, legacy_schema and compat_schema among them); this module
renders it, runs it, and reports. docs/MIGRATION.md describes the mapping.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from .deploy import deploy
from .render import SQL_DIR, _environment, build_context

MIGRATION_EMAIL = "migration@phaseline.invalid"
# The migration user's id is taken this far past the highest legacy user id,
# so users the legacy application creates while both live keep their ids.
USER_ID_HEADROOM = 100_000
# pg_advisory_lock keys: ASCII of "migrate" and "backfill" folded into bigints.
EXPAND_LOCK_KEY = 0x6D69_6772_6174_65
BACKFILL_LOCK_KEY = 0x6261_636B_6669_6C6C
DEFAULT_BATCH_SIZE = 5000
# How long one backfill batch may wait, in all, for legacy transactions that
# hold its groups (a slow legacy batch job holds a group until it commits).
DEFAULT_WAIT_LEGACY = 600.0
# A batch's row-lock waits are cut this short: it holds its own locks meanwhile.
BATCH_LOCK_TIMEOUT = "200ms"
RETRYABLE = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure, psycopg.errors.LockNotAvailable)

Hook = Callable[[str, int, psycopg.Connection], None]


class MigrationError(Exception):
    """A migration command cannot go on; the message says why and what to do."""


class ContractRefused(MigrationError):
    """contract will not drop anything: the message lists why."""


def _names(overrides: dict[str, str] | None) -> tuple[dict, str, str]:
    ctx = build_context(overrides)
    return ctx, ctx["legacy_schema_name"], ctx["compat_schema_name"]


def render_migration(overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR) -> list[tuple[str, str]]:
    """(name, SQL) of the files expand applies, in order: sql/migrate/[0-9]*.sql."""
    ctx = build_context(overrides, sql_dir)
    env = _environment(sql_dir)
    return [
        (f"migrate/{p.name}", env.get_template(f"migrate/{p.name}").render(ctx))
        for p in sorted((sql_dir / "migrate").glob("[0-9]*.sql"))
    ]


def render_contract(overrides: dict[str, str] | None = None, sql_dir: Path = SQL_DIR) -> str:
    return _environment(sql_dir).get_template("migrate/contract.sql").render(build_context(overrides, sql_dir))


def _state(conn: psycopg.Connection, compat: str) -> dict | None:
    if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{compat}".migration_state',)).fetchone()[0]:
        return None
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql.SQL("SELECT * FROM {}.migration_state").format(sql.Identifier(compat))).fetchone()


def _require_live(conn: psycopg.Connection, legacy: str, compat: str, command: str) -> dict:
    state = _state(conn, compat)
    if state is None:
        raise MigrationError(
            f"nothing to {command}: the migration is not expanded here (run migrate-legacy expand first)"
        )
    if state["contracted_at"] is not None:
        raise MigrationError(
            f"nothing to {command}: the migration was contracted at {state['contracted_at']:%Y-%m-%d %H:%M:%S}"
        )
    if state["legacy_schema"] != legacy:
        raise MigrationError(
            f'the migration was expanded for legacy schema "{state["legacy_schema"]}", not "{legacy}" (pass --legacy-schema)'
        )
    return state


# --- expand -----------------------------------------------------------------

LEGACY_TABLES = (
    "users",
    "report_attributes",
    "sample_sets",
    "sample_records",
    "data_profiling_phases",
    "scoping_phases",
    "sample_selection_phases",
    "request_info_phases",
    "test_execution_phases",
    "observation_management_phases",
    "test_report_phases",
)


def expand(conninfo: str = "", overrides: dict[str, str] | None = None, log=print) -> int:
    """Deploy phaseline and install the migration; returns the migration user's id. Safe to rerun."""
    ctx, legacy, compat = _names(overrides)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        state = _state(conn, compat)
        if state and state["contracted_at"] is not None:
            log(f"already contracted at {state['contracted_at']:%Y-%m-%d %H:%M:%S}: nothing to expand")
            return state["migration_user_id"]
        present = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                (legacy, list(LEGACY_TABLES)),
            )
        }
        missing = [t for t in LEGACY_TABLES if t not in present]
        if missing:
            raise MigrationError(
                f'schema "{legacy}" lacks the legacy table(s) {", ".join(missing)}: is --legacy-schema right?'
            )

    deploy(conninfo, overrides, log=log)

    started = time.perf_counter()
    users = f"{ctx['schema_name']}.users"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET application_name = 'phaseline migrate-legacy expand'")
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (EXPAND_LOCK_KEY,))
            for name, text in render_migration(overrides):
                try:
                    conn.execute(text.encode())
                except psycopg.Error as exc:
                    raise MigrationError(
                        f"{name}: {exc.diag.sqlstate} {exc.diag.message_primary}"
                        + (f"\n  CONTEXT: {exc.diag.context}" if exc.diag.context else "")
                    ) from exc
            mig = conn.execute(
                sql.SQL("SELECT migration_user_id FROM {}.migration_state").format(sql.Identifier(compat))
            ).fetchone()
            if mig is None:
                mig = conn.execute(
                    sql.SQL("SELECT user_id FROM {}.users WHERE lower(email) = %s AND role = 'admin'").format(
                        sql.Identifier(ctx["schema_name"])
                    ),
                    (MIGRATION_EMAIL,),
                ).fetchone()
            if mig is None:
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, 'user_id'), "
                        "greatest((SELECT max(user_id) FROM {l}.users), (SELECT max(user_id) FROM {p}.users), 0) + %s)"
                    ).format(l=sql.Identifier(legacy), p=sql.Identifier(ctx["schema_name"])),
                    (users, USER_ID_HEADROOM),
                )
                mig = conn.execute(
                    sql.SQL("SELECT {}.create_user(%s, %s, 'admin')").format(sql.Identifier(ctx["api_schema_name"])),
                    (MIGRATION_EMAIL, "Legacy migration"),
                ).fetchone()
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.migration_state (migration_user_id, legacy_schema) VALUES (%s, %s) ON CONFLICT (singleton) DO NOTHING"
                ).format(sql.Identifier(compat)),
                (mig[0], legacy),
            )
    log(
        f"expanded: phaseline beside legacy schema {legacy}; sync triggers on its {len(LEGACY_TABLES)} tables; "
        f"compatibility views in {compat}; migration user {mig[0]} ({time.perf_counter() - started:.1f} s)"
    )
    return mig[0]


# --- backfill ---------------------------------------------------------------


def _fmt_seconds(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def backfill(
    conninfo: str = "",
    overrides: dict[str, str] | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    restart: bool = False,
    log=print,
    hook: Hook | None = None,
    progress_every: float = 1.0,
    wait_legacy: float = DEFAULT_WAIT_LEGACY,
) -> dict:
    """Run the unfinished backfill steps to the end, then place what the sync queued; returns per-step rows, seconds and rate.

    hook(step, batch_number, conn) runs inside each batch's transaction,
    before its commit (tests use it to kill the backend mid-batch).
    wait_legacy: how long, in seconds, one batch may wait in all for legacy
    transactions that hold its groups before backfill gives up (resumable).
    """
    if batch_size < 1:
        raise MigrationError(f"--batch-size must be positive, got {batch_size}")
    ctx, legacy, compat = _names(overrides)
    c = sql.Identifier(compat)
    m = sql.Identifier(ctx["migration_schema_name"])
    summary: dict = {"batch_size": batch_size, "steps": {}}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET application_name = 'phaseline migrate-legacy backfill'")
        _require_live(conn, legacy, compat, "backfill")
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (BACKFILL_LOCK_KEY,)).fetchone()[0]:
            raise MigrationError("another backfill is running on this database")
        waiter = _Waiter(conninfo, m, wait_legacy, log)
        try:
            if restart:
                conn.execute(sql.SQL("SELECT {}._mig_backfill_restart()").format(m))
            with conn.cursor(row_factory=dict_row) as cur:
                steps = cur.execute(
                    sql.SQL("SELECT * FROM {}.migration_progress ORDER BY ordinal").format(c)
                ).fetchall()
            todo = [s for s in steps if s["finished_at"] is None]
            if not todo:
                last = max(s["finished_at"] for s in steps)
                log(
                    f"backfill complete (pass {steps[0]['pass']}, finished {last:%Y-%m-%d %H:%M:%S}): "
                    "only the sync queue to place; --restart runs a new pass"
                )
                summary["complete"] = True
                summary["queued_placed"] = _drain_queue(conn, m, batch_size, waiter, log)
                summary["waited_s"] = round(waiter.total, 2)
                return summary
            run_started = time.perf_counter()
            for step in todo:
                name = step["step"]
                resumed_from = step["rows_done"]
                if step["batches"]:
                    log(f"{name}: resuming after batch {step['batches']} ({resumed_from:,} rows done)")
                t0 = time.perf_counter()
                last_print = 0.0
                batch_no = step["batches"]
                analyzed_at = 0
                while True:
                    batch_no += 1
                    row = _run_batch(conn, m, name, batch_size, hook, batch_no, waiter)
                    if row["rows_done"] >= 2 * analyzed_at + 2000:
                        # keep plans over the growing phaseline tables index-driven
                        conn.execute(sql.SQL("SELECT {}._mig_backfill_analyze(%s)").format(m), (name,))
                        analyzed_at = row["rows_done"]
                    now = time.perf_counter()
                    done_here = row["rows_done"] - resumed_from
                    rate = done_here / (now - t0) if now > t0 else 0.0
                    total = row["total_rows"] or 0
                    if row["done"] or now - last_print >= progress_every:
                        last_print = now
                        left = max(total - row["rows_done"], 0)
                        eta = "done" if row["done"] else (f"ETA {_fmt_seconds(left / rate)}" if rate else "ETA ?")
                        pct = 100.0 * row["rows_done"] / total if total else 100.0
                        log(
                            f"{name:18} {row['rows_done']:>11,} / {total:,} rows {pct:5.1f}%  "
                            f"{rate:>9,.0f} rows/s  batch {row['batches']}  {eta}"
                        )
                    if row["done"]:
                        break
                seconds = time.perf_counter() - t0
                summary["steps"][name] = dict(
                    rows=row["rows_done"] - resumed_from,
                    seconds=round(seconds, 2),
                    rows_per_s=round((row["rows_done"] - resumed_from) / seconds) if seconds else None,
                    batches=row["batches"],
                )
            summary["queued_placed"] = _drain_queue(conn, m, batch_size, waiter, log)
            # reference counts (cycle, report) pairs and orphans re-scans the records: neither adds legacy rows
            placed = sum(s["rows"] for n, s in summary["steps"].items() if n not in ("reference", "orphans"))
            total_s = time.perf_counter() - run_started
            summary.update(
                rows=placed,
                seconds=round(total_s, 2),
                rows_per_s=round(placed / total_s) if total_s else None,
                complete=True,
                waited_s=round(waiter.total, 2),
            )
            log(
                f"backfill complete: {placed:,} legacy rows in {_fmt_seconds(total_s)} "
                f"({summary['rows_per_s'] or 0:,} rows/s overall, batch size {batch_size}"
                + (f", {waiter.total:.1f} s waiting for legacy transactions" if waiter.total >= 0.05 else "")
                + ")"
            )
            return summary
        finally:
            if not conn.closed and not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(%s)", (BACKFILL_LOCK_KEY,))


_BUSY = re.compile(r"lock_group=(\S+) class=(-?\d+) key=(-?\d+) group=(.*)$")


class _Waiter:
    """Waits out the legacy transaction that holds a group a batch needs.

    A batch never waits while it holds locks (it only tries them, and its
    row-lock waits are cut short by BATCH_LOCK_TIMEOUT), so it cannot
    deadlock with a legacy writer. It rolls back; the waiter then waits for
    that one advisory lock on a connection of its own, in a transaction
    that holds nothing else, and lets it go at once. Up to `limit` seconds
    per batch; progress says whom it waits for, every few seconds.
    """

    def __init__(self, conninfo: str, migration_ident, limit: float, log):
        self.conninfo, self.m, self.limit, self.log = conninfo, migration_ident, limit, log
        self.total = 0.0

    def wait(self, step: str, batch_no: int, exc: psycopg.Error, waited: float) -> float:
        """Wait once; returns the seconds waited. Raises MigrationError past the limit."""
        if waited >= self.limit:
            raise MigrationError(
                f"{step}: batch {batch_no} waited {waited:.0f} s for legacy transactions (limit {self.limit:.0f} s, "
                f"--wait-legacy); last: {exc.diag.message_primary}. Rerun backfill to resume, or raise --wait-legacy"
            )
        started = time.perf_counter()
        busy = _BUSY.search(exc.diag.message_detail or "")
        with psycopg.connect(self.conninfo, autocommit=True) as w:
            w.execute("SET application_name = 'phaseline migrate-legacy backfill (waiting)'")
            if busy is None:
                # a row lock (lock_timeout) rather than a group: back off briefly
                self.log(
                    f"{step}: batch {batch_no} rolled back ({exc.diag.sqlstate} {exc.diag.message_primary}); "
                    f"retrying (waited {waited:.1f} s of {self.limit:.0f})"
                )
                time.sleep(min(0.5, 0.05 * (1 + waited)))
            else:
                group, klass, key, name = busy.group(1), int(busy.group(2)), int(busy.group(3)), busy.group(4)
                last_said = -1e9
                while True:
                    holder = w.execute(
                        "SELECT a.pid, a.application_name, a.usename, a.state, "
                        "       extract(epoch FROM clock_timestamp() - a.xact_start)::numeric(10, 1), left(a.query, 80) "
                        "  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid AND l.objid = %s::oid "
                        "   AND l.objsubid = 2 LIMIT 1",
                        (klass & 0xFFFFFFFF, key & 0xFFFFFFFF),
                    ).fetchone()
                    if holder is None:
                        break
                    spent = waited + time.perf_counter() - started
                    if spent - last_said >= 5 or last_said < 0:
                        last_said = spent
                        self.log(
                            f"{step}: batch {batch_no} waits for {group} {name}: held by legacy transaction pid {holder[0]} "
                            f"({holder[2]}, {holder[1] or 'no application_name'}, {holder[3]}, open {holder[4]} s: "
                            f"{' '.join((holder[5] or '').split())}); waited {spent:.0f} s of {self.limit:.0f}"
                        )
                    left = self.limit - spent
                    if left <= 0:
                        break
                    with w.transaction():
                        w.execute(
                            sql.SQL("SET LOCAL lock_timeout = {}").format(
                                sql.Literal(f"{int(min(left, 1.0) * 1000)}ms")
                            )
                        )
                        try:
                            w.execute("SELECT pg_advisory_xact_lock(%s, %s)", (klass, key))
                        except psycopg.errors.LockNotAvailable:
                            pass
                        else:
                            break
        spent = time.perf_counter() - started
        self.total += spent
        return spent


def _run_batch(conn, migration_ident, step, batch_size, hook, batch_no, waiter: _Waiter) -> dict:
    waited = 0.0
    while True:
        try:
            with conn.transaction():
                # never wait long on a row lock while holding this batch's: a
                # legacy writer waiting on us would otherwise risk a deadlock
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(BATCH_LOCK_TIMEOUT)))
                with conn.cursor(row_factory=dict_row) as cur:
                    row = cur.execute(
                        sql.SQL("SELECT * FROM {}._mig_backfill_batch(%s, %s)").format(migration_ident),
                        (step, batch_size),
                    ).fetchone()
                if hook is not None:
                    hook(step, batch_no, conn)
            return row
        except RETRYABLE as exc:
            # the batch rolled back whole: wait for what held it, outside any transaction, and try again
            waited += waiter.wait(step, batch_no, exc, waited)


def _drain_queue(conn, migration_ident, batch_size, waiter: _Waiter, log) -> int:
    """Place the groups REPEATABLE READ legacy writers queued; returns the queue rows placed."""
    done = 0
    while True:
        waited = 0.0
        while True:
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(BATCH_LOCK_TIMEOUT)))
                    n = conn.execute(
                        sql.SQL("SELECT {}._mig_drain_queue(%s)").format(migration_ident), (max(1, batch_size // 50),)
                    ).fetchone()[0]
                break
            except RETRYABLE as exc:
                waited += waiter.wait("sync_queue", done, exc, waited)
        if not n:
            break
        done += n
    if done:
        log(f"sync queue: placed {done:,} group(s) that REPEATABLE READ legacy writes queued")
    return done


# --- verify -----------------------------------------------------------------


def verify(conninfo: str = "", overrides: dict[str, str] | None = None, log=print) -> tuple[bool, dict]:
    """Compare old and new; returns (passed, report) and records the run."""
    ctx, legacy, compat = _names(overrides)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET application_name = 'phaseline migrate-legacy verify'")
        _require_live(conn, legacy, compat, "verify")
        # One snapshot for the whole comparison, and for the journal count contract checks against.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            report = conn.execute(
                sql.SQL("SELECT {}._mig_verify()").format(sql.Identifier(ctx["migration_schema_name"]))
            ).fetchone()[0]
    log(format_report(report))
    return bool(report["passed"]), report


def format_report(report: dict) -> str:
    out = [f"verify: {'PASSED' if report['passed'] else 'FAILED'}"]
    if report["backfill_unfinished_steps"]:
        out.append(f"  backfill unfinished: {', '.join(report['backfill_unfinished_steps'])}")
    out.append(
        f"  {'legacy table':32} {'legacy':>9} {'phaseline':>9} {'same':>9} {'explained':>9}  checksums (rows without defects)"
    )
    for e in report["entities"] or []:
        cs = e["checksum_without_defects"]
        out.append(
            f"  {e['legacy_table']:32} {e['legacy_rows']:>9} {e['phaseline_rows']:>9} {e['same_rows']:>9} "
            f"{e['differing_explained']:>9}  {cs['legacy'][:10]} {'==' if cs['equal'] else '!='} {cs['phaseline'][:10]}"
        )
    un = report["unexplained_differences"]
    out.append(f"  unexplained differences: {un['count']}")
    for x in un["examples"]:
        out.append(
            f"    {x['legacy_table']} {x['id']}: {x['kind']} {json.dumps(x.get('legacy'))} -> {json.dumps(x.get('phaseline'))}"
        )
    lin = report["lineage"]
    out.append(
        f"  lineage: {lin['legacy_decisions']} migrated decisions, {lin['carried']} carried, {lin['problems']} problems"
    )
    for x in lin["examples"]:
        out.append(f"    decision {x['decision_id']} ({x['sample_key']}): {x['problem']}")
    inv = report["invariants"]
    out.append(f"  versioning invariants: {inv['problems']} problems")
    for x in inv["examples"]:
        out.append(f"    {x['entity']} {x['id']}: {x['problem']}")
    out.append("  legacy defects (independent scan: found / recorded):")
    for x in report["legacy_defect_scan"]:
        flag = "" if not x["missing"] else f"   MISSING {x['missing']}: {x['missing_examples'][:5]}"
        out.append(f"    {x['check']:70} {x['found']:>6} / {x['recorded']:<6}{flag}")
    out.append("  defects recorded, by kind:")
    for kind, d in sorted(report["defects_by_kind"].items()):
        out.append(f"    {kind:30} {d['rows']:>7}{'  BLOCKING' if d['blocking'] else ''}  ({', '.join(d['tables'])})")
    bl = report["blocking_defects"]
    if bl["count"]:
        out.append(f"  blocking defects: {bl['count']} (fix the legacy rows, then backfill --restart)")
        for x in bl["examples"]:
            out.append(f"    {x['legacy_table']} {x['legacy_id']}: {x['kind']} {json.dumps(x['detail'])[:160]}")
    if report["phase_contract_violations"]:
        out.append(
            f"  migrated phase data breaking today's contracts (informational): {len(report['phase_contract_violations'])}"
        )
    return "\n".join(out)


# --- contract ---------------------------------------------------------------


def contract(
    conninfo: str = "",
    overrides: dict[str, str] | None = None,
    *,
    dry_run: bool = False,
    lock_timeout: str = "30s",
    log=print,
) -> bool:
    """Drop the sync triggers and the legacy tables after a passing verify.

    Returns True when it dropped them (or they were gone already); with
    dry_run, True when it would. Raises ContractRefused otherwise.
    """
    _, legacy, compat = _names(overrides)
    c = sql.Identifier(compat)
    statements = render_contract(overrides)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET application_name = 'phaseline migrate-legacy contract'")
        state = _state(conn, compat)
        if state is not None and state["contracted_at"] is not None:
            log(f"already contracted at {state['contracted_at']:%Y-%m-%d %H:%M:%S}: nothing to drop")
            return True
        _require_live(conn, legacy, compat, "contract")
        with conn.transaction(force_rollback=dry_run):
            if not dry_run:
                # Writers finish first; none can start until the tables are gone.
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
                conn.execute(
                    sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                        sql.SQL(", ").join(sql.Identifier(legacy, t) for t in LEGACY_TABLES)
                    )
                )
            last = conn.execute(
                sql.SQL(
                    "SELECT id, at, passed, journal_count FROM {}.migration_verify_runs ORDER BY id DESC LIMIT 1"
                ).format(c)
            ).fetchone()
            journal = conn.execute(sql.SQL("SELECT count(*) FROM {}.migration_sync_journal").format(c)).fetchone()[0]
            reasons = []
            if last is None:
                reasons.append("no verify has run: run migrate-legacy verify")
            elif not last[2]:
                reasons.append(
                    f"the last verify (#{last[0]}, {last[1]:%Y-%m-%d %H:%M:%S}) failed: fix what it reports, then verify again"
                )
            elif journal != last[3]:
                reasons.append(
                    f"{journal - last[3]} legacy write statement(s) were mirrored after the last passing verify "
                    f"(#{last[0]}): verify again"
                )
            if dry_run:
                log("contract --dry-run: would run, in one transaction:\n" + statements.strip())
                if reasons:
                    log("but would refuse now: " + "; ".join(reasons))
                if reasons:
                    raise ContractRefused("; ".join(reasons))
                return True
            if reasons:
                raise ContractRefused("; ".join(reasons))
            try:
                conn.execute(statements.encode())
            except psycopg.Error as exc:
                raise MigrationError(
                    f"contract rolled back, nothing dropped: {exc.diag.sqlstate} {exc.diag.message_primary}"
                    + (f" ({exc.diag.message_detail})" if exc.diag.message_detail else "")
                ) from exc
    log(
        f"contracted: sync triggers and the legacy tables of schema {legacy} dropped; "
        f"the compatibility views in {compat} now read phaseline alone"
    )
    return True
