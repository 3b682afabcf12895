"""Comparisons 5a-c: look-ups of the latest and the current approved version
at many versions, against a primary-key look-up of the same table."""

from __future__ import annotations

from .plumbing import World, in_tx, one, rotate, round_line, timed
from .spec import RowSpec, comparison

VERSIONS_PER_KEY = 5


def load_lookup_versions(conn, w: World, total: int) -> tuple[str, list[str]]:
    """total versions: keys x 5, per key v1-v3 superseded, v4 approved, v5 pending (latest);
    approved_artifacts rows for v3 (superseded) and v4 (current). Own cycle; at most
    2,000 attributes per report (10 reports at least), a large but real report."""
    cycle = w.new_cycle("lookup cycle")
    reports = w.pairs(max(10, total // VERSIONS_PER_KEY // 2_000), cycle)
    names = total // VERSIONS_PER_KEY // len(reports)
    p = dict(c=cycle, reports=reports, names=names, t=w.tester, o=w.owner, vpk=VERSIONS_PER_KEY)
    in_tx(
        conn,
        [
            (
                """INSERT INTO phaseline.report_attributes (id, version_number, is_latest, version_status, parent_version_id,
                created_by, created_at, submitted_at, submitted_by, reviewed_at, reviewed_by,
                cycle_id, report_id, attribute_name, definition)
            SELECT md5(r::text || '/' || a || '/' || v)::uuid, v, v = %(vpk)s,
                   (CASE WHEN v = %(vpk)s THEN 'pending_approval' WHEN v = %(vpk)s - 1 THEN 'approved' ELSE 'superseded' END)::phaseline.version_status,
                   CASE WHEN v > 1 THEN md5(r::text || '/' || a || '/' || (v - 1))::uuid END,
                   %(t)s, now(), now(), %(t)s,
                   CASE WHEN v < %(vpk)s THEN now() END, CASE WHEN v < %(vpk)s THEN %(o)s END,
                   %(c)s, r, 'attr ' || a, jsonb_build_object('data_type', 'numeric', 'rev', v)
              FROM unnest(%(reports)s::uuid[]) r, generate_series(1, %(names)s::int) a, generate_series(1, %(vpk)s::int) v""",
                p,
            ),
            (
                """INSERT INTO phaseline.approved_artifacts (cycle_id, report_id, phase_name, artifact_type, artifact_key,
                reference_table, reference_id, reference_version, approved_by, approved_at, superseded_at)
            SELECT cycle_id, report_id, 'scoping', 'attribute', attribute_name, 'report_attributes', id, version_number,
                   reviewed_by, reviewed_at, CASE WHEN version_status = 'superseded' THEN reviewed_at END
              FROM phaseline.report_attributes
             WHERE cycle_id = %(c)s AND version_number IN (%(vpk)s - 2, %(vpk)s - 1)""",
                p,
            ),
        ],
        replica=True,
    )
    conn.execute("VACUUM ANALYZE phaseline.report_attributes")
    conn.execute("VACUUM ANALYZE phaseline.approved_artifacts")
    return cycle, reports


LOOKUP_SQL = {
    "latest": "SELECT * FROM phaseline.report_attributes WHERE cycle_id = %s AND report_id = %s AND attribute_name = %s AND is_latest",
    "approved": "SELECT * FROM phaseline.report_attributes WHERE cycle_id = %s AND report_id = %s AND attribute_name = %s AND version_status = 'approved'",
    # the statement approved_artifact() runs for a given key
    "approved_artifact": "SELECT * FROM phaseline_api.current_artifacts WHERE cycle_id = %s AND report_id = %s AND artifact_type = 'attribute' AND artifact_key = %s",
    "pk": "SELECT * FROM phaseline.report_attributes WHERE id = %s",
}

LOOKUP_ROWS = {"5a": "latest", "5b": "approved", "5c": "approved_artifact"}


@comparison(
    "5",
    "look-ups at many versions (5a-c)",
    [
        RowSpec("5a", "latest version (is_latest index)", "primary-key look-up"),
        RowSpec("5b", "current approved version (table)", "primary-key look-up"),
        RowSpec("5c", "current approved via approved_artifact()", "primary-key look-up"),
    ],
    uses=("lookup_versions", "lookups", "rounds"),
)
def lookups(ctx, p, rows):
    """M look-ups of each kind over lookup_versions versions, all kinds in one round in
    rotated order; then the plans of the look-ups, printed after the table."""
    conn = ctx.conn
    cycle, _ = load_lookup_versions(conn, ctx.world, p["lookup_versions"])
    count = one(conn, "SELECT count(*) FROM phaseline.report_attributes WHERE cycle_id = %s", (cycle,))
    keys = conn.execute(
        "SELECT report_id, attribute_name, id FROM phaseline.report_attributes "
        "WHERE cycle_id = %s AND is_latest ORDER BY md5(id::text) LIMIT 1000",
        (cycle,),
    ).fetchall()
    reps = [str(k[0]) for k in keys]
    names = [k[1] for k in keys]
    ids = [str(k[2]) for k in keys]
    m = p["lookups"]
    for row in rows.values():
        row.n = f"{m:,} of {count:,}"
    calls = {
        "pk": lambda: timed(conn, "SELECT bench.lookup_pk(%s::uuid[], %s)", (ids, m)),
        "latest": lambda: timed(conn, "SELECT bench.lookup_latest(%s, %s::uuid[], %s, %s)", (cycle, reps, names, m)),
        "approved": lambda: timed(
            conn, "SELECT bench.lookup_approved(%s, %s::uuid[], %s, %s)", (cycle, reps, names, m)
        ),
        "approved_artifact": lambda: timed(
            conn, "SELECT bench.lookup_approved_artifact(%s, %s::uuid[], %s, %s)", (cycle, reps, names, m)
        ),
    }
    for rnd in range(p["rounds"]):
        t = {}
        for k in rotate(list(calls), rnd):
            secs, res = calls[k]()
            assert res[0][0] == m, f"look-up {k} found {res[0][0]} of {m}"
            t[k] = secs
        for k, row in rows.items():
            row.add(t["pk"], t[LOOKUP_ROWS[k]])
        ctx.log(round_line("5 look-ups", rnd, p["rounds"], t, digits=3))

    plans = ["plans of the look-ups (5):"]
    params = (cycle, reps[0], names[0])
    for k, q in LOOKUP_SQL.items():
        args = (ids[0],) if k == "pk" else params
        plan = [r[0] for r in conn.execute("EXPLAIN (COSTS OFF) " + q, args).fetchall()]
        plans.append(f"  {k}:\n" + "\n".join("    " + line for line in plan))
    return plans
