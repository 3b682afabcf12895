"""A legacy database to migrate from: the DDL of sql/legacy and generated data.

Test fixture only, never part of a production deploy. `create_fixture`
creates the legacy tables (docs/LEGACY.md) in a schema of the target database and
fills them, set-based (generate_series), deterministically: the same scale
gives the same rows, ids included, in any database.

Scale is the number of sample records (about; orphans added). Everything
else follows from it: one master sample set of three versions per (cycle,
report) pair with about scale/2.9 records per master, eight attributes per
pair (some with two versions), the seven phase rows of each pair at a
progress that varies by pair, and users to own, test and review them.

The defects real legacy data has, each present at every scale (the first
masters carry them; every 50th master repeats the pattern):
  users      an email repeated in another case; a role no phaseline role is
             named ('Data Steward'); a legacy spelling ('Report Owner');
             a user without a name
  attributes a gap in version numbers (1, 3); two latest rows; no latest row;
             a master approved twice
  sets       a gap (1, 2, 4); two latest rows; no latest row; a set approved
             again while the older approval stands (re-approved); a new
             draft while the previous version still waits for approval
  records    orphans: set_id names no sample set. The legacy foreign key is
             dropped for the load and added back NOT VALID, as on a database
             whose key came after its bad rows: old orphans stay, new writes
             are checked
  phases     two rows for one phase of a report in a cycle; JSON nulls nested
             in validation_results (every completed data profiling row; and
             a key set to null where m % 50 = 11)
  statuses   spelled otherwise (m % 50 = 12): a set 'Approved', an attribute
             'APPROVED ', every phase upper case ('COMPLETED', 'IN_PROGRESS')
  open under closed (m % 50 = 13): attribute 1 pending in v1, approved in v2
  viewers    rows created or approved by a user whose role maps to viewer
             ('Data Steward'; m % 50 = 10: a set's approver, an attribute's creator)
  JSON null  sample_data that is JSON null, and a nested null (m % 50 = 11)

Live, LegacyWriter writes as the legacy application does: inserts,
updates and deletes, some in slow transactions, some at REPEATABLE READ.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .migrate import LEGACY_TABLES  # the tables the migration reads: the fixture makes exactly these
from .render import SQL_DIR, _environment, build_context

LEGACY_DDL = "legacy/010_tables.sql"


@dataclass(frozen=True)
class Plan:
    masters: int  # master sample sets = (cycle, report) pairs
    set_size: int  # records in a master's first version
    cycles: int
    users: int
    owners: int
    orphans: int

    @property
    def testers_from(self) -> int:
        return 2 + self.owners

    @property
    def testers(self) -> int:
        return self.users - 3 - self.testers_from  # the last three users are the defect ones

    @classmethod
    def for_scale(cls, scale: int) -> Plan:
        records = max(int(scale), 100)
        masters = max(14, math.ceil(records / 290))  # the defect patterns below need masters 0..13
        users = 14 + masters // 40
        return cls(
            masters=masters,
            set_size=max(5, round(records / (2.9 * masters))),
            cycles=max(2, math.ceil(masters / 800)),
            users=users,
            owners=max(3, users // 5),
            orphans=max(3, records // 100_000),
        )


def render_ddl(schema: str = "legacy", overrides: dict[str, str] | None = None) -> str:
    ctx = build_context({**(overrides or {}), "legacy_schema": schema})
    return _environment(SQL_DIR).get_template(LEGACY_DDL).render(ctx)


# Each statement is one INSERT ... SELECT over generate_series; {s} is the
# schema, %(name)s the plan's numbers. Ids are md5 of a readable name, so
# they are stable across runs and databases.
_USERS = """
INSERT INTO {s}.users (user_id, email, full_name, role)
SELECT u,
       CASE WHEN u = %(users)s THEN 'USER2@LEGACY.EXAMPLE' ELSE format('user%%s@legacy.example', u) END,
       CASE WHEN u = %(users)s - 2 THEN NULL ELSE format('User %%s', u) END,
       CASE WHEN u = 1 THEN 'admin'
            WHEN u = 3 THEN 'Report Owner'
            WHEN u BETWEEN 2 AND 1 + %(owners)s THEN 'report_owner'
            WHEN u = %(users)s - 1 THEN 'Data Steward'
            WHEN u = %(users)s THEN 'report_owner'
            ELSE 'tester' END
  FROM generate_series(1, %(users)s) AS u
