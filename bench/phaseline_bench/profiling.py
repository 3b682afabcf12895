"""--profile: where the time of one propose, one bulk recommend, one carry-forward
(the larger size) and one bulk decide goes, by auto_explain inside the real API
call, rolled back."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import psycopg
from psycopg import sql

from .decision_sets import DecisionSet
from .plumbing import Context, one
from .report import render_aggregate, render_profile
from .versions import load_first_attribute_versions


def auto_explained(conn, query, params, min_ms: float) -> tuple[float, list[dict]]:
    """Run query (rolled back) under auto_explain with ANALYZE, nested statements and
    triggers: every statement inside the API function and its triggers that took
    min_ms or more, with its own time and each trigger's."""
    notices: list[str] = []

    def handler(diag):
        if (diag.message_primary or "").startswith("duration:"):
            notices.append(diag.message_primary)

    conn.add_notice_handler(handler)
    try:
        with conn.transaction():
            conn.execute("LOAD 'auto_explain'")
            for k, v in dict(
                log_min_duration=f"{min_ms}ms",
                log_analyze="on",
                log_nested_statements="on",
                log_triggers="on",
                log_timing="on",
                log_format="json",
                log_level="notice",
            ).items():
                conn.execute(
                    sql.SQL("SELECT set_config({}, {}, true)").format(sql.Literal(f"auto_explain.{k}"), sql.Literal(v))
                )
            started = time.perf_counter()
            conn.execute(query, params)
            total = time.perf_counter() - started
            raise psycopg.Rollback()
    finally:
        conn.remove_notice_handler(handler)
    out = []
    for m in notices:
        head, _, body = m.partition("plan:")
        plan = json.loads(body)
        out.append(
            dict(
                ms=float(head.split()[1]),
                query=" ".join(plan["Query Text"].split()),
                rows=plan["Plan"].get("Actual Rows"),
                triggers=plan.get("Triggers") or [],
            )
        )
    return total, out


# the scale parameters the profile reads
USES = ("versions", "recommend", "carry_large", "decide")


def profile_bulk(ctx: Context, p: Mapping[str, int], ds: DecisionSet) -> list[str]:
    conn, w = ctx.conn, ctx.world
    out = [
        "where the time goes: auto_explain (ANALYZE, nested statements, triggers) inside the API call,",
        "rolled back; instrumentation makes it slower than in the table. Statements over 1% of the call.",
    ]
    n = min(p["versions"], 1_000)  # in one transaction: one advisory lock per version held until its end
    report = w.pairs(1)[0]
    load_first_attribute_versions(conn, w, report, "prof:", n, artifacts=False)
    conn.execute("ANALYZE phaseline.report_attributes")
    total, stmts = auto_explained(
        conn,
        "SELECT count(phaseline_api.propose_report_attribute(%s, %s, 'prof:' || i, "
        '\'{"data_type": "numeric", "rev": 2}\', %s)) FROM generate_series(1, %s::int) i',
        (w.cycle, report, w.tester, n),
        min_ms=0,
    )
    out += [""] + render_aggregate(
        f"propose_report_attribute, {n:,} calls (a new version each)",
        total,
        [s for s in stmts if not s["query"].startswith("SELECT count(phaseline_api.propose")],
        n,
    )

    ds.prepare(conn)
    n = p["recommend"]
    ds.store_recommend_payload(conn, n)
    report = w.pairs(1)[0]
    version = one(conn, ds.start_sql, dict(cycle=w.cycle, report=report, actor=w.tester))
    total, stmts = auto_explained(conn, ds.recommend_call(), (version, n, w.tester), min_ms=max(1.0, n / 20_000))
    out += [""] + render_profile(f"{ds.short(ds.recommend)} of {n:,} {ds.name}", total, stmts)

    n = p["carry_large"]
    report = w.pairs(1)[0]
    source = ds.load_source(conn, w, report, n)
    conn.execute(f"ANALYZE phaseline.{ds.decisions}, phaseline.{ds.versions}")
    conn.execute("CHECKPOINT")
    total, stmts = auto_explained(
        conn,
        ds.carry_statement(),
        dict(cycle=w.cycle, report=report, actor=w.tester, source=source),
        min_ms=max(1.0, n / 20_000),
    )
    carrier = "carry-forward" if ds.carry_sql else ds.short(ds.start)
    out += [""] + render_profile(f"{carrier} carrying {n:,} decisions", total, stmts)

    n = p["decide"]
    if not conn.execute(f"SELECT 1 FROM {ds.decide_payloads} WHERE n = %s", (n,)).fetchone():
        return out  # decide did not run (--only): no payload of its size
    version = ds.load_pending(conn, w, w.pairs(1)[0], n)
    conn.execute(f"ANALYZE phaseline.{ds.decisions}")
    conn.execute("CHECKPOINT")
    total, stmts = auto_explained(conn, ds.decide_call(), (version, n, w.owner), min_ms=max(1.0, n / 20_000))
    out += [""] + render_profile(f"{ds.short(ds.decide)} of {n:,} {ds.name}", total, stmts)
    return out
