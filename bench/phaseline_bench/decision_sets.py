"""Bulk comparisons of a decision set: a versioned parent (one row per version)
whose N decisions, one per item key, are recommended, decided and carried
forward in one API call each. Measured against the raw statement that writes
the same rows into a plain copy of the decisions table (LIKE ... INCLUDING ALL).

One DecisionSet describes the tables and API functions; recommend(), carry(),
decide() and log_size() make its comparisons for registry.py. SAMPLES is
sample selection (rows 3, 4, 7, 8, 10).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .plumbing import World, in_tx, one, round_line, run_rotated, timed
from .spec import Comparison, RowSpec


@dataclass(frozen=True)
class DecisionSet:
    """The tables and API of one decision set. The decisions table (in schema
    phaseline) has version_id, the key and data columns, recommendation_source,
    recommended_by/_at, decision_status, decided_by/_at, decision_note and
    carried_from_version_id, carried_from_decision_id, origin_decision_id; the
    JSON elements of recommend and decide name the key as the key column does.
    """

    name: str  # the items, in progress lines and profiles: "samples"
    versions: str  # phaseline.<versions>: one row per version of (cycle, report)
    decisions: str  # phaseline.<decisions>: one row per version and item
    key: str  # item key column, and the key's name in the JSON elements
    data: str  # item data column
    start: str  # function(cycle, report, actor) -> uuid: a new draft version, carrying the
    #             decisions of the latest approved version when there is one
    recommend: str  # function(version, items jsonb, source, actor) -> count
    decide: str  # function(version, decisions jsonb, actor) -> count
    plain: str  # the baseline table; created LIKE phaseline.<decisions> INCLUDING ALL when missing
    recommend_payloads: str  # bench tables (n, jsonb) holding the JSON of recommend and
    decide_payloads: str  # decide server-side; created when missing
    carry_sql: str = ""  # SQL (named: cycle, report, actor, source) that makes the next version
    #                      carrying source's decisions and returns its id; "": SELECT start(...)
    key_prefix: str = "S"
    json_key: str = ""  # the key's name in the JSON elements, when not the key column's (generic API: item_key)
    start_call: str = ""  # SQL (named: cycle, report, actor) that starts a version; "": SELECT start(...)
    title_suffix: str = ""  # after the function's name in the table: " (scoping)"
    audit_insert: str = "_900_audit_insert"
    audit_update: str = "_900_audit_update"

    @property
    def start_sql(self) -> str:
        return self.start_call or f"SELECT {self.start}(%(cycle)s, %(report)s, %(actor)s)"

    @property
    def jk(self) -> str:
        return self.json_key or self.key

    def short(self, fn: str) -> str:
        return fn.rsplit(".", 1)[-1]

    def audit(self, trigger: str, on: bool) -> str:
        return f"ALTER TABLE phaseline.{self.decisions} {'ENABLE' if on else 'DISABLE'} TRIGGER {trigger}"

    @contextmanager
    def audit_off(self, conn, trigger: str, off: bool) -> Iterator[None]:
        """With off, the block runs with the audit trigger disabled (the baseline of rows 7)."""
        if off:
            conn.execute(self.audit(trigger, on=False))
        try:
            yield
        finally:
            if off:
                conn.execute(self.audit(trigger, on=True))

    # --- SQL -------------------------------------------------------------------------

    def key_expr(self) -> str:
        return f"'{self.key_prefix}' || lpad(i::text, 8, '0')"

    def data_expr(self) -> str:
        return "jsonb_build_object('account', 'A' || (i %% 9973), 'amount', i * 7 %% 100000)"

    def recommend_call(self) -> str:
        return (
            f"SELECT {self.recommend}(%s, (SELECT samples FROM {self.recommend_payloads} WHERE n = %s), 'tester', %s)"
        )

    def decide_call(self) -> str:
        return f"SELECT {self.decide}(%s, (SELECT decisions FROM {self.decide_payloads} WHERE n = %s), %s)"

    def recommend_plain(self) -> str:
        return (
            f"INSERT INTO {self.plain} (version_id, {self.key}, {self.data}, recommendation_source, recommended_by) "
            f"SELECT %s, s.{self.jk}, coalesce(s.data, '{{}}'), 'tester', %s "
            f"FROM jsonb_to_recordset((SELECT samples FROM {self.recommend_payloads} WHERE n = %s)) AS s({self.jk} text, data jsonb)"
        )

    def carry_plain(self) -> str:
        return f"""
INSERT INTO {self.plain}
       (version_id, {self.key}, {self.data}, recommendation_source, recommended_by, recommended_at,
        decision_status, decided_by, decided_at, decision_note,
        carried_from_version_id, carried_from_decision_id, origin_decision_id)