"""

# Per master m: its pair, owner, tester and base time.
_PAIRS = """
CREATE TEMP TABLE _fx_pairs ON COMMIT DROP AS
SELECT m,
       md5('cycle:' || (m %% %(cycles)s))::uuid AS cycle_id,
       md5('report:' || (m / %(cycles)s))::uuid AS report_id,
       2 + ((m / %(cycles)s) %% %(owners)s) AS owner,
       %(testers_from)s + (m %% %(testers)s) AS tester,
       timestamptz '2024-01-01 08:00+00' + m * interval '7 minutes' AS t0
  FROM generate_series(0, %(masters)s - 1) AS m
"""

_ATTRIBUTES = """
INSERT INTO {s}.report_attributes
       (attribute_id, master_attribute_id, version_number, is_latest_version, cycle_id, report_id, attribute_name,
        data_type, description, is_primary_key, is_cde, is_scoped, approval_status, approved_by, approved_at,
        created_by, created_at)
SELECT md5(format('attr:%%s:%%s:%%s', p.m, a, v))::uuid, md5(format('attr:%%s:%%s', p.m, a))::uuid,
       CASE WHEN p.m %% 50 = 0 AND a = 0 AND v = 2 THEN 3 ELSE v END,
       CASE WHEN p.m %% 50 = 1 AND a = 0 THEN true
            WHEN p.m %% 50 = 2 AND a = 1 THEN false
            ELSE v = nv END,
       p.cycle_id, p.report_id, format('ATTR_%%s', lpad(a::text, 2, '0')),
       (ARRAY['string', 'number', 'date'])[1 + a %% 3], format('Attribute %%s of the report', a),
       a = 0, a %% 2 = 0, CASE WHEN a = 7 THEN NULL ELSE a < 6 END,
       st, CASE WHEN lower(btrim(st)) IN ('approved', 'rejected') THEN p.owner END,
       CASE WHEN lower(btrim(st)) IN ('approved', 'rejected') THEN p.t0 + a * interval '1 hour' + (v - 1) * interval '5 days' + interval '1 day' END,
       CASE WHEN p.m %% 50 = 10 AND a = 1 THEN %(users)s - 1 ELSE p.tester END,
       p.t0 + a * interval '1 hour' + (v - 1) * interval '5 days'
  FROM _fx_pairs p
 CROSS JOIN generate_series(0, 7) AS a
 CROSS JOIN LATERAL (SELECT CASE WHEN a %% 4 IN (0, 1) THEN 2 ELSE 1 END AS nv) n
 CROSS JOIN LATERAL generate_series(1, n.nv) AS v
 CROSS JOIN LATERAL (SELECT CASE WHEN p.m %% 50 = 13 AND a = 1 AND v = 1 THEN 'pending'
                                 WHEN p.m %% 50 = 13 AND a = 1 AND v = 2 THEN 'approved'
                                 WHEN p.m %% 50 = 12 AND a = 2 AND v = 1 THEN 'APPROVED '
                                 WHEN v = 1 AND a %% 4 = 0 THEN 'rejected'
                                 WHEN v = 1 THEN 'approved'
                                 WHEN a %% 4 = 0 THEN 'approved'
                                 WHEN p.m %% 50 = 8 THEN 'approved'
                                 ELSE 'pending' END AS st) s
"""

_SETS = """
INSERT INTO {s}.sample_sets
       (set_id, master_set_id, version_number, is_latest, cycle_id, report_id, status, created_by, created_at,
        submitted_at, approved_by, approved_at, rejection_reason)
