"""phaseline benchmarks: ratios against baselines measured in the same run.

    .venv/bin/python bench/run.py --scale tiny|small|default [--db DSN]

--db points at a server (any database on it, e.g. the maintenance db
"postgres"); without it the libpq variables (PGHOST, PGPORT, PGUSER, ...)
decide, defaulting to 127.0.0.1:5432 as postgres. The scratch database
(--dbname, or $PHASELINE_BENCH_DB, default phaseline_bench) is dropped and
created, phaseline is deployed into it with the harness, the baselines of
bench/baselines.sql and bench/legacy.sql are created beside it, and data is
loaded. Each comparison runs several rounds, alternating which side goes
first; the table gives per comparison the median of the per-round ratios
(phaseline time / baseline time) with their min and max, and the median
times of both sides. No timing is asserted anywhere. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

from phaseline.deploy import deploy  # noqa: E402

# Sizes per scale. "versions" is the N of comparison 1 (issue 3 asks for 10,000);
# "carry" the two carry-forward sizes (issue 5: 100,000 and 1,000,000).
SCALES = {
    "tiny": dict(
        rounds=3,
        big_rounds=3,
        versions=200,
        lifecycle=100,
        continuum=30,
        carry=(1_000, 5_000),
        recommend=2_000,
        lookup_versions=10_000,
        lookups=2_000,
        overview_pairs=200,
        overviews=1_000,
        decide=2_000,
        trail_log=100_000,
        trails=500,
        log_size=2_000,
    ),
    "small": dict(
        rounds=3,
        big_rounds=3,
        versions=2_000,
        lifecycle=500,
        continuum=150,
        carry=(10_000, 50_000),
        recommend=20_000,
        lookup_versions=100_000,
        lookups=10_000,
        overview_pairs=1_000,
        overviews=5_000,
        decide=10_000,
        trail_log=300_000,
        trails=1_000,
        log_size=10_000,
    ),
    "default": dict(
        rounds=5,
        big_rounds=3,
        versions=10_000,
        lifecycle=2_000,
        continuum=1_000,
        carry=(100_000, 1_000_000),
        recommend=100_000,
        lookup_versions=1_000_000,
        lookups=20_000,
        overview_pairs=5_000,
        overviews=10_000,
        decide=100_000,
        trail_log=10_000_000,
        trails=5_000,
        log_size=200_000,
    ),
}
# The figures the issues quote, and the N at which they are asked.
QUOTED = {
    "versions": 10_000,
    "recommend": 100_000,
    "carry": (100_000, 1_000_000),
    "lookup_versions": 1_000_000,
    "decide": 100_000,
    "trail_log": 10_000_000,
    "log_size": 200_000,
}

# Measured sessions: a commit does not wait for the WAL flush, so a per-version
# transaction measures the work of the database, not the disk's fsync latency
# (which adds the same constant to both sides; about 0.2 ms here).
SESSION_OPTIONS = "-c synchronous_commit=off"


QUIET = False


def log(msg: str) -> None:
    if not QUIET:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- results ----------------------------------------------------------------


@dataclass
class Row:
    key: str
    what: str
    n: str
    baseline: str
    base: list[float] = field(default_factory=list)
    pl: list[float] = field(default_factory=list)
    skipped: str | None = None
    note: str = ""
    unit: str = "ms"  # "ms": base and pl are seconds; "MB": they are bytes (a size, not a time)

    def add(self, base_s: float, pl_s: float) -> None:
        self.base.append(base_s)
        self.pl.append(pl_s)


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:,.1f}" if ms >= 1 else f"{ms:.2f}"


def render_table(rows: list[Row]) -> str:
    head = ["#", "comparison", "N", "baseline", "baseline ms", "phaseline ms", "ratio", "min", "max", "rounds"]
    body = []
    for r in rows:
        if r.skipped:
            body.append([r.key, r.what, r.n, r.baseline, "-", "-", "skipped", "", "", "0"])
            continue
        ratios = [p / b for p, b in zip(r.pl, r.base, strict=False)]
        fmt = fmt_ms if r.unit == "ms" else (lambda b: f"{b / 1e6:,.1f} MB")
        body.append(
            [
                r.key,
                r.what + (f" ({r.note})" if r.note else ""),
                r.n,
                r.baseline,
                fmt(statistics.median(r.base)),
                fmt(statistics.median(r.pl)),
                f"{statistics.median(ratios):.2f}x",
                f"{min(ratios):.2f}",
                f"{max(ratios):.2f}",
                str(len(ratios)),
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    right = {0, 2, 4, 5, 6, 7, 8, 9}

    def line(cells):
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))
            )
            + " |"
        )

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    out = [line(head), sep] + [line(b) for b in body]
    skipped = [r for r in rows if r.skipped]
    if skipped:
        out.append("")
        out += [f"{r.key} skipped: {r.skipped}" for r in skipped]
    return "\n".join(out)


# --- connections --------------------------------------------------------------


def server_params(dsn: str) -> dict:
    """Connection parameters of the server, without a database name."""
    params = conninfo_to_dict(dsn) if dsn else {}
    if not dsn:
        if not os.environ.get("PGHOST"):
            params["host"] = "127.0.0.1"
        if not os.environ.get("PGUSER"):
            params["user"] = "postgres"
    params.pop("dbname", None)
    return params


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True, options=SESSION_OPTIONS)


def timed(conn: psycopg.Connection, query, params=None) -> tuple[float, list]:
    started = time.perf_counter()
    cur = conn.execute(query, params)
    rows = cur.fetchall() if cur.description else []
    return time.perf_counter() - started, rows


def one(conn: psycopg.Connection, query, params=None):
    return conn.execute(query, params).fetchone()[0]


def in_tx(conn: psycopg.Connection, statements: list, *, replica: bool = False) -> None:
    """Run statements in one transaction. replica: no triggers and no FK checks,
    for setup loads only (never measured; the rows are consistent by construction)."""
    with conn.transaction():
        if replica:
            conn.execute("SET LOCAL session_replication_role = replica")
        for s in statements:
            if isinstance(s, tuple):
                conn.execute(*s)
            else:
                conn.execute(s)


# --- the world ------------------------------------------------------------------


class World:
    """Users, a cycle and report pairs, all through the API or direct writes with an actor."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.admin = one(conn, "SELECT phaseline_api.create_user('admin@bench.example', 'Bench admin', 'admin')")
        self.owner = one(
            conn,
            "SELECT phaseline_api.create_user('owner@bench.example', 'Bench owner', 'report_owner', %s)",
            (self.admin,),
        )
        self.tester = one(
            conn,
            "SELECT phaseline_api.create_user('tester@bench.example', 'Bench tester', 'tester', %s)",
            (self.admin,),
        )
        self.cycle = self.new_cycle("bench cycle")
        self._reports = 0

    def new_cycle(self, name: str) -> str:
        return str(
            one(self.conn, "SELECT phaseline_api.create_cycle(%s, '2024-01-01', '2024-12-31', %s)", (name, self.admin))
        )

    def pairs(self, k: int, cycle: str | None = None) -> list[str]:
        """k new reports owned by owner, assigned to tester in cycle; returns their ids."""
        cycle = cycle or self.cycle
        start = self._reports
        self._reports += k
        with self.conn.transaction():
            self.conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(self.admin),))
            ids = [
                str(r[0])
                for r in self.conn.execute(
                    "INSERT INTO phaseline.reports (name, owner_user_id, created_by) "
                    "SELECT 'bench report ' || i, %s, %s FROM generate_series(%s::int, %s::int) i RETURNING report_id",
                    (self.owner, self.admin, start + 1, start + k),
                ).fetchall()
            ]
            self.assign(cycle, ids)
        return ids

    def assign(self, cycle: str, reports: list[str]) -> None:
        self.conn.execute(
            "INSERT INTO phaseline.cycle_reports (cycle_id, report_id, tester_user_id, assigned_by) "
            "SELECT %s, r, %s, %s FROM unnest(%s::uuid[]) r",
            (cycle, self.tester, self.admin, reports),
        )


