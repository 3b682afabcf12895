"""Comparisons 1, 1b and 2a (a new version of an entity whose previous one is
approved), and 2b (the same through SQLAlchemy, against SQLAlchemy-Continuum)."""

from __future__ import annotations

import sys

import psycopg
from psycopg.conninfo import make_conninfo

from .plumbing import SESSION_OPTIONS, World, in_tx, one, round_line, run_rotated, timed
from .spec import RowSpec, comparison


def load_first_attribute_versions(conn, w: World, report: str, prefix: str, n: int, artifacts: bool) -> None:
    """Approved version 1 of n attributes, in phaseline and in the plain table (and its artifacts)."""
    cols = (
        "(id, version_number, is_latest, version_status, created_by, submitted_at, submitted_by, "
        "reviewed_at, reviewed_by, cycle_id, report_id, attribute_name, definition)"
    )
    rows = (
        "SELECT gen_random_uuid(), 1, true, 'approved', %(t)s, now(), %(t)s, now(), %(o)s, %(c)s, %(r)s, "
        '%(p)s || i, \'{"data_type": "numeric", "rev": 1}\' FROM generate_series(1, %(n)s::int) i'
    )
    art = (
        "INSERT INTO {} (cycle_id, report_id, phase_name, artifact_type, artifact_key, reference_table, "
        "reference_id, reference_version, approved_by, approved_at) "
        "SELECT cycle_id, report_id, 'scoping', 'attribute', attribute_name, 'report_attributes', id, 1, reviewed_by, reviewed_at "
        "FROM {} WHERE cycle_id = %(c)s AND report_id = %(r)s AND left(attribute_name, length(%(p)s)) = %(p)s"
    )
    p = dict(t=w.tester, o=w.owner, c=w.cycle, r=report, p=prefix, n=n)
    stmts = [
        (f"INSERT INTO phaseline.report_attributes {cols} {rows}", p),
        (f"INSERT INTO bench.attr_plain {cols} {rows}", p),
    ]
    if artifacts:
        stmts += [
            (art.format("phaseline.approved_artifacts", "phaseline.report_attributes"), p),
            (art.format("bench.artifacts_plain", "bench.attr_plain"), p),
        ]
    in_tx(conn, stmts, replica=True)


def setup_periods(conn) -> str | None:
    """The periods extension and a system-versioned copy of the attribute shape; why not, if not."""
    if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'periods'").fetchone():
        major = conn.info.server_version // 10000
        return f"the periods extension is not available on this server (Debian: apt-get install postgresql-{major}-periods)"
    try:
        conn.execute("CREATE EXTENSION periods CASCADE")
    except psycopg.Error as exc:
        return f"CREATE EXTENSION periods failed: {exc.diag.message_primary}"
    conn.execute("""
        CREATE SCHEMA bench_periods;
        CREATE TABLE bench_periods.attributes (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cycle_id uuid NOT NULL, report_id uuid NOT NULL,
            attribute_name text NOT NULL, definition jsonb NOT NULL, changed_by integer NOT NULL,
            UNIQUE (cycle_id, report_id, attribute_name));
        SELECT periods.add_system_time_period('bench_periods.attributes');
        SELECT periods.add_system_versioning('bench_periods.attributes');
        -- the history of one attribute, as phaseline's (key, version_number) index serves it
        CREATE INDEX ON bench_periods.attributes_history (cycle_id, report_id, attribute_name, system_time_start);
    """)
    return None


