"""Comparison 6: phaseline_api.phase_overview(cycle, report) against the legacy
page, the seven legacy.*_phases tables (bench/legacy.sql) left-joined."""

from __future__ import annotations

from psycopg import sql

from .plumbing import World, in_tx, one, round_line, run_rotated, timed
from .spec import RowSpec, comparison

PHASES = [
    "data_profiling",
    "scoping",
    "sample_selection",
    "request_info",
    "test_execution",
    "observation_management",
    "test_report",
]


def load_phase_data(conn, w: World, pairs: int) -> tuple[list[str], list[str]]:
    """pairs (cycle, report) over 10 cycles. Pair i has its first (i %% 8) phases completed
    and approved (two versions each: v1 superseded, v2 approved), the next in progress."""
    cycles = [w.new_cycle(f"overview cycle {i}") for i in range(10)]
    reports = w.pairs(pairs // len(cycles), cycles[0])
    with conn.transaction():
        conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(w.admin),))
        for c in cycles[1:]:
            w.assign(c, reports)
    p = dict(cycles=cycles, reports=reports, t=w.tester, o=w.owner, phases=PHASES)
    # One row per pair and started phase: its stage and (deterministic) payload.
    stage_cte = """
        WITH pairs AS (
            SELECT c AS cycle_id, r AS report_id, (row_number() OVER (ORDER BY c, r)) %% 8 AS done
              FROM unnest(%(cycles)s::uuid[]) c, unnest(%(reports)s::uuid[]) r),
        started AS (
            SELECT p.cycle_id, p.report_id, ph.name AS phase_name, ph.ord,
                   CASE WHEN ph.ord <= p.done THEN 'completed' ELSE 'in_progress' END AS status,
                   timestamptz '2024-02-01' + ph.ord * interval '3 days' AS started_at,
                   CASE WHEN ph.ord <= p.done THEN timestamptz '2024-02-02' + ph.ord * interval '3 days' END AS completed_at
              FROM pairs p, unnest(%(phases)s::text[]) WITH ORDINALITY ph(name, ord)
             WHERE ph.ord <= p.done + 1)
    """
    payload = """CASE s.phase_name
        WHEN 'data_profiling' THEN jsonb_build_object('files_uploaded', jsonb_build_array('gl.csv', 'tb.csv'), 'rules_generated', 12, 'validation_results', jsonb_build_object('passed', 11, 'failed', 1))
        WHEN 'scoping' THEN jsonb_build_object('attributes_scoped', 40, 'scoping_notes', 'all CDEs in scope')
        WHEN 'sample_selection' THEN jsonb_build_object('sample_size_target', 25, 'selection_method', 'random')
        WHEN 'request_info' THEN jsonb_build_object('requests_sent', 25, 'responses_received', 20, 'due_date', '2024-03-31')
        WHEN 'test_execution' THEN jsonb_build_object('tests_planned', 25, 'tests_executed', 25, 'tests_passed', 24)
        WHEN 'observation_management' THEN jsonb_build_object('observations_raised', 1, 'observations_closed', 1)
        ELSE jsonb_build_object('report_document', 'report.pdf', 'signed_off_by', %(o)s, 'signed_off_at', '2024-04-15') END"""
    phaseline_load = (
        stage_cte
        + f"""
        INSERT INTO phaseline.workflow_phase_data (id, version_number, is_latest, version_status, parent_version_id,
               created_by, created_at, submitted_at, submitted_by, reviewed_at, reviewed_by,
               cycle_id, report_id, phase_name, phase_status, phase_data, started_at, completed_at)
        SELECT md5(s.cycle_id::text || s.report_id::text || s.phase_name || v)::uuid, v, v = n.versions,
               (CASE WHEN s.status = 'in_progress' THEN 'draft' WHEN v = n.versions THEN 'approved' ELSE 'superseded' END)::phaseline.version_status,
               CASE WHEN v > 1 THEN md5(s.cycle_id::text || s.report_id::text || s.phase_name || (v - 1))::uuid END,
               %(t)s, s.started_at,
               CASE WHEN s.status = 'completed' THEN s.completed_at END, CASE WHEN s.status = 'completed' THEN %(t)s END,
               CASE WHEN s.status = 'completed' THEN s.completed_at END, CASE WHEN s.status = 'completed' THEN %(o)s END,
               s.cycle_id, s.report_id, s.phase_name, s.status::phaseline.phase_status, {payload},
               s.started_at, s.completed_at
          FROM started s
          CROSS JOIN LATERAL (SELECT CASE WHEN s.status = 'completed' THEN 2 ELSE 1 END AS versions) n
          CROSS JOIN LATERAL generate_series(1, n.versions) v"""
    )
    legacy = {
        "data_profiling": "files_uploaded, rules_generated, validation_results",
        "scoping": "attributes_scoped, scoping_notes",
        "sample_selection": "sample_size_target, selection_method",
        "request_info": "requests_sent, responses_received, due_date",
        "test_execution": "tests_planned, tests_executed, tests_passed",
        "observation_management": "observations_raised, observations_closed",
        "test_report": "report_document, signed_off_by, signed_off_at",
    }
    types = {
        "files_uploaded": "text[]",
        "rules_generated": "int",
        "validation_results": "jsonb",
        "attributes_scoped": "int",
        "scoping_notes": "text",
        "sample_size_target": "int",
        "selection_method": "text",
        "requests_sent": "int",
        "responses_received": "int",
        "due_date": "date",
        "tests_planned": "int",
        "tests_executed": "int",
        "tests_passed": "int",
        "observations_raised": "int",
        "observations_closed": "int",
        "report_document": "text",
        "signed_off_by": "int",
        "signed_off_at": "timestamptz",
    }
    stmts = [(phaseline_load, p)]
    for phase, cols in legacy.items():
        exprs = []
        for col in cols.split(", "):
            if types[col] == "text[]":
                exprs.append(f"ARRAY(SELECT jsonb_array_elements_text(d -> '{col}'))")
            elif types[col] == "jsonb":
                exprs.append(f"d -> '{col}'")
            else:
                exprs.append(f"(d ->> '{col}')::{types[col]}")
        stmts.append(
            (
                stage_cte
                + f"""
            INSERT INTO legacy.{phase}_phases (cycle_id, report_id, status, started_at, completed_at, {cols})
            SELECT s.cycle_id, s.report_id, s.status, s.started_at, s.completed_at, {", ".join(exprs)}
              FROM started s CROSS JOIN LATERAL (SELECT {payload} AS d) x
             WHERE s.phase_name = '{phase}'""",
                p,
            )
        )
    in_tx(conn, stmts, replica=True)
    conn.execute("VACUUM ANALYZE phaseline.workflow_phase_data")
    for phase in PHASES:
        conn.execute(sql.SQL("VACUUM ANALYZE legacy.{}").format(sql.Identifier(f"{phase}_phases")))
    pair_c, pair_r = [], []
    for c in cycles:
        for r in reports:
            pair_c.append(c)
            pair_r.append(r)
    return pair_c, pair_r


