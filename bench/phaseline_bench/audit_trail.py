"""Comparison 9: audit_trail(row_id) of the same rows at a small and a large log."""

from __future__ import annotations

from psycopg import sql

from .plumbing import in_tx, one, timed
from .spec import RowSpec, comparison


def log_entries(conn) -> int:
    return one(conn, "SELECT count(*) FROM phaseline.audit_events")


def past_partitions(conn, months: int) -> None:
    """The monthly partitions of the `months` months before this one, as
    audit_create_partitions names them: a log that has been kept for a year."""
    this_month = one(conn, "SELECT date_trunc('month', now() AT TIME ZONE 'UTC')")
    for k in range(months, 0, -1):
        name, lo, hi = conn.execute(
            "SELECT 'audit_events_' || to_char(m - interval '1 month' * %(k)s, 'YYYY_MM'), "
            "       ((m - interval '1 month' * %(k)s) AT TIME ZONE 'UTC')::text, "
            "       ((m - interval '1 month' * (%(k)s - 1)) AT TIME ZONE 'UTC')::text "
            "  FROM (SELECT %(m)s::timestamp AS m) x",
            dict(m=this_month, k=k),
        ).fetchone()
        if one(conn, "SELECT to_regclass('phaseline.' || %s) IS NULL", (name,)):
            conn.execute(
                sql.SQL(
                    "CREATE TABLE phaseline.{} PARTITION OF phaseline.audit_events FOR VALUES FROM ({}) TO ({})"
                ).format(sql.Identifier(name), sql.Literal(lo), sql.Literal(hi))
            )


def grow_log(conn, target: int, months: int) -> None:
    """Synthetic history up to target entries, spread evenly over the `months` months
    before this one: other rows' inserts and updates (a third are updates, with a
    delta). Bulk-inserted, untimed."""
    missing = target - log_entries(conn)
    if missing <= 0:
        return
    this_month = one(conn, "SELECT date_trunc('month', now() AT TIME ZONE 'UTC')")
    for k in range(months, 0, -1):
        per = missing // months + (1 if k <= missing % months else 0)
        in_tx(
            conn,
            [
                (
                    "INSERT INTO phaseline.audit_events (at, logged_at, actor, txid, action, table_name, row_key, old_values) "
                    "SELECT x.t, x.t, %(a)s, 1, CASE WHEN g %% 3 = 0 THEN 'UPDATE' ELSE 'INSERT' END, 'report_attributes', gen_random_uuid()::text, "
                    '       CASE WHEN g %% 3 = 0 THEN \'{"version_status": "draft"}\'::jsonb END '
                    "  FROM generate_series(1, %(n)s::int) g, "
                    "       LATERAL (SELECT (%(m)s::timestamp - interval '1 month' * %(k)s + (g %% 2419200) * interval '1 second') AT TIME ZONE 'UTC' AS t) x",
                    dict(m=this_month, k=k, a=1, n=per),
                )
            ],
        )
    conn.execute("VACUUM ANALYZE phaseline.audit_events")


@comparison(
    "9",
    "audit_trail at a small and a large log (runs first: it needs the log small)",
    [RowSpec("9", "audit_trail(row_id), large log vs 10k", "same calls at a 10k-entry log")],
    uses=("trails", "trail_log", "rounds"),
)
def audit_trail(ctx, p, rows):
    """audit_trail(row) of the same rows, M calls, with the log at 10,000 entries and
    after it grew to the scale's size (default 10M), both times over the same thirteen
    monthly partitions (a year of history and this month).
    The probed rows: report attribute versions (one event per change) and sample
    decisions (grouped events of a 1,000-sample recommend and decide).
    Not alternated: the log only grows; each side is warmed once first."""
    conn, w, row = ctx.conn, ctx.world, rows["9"]
    report = w.pairs(1)[0]
    ids = [
        str(r[0])
        for r in conn.execute(
            "SELECT bench.trail_probes(%s, %s, %s, %s, %s)", (w.cycle, report, w.tester, w.owner, 100)
        ).fetchall()
    ]
    small = 10_000
    assert log_entries(conn) <= small, f"the log has {log_entries(conn):,} entries before the probes: run 9 first"
    # The same partitions at both sizes (a year of months, and this one): what
    # grows is the number of entries. Each extra partition is one more probe.
    past_partitions(conn, 12)
    grow_log(conn, small, 12)
    m, rounds = p["trails"], p["rounds"]
    got = one(conn, "SELECT bench.trail_loop(%s::uuid[], 1)", (ids,))
    assert got > 0, "audit_trail returned nothing for the probes"

    def measure():
        secs, res = timed(conn, "SELECT bench.trail_loop(%s::uuid[], %s)", (ids, m))
        assert res[0][0] > m, "audit_trail returned too few entries"
        return secs

    measure()  # warm: the first pass reads the probes' rows and index pages in
    at_small = [measure() for _ in range(rounds)]
    entries_small = log_entries(conn)
    ctx.log(f"9 audit_trail at {entries_small:,} entries: " + ", ".join(f"{t:.3f}s" for t in at_small))
    ctx.log(f"9 growing the log to {p['trail_log']:,} entries")
    grow_log(conn, p["trail_log"], 12)
    measure()
    at_large = [measure() for _ in range(rounds)]
    entries_large = log_entries(conn)
    ctx.log(f"9 audit_trail at {entries_large:,} entries: " + ", ".join(f"{t:.3f}s" for t in at_large))
    row.n = f"{m:,} calls, {entries_small:,} vs {entries_large:,}"
    for a, b in zip(at_small, at_large, strict=False):
        row.add(a, b)