SELECT %(to)s, d.{self.key}, d.{self.data}, 'carried_forward', %(actor)s, now(),
       d.decision_status, d.decided_by, d.decided_at, d.decision_note,
       d.version_id, d.id, coalesce(d.origin_decision_id, d.id)
  FROM phaseline.{self.decisions} d
 WHERE d.version_id = %(from)s AND d.decision_status IN ('approved', 'modified')
"""

    def decide_plain(self) -> str:
        return f"""
UPDATE {self.plain} AS d
   SET decision_status = s.status::phaseline.decision_status,
       decided_by      = %(actor)s,
       decided_at      = now(),
       decision_note   = s.note,
       {self.data} = CASE WHEN s.status = 'modified' THEN s.data ELSE d.{self.data} END
  FROM jsonb_to_recordset((SELECT decisions FROM {self.decide_payloads} WHERE n = %(n)s))
       AS s({self.jk} text, status text, note text, data jsonb)
 WHERE d.version_id = %(version)s AND d.{self.key} = s.{self.jk}
"""

    def pending_rows(self) -> str:
        """n pending decisions recommended by the tester (params: version, tester, n)."""
        return f"SELECT %s, {self.key_expr()}, {self.data_expr()}, 'tester', %s FROM generate_series(1, %s::int) i"

    # --- setup (untimed) ---------------------------------------------------------------

    def prepare(self, conn) -> None:
        """The baseline and payload tables (bench/baselines.sql has those of SAMPLES)."""
        for table, ddl in (
            (self.plain, f"CREATE TABLE {self.plain} (LIKE phaseline.{self.decisions} INCLUDING ALL)"),
            (
                self.recommend_payloads,
                f"CREATE TABLE {self.recommend_payloads} (n integer PRIMARY KEY, samples jsonb NOT NULL)",
            ),
            (
                self.decide_payloads,
                f"CREATE TABLE {self.decide_payloads} (n integer PRIMARY KEY, decisions jsonb NOT NULL)",
            ),
        ):
            if one(conn, "SELECT to_regclass(%s) IS NULL", (table,)):
                conn.execute(ddl)

    def store_recommend_payload(self, conn, n: int) -> None:
        """The JSON of recommend for n items, kept server-side."""
        if conn.execute(f"SELECT 1 FROM {self.recommend_payloads} WHERE n = %s", (n,)).fetchone():
            return
        conn.execute(
            f"INSERT INTO {self.recommend_payloads} (n, samples) "
            f"SELECT %s, jsonb_agg(jsonb_build_object('{self.jk}', {self.key_expr()}, "
            f"'data', {self.data_expr()}) ORDER BY i) "
            "FROM generate_series(1, %s::int) i",
            (n, n),
        )

    def store_decide_payload(self, conn, n: int) -> None:
        """The JSON of decide for n items: 80% approved, 10% rejected with a note, 10% modified with new data."""
        if conn.execute(f"SELECT 1 FROM {self.decide_payloads} WHERE n = %s", (n,)).fetchone():
            return
        k = self.key_expr()
        conn.execute(
            f"INSERT INTO {self.decide_payloads} (n, decisions) "
            f"SELECT %s, jsonb_agg(CASE WHEN i %% 10 = 0 THEN jsonb_build_object('{self.jk}', {k}, 'status', 'rejected', 'note', 'out of scope') "
            f"                         WHEN i %% 10 = 1 THEN jsonb_build_object('{self.jk}', {k}, 'status', 'modified', 'data', jsonb_build_object('account', 'B' || i)) "
            f"                         ELSE jsonb_build_object('{self.jk}', {k}, 'status', 'approved') END ORDER BY i) "
            "FROM generate_series(1, %s::int) i",
            (n, n),
        )

    def load_source(self, conn, w: World, report: str, n: int) -> str:
        """An approved version 1 with n approved decisions."""
        vid = str(uuid.uuid4())
        in_tx(
            conn,
            [
                (
                    f"INSERT INTO phaseline.{self.versions} (id, version_number, is_latest, version_status, created_by, "
                    "submitted_at, submitted_by, reviewed_at, reviewed_by, cycle_id, report_id) "
                    "VALUES (%s, 1, true, 'approved', %s, now(), %s, now(), %s, %s, %s)",
                    (vid, w.tester, w.tester, w.owner, w.cycle, report),
                ),
                (
                    f"INSERT INTO phaseline.{self.decisions} (version_id, {self.key}, {self.data}, recommendation_source, "
                    "recommended_by, decision_status, decided_by, decided_at) "
                    f"SELECT %s, {self.key_expr()}, {self.data_expr()}, "
                    "'tester', %s, 'approved', %s, now() FROM generate_series(1, %s::int) i",
                    (vid, w.tester, w.owner, n),
                ),
            ],
            replica=True,
        )
        return vid

    def load_pending(self, conn, w: World, report: str, n: int) -> str:
        """A version pending approval, submitted by tester, with n pending decisions recommended by tester."""
        vid = str(uuid.uuid4())
        in_tx(
            conn,
            [
                (
                    f"INSERT INTO phaseline.{self.versions} (id, version_number, is_latest, version_status, created_by, "
                    "submitted_at, submitted_by, contributors, cycle_id, report_id) "
                    "VALUES (%s, 1, true, 'pending_approval', %s, now(), %s, ARRAY[%s], %s, %s)",
                    (vid, w.tester, w.tester, w.tester, w.cycle, report),
                ),
                (
                    f"INSERT INTO phaseline.{self.decisions} (version_id, {self.key}, {self.data}, recommendation_source, recommended_by) "
                    + self.pending_rows(),
                    (vid, w.tester, n),
                ),
            ],
            replica=True,
        )
        return vid

    def carry_statement(self) -> str:
        return self.carry_sql or self.start_sql


SAMPLES = DecisionSet(
    name="samples",
    versions="sample_selection_versions",
    decisions="sample_decisions",
    key="sample_key",
    data="sample_data",
    start="phaseline_api.start_sample_selection",
    recommend="phaseline_api.recommend_samples",
    decide="phaseline_api.decide_samples",
    plain="bench.decisions_plain",
    recommend_payloads="bench.payloads",
    decide_payloads="bench.decide_payloads",
)

# A decision set generated from the template (issue 16), through the generic API.
SCOPING = DecisionSet(
    name="scoping items",
    versions="scoping_versions",
    decisions="scoping_items",
    key="attribute_name",
    data="attribute_data",
    start="phaseline_api.start_decision_set",
    start_call="SELECT phaseline_api.start_decision_set('scoping', %(cycle)s, %(report)s, %(actor)s)",
    recommend="phaseline_api.recommend_items",
    decide="phaseline_api.decide_items",
    plain="bench.scoping_plain",
    recommend_payloads="bench.scoping_payloads",
    decide_payloads="bench.scoping_decide_payloads",
    key_prefix="A",
    json_key="item_key",
    title_suffix=" (scoping)",
)


# --- comparisons ------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """One carry-forward row: its key, the scale parameters of its N and of its
    rounds, and the key of its audit-off row (None: not measured at this size)."""

    key: str
    n: str
    rounds: str = "rounds"
    audit_key: str | None = None


def recommend(ds: DecisionSet, id: str, *, key: str, audit_key: str | None, n: str) -> Comparison:
    """The recommend call of n items against INSERT ... SELECT FROM jsonb_to_recordset of
    the same JSON into the plain table; and (audit_key) the call with its audit trigger off."""
    fn = ds.short(ds.recommend) + ds.title_suffix
    rows = [RowSpec(key, f"{fn}, one call", "INSERT ... jsonb_to_recordset, plain", n, quoted=True)]
    if audit_key:
        rows.append(RowSpec(audit_key, f"audit on vs off: {fn}", "same call, audit trigger off", n))

    def run(ctx, p, rows):
        conn, w, size, rounds = ctx.conn, ctx.world, p[n], p["rounds"]
        ds.prepare(conn)
        ds.store_recommend_payload(conn, size)
        reports = w.pairs(rounds * 2)

        def api(audit: bool):
            def go():
                report = reports.pop()
                version = one(conn, ds.start_sql, dict(cycle=w.cycle, report=report, actor=w.tester))
                with ds.audit_off(conn, ds.audit_insert, off=not audit):
                    conn.execute("CHECKPOINT")
                    secs, res = timed(conn, ds.recommend_call(), (version, size, w.tester))
                assert res[0][0] == size, f"{fn} inserted {res[0][0]}, expected {size}"
                conn.execute(f"ANALYZE phaseline.{ds.decisions}")
                return secs

            return go

        def plain():
            conn.execute("CHECKPOINT")
            secs, _ = timed(conn, ds.recommend_plain(), (str(uuid.uuid4()), w.tester, size))
            conn.execute(f"ANALYZE {ds.plain}")
            return secs

        for rnd in range(rounds):
            sides = {"plain": plain, "api": api(True)}
            if audit_key:
                sides["api_no_audit"] = api(False)
            t = run_rotated(sides, rnd)
            rows[key].add(t["plain"], t["api"])
            if audit_key:
                rows[audit_key].add(t["api_no_audit"], t["api"])
            ctx.log(round_line(f"{id} {fn} {size:,}", rnd, rounds, t))

    return Comparison(id, f"{fn} of {ds.name}", tuple(rows), (n, "rounds"), run)


def carry(ds: DecisionSet, id: str, *, sizes: tuple[Size, ...]) -> Comparison:
    """A new version carrying the N approved decisions of the latest approved one, in one
    call, against INSERT ... SELECT of the same rows into the plain table; per size, and
    (audit_key) the call with its audit trigger off. Rounds chain: each new version is
    submitted and approved (untimed) to be the next round's source."""
    fn = ds.short(ds.start) if not ds.carry_sql else "carry-forward"
    set_label = ds.title_suffix.strip(" ()")
    title = (
        f"carry-forward ({set_label + ': ' if set_label else ''}{fn})"
        if not ds.carry_sql
        else f"carry-forward of {ds.name}"
    )
    rows: list[RowSpec] = []
    for s in sizes:
        rows.append(RowSpec(s.key, title, "INSERT ... SELECT, plain table", s.n, quoted=True))
    for s in sizes:
        if s.audit_key:
            rows.append(RowSpec(s.audit_key, "audit on vs off: carry-forward", "same call, audit trigger off", s.n))
    uses = tuple(dict.fromkeys(p for s in sizes for p in (s.n, s.rounds)))

    def run_size(ctx, size: int, rounds: int, row, audit_row) -> None:
        conn, w = ctx.conn, ctx.world
        report = w.pairs(1)[0]
        source = ds.load_source(conn, w, report, size)
        conn.execute(f"ANALYZE phaseline.{ds.decisions}, phaseline.{ds.versions}")

        def api(audit: bool):
            def go():
                nonlocal source
                with ds.audit_off(conn, ds.audit_insert, off=not audit):
                    conn.execute("CHECKPOINT")
                    secs, res = timed(
                        conn, ds.carry_statement(), dict(cycle=w.cycle, report=report, actor=w.tester, source=source)
                    )
                new = str(res[0][0])
                got = one(conn, f"SELECT count(*) FROM phaseline.{ds.decisions} WHERE version_id = %s", (new,))
                assert got == size, f"{fn} carried {got} decisions, expected {size}"
                conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (new, w.tester))
                conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (new, w.owner))
                conn.execute(f"ANALYZE phaseline.{ds.decisions}")
                source = new
                return secs

            return go

        def plain():
            conn.execute("CHECKPOINT")
            secs, _ = timed(conn, ds.carry_plain(), {"to": str(uuid.uuid4()), "actor": w.tester, "from": source})
            conn.execute(f"ANALYZE {ds.plain}")
            return secs

        for rnd in range(rounds):
            sides = {"plain": plain, "api": api(True)}
            if audit_row is not None:
                sides["api_no_audit"] = api(False)
            t = run_rotated(sides, rnd)
            row.add(t["plain"], t["api"])
            if audit_row is not None:
                audit_row.add(t["api_no_audit"], t["api"])
            ctx.log(round_line(f"{id} carry-forward {size:,}", rnd, rounds, t))

    def run(ctx, p, rows):
        ds.prepare(ctx.conn)
        for s in sizes:
            ctx.log(f"{id}: carry-forward {p[s.n]:,} ({', '.join(k for k in (s.key, s.audit_key) if k)})")
            run_size(ctx, p[s.n], p[s.rounds], rows[s.key], rows[s.audit_key] if s.audit_key else None)

    return Comparison(id, f"carry-forward of {ds.name}", tuple(rows), uses, run)