SELECT md5(format('set:%%s:%%s', p.m, k))::uuid, md5(format('set:%%s', p.m))::uuid,
       CASE WHEN p.m %% 50 = 4 AND k = 3 THEN 4 ELSE k END,
       CASE WHEN p.m %% 50 = 5 THEN k >= 2 WHEN p.m %% 50 = 6 THEN false ELSE k = 3 END,
       p.cycle_id, p.report_id, st, p.tester, p.t0 + (k - 1) * interval '10 days',
       CASE WHEN lower(st) <> 'draft' THEN p.t0 + (k - 1) * interval '10 days' + interval '1 hour' END,
       CASE WHEN p.m %% 50 = 10 AND k = 2 THEN %(users)s - 1
            WHEN lower(st) IN ('approved', 'rejected') THEN p.owner END,
       CASE WHEN lower(st) IN ('approved', 'rejected') THEN p.t0 + (k - 1) * interval '10 days' + interval '2 days' END,
       CASE WHEN st = 'rejected' THEN (ARRAY['Needs more samples', 'Coverage of high-value accounts is too thin'])[1 + p.m %% 2] END
  FROM _fx_pairs p
 CROSS JOIN generate_series(1, 3) AS k
 CROSS JOIN LATERAL (SELECT CASE WHEN k = 1 THEN 'rejected'
                                 WHEN k = 2 AND p.m %% 50 = 12 THEN 'Approved'
                                 WHEN k = 2 AND p.m %% 50 = 9 THEN 'pending_approval'
                                 WHEN k = 2 THEN 'approved'
                                 WHEN p.m %% 50 = 3 THEN 'approved'
                                 WHEN p.m %% 50 = 9 THEN 'draft'
                                 ELSE (ARRAY['draft', 'pending_approval', 'rejected'])[1 + p.m %% 3] END AS st) s
"""

# v1: samples 1..n; v2 drops every fifth and adds d new; v3 keeps v2 and adds d more.
_RECORDS = """
INSERT INTO {s}.sample_records (record_id, set_id, sample_identifier, sample_data, created_at)
SELECT md5(format('rec:%%s:%%s:%%s', p.m, k, i))::uuid, md5(format('set:%%s:%%s', p.m, k))::uuid,
       format('S-%%s-%%s', p.m, i),
       CASE WHEN p.m %% 50 = 11 AND i = 1 THEN 'null'::jsonb
            ELSE jsonb_build_object('account', format('ACC-%%s', p.m * 100000 + i), 'amount', (i * 37 %% 10000) + 0.5,
                                    'segment', (ARRAY['retail', 'corporate', 'sovereign'])[1 + i %% 3],
                                    'reviewer_note', CASE WHEN p.m %% 50 = 11 THEN NULL END) END,
       p.t0 + (k - 1) * interval '10 days' + i * interval '1 second'
  FROM _fx_pairs p
 CROSS JOIN generate_series(1, 3) AS k
 CROSS JOIN generate_series(1, %(set_size)s + 2 * %(delta)s) AS i
 WHERE (k = 1 AND i <= %(set_size)s)
    OR (k = 2 AND ((i <= %(set_size)s AND i %% 5 <> 0) OR (i > %(set_size)s AND i <= %(set_size)s + %(delta)s)))
    OR (k = 3 AND (i > %(set_size)s OR i %% 5 <> 0))
"""

_ORPHANS = """
INSERT INTO {s}.sample_records (record_id, set_id, sample_identifier, sample_data, created_at)
SELECT md5('orphan:' || j)::uuid, md5('gone-set:' || j)::uuid, format('ORPHAN-%%s', j),
       jsonb_build_object('account', format('ACC-ORPHAN-%%s', j)), timestamptz '2023-12-01 00:00+00' + j * interval '1 hour'
  FROM generate_series(1, %(orphans)s) AS j
"""

# One row per phase per pair; progress = m % 9 phases completed, the next in progress.
_PHASE_ROWS = """
CREATE TEMP TABLE _fx_phases ON COMMIT DROP AS
SELECT p.*, k, md5(format('phase:%%s:%%s', k, p.m))::uuid AS phase_id,
       (CASE WHEN p.m %% 50 = 12 THEN upper(s.status) ELSE s.status END) AS status,
       CASE WHEN k <= p.m %% 9 THEN p.t0 + k * interval '3 days' END AS started_at,
       CASE WHEN k < p.m %% 9 THEN p.t0 + k * interval '3 days' + interval '2 days' END AS completed_at
  FROM _fx_pairs p CROSS JOIN generate_series(0, 6) AS k
 CROSS JOIN LATERAL (SELECT CASE WHEN k < p.m %% 9 THEN 'completed' WHEN k = p.m %% 9 THEN 'in_progress'
                                 ELSE 'not_started' END AS status) s