# --- 1 and 2: new versions ---------------------------------------------------------


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


def bench_versions(conn, w: World, sc: dict, rows: dict, have_periods: bool) -> None:
    n, rounds = sc["versions"], sc["rounds"]
    report = w.pairs(1)[0]
    r1, r2 = rows["1"], rows["2a"]
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
        r1.add(t["plain"], t["api"])
        if have_periods:
            r2.add(t["periods"], t["api"])
        got = one(
            conn,
            "SELECT count(*) FROM phaseline.report_attributes WHERE report_id = %s "
            "AND left(attribute_name, length(%s)) = %s AND version_number = 2 AND is_latest",
            (report, prefix, prefix),
        )
        assert got == n, f"propose made {got} second versions, expected {n}"
        log(f"1/2a new versions round {rnd + 1}/{rounds}: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()))

    # The whole life of a version: propose + submit + approve.
    n = sc["lifecycle"]
    r = rows["1b"]
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
        r.add(t["plain"], t["api"])
        log(f"1b lifecycle round {rnd + 1}/{rounds}: plain {t['plain']:.2f}s, api {t['api']:.2f}s")


def bench_continuum(dsn: str, conn, w: World, sc: dict, row: Row) -> None:
    import continuum_side as cs  # noqa: PLC0415 (patches SQLAlchemy: only when this row runs)

    eng = cs.engine(make_conninfo(dsn, options=SESSION_OPTIONS))
    try:
        cs.create_schema(eng)
        report = w.pairs(1)[0]
        n = sc["continuum"]
        for rnd in range(sc["rounds"]):
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
            log(f"2b Continuum round {rnd + 1}/{sc['rounds']}: continuum {t['continuum']:.2f}s, api {t['api']:.2f}s")
    finally:
        eng.dispose()


# --- 3 and 7: carry-forward -------------------------------------------------------


def load_source_selection(conn, w: World, report: str, n: int) -> str:
    """An approved sample selection version 1 with n approved decisions."""
    vid = str(uuid.uuid4())
    in_tx(
        conn,
        [
            (
                "INSERT INTO phaseline.sample_selection_versions (id, version_number, is_latest, version_status, created_by, "
                "submitted_at, submitted_by, reviewed_at, reviewed_by, cycle_id, report_id) "
                "VALUES (%s, 1, true, 'approved', %s, now(), %s, now(), %s, %s, %s)",
                (vid, w.tester, w.tester, w.owner, w.cycle, report),
            ),
            (
                "INSERT INTO phaseline.sample_decisions (version_id, sample_key, sample_data, recommendation_source, "
                "recommended_by, decision_status, decided_by, decided_at) "
                "SELECT %s, 'S' || lpad(i::text, 8, '0'), jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000), "
                "'tester', %s, 'approved', %s, now() FROM generate_series(1, %s::int) i",
                (vid, w.tester, w.owner, n),
            ),
        ],
        replica=True,
    )
    return vid


CARRY_PLAIN = """
INSERT INTO bench.decisions_plain
       (version_id, sample_key, sample_data, recommendation_source, recommended_by, recommended_at,
        decision_status, decided_by, decided_at, decision_note,
        carried_from_version_id, carried_from_decision_id, origin_decision_id)
SELECT %(to)s, d.sample_key, d.sample_data, 'carried_forward', %(actor)s, now(),
       d.decision_status, d.decided_by, d.decided_at, d.decision_note,
       d.version_id, d.id, coalesce(d.origin_decision_id, d.id)
  FROM phaseline.sample_decisions d
 WHERE d.version_id = %(from)s AND d.decision_status IN ('approved', 'modified')
"""

AUDIT_OFF = "ALTER TABLE phaseline.sample_decisions DISABLE TRIGGER _900_audit_insert"
AUDIT_ON = "ALTER TABLE phaseline.sample_decisions ENABLE TRIGGER _900_audit_insert"


def bench_carry(conn, w: World, sc: dict, n: int, rounds: int, row: Row, audit_row: Row | None) -> None:
    """Rounds chain: each round carries the latest approved version into a new one,
    which is then submitted and approved (untimed) to be the next round's source."""
    report = w.pairs(1)[0]
    source = load_source_selection(conn, w, report, n)
    conn.execute("ANALYZE phaseline.sample_decisions, phaseline.sample_selection_versions")

    def api(audit: bool):
        def go():
            nonlocal source
            if not audit:
                conn.execute(AUDIT_OFF)
            try:
                conn.execute("CHECKPOINT")
                secs, res = timed(
                    conn, "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w.cycle, report, w.tester)
                )
            finally:
                if not audit:
                    conn.execute(AUDIT_ON)
            new = str(res[0][0])
            got = one(conn, "SELECT count(*) FROM phaseline.sample_decisions WHERE version_id = %s", (new,))
            assert got == n, f"start_sample_selection carried {got} decisions, expected {n}"
            conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (new, w.tester))
            conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (new, w.owner))
            conn.execute("ANALYZE phaseline.sample_decisions")
            source = new
            return secs

        return go

    def plain():
        conn.execute("CHECKPOINT")
        secs, _ = timed(conn, CARRY_PLAIN, {"to": str(uuid.uuid4()), "actor": w.tester, "from": source})
        conn.execute("ANALYZE bench.decisions_plain")
        return secs

    for rnd in range(rounds):
        sides = {"plain": plain, "api": api(True)}
        if audit_row is not None:
            sides["api_no_audit"] = api(False)
        t = run_rotated(sides, rnd)
        row.add(t["plain"], t["api"])
        if audit_row is not None:
            audit_row.add(t["api_no_audit"], t["api"])
        log(f"3 carry-forward {n:,} round {rnd + 1}/{rounds}: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()))


# --- 4 and 7: bulk recommend ---------------------------------------------------------


def bench_recommend(conn, w: World, sc: dict, row: Row, audit_row: Row) -> None:
    n = sc["recommend"]
    conn.execute(
        "INSERT INTO bench.payloads (n, samples) "
        "SELECT %s, jsonb_agg(jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), "
        "'data', jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000)) ORDER BY i) "
        "FROM generate_series(1, %s::int) i",
        (n, n),
    )
    reports = w.pairs(sc["rounds"] * 2)

    def api(audit: bool):
        def go():
            report = reports.pop()
            version = one(conn, "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w.cycle, report, w.tester))
            if not audit:
                conn.execute(AUDIT_OFF)
            try:
                conn.execute("CHECKPOINT")
                secs, res = timed(
                    conn,
                    "SELECT phaseline_api.recommend_samples(%s, (SELECT samples FROM bench.payloads WHERE n = %s), 'tester', %s)",
                    (version, n, w.tester),
                )
            finally:
                if not audit:
                    conn.execute(AUDIT_ON)
            assert res[0][0] == n, f"recommend_samples inserted {res[0][0]}, expected {n}"
            conn.execute("ANALYZE phaseline.sample_decisions")
            return secs

        return go

    def plain():
        conn.execute("CHECKPOINT")
        secs, _ = timed(
            conn,
            "INSERT INTO bench.decisions_plain (version_id, sample_key, sample_data, recommendation_source, recommended_by) "
            "SELECT %s, s.sample_key, coalesce(s.data, '{}'), 'tester', %s "
            "FROM jsonb_to_recordset((SELECT samples FROM bench.payloads WHERE n = %s)) AS s(sample_key text, data jsonb)",
            (str(uuid.uuid4()), w.tester, n),
        )
        conn.execute("ANALYZE bench.decisions_plain")
        return secs

    for rnd in range(sc["rounds"]):
        t = run_rotated({"plain": plain, "api": api(True), "api_no_audit": api(False)}, rnd)
        row.add(t["plain"], t["api"])
        audit_row.add(t["api_no_audit"], t["api"])
        log(f"4 recommend {n:,} round {rnd + 1}/{sc['rounds']}: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()))


# --- 8 and 7c: bulk decide ------------------------------------------------------------


def load_pending_selection(conn, w: World, report: str, n: int, plain_version: str | None) -> str:
    """A sample selection version pending approval, submitted by tester, with n pending
    decisions recommended by tester; with plain_version, the same rows in the plain copy."""
    vid = str(uuid.uuid4())
    rows = (
        "SELECT %s, 'S' || lpad(i::text, 8, '0'), jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000), "
        "'tester', %s FROM generate_series(1, %s::int) i"
    )
    stmts = [
        (
            "INSERT INTO phaseline.sample_selection_versions (id, version_number, is_latest, version_status, created_by, "
            "submitted_at, submitted_by, contributors, cycle_id, report_id) "
            "VALUES (%s, 1, true, 'pending_approval', %s, now(), %s, ARRAY[%s], %s, %s)",
            (vid, w.tester, w.tester, w.tester, w.cycle, report),
        ),
        (
            "INSERT INTO phaseline.sample_decisions (version_id, sample_key, sample_data, recommendation_source, recommended_by) "
            + rows,
            (vid, w.tester, n),
        ),
    ]
    if plain_version:
        stmts.append(
            (
                "INSERT INTO bench.decisions_plain (version_id, sample_key, sample_data, recommendation_source, recommended_by) "
                + rows,
                (plain_version, w.tester, n),
            )
        )
    in_tx(conn, stmts, replica=True)
    return vid


DECIDE_PLAIN = """
UPDATE bench.decisions_plain AS d
   SET decision_status = s.status::phaseline.decision_status,
       decided_by      = %(actor)s,
       decided_at      = now(),
       decision_note   = s.note,
       sample_data     = CASE WHEN s.status = 'modified' THEN s.data ELSE d.sample_data END
  FROM jsonb_to_recordset((SELECT decisions FROM bench.decide_payloads WHERE n = %(n)s))
       AS s(sample_key text, status text, note text, data jsonb)
 WHERE d.version_id = %(version)s AND d.sample_key = s.sample_key
"""

AUDIT_UPDATE_OFF = "ALTER TABLE phaseline.sample_decisions DISABLE TRIGGER _900_audit_update"
AUDIT_UPDATE_ON = "ALTER TABLE phaseline.sample_decisions ENABLE TRIGGER _900_audit_update"


def bench_decide(conn, w: World, sc: dict, row: Row, audit_row: Row) -> None:
    """decide_samples of N pending samples in one call (80% approved, 10% rejected with a
    note, 10% modified with new data) against the same UPDATE ... FROM jsonb_to_recordset
    on the plain copy; and the call with its audit trigger off."""
    n = sc["decide"]
    conn.execute(
        "INSERT INTO bench.decide_payloads (n, decisions) "
        "SELECT %s, jsonb_agg(CASE WHEN i %% 10 = 0 THEN jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), 'status', 'rejected', 'note', 'out of scope') "
        "                         WHEN i %% 10 = 1 THEN jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), 'status', 'modified', 'data', jsonb_build_object('account', 'B' || i)) "
        "                         ELSE jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), 'status', 'approved') END ORDER BY i) "
        "FROM generate_series(1, %s::int) i",
        (n, n),
    )
    reports = w.pairs(sc["rounds"] * 2)

    def api(audit: bool):
        def go():
            version = load_pending_selection(conn, w, reports.pop(), n, None)
            conn.execute("ANALYZE phaseline.sample_decisions")
            if not audit:
                conn.execute(AUDIT_UPDATE_OFF)
            try:
                conn.execute("CHECKPOINT")
                secs, res = timed(
                    conn,
                    "SELECT phaseline_api.decide_samples(%s, (SELECT decisions FROM bench.decide_payloads WHERE n = %s), %s)",
                    (version, n, w.owner),
                )
            finally:
                if not audit:
                    conn.execute(AUDIT_UPDATE_ON)
            assert res[0][0] == n, f"decide_samples decided {res[0][0]}, expected {n}"
            return secs

        return go

    def plain():
        pv = str(uuid.uuid4())
        in_tx(
            conn,
            [
                (
                    "INSERT INTO bench.decisions_plain (version_id, sample_key, sample_data, recommendation_source, recommended_by) "
                    "SELECT %s, 'S' || lpad(i::text, 8, '0'), jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000), "
                    "'tester', %s FROM generate_series(1, %s::int) i",
                    (pv, w.tester, n),
                )
            ],
        )
        conn.execute("ANALYZE bench.decisions_plain")
        conn.execute("CHECKPOINT")
        secs, _ = timed(conn, DECIDE_PLAIN, {"actor": w.owner, "n": n, "version": pv})
        got = one(
            conn,
            "SELECT count(*) FROM bench.decisions_plain WHERE version_id = %s AND decision_status <> 'pending'",
            (pv,),
        )
        assert got == n, f"the plain update decided {got}, expected {n}"
        return secs

    for rnd in range(sc["rounds"]):
        t = run_rotated({"plain": plain, "api": api(True), "api_no_audit": api(False)}, rnd)
        row.add(t["plain"], t["api"])
        audit_row.add(t["api_no_audit"], t["api"])
        log(f"8 decide {n:,} round {rnd + 1}/{sc['rounds']}: " + ", ".join(f"{k} {v:.2f}s" for k, v in t.items()))


# --- 9: audit_trail at a small and a large log ------------------------------------------


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


def bench_audit_trail(conn, w: World, sc: dict, row: Row) -> None:
    """audit_trail(row) of the same rows, M calls, with the log at 10,000 entries and
    after it grew to the scale's size (default 10M), both times over the same thirteen
    monthly partitions (a year of history and this month).
    The probed rows: report attribute versions (one event per change) and sample
    decisions (grouped events of a 1,000-sample recommend and decide)."""
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
    m, rounds = sc["trails"], sc["rounds"]
    got = one(conn, "SELECT bench.trail_loop(%s::uuid[], 1)", (ids,))
    assert got > 0, "audit_trail returned nothing for the probes"

    def measure():
        secs, res = timed(conn, "SELECT bench.trail_loop(%s::uuid[], %s)", (ids, m))
        assert res[0][0] > m, "audit_trail returned too few entries"
        return secs

    measure()  # warm: the first pass reads the probes' rows and index pages in
    at_small = [measure() for _ in range(rounds)]
    entries_small = log_entries(conn)
    log(f"9 audit_trail at {entries_small:,} entries: " + ", ".join(f"{t:.3f}s" for t in at_small))
    log(f"9 growing the log to {sc['trail_log']:,} entries")
    grow_log(conn, sc["trail_log"], 12)
    measure()
    at_large = [measure() for _ in range(rounds)]
    entries_large = log_entries(conn)
    log(f"9 audit_trail at {entries_large:,} entries: " + ", ".join(f"{t:.3f}s" for t in at_large))
    row.n = f"{m:,} calls, {entries_small:,} vs {entries_large:,}"
    for a, b in zip(at_small, at_large, strict=False):
        row.add(a, b)


# --- 10: the size of the log ---------------------------------------------------------------

LOG_SIZE = """SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) + pg_total_relation_size('phaseline.audit_log_0_1_0')
                FROM pg_inherits i WHERE i.inhparent = 'phaseline.audit_events'::regclass"""
DATA_SIZE = "SELECT pg_total_relation_size('phaseline.sample_decisions') + pg_total_relation_size('phaseline.sample_selection_versions')"


def bench_log_size(conn, w: World, sc: dict, row: Row) -> None:
    """Through the API: recommend N samples, submit, decide all N, approve, start the next
    version (carrying the N). The growth of the log (all partitions, indexes and TOAST)
    against the growth of the decisions and versions it covers (tables, indexes, TOAST)."""
    n = sc["log_size"]
    if not conn.execute("SELECT 1 FROM bench.payloads WHERE n = %s", (n,)).fetchone():
        conn.execute(
            "INSERT INTO bench.payloads (n, samples) "
            "SELECT %s, jsonb_agg(jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), "
            "'data', jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000)) ORDER BY i) "
            "FROM generate_series(1, %s::int) i",
            (n, n),
        )
    decisions = (
        "SELECT jsonb_agg(jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), 'status', 'approved') ORDER BY i) "
        "FROM generate_series(1, %s::int) i"
    )
    report = w.pairs(1)[0]
    conn.execute("CHECKPOINT")
    log0, data0 = int(one(conn, LOG_SIZE)), int(one(conn, DATA_SIZE))
    v1 = one(conn, "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w.cycle, report, w.tester))
    conn.execute(
        "SELECT phaseline_api.recommend_samples(%s, (SELECT samples FROM bench.payloads WHERE n = %s), 'tester', %s)",
        (v1, n, w.tester),
    )
    conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (v1, w.tester))
    conn.execute(f"SELECT phaseline_api.decide_samples(%s, ({decisions}), %s)", (v1, n, w.owner))
    conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (v1, w.owner))
    v2 = one(conn, "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w.cycle, report, w.tester))
    assert one(conn, "SELECT count(*) FROM phaseline.sample_decisions WHERE version_id = %s", (v2,)) == n
    conn.execute("CHECKPOINT")
    log1, data1 = int(one(conn, LOG_SIZE)), int(one(conn, DATA_SIZE))
    row.add(float(data1 - data0), float(log1 - log0))
    log(f"10 log size: {(log1 - log0) / 1e6:,.1f} MB of log for {(data1 - data0) / 1e6:,.1f} MB of data")


# --- 5: look-ups at many versions ----------------------------------------------------

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


def bench_lookups(conn, w: World, sc: dict, rows: dict) -> list[str]:
    cycle, _ = load_lookup_versions(conn, w, sc["lookup_versions"])
    count = one(conn, "SELECT count(*) FROM phaseline.report_attributes WHERE cycle_id = %s", (cycle,))
    keys = conn.execute(
        "SELECT report_id, attribute_name, id FROM phaseline.report_attributes "
        "WHERE cycle_id = %s AND is_latest ORDER BY md5(id::text) LIMIT 1000",
        (cycle,),
    ).fetchall()
    reps = [str(k[0]) for k in keys]
    names = [k[1] for k in keys]
    ids = [str(k[2]) for k in keys]
    m = sc["lookups"]
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
    for rnd in range(sc["rounds"]):
        t = {}
        for k in rotate(list(calls), rnd):
            secs, res = calls[k]()
            assert res[0][0] == m, f"look-up {k} found {res[0][0]} of {m}"
            t[k] = secs
        for k, row in rows.items():
            row.add(t["pk"], t[LOOKUP_ROWS[k]])
        log(f"5 look-ups round {rnd + 1}/{sc['rounds']}: " + ", ".join(f"{k} {v:.3f}s" for k, v in t.items()))

    plans = []
    params = (cycle, reps[0], names[0])
    for k, q in LOOKUP_SQL.items():
        args = (ids[0],) if k == "pk" else params
        plan = [r[0] for r in conn.execute("EXPLAIN (COSTS OFF) " + q, args).fetchall()]
        plans.append(f"  {k}:\n" + "\n".join("    " + p for p in plan))
    return plans


# --- 6: phase overview vs the legacy seven-table join ---------------------------------

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


def bench_overview(conn, w: World, sc: dict, row: Row) -> None:
    pair_c, pair_r = load_phase_data(conn, w, sc["overview_pairs"])
    rows_pl = one(conn, "SELECT count(*) FROM phaseline.workflow_phase_data")
    rows_legacy = one(conn, "SELECT " + " + ".join(f"(SELECT count(*) FROM legacy.{p}_phases)" for p in PHASES))
    m = sc["overviews"]
    row.n = f"{m:,} x ({len(pair_c):,} pairs)"
    row.note = f"{rows_pl:,} phase versions vs {rows_legacy:,} legacy rows"
    order = list(range(len(pair_c)))
    # a fixed shuffle, so the same pairs are asked in the same order on both sides
    order.sort(key=lambda i: (i * 2654435761) % 4294967296)
    cs = [pair_c[i] for i in order]
    rs = [pair_r[i] for i in order]
    for rnd in range(sc["rounds"]):
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
        log(f"6 overview round {rnd + 1}/{sc['rounds']}: legacy {t['legacy']:.3f}s, api {t['api']:.3f}s")


# --- where the time of the bulk paths goes -------------------------------------------


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


def render_profile(title: str, total: float, stmts: list[dict]) -> list[str]:
    out = [
        f"{title}: {total * 1000:,.0f} ms in all (instrumented)",
        f"  {'ms':>9}  {'own ms':>9}  statement (and its triggers)",
    ]
    for s in sorted(stmts, key=lambda s: -s["ms"]):
        if s["ms"] < total * 1000 * 0.01:
            continue
        trig = sum(t["Time"] for t in s["triggers"])
        q = s["query"]
        out.append(f"  {s['ms']:9,.0f}  {s['ms'] - trig:9,.0f}  {q[:110]}{'...' if len(q) > 110 else ''}")
        for t in sorted(s["triggers"], key=lambda t: -t["Time"]):
            name = t.get("Constraint Name") and f"FK {t['Constraint Name']}" or t["Trigger Name"]
            out.append(
                f"  {'':9}  {'':9}    trigger {name} on {t['Relation']}: {t['Time']:,.0f} ms, {t['Calls']:,} call(s)"
            )
    return out


def render_aggregate(title: str, total: float, stmts: list[dict], calls: int) -> list[str]:
    """Statements summed over many calls of one API function: where one call's time goes."""
    agg: dict[str, dict] = {}
    for s in stmts:
        a = agg.setdefault(s["query"], dict(ms=0.0, n=0, triggers={}))
        a["ms"] += s["ms"]
        a["n"] += 1
        for t in s["triggers"]:
            name = t.get("Constraint Name") and f"FK {t['Constraint Name']}" or t["Trigger Name"]
            a["triggers"][f"{name} on {t['Relation']}"] = (
                a["triggers"].get(f"{name} on {t['Relation']}", 0.0) + t["Time"]
            )
    out = [
        f"{title}: {total * 1000:,.0f} ms in all (instrumented), {total * 1e6 / calls:,.0f} us per call",
        f"  {'us/call':>9}  {'own':>9}  statement, summed over the calls (and its triggers)",
    ]
    for q, a in sorted(agg.items(), key=lambda kv: -kv[1]["ms"])[:12]:
        trig = sum(a["triggers"].values())
        out.append(
            f"  {a['ms'] * 1000 / calls:9,.1f}  {(a['ms'] - trig) * 1000 / calls:9,.1f}  {q[:110]}{'...' if len(q) > 110 else ''}"
        )
        for name, ms in sorted(a["triggers"].items(), key=lambda kv: -kv[1]):
            out.append(f"  {'':9}  {'':9}    trigger {name}: {ms * 1000 / calls:,.1f} us/call")
    return out


def profile_bulk(conn, w: World, sc: dict) -> list[str]:
    out = [
        "where the time goes: auto_explain (ANALYZE, nested statements, triggers) inside the API call,",
        "rolled back; instrumentation makes it slower than in the table. Statements over 1% of the call.",
    ]
    n = min(sc["versions"], 1_000)  # in one transaction: one advisory lock per version held until its end
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
    n = sc["recommend"]
    if not conn.execute("SELECT 1 FROM bench.payloads WHERE n = %s", (n,)).fetchone():
        conn.execute(
            "INSERT INTO bench.payloads (n, samples) "
            "SELECT %s, jsonb_agg(jsonb_build_object('sample_key', 'S' || lpad(i::text, 8, '0'), "
            "'data', jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000)) ORDER BY i) "
            "FROM generate_series(1, %s::int) i",
            (n, n),
        )
    report = w.pairs(1)[0]
    version = one(conn, "SELECT phaseline_api.start_sample_selection(%s, %s, %s)", (w.cycle, report, w.tester))
    total, stmts = auto_explained(
        conn,
        "SELECT phaseline_api.recommend_samples(%s, (SELECT samples FROM bench.payloads WHERE n = %s), 'tester', %s)",
        (version, n, w.tester),
        min_ms=max(1.0, n / 20_000),
    )
    out += [""] + render_profile(f"recommend_samples of {n:,} samples", total, stmts)

    n = sc["carry"][1]
    report = w.pairs(1)[0]
    load_source_selection(conn, w, report, n)
    conn.execute("ANALYZE phaseline.sample_decisions, phaseline.sample_selection_versions")
    conn.execute("CHECKPOINT")
    total, stmts = auto_explained(
        conn,
        "SELECT phaseline_api.start_sample_selection(%s, %s, %s)",
        (w.cycle, report, w.tester),
        min_ms=max(1.0, n / 20_000),
    )
    out += [""] + render_profile(f"start_sample_selection carrying {n:,} decisions", total, stmts)

    n = sc["decide"]
    if not conn.execute("SELECT 1 FROM bench.decide_payloads WHERE n = %s", (n,)).fetchone():
        return out
    version = load_pending_selection(conn, w, w.pairs(1)[0], n, None)
    conn.execute("ANALYZE phaseline.sample_decisions")
    conn.execute("CHECKPOINT")
    total, stmts = auto_explained(
        conn,
        "SELECT phaseline_api.decide_samples(%s, (SELECT decisions FROM bench.decide_payloads WHERE n = %s), %s)",
        (version, n, w.owner),
        min_ms=max(1.0, n / 20_000),
    )
    out += [""] + render_profile(f"decide_samples of {n:,} samples", total, stmts)
    return out


# --- driver --------------------------------------------------------------------------------


def rotate(items: list, rnd: int) -> list:
    k = rnd % len(items)
    return items[k:] + items[:k]


def run_rotated(sides: dict, rnd: int) -> dict:
    """Each side once, the first one changing every round (drift and cache warmth even out)."""
    return {k: sides[k]() for k in rotate(list(sides), rnd)}


def machine(conn) -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    settings = dict(
        conn.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings "
            "WHERE name IN ('shared_buffers', 'work_mem', 'max_wal_size', 'fsync')"
        ).fetchall()
    )
    try:
        rev = (
            subprocess.run(
                ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "?"
        )
    except (OSError, subprocess.SubprocessError):
        rev = "?"
    return [
        f"machine: {os.cpu_count()} cpus ({cpu}), {ram} RAM, {platform.system()} {platform.release()}",
        f"server:  {one(conn, 'SELECT version()')}",
        "settings: "
        + ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        + "; measured sessions: synchronous_commit=off",
        f"phaseline: {rev}",
    ]


def make_rows(sc: dict, scale: str) -> dict[str, Row]:
    c1, c2 = sc["carry"]

    def nfmt(n, quoted):
        return f"{n:,}" + ("" if n == quoted or scale == "default" else f" (quoted: {quoted:,})")

    return {
        "1": Row(
            "1",
            "new version: propose (prev. approved)",
            nfmt(sc["versions"], QUOTED["versions"]),
            "INSERT + UPDATE, plain table",
        ),
        "1b": Row(
            "1b", "new version: propose + submit + approve", f"{sc['lifecycle']:,}", "same 7 statements, plain tables"
        ),
        "2a": Row("2a", "new version: propose", f"{sc['versions']:,}", "periods SYSTEM VERSIONING UPDATE"),
        "2b": Row("2b", "new version: propose via SQLAlchemy", f"{sc['continuum']:,}", "SQLAlchemy-Continuum"),
        "3a": Row(
            "3a",
            "carry-forward (start_sample_selection)",
            nfmt(c1, QUOTED["carry"][0]),
            "INSERT ... SELECT, plain table",
        ),
        "3b": Row(
            "3b",
            "carry-forward (start_sample_selection)",
            nfmt(c2, QUOTED["carry"][1]),
            "INSERT ... SELECT, plain table",
        ),
        "4": Row(
            "4",
            "recommend_samples, one call",
            nfmt(sc["recommend"], QUOTED["recommend"]),
            "INSERT ... jsonb_to_recordset, plain",
        ),
        "5a": Row("5a", "latest version (is_latest index)", "", "primary-key look-up"),
        "5b": Row("5b", "current approved version (table)", "", "primary-key look-up"),
        "5c": Row("5c", "current approved via approved_artifact()", "", "primary-key look-up"),
        "6": Row("6", "phase_overview(cycle, report)", "", "legacy seven-table join"),
        "7a": Row("7a", "audit on vs off: recommend_samples", f"{sc['recommend']:,}", "same call, audit trigger off"),
        "7b": Row("7b", "audit on vs off: carry-forward", f"{c1:,}", "same call, audit trigger off"),
        "7c": Row("7c", "audit on vs off: decide_samples", f"{sc['decide']:,}", "same call, audit trigger off"),
        "8": Row(
            "8",
            "decide_samples, one call",
            nfmt(sc["decide"], QUOTED["decide"]),
            "UPDATE ... FROM jsonb_to_recordset, plain",
        ),
        "9": Row("9", "audit_trail(row_id), large log vs 10k", "", "same calls at a 10k-entry log"),
        "10": Row(
            "10",
            "audit log growth vs data, recommend + decide + carry",
            nfmt(sc["log_size"], QUOTED["log_size"]),
            "growth of decisions + versions",
            unit="MB",
        ),
    }


def continuum_missing() -> str | None:
    try:
        import sqlalchemy  # noqa: F401, PLC0415
        import sqlalchemy_continuum  # noqa: F401, PLC0415
    except ImportError as exc:
        return (
            f"SQLAlchemy-Continuum is not installed ({exc.name} missing): "
            f"{sys.executable} -m pip install -e '.[bench]' (make install does)"
        )
    return None


GROUPS = {  # --only: which comparisons to run (7 is measured inside 3, 4 and 8)
    "1": ["1", "1b", "2a"],
    "2": ["2b"],
    "3": ["3a", "3b", "7b"],
    "4": ["4", "7a"],
    "5": ["5a", "5b", "5c"],
    "6": ["6"],
    "8": ["8", "7c"],
    "9": ["9"],
    "10": ["10"],
}
ORDER = ["1", "1b", "2a", "2b", "3a", "3b", "4", "8", "5a", "5b", "5c", "6", "7a", "7b", "7c", "9", "10"]


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


def default_dbname() -> str:
    """$PHASELINE_BENCH_DB; else named after $PHASELINE_TEST_DB, which keeps engineers sharing
    a server apart in the tests already, so their benchmark runs never drop each other's database."""
    if os.environ.get("PHASELINE_BENCH_DB"):
        return os.environ["PHASELINE_BENCH_DB"]
    if os.environ.get("PHASELINE_TEST_DB"):
        return os.environ["PHASELINE_TEST_DB"] + "_bench"
    return "phaseline_bench"


def main(argv=None) -> int:
    global QUIET
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
    ap.add_argument("--only", default="", help="comma-separated comparisons to run: 1,2,3,4,5,6,8,9,10 (default: all)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also show where the time of the bulk paths goes (EXPLAIN ANALYZE of their statements)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    QUIET = args.quiet
    sc = SCALES[args.scale]
    only = [g.strip() for g in args.only.split(",") if g.strip()] or list(GROUPS)
    unknown = [g for g in only if g not in GROUPS]
    if unknown:
        ap.error(f"--only: unknown comparison(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    server = server_params(args.db)
    maint_db = (conninfo_to_dict(args.db).get("dbname") if args.db else None) or "postgres"
    maint = make_conninfo(**{**server, "dbname": maint_db})
    dsn = make_conninfo(**{**server, "dbname": args.dbname})
    started = time.perf_counter()
    rows = make_rows(sc, args.scale)
    plans: list[str] = []
    profile: list[str] = []

    with psycopg.connect(maint, autocommit=True) as admin:
        log(f"scratch database {args.dbname}: drop and create")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.dbname)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.dbname)))
    try:
        deploy(dsn, log=lambda *_: None)
        with connect(dsn) as conn:
            info = machine(conn)
            conn.execute((BENCH_DIR / "legacy.sql").read_bytes())
            conn.execute((BENCH_DIR / "baselines.sql").read_bytes())
            w = World(conn)
            if "9" in only:  # first: it needs a log of 10,000 entries at most, then grows it
                log("9: audit_trail at a small and a large log")
                bench_audit_trail(conn, w, sc, rows["9"])
            if "1" in only:
                why = setup_periods(conn)
                if why:
                    rows["2a"].skipped = why
                log("1/2a: new versions")
                bench_versions(conn, w, sc, rows, have_periods=why is None)
            if "2" in only:
                why = continuum_missing()
                if why:
                    rows["2b"].skipped = why
                else:
                    log("2b: SQLAlchemy-Continuum")
                    bench_continuum(dsn, conn, w, sc, rows["2b"])
            if "4" in only:
                log("4/7a: recommend")
                bench_recommend(conn, w, sc, rows["4"], rows["7a"])
            if "3" in only:
                c1, c2 = sc["carry"]
                log(f"3/7b: carry-forward {c1:,}")
                bench_carry(conn, w, sc, c1, sc["rounds"], rows["3a"], rows["7b"])
                log(f"3: carry-forward {c2:,}")
                bench_carry(conn, w, sc, c2, sc["big_rounds"], rows["3b"], None)
            if "8" in only:
                log("8/7c: decide")
                bench_decide(conn, w, sc, rows["8"], rows["7c"])
            if "10" in only:
                log("10: log size")
                bench_log_size(conn, w, sc, rows["10"])
            if "5" in only:
                log("5: look-ups")
                plans = bench_lookups(conn, w, sc, {"5a": rows["5a"], "5b": rows["5b"], "5c": rows["5c"]})
            if "6" in only:
                log("6: phase overview")
                bench_overview(conn, w, sc, rows["6"])
            if args.profile:
                log("profile of the bulk paths")
                profile = profile_bulk(conn, w, sc)
    finally:
        if not args.keep:
            with psycopg.connect(maint, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.dbname)))

    chosen = [k for k in ORDER if any(k in GROUPS[g] for g in only)]
    print(
        f"phaseline benchmarks, scale {args.scale}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    print("\n".join(info))
    print("ratio = phaseline time / baseline time, per round; the table gives its median, min and max,")
    print("and the median time of each side (ms). 7: baseline = the same call with the audit trigger off.")
    print("9: baseline = the same audit_trail calls before the log grew. 10: sizes, not times (MB).")
    print()
    print(render_table([rows[k] for k in chosen]))
    if plans:
        print()
        print("plans of the look-ups (5):")
        print("\n".join(plans))
    if profile:
        print()
        print("\n".join(profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