def decide(ds: DecisionSet, id: str, *, key: str, audit_key: str | None, n: str) -> Comparison:
    """The decide call of n pending items (80% approved, 10% rejected with a note, 10%
    modified with new data) on a version loaded pending approval, against the same
    UPDATE ... FROM jsonb_to_recordset on the plain table loaded with the same rows;
    and (audit_key) the call with its audit trigger off."""
    fn = ds.short(ds.decide) + ds.title_suffix
    rows = [RowSpec(key, f"{fn}, one call", "UPDATE ... FROM jsonb_to_recordset, plain", n, quoted=True)]
    if audit_key:
        rows.append(RowSpec(audit_key, f"audit on vs off: {fn}", "same call, audit trigger off", n))

    def run(ctx, p, rows):
        conn, w, size, rounds = ctx.conn, ctx.world, p[n], p["rounds"]
        ds.prepare(conn)
        ds.store_decide_payload(conn, size)
        reports = w.pairs(rounds * 2)

        def api(audit: bool):
            def go():
                version = ds.load_pending(conn, w, reports.pop(), size)
                conn.execute(f"ANALYZE phaseline.{ds.decisions}")
                with ds.audit_off(conn, ds.audit_update, off=not audit):
                    conn.execute("CHECKPOINT")
                    secs, res = timed(conn, ds.decide_call(), (version, size, w.owner))
                assert res[0][0] == size, f"{fn} decided {res[0][0]}, expected {size}"
                return secs

            return go

        def plain():
            pv = str(uuid.uuid4())
            in_tx(
                conn,
                [
                    (
                        f"INSERT INTO {ds.plain} (version_id, {ds.key}, {ds.data}, recommendation_source, recommended_by) "
                        + ds.pending_rows(),
                        (pv, w.tester, size),
                    )
                ],
            )
            conn.execute(f"ANALYZE {ds.plain}")
            conn.execute("CHECKPOINT")
            secs, _ = timed(conn, ds.decide_plain(), {"actor": w.owner, "n": size, "version": pv})
            got = one(
                conn,
                f"SELECT count(*) FROM {ds.plain} WHERE version_id = %s AND decision_status <> 'pending'",
                (pv,),
            )
            assert got == size, f"the plain update decided {got}, expected {size}"
            return secs

        for rnd in range(rounds):
            sides = {"plain": plain, "api": api(True)}
            if audit_key:
                sides["api_no_audit"] = api(False)
            t = run_rotated(sides, rnd)
            rows[key].add(t["plain"], t["api"])
            if audit_key:
                rows[audit_key].add(t["api_no_audit"], t["api"])
            ctx.log(round_line(f"{id} {fn} {size:,}", rnd, rounds, t))

    return Comparison(id, f"{fn} of {ds.name}", tuple(rows), (n, "rounds"), run)


