"""The seed example of the origin plan, through the API only, in a scratch database.

    python -m phaseline.demo [--db DSN] [--dbname phaseline_demo]

Drops and recreates the scratch database (default phaseline_demo) on the
server the DSN or the libpq variables name, deploys phaseline, then:
a tester recommends 100 samples; the owner approves 80 and rejects 20 and
approves version 1; version 2 carries the 80 forward; the tester adds 10;
the owner approves them and version 2. Prints what a person wants to see.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import psycopg
from psycopg import sql

from .client import Client, PhaselineError
from .deploy import deploy


def scratch_database(dsn: str, dbname: str) -> str:
    """Drop and create dbname on the server of dsn; return a DSN for it."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params["dbname"] = "postgres"
    with psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)


def run_seed_example(conn: psycopg.Connection) -> dict:
    """The flow of the origin plan, through the typed client; returns the ids it made."""
    api = Client(conn)
    ids: dict = {}
    admin = ids["admin"] = api.create_user("admin@demo.example", "Ada Admin", "admin")
    api.actor = admin
    owner = ids["owner"] = api.create_user("owner@demo.example", "Olga Owner", "report_owner")
    tester = ids["tester"] = api.create_user("tester@demo.example", "Tara Tester", "tester")
    cycle = ids["cycle"] = api.create_cycle("Q1 2026", dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    report = ids["report"] = api.create_report("FR Y-9C", owner)
    api.assign_report(cycle, report, tester)

    v1 = ids["v1"] = api.start_sample_selection(cycle, report, actor=tester)
    samples = [
        {"sample_key": f"LOAN-{n:04d}", "data": {"balance": n * 1000, "segment": "retail"}} for n in range(1, 101)
    ]
    api.recommend_samples(v1, samples, "tester", actor=tester)
    api.submit_version(v1, actor=tester)
    decisions = [
        {
            "sample_key": s["sample_key"],
            "status": "approved" if n <= 80 else "rejected",
            **({} if n <= 80 else {"note": "outside the risk segment"}),
        }
        for n, s in enumerate(samples, start=1)
    ]
    api.decide_samples(v1, decisions, actor=owner)
    api.approve_version(v1, actor=owner, note="80 of 100 approved; add 10 from the commercial book")

    v2 = ids["v2"] = api.start_sample_selection(cycle, report, actor=tester)
    extra = [
        {"sample_key": f"LOAN-{n:04d}", "data": {"balance": n * 1000, "segment": "commercial"}} for n in range(101, 111)
    ]
    api.recommend_samples(v2, extra, "tester", actor=tester)
    api.submit_version(v2, actor=tester)
    api.decide_samples(v2, [{"sample_key": s["sample_key"], "status": "approved"} for s in extra], actor=owner)
    ids["artifact"] = api.approve_version(v2, actor=owner)
    conn.commit()
    return ids


def summary(conn: psycopg.Connection, ids: dict) -> str:
    out = []
    rows = conn.execute(
        """
        SELECT version_number, version_status,
               count(*) FILTER (WHERE recommendation_source = 'tester'),
               count(*) FILTER (WHERE recommendation_source = 'carried_forward'),
               count(*) FILTER (WHERE decision_status = 'approved'),
               count(*) FILTER (WHERE decision_status = 'rejected'),
               count(*) FILTER (WHERE decision_status = 'pending'),
               count(*)
          FROM phaseline_api.sample_decisions
         WHERE cycle_id = %s AND report_id = %s
         GROUP BY 1, 2 ORDER BY 1
        """,
        (ids["cycle"], ids["report"]),
    ).fetchall()
    out.append("Sample selection of FR Y-9C in Q1 2026")
    out.append(
        f"  {'version':>7}  {'status':<11} {'tester':>6} {'carried':>7} {'approved':>8} {'rejected':>8} {'pending':>7} {'total':>5}"
    )
    for r in rows:
        out.append(f"  {r[0]:>7}  {r[1]:<11} {r[2]:>6} {r[3]:>7} {r[4]:>8} {r[5]:>8} {r[6]:>7} {r[7]:>5}")
    art = conn.execute(
        "SELECT reference_version, approved_by, approved_at, id FROM phaseline_api.approved_artifact(%s, %s, 'samples')",
        (ids["cycle"], ids["report"]),
    ).fetchone()
    out.append(
        f"\nCurrent approved artifact: sample selection version {art[0]}, approved by user {art[1]} at {art[2]:%Y-%m-%d %H:%M:%S} (artifact {art[3]})"
    )
    decision = conn.execute(
        "SELECT id FROM phaseline_api.sample_decisions WHERE version_id = %s AND sample_key = 'LOAN-0042'", (ids["v2"],)
    ).fetchone()[0]
    out.append("\nLineage of sample LOAN-0042 (step 0 is version 2):")
    for r in conn.execute(
        "SELECT step, version_number, recommendation_source, recommended_by, decision_status, decided_by "
        "FROM phaseline_api.sample_lineage(%s)",
        (decision,),
    ):
        out.append(f"  step {r[0]}: version {r[1]}, source {r[2]} (user {r[3]}), {r[4]} by user {r[5]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phaseline.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="", help="libpq DSN of the server (default: PG* variables)")
    parser.add_argument("--dbname", default="phaseline_demo", help="scratch database to (re)create")
    args = parser.parse_args(argv)
    try:
        dsn = scratch_database(args.db, args.dbname)
        print(f"deploying phaseline into a fresh database {args.dbname!r} ...")
        deploy(dsn, log=lambda *_: None)
        with psycopg.connect(dsn) as conn:
            ids = run_seed_example(conn)
            print(summary(conn, ids))
    except PhaselineError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"demo: {exc.diag.sqlstate or ''} {str(exc).strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