@comparison(
    "1",
    "new versions (1, 1b; 2a against periods)",
    [
        RowSpec("1", "new version: propose (prev. approved)", "INSERT + UPDATE, plain table", "versions", quoted=True),
        RowSpec("1b", "new version: propose + submit + approve", "same 7 statements, plain tables", "lifecycle"),
        RowSpec("2a", "new version: propose", "periods SYSTEM VERSIONING UPDATE", "versions"),
    ],
    uses=("versions", "lifecycle", "rounds"),
)
def new_versions(ctx, p, rows):
    conn, w = ctx.conn, ctx.world
    why = setup_periods(conn)
    have_periods = why is None
    if why:
        rows["2a"].skipped = why
    n, rounds = p["versions"], p["rounds"]
    report = w.pairs(1)[0]
    for rnd in range(rounds):
        prefix = f"v{rnd}:"
        load_first_attribute_versions(conn, w, report, prefix, n, artifacts=False)
        if have_periods:
            in_tx(
                conn,
                [
                    (
                        "INSERT INTO bench_periods.attributes (cycle_id, report_id, attribute_name, definition, changed_by) "
                        'SELECT %s, %s, %s || i, \'{"data_type": "numeric", "rev": 1}\', %s FROM generate_series(1, %s::int) i',
                        (w.cycle, report, prefix, w.tester, n),
                    )
                ],
            )
        conn.execute("ANALYZE phaseline.report_attributes, bench.attr_plain")
        if have_periods:
            conn.execute("ANALYZE bench_periods.attributes, bench_periods.attributes_history")
        args = (w.cycle, report, prefix, n, w.tester)
        sides = {
            "plain": lambda args=args: timed(conn, "CALL bench.propose_plain(%s, %s, %s, %s, %s)", args)[0],
            "api": lambda args=args: timed(conn, "CALL bench.propose_api(%s, %s, %s, %s, %s)", args)[0],
        }
        if have_periods:
            sides["periods"] = lambda args=args: timed(conn, "CALL bench.update_periods(%s, %s, %s, %s, %s)", args)[0]
        t = run_rotated(sides, rnd)
        rows["1"].add(t["plain"], t["api"])
        if have_periods:
            rows["2a"].add(t["periods"], t["api"])
        got = one(
            conn,
            "SELECT count(*) FROM phaseline.report_attributes WHERE report_id = %s "
            "AND left(attribute_name, length(%s)) = %s AND version_number = 2 AND is_latest",
            (report, prefix, prefix),
        )
        assert got == n, f"propose made {got} second versions, expected {n}"
        ctx.log(round_line("1/2a new versions", rnd, rounds, t))

    # The whole life of a version: propose + submit + approve.
    n = p["lifecycle"]
    for rnd in range(rounds):
        prefix = f"l{rnd}:"
        load_first_attribute_versions(conn, w, report, prefix, n, artifacts=True)
        conn.execute(
            "ANALYZE phaseline.report_attributes, bench.attr_plain, phaseline.approved_artifacts, bench.artifacts_plain"
        )
        args = (w.cycle, report, prefix, n, w.tester, w.owner)
        t = run_rotated(
            {
                "plain": lambda args=args: timed(conn, "CALL bench.lifecycle_plain(%s, %s, %s, %s, %s, %s)", args)[0],
                "api": lambda args=args: timed(conn, "CALL bench.lifecycle_api(%s, %s, %s, %s, %s, %s)", args)[0],
            },
            rnd,
        )
        rows["1b"].add(t["plain"], t["api"])
        ctx.log(round_line("1b lifecycle", rnd, rounds, t))


def continuum_missing() -> str | None:
    try:
        import sqlalchemy  # noqa: F401
        import sqlalchemy_continuum  # noqa: F401
    except ImportError as exc:
        return (
            f"SQLAlchemy-Continuum is not installed ({exc.name} missing): "
            f"{sys.executable} -m pip install -e '.[bench]' (make install does)"
        )
    return None


@comparison(
    "2",
    "SQLAlchemy-Continuum (2b)",
    [RowSpec("2b", "new version: propose via SQLAlchemy", "SQLAlchemy-Continuum", "continuum")],
    uses=("continuum", "rounds"),
)
def continuum(ctx, p, rows):
    row = rows["2b"]
    why = continuum_missing()
    if why:
        row.skipped = why
        return
    from . import continuum_side as cs  # patches SQLAlchemy: only when this row runs

    conn, w = ctx.conn, ctx.world
    eng = cs.engine(make_conninfo(ctx.dsn, options=SESSION_OPTIONS))
    try:
        cs.create_schema(eng)
        report = w.pairs(1)[0]
        n = p["continuum"]
        for rnd in range(p["rounds"]):
            prefix = f"c{rnd}:"
            cs.load_first_versions(eng, w.cycle, report, prefix, n)
            load_first_attribute_versions(conn, w, report, prefix, n, artifacts=False)
            conn.execute(
                "ANALYZE phaseline.report_attributes, bench_continuum.attributes, bench_continuum.attributes_version"
            )
            t = run_rotated(
                {
                    "continuum": lambda prefix=prefix: cs.run_continuum(eng, w.cycle, report, prefix, n),
                    "api": lambda prefix=prefix: cs.run_phaseline(eng, w.cycle, report, prefix, n, w.tester),
                },
                rnd,
            )
            cs.check(eng, prefix, n)
            row.add(t["continuum"], t["api"])
            ctx.log(round_line("2b Continuum", rnd, p["rounds"], t))
    finally:
        eng.dispose()