"""

_PHASES = {
    "data_profiling_phases": (
        0,
        "files_uploaded, rules_generated, validation_results",
        "CASE WHEN f.started_at IS NOT NULL THEN ARRAY[format('gl_%s.csv', f.m), format('loans_%s.csv', f.m)] END, "
        "CASE WHEN f.started_at IS NOT NULL THEN 10 + f.m % 7 END, "
        "CASE WHEN f.completed_at IS NOT NULL THEN jsonb_build_object('passed', 40 + f.m % 5, 'failed', f.m % 3, "
        "'by_rule', jsonb_build_object('R1', CASE WHEN f.m % 50 <> 11 THEN 1 END, 'R2', jsonb_build_array(NULL, 2))) END",
    ),
    "scoping_phases": (
        1,
        "attributes_scoped, scoping_notes",
        "CASE WHEN f.started_at IS NOT NULL THEN 6 END, CASE WHEN f.completed_at IS NOT NULL THEN 'Scoped to the CDEs and keys' END",
    ),
    "sample_selection_phases": (
        2,
        "sample_size_target, selection_method",
        "CASE WHEN f.started_at IS NOT NULL THEN 25 + f.m % 50 END, "
        "CASE WHEN f.started_at IS NOT NULL THEN (ARRAY['random', 'judgmental'])[1 + f.m % 2] END",
    ),
    "request_info_phases": (
        3,
        "requests_sent, responses_received, due_date",
        "CASE WHEN f.started_at IS NOT NULL THEN 5 + f.m % 4 END, "
        "CASE WHEN f.completed_at IS NOT NULL THEN 5 + f.m % 4 WHEN f.started_at IS NOT NULL THEN f.m % 4 END, "
        "CASE WHEN f.started_at IS NOT NULL THEN date '2024-03-01' + f.m % 30 END",
    ),
    "test_execution_phases": (
        4,
        "tests_planned, tests_executed, tests_passed",
        "CASE WHEN f.started_at IS NOT NULL THEN 20 END, "
        "CASE WHEN f.completed_at IS NOT NULL THEN 20 WHEN f.started_at IS NOT NULL THEN f.m % 20 END, "
        "CASE WHEN f.completed_at IS NOT NULL THEN 18 + f.m % 3 END",
    ),
    "observation_management_phases": (
        5,
        "observations_raised, observations_closed",
        "CASE WHEN f.started_at IS NOT NULL THEN f.m % 4 END, CASE WHEN f.completed_at IS NOT NULL THEN f.m % 4 END",
    ),
    "test_report_phases": (
        6,
        "report_document, signed_off_by, signed_off_at",
        "CASE WHEN f.started_at IS NOT NULL THEN format('reports/%s.pdf', f.m) END, "
        "CASE WHEN f.completed_at IS NOT NULL THEN f.owner END, f.completed_at",
    ),
}

# The duplicate: for every 50th master from 7, an older in-progress scoping row.
_PHASE_DUPLICATE = """
INSERT INTO {s}.scoping_phases (phase_id, cycle_id, report_id, status, started_at, completed_at, attributes_scoped, scoping_notes)
SELECT md5('phase-dup:' || p.m)::uuid, p.cycle_id, p.report_id, 'in_progress', p.t0 + interval '1 day', NULL, 4, 'First try'
  FROM _fx_pairs p WHERE p.m %% 50 = 7
