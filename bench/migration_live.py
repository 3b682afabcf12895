"""A live migration under a legacy writer: the figures docs/MIGRATION.md quotes.

    python bench/migration_live.py --scale 1000000 [--db DSN] [--batch-size 5000]

In a new database (dropped afterwards unless --keep): the generator's
legacy database at --scale sample records, its tables handed to a login
role of their own (not a superuser), as the legacy application has them.
Then, with phaseline.legacy_fixture.LegacyWriter writing throughout as that
role (inserts, updates, deletes; every 10th transaction REPEATABLE READ,
every 50th held for a second):

  1. the writer alone for --baseline seconds: legacy write latency before;
  2. expand, then backfill, the writer still going: backfill rate and the
     latency during it; then --baseline seconds more: the latency of a
     mirrored write with no batch running;
  3. the writer stops; the deletions it made are accepted (the documented
     way out: phaseline keeps what legacy deleted); backfill places what
     REPEATABLE READ writes queued; verify.

Prints one JSON object: sizes, backfill rate, latency median and p95 before
and during, failed legacy writes, verify result, and rows lost or changed
without a defect (verify's unexplained differences).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

import psycopg
from phaseline.legacy_fixture import LEGACY_TABLES, LegacyWriter, create_fixture
from phaseline.migrate import backfill, expand, verify
from psycopg import sql


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latency(samples: list[float]) -> dict:
    return {
        "writes": len(samples),
        "median_ms": round(1000 * statistics.median(samples), 2) if samples else None,
        "p95_ms": round(1000 * pct(samples, 95), 2) if samples else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--db",
        default="host=127.0.0.1 user=postgres dbname=postgres",
        help="DSN of a database to create the bench database from",
    )
    ap.add_argument("--scale", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--baseline", type=float, default=20.0, help="seconds of writes before expand")
    ap.add_argument("--keep", action="store_true", help="keep the bench database")
    args = ap.parse_args()

    name = f"phaseline_bench_live_{uuid.uuid4().hex[:8]}"
    role = f"legacy_app_{uuid.uuid4().hex[:8]}"
    admin_params = psycopg.conninfo.conninfo_to_dict(args.db)
    dsn = psycopg.conninfo.make_conninfo(**{**admin_params, "dbname": name})
    app_dsn = psycopg.conninfo.make_conninfo(**{**admin_params, "dbname": name, "user": role})
    result: dict = {"scale": args.scale, "batch_size": args.batch_size, "database": name}
    with psycopg.connect(args.db, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER").format(sql.Identifier(role)))
    try:
        t0 = time.perf_counter()
        result["legacy_rows"] = create_fixture(dsn, args.scale, log=lambda *_: None)
        result["fixture_s"] = round(time.perf_counter() - t0, 1)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER SCHEMA legacy OWNER TO {}").format(sql.Identifier(role)))
            for t in LEGACY_TABLES:
                conn.execute(
                    sql.SQL("ALTER TABLE legacy.{} OWNER TO {}").format(sql.Identifier(t), sql.Identifier(role))
                )

        writer = LegacyWriter(app_dsn, pause=0.02, rr_every=10, slow_every=50, slow_seconds=1.0, delete_every=25)
        writer.start()
        time.sleep(args.baseline)
        before_end = time.perf_counter()

        t0 = time.perf_counter()
        expand(dsn, log=lambda *_: None)
        result["expand_s"] = round(time.perf_counter() - t0, 1)
        bf_start = time.perf_counter()
        summary = backfill(dsn, batch_size=args.batch_size, log=print)
        bf_end = time.perf_counter()
        time.sleep(args.baseline)  # the mirror alone, no batch to wait for
        after_end = time.perf_counter()
        writer.stop()

        result["backfill"] = {k: summary.get(k) for k in ("rows", "seconds", "rows_per_s", "waited_s", "queued_placed")}
        result["backfill"]["steps"] = summary["steps"]
        lat = writer.latencies
        result["legacy_writes_before"] = latency([d for s, d in lat if s < before_end])
        result["legacy_writes_during_backfill"] = latency([d for s, d in lat if bf_start <= s < bf_end])
        result["legacy_writes_after_backfill"] = latency([d for s, d in lat if bf_end <= s < after_end])
        result["legacy_writes_failed"] = len(writer.errors)
        result["legacy_write_errors"] = writer.errors[:10]
        result["legacy_deletes"] = len(writer.deleted)

        summary2 = backfill(dsn, batch_size=args.batch_size, log=print)  # places what REPEATABLE READ writes queued
        with psycopg.connect(dsn, autocommit=True) as conn:
            # the way out for a deletion that was meant (a record deleted before phaseline had it has no defect)
            accepted = conn.execute(
                "SELECT count(phaseline_migration.accept_defect(legacy_table, legacy_id, "
                "'bench: inserted and deleted by the legacy application during the migration')) "
                "FROM phaseline_legacy.migration_defects WHERE kind = 'deleted_in_legacy' AND legacy_id = ANY (%s)",
                (writer.deleted,),
            ).fetchone()[0]
        result["deletions_accepted"] = accepted
        result["queue_placed_after"] = summary2.get("queued_placed")
        t0 = time.perf_counter()
        passed, report = verify(dsn, log=lambda *_: None)
        result["verify"] = {
            "passed": passed,
            "seconds": round(time.perf_counter() - t0, 1),
            "unexplained_differences": report["unexplained_differences"]["count"],
            "blocking_defects": report["blocking_defects"]["count"],
            "lineage_problems": report["lineage"]["problems"],
            "defects_by_kind": {k: v["rows"] for k, v in report["defects_by_kind"].items()},
        }
    finally:
        if not args.keep:
            with psycopg.connect(args.db, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    print(json.dumps(result, indent=2, default=str))
    return 0 if result.get("verify", {}).get("passed") and not result.get("legacy_writes_failed") else 1


if __name__ == "__main__":
    raise SystemExit(main())
