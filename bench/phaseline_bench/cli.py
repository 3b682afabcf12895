"""The driver: options, the scratch database, the chosen comparisons of the
registry, the report."""

from __future__ import annotations

import argparse
import os
import time

import psycopg
from phaseline.deploy import deploy
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import registry
from .decision_sets import SAMPLES
from .plumbing import BENCH_DIR, Context, Progress, World, connect, server_params
from .profiling import USES as PROFILE_USES
from .profiling import profile_bulk
from .report import machine, render_report
from .scales import SCALES


def default_dbname() -> str:
    """$PHASELINE_BENCH_DB; else named after $PHASELINE_TEST_DB, which keeps engineers sharing
    a server apart in the tests already, so their benchmark runs never drop each other's database."""
    if os.environ.get("PHASELINE_BENCH_DB"):
        return os.environ["PHASELINE_BENCH_DB"]
    if os.environ.get("PHASELINE_TEST_DB"):
        return os.environ["PHASELINE_TEST_DB"] + "_bench"
    return "phaseline_bench"


def parse_args(argv=None) -> argparse.Namespace:
    ids = registry.ids()
    ap = argparse.ArgumentParser(description="phaseline benchmarks (bench/README.md)")
    ap.add_argument("--scale", choices=list(SCALES), default="default")
    ap.add_argument(
        "--db",
        default=os.environ.get("DATABASE_URL", ""),
        help="server to use (a libpq URL or key=value string); default: libpq variables, 127.0.0.1:5432 as postgres",
    )
    ap.add_argument(
        "--dbname",
        default=default_dbname(),
        help="scratch database, dropped and created (default $PHASELINE_BENCH_DB, else "
        "$PHASELINE_TEST_DB_bench, else phaseline_bench)",
    )
    ap.add_argument("--only", default="", help=f"comma-separated comparisons to run: {','.join(ids)} (default: all)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also show where the time of the bulk paths goes (EXPLAIN ANALYZE of their statements)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    args.only = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in args.only if g not in ids]
    if unknown:
        ap.error(f"--only: unknown comparison(s) {', '.join(unknown)}; choose from {', '.join(ids)}")
    return args


def main(argv=None) -> int:
    registry.check(SCALES)
    args = parse_args(argv)
    log = Progress(quiet=args.quiet)
    scale = SCALES[args.scale]
    chosen = registry.select(args.only)
    server = server_params(args.db)
    maint_db = (conninfo_to_dict(args.db).get("dbname") if args.db else None) or "postgres"
    maint = make_conninfo(**{**server, "dbname": maint_db})
    dsn = make_conninfo(**{**server, "dbname": args.dbname})
    started = time.perf_counter()
    rows = {spec.key: spec.row(scale, args.scale) for c in chosen for spec in c.rows}
    notes: list[str] = []
    profile: list[str] = []

    with psycopg.connect(maint, autocommit=True) as admin:
        log(f"scratch database {args.dbname}: drop and create")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.dbname)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.dbname)))
    try:
        deploy(dsn, log=lambda *_: None)
        with connect(dsn) as conn:
            facts = machine(conn)
            conn.execute((BENCH_DIR / "legacy.sql").read_bytes())
            conn.execute((BENCH_DIR / "baselines.sql").read_bytes())
            ctx = Context(conn=conn, world=World(conn), dsn=dsn, log=log)
            for c in chosen:
                log(f"{c.id}: {c.what}")
                notes += c.run(ctx, c.params(scale), {r.key: rows[r.key] for r in c.rows}) or []
            if args.profile:
                log("profile of the bulk paths")
                profile = profile_bulk(ctx, {k: scale[k] for k in PROFILE_USES}, SAMPLES)
    finally:
        if not args.keep:
            with psycopg.connect(maint, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.dbname)))

    table = [rows[k] for k in registry.table_order(list(rows))]
    print(render_report(args.scale, time.perf_counter() - started, facts, table, notes, profile))
    return 0