LOG_SIZE = """SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) + pg_total_relation_size('phaseline.audit_log_0_1_0')
                FROM pg_inherits i WHERE i.inhparent = 'phaseline.audit_events'::regclass"""


def log_size(ds: DecisionSet, id: str, *, key: str, n: str) -> Comparison:
    """Through the API: recommend N items, submit, decide all N, approve, start the next
    version (carrying the N). The growth of the log (all partitions, indexes and TOAST)
    against the growth of the decisions and versions it covers (tables, indexes, TOAST)."""
    row_spec = RowSpec(
        key,
        "audit log growth vs data, recommend + decide + carry",
        "growth of decisions + versions",
        n,
        quoted=True,
        unit="MB",
    )
    data_size = (
        f"SELECT pg_total_relation_size('phaseline.{ds.decisions}') + pg_total_relation_size('phaseline.{ds.versions}')"
    )

    def run(ctx, p, rows):
        conn, w, size = ctx.conn, ctx.world, p[n]
        ds.prepare(conn)
        ds.store_recommend_payload(conn, size)
        decisions = (
            f"SELECT jsonb_agg(jsonb_build_object('{ds.jk}', {ds.key_expr()}, 'status', 'approved') ORDER BY i) "
            "FROM generate_series(1, %s::int) i"
        )
        report = w.pairs(1)[0]
        conn.execute("CHECKPOINT")
        log0, data0 = int(one(conn, LOG_SIZE)), int(one(conn, data_size))
        v1 = one(conn, ds.start_sql, dict(cycle=w.cycle, report=report, actor=w.tester))
        conn.execute(ds.recommend_call(), (v1, size, w.tester))
        conn.execute("SELECT phaseline_api.submit_version(%s, %s)", (v1, w.tester))
        conn.execute(f"SELECT {ds.decide}(%s, ({decisions}), %s)", (v1, size, w.owner))
        conn.execute("SELECT phaseline_api.approve_version(%s, %s)", (v1, w.owner))
        v2 = one(conn, ds.carry_statement(), dict(cycle=w.cycle, report=report, actor=w.tester, source=v1))
        assert one(conn, f"SELECT count(*) FROM phaseline.{ds.decisions} WHERE version_id = %s", (v2,)) == size
        conn.execute("CHECKPOINT")
        log1, data1 = int(one(conn, LOG_SIZE)), int(one(conn, data_size))
        rows[key].add(float(data1 - data0), float(log1 - log0))
        ctx.log(f"{id} log size: {(log1 - log0) / 1e6:,.1f} MB of log for {(data1 - data0) / 1e6:,.1f} MB of data")

    return Comparison(id, f"log size over {ds.name}", (row_spec,), (n,), run)