"""


def create_fixture(conninfo: str, scale: int, schema: str = "legacy", log=print) -> dict[str, int]:
    """Create the legacy tables in `schema` and fill them; returns the row count of each table."""
    plan = Plan.for_scale(scale)
    params = dict(
        masters=plan.masters,
        cycles=plan.cycles,
        users=plan.users,
        owners=plan.owners,
        testers_from=plan.testers_from,
        testers=plan.testers,
        set_size=plan.set_size,
        delta=max(1, plan.set_size // 10),
        orphans=plan.orphans,
    )
    s = sql.Identifier(schema)
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        existing = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
            (schema, list(LEGACY_TABLES)),
        ).fetchone()[0]
        if existing:
            raise FixtureError(
                f'schema "{schema}" already holds {existing} of the legacy tables; use another schema or database'
            )
        with conn.transaction():
            conn.execute(render_ddl(schema).encode())
            # Load without the key, add it back NOT VALID: orphans stay, as on a real database.
            conn.execute(sql.SQL("ALTER TABLE {}.sample_records DROP CONSTRAINT sample_records_set_id_fkey").format(s))

            def run(text: str) -> None:
                conn.execute(sql.SQL(text).format(s=s), params)

            run(_USERS)
            run(_PAIRS)
            run(_ATTRIBUTES)
            run(_SETS)
            run(_RECORDS)
            run(_ORPHANS)
            run(_PHASE_ROWS)
            for table, (_, columns, values) in _PHASES.items():
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {s}.{t} (phase_id, cycle_id, report_id, status, started_at, completed_at, {cols}) "
                        "SELECT f.phase_id, f.cycle_id, f.report_id, f.status, f.started_at, f.completed_at, {vals} "
                        "FROM _fx_phases f WHERE f.k = {k}"
                    ).format(
                        s=s,
                        t=sql.Identifier(table),
                        cols=sql.SQL(columns),
                        vals=sql.SQL(values),
                        k=sql.Literal(_PHASES[table][0]),
                    )
                )
            run(_PHASE_DUPLICATE)
            conn.execute(
                sql.SQL(
                    "ALTER TABLE {}.sample_records ADD CONSTRAINT sample_records_set_id_fkey "
                    "FOREIGN KEY (set_id) REFERENCES {}.sample_sets NOT VALID"
                ).format(s, s)
            )
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({}, 'user_id'), (SELECT max(user_id) FROM {}.users))"
                ).format(sql.Literal(f"{schema}.users"), s)
            )
        counts = {}
        for table in LEGACY_TABLES:
            conn.execute(sql.SQL("ANALYZE {}.{}").format(s, sql.Identifier(table)))
            counts[table] = conn.execute(
                sql.SQL("SELECT count(*) FROM {}.{}").format(s, sql.Identifier(table))
            ).fetchone()[0]
    log(
        f"legacy fixture in schema {schema}: "
        + ", ".join(f"{t} {n}" for t, n in counts.items())
        + f" ({time.perf_counter() - started:.1f} s)"
    )
    return counts


class FixtureError(Exception):
    """The fixture cannot be created here; the message says why."""


class LegacyWriter(threading.Thread):
    """The legacy application at work, in a thread: for tests and bench/migration_live.py.

    Connects with `conninfo` (the application's own role, which owns the
    legacy tables) and writes as the old code did, one short transaction per
    operation, in turn: a sample record into the latest set of a master, an
    attribute's description, a phase's counter, a record's sample_data; and
    every `delete_every`-th operation deletes a record it inserted. Every
    `rr_every`-th transaction runs at REPEATABLE READ, every `slow_every`-th
    holds its transaction `slow_seconds` before commit. Latencies (seconds,
    per operation, commit included) and errors are kept.
    """

    def __init__(
        self,
        conninfo: str,
        schema: str = "legacy",
        *,
        pause: float = 0.02,
        rr_every: int = 0,
        slow_every: int = 0,
        slow_seconds: float = 0.0,
        delete_every: int = 0,
        max_ops: int | None = None,
    ):
        super().__init__(daemon=True)
        self.conninfo, self.schema, self.pause = conninfo, schema, pause
        self.rr_every, self.slow_every, self.slow_seconds, self.delete_every = (
            rr_every,
            slow_every,
            slow_seconds,
            delete_every,
        )
        self.max_ops = max_ops
        self.stop_event = threading.Event()
        self.latencies: list[tuple[float, float]] = []  # (started at, seconds)
        self.errors: list[str] = []
        self.ops = 0
        self.deleted: list[str] = []

    def stop(self) -> None:
        self.stop_event.set()
        self.join()

    def run(self) -> None:
        s = sql.Identifier(self.schema)
        try:
            with psycopg.connect(self.conninfo, application_name="legacy application (LegacyWriter)") as conn:
                sets = [
                    r[0]
                    for r in conn.execute(
                        sql.SQL("SELECT set_id FROM {}.sample_sets WHERE is_latest ORDER BY set_id").format(s)
                    )
                ]
                attrs = [
                    r[0]
                    for r in conn.execute(
                        sql.SQL(
                            "SELECT attribute_id FROM {}.report_attributes WHERE is_latest_version ORDER BY attribute_id LIMIT 500"
                        ).format(s)
                    )
                ]
                phases = [
                    r[0]
                    for r in conn.execute(
                        sql.SQL(
                            "SELECT phase_id FROM {}.test_execution_phases WHERE status = 'in_progress' ORDER BY phase_id LIMIT 500"
                        ).format(s)
                    )
                ]
                records = [
                    r[0]
                    for r in conn.execute(
                        sql.SQL(
                            "SELECT record_id FROM {}.sample_records WHERE set_id = ANY (%s) ORDER BY record_id LIMIT 500"
                        ).format(s),
                        (sets[:50],),
                    )
                ]
                conn.commit()
                mine: list = []
                n = 0
                while not self.stop_event.is_set() and (self.max_ops is None or n < self.max_ops):
                    n += 1
                    conn.isolation_level = (
                        psycopg.IsolationLevel.REPEATABLE_READ
                        if self.rr_every and n % self.rr_every == 0
                        else psycopg.IsolationLevel.READ_COMMITTED
                    )
                    started = time.perf_counter()
                    try:
                        kind = n % 4
                        if self.delete_every and n % self.delete_every == 0 and mine:
                            gone = mine.pop(0)
                            conn.execute(
                                sql.SQL("DELETE FROM {}.sample_records WHERE record_id = %s").format(s), (gone,)
                            )
                            self.deleted.append(str(gone))
                        elif kind == 0 or not (attrs and phases and records):
                            rid = conn.execute(
                                sql.SQL(
                                    "INSERT INTO {}.sample_records (set_id, sample_identifier, sample_data) "
                                    "VALUES (%s, %s, jsonb_build_object('account', %s::text)) RETURNING record_id"
                                ).format(s),
                                (sets[n % len(sets)], f"W-{n}", f"ACC-W-{n}"),
                            ).fetchone()[0]
                            mine.append(rid)
                        elif kind == 1:
                            conn.execute(
                                sql.SQL(
                                    "UPDATE {}.report_attributes SET description = %s WHERE attribute_id = %s"
                                ).format(s),
                                (f"edited by the application, op {n}", attrs[n % len(attrs)]),
                            )
                        elif kind == 2:
                            conn.execute(
                                sql.SQL(
                                    "UPDATE {}.test_execution_phases SET tests_executed = coalesce(tests_executed, 0) + 1 "
                                    "WHERE phase_id = %s"
                                ).format(s),
                                (phases[n % len(phases)],),
                            )
                        else:
                            conn.execute(
                                sql.SQL(
                                    "UPDATE {}.sample_records SET sample_data = sample_data || jsonb_build_object('op', %s::int) "
                                    "WHERE record_id = %s"
                                ).format(s),
                                (n, records[n % len(records)]),
                            )
                        if self.slow_every and n % self.slow_every == 0:
                            time.sleep(self.slow_seconds)
                        conn.commit()
                        self.latencies.append((started, time.perf_counter() - started))
                    except psycopg.Error as exc:
                        conn.rollback()
                        self.errors.append(f"op {n}: {exc.diag.sqlstate} {exc.diag.message_primary}")
                    self.ops = n
                    time.sleep(self.pause)
        except Exception as exc:  # the thread must say why it stopped
            self.errors.append(f"writer stopped: {exc!r}")