@comparison(
    "6",
    "phase overview against the legacy seven-table join",
    [RowSpec("6", "phase_overview(cycle, report)", "legacy seven-table join")],
    uses=("overview_pairs", "overviews", "rounds"),
)
def overview(ctx, p, rows):
    conn, row = ctx.conn, rows["6"]
    pair_c, pair_r = load_phase_data(conn, ctx.world, p["overview_pairs"])
    rows_pl = one(conn, "SELECT count(*) FROM phaseline.workflow_phase_data")
    rows_legacy = one(conn, "SELECT " + " + ".join(f"(SELECT count(*) FROM legacy.{ph}_phases)" for ph in PHASES))
    m = p["overviews"]
    row.n = f"{m:,} x ({len(pair_c):,} pairs)"
    row.note = f"{rows_pl:,} phase versions vs {rows_legacy:,} legacy rows"
    order = list(range(len(pair_c)))
    # a fixed shuffle, so the same pairs are asked in the same order on both sides
    order.sort(key=lambda i: (i * 2654435761) % 4294967296)
    cs = [pair_c[i] for i in order]
    rs = [pair_r[i] for i in order]
    for rnd in range(p["rounds"]):
        t = run_rotated(
            {
                "legacy": lambda: timed(conn, "SELECT bench.overview_legacy(%s::uuid[], %s::uuid[], %s)", (cs, rs, m))[
                    0
                ],
                "api": lambda: timed(conn, "SELECT bench.overview_api(%s::uuid[], %s::uuid[], %s)", (cs, rs, m))[0],
            },
            rnd,
        )
        row.add(t["legacy"], t["api"])
        ctx.log(round_line("6 overview", rnd, p["rounds"], t, digits=3))
