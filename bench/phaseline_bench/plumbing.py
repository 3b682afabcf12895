"""What every comparison shares: where to connect, how to time a statement,
setup loads in one transaction, the rotation of sides, and the users, cycle
and reports they work on (World), handed around in one Context."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from phaseline import pgconn
from psycopg.conninfo import conninfo_to_dict

BENCH_DIR = Path(__file__).resolve().parent.parent  # bench/: baselines.sql, legacy.sql
ROOT = BENCH_DIR.parent

# Measured sessions: a commit does not wait for the WAL flush, so a per-version
# transaction measures the work of the database, not the disk's fsync latency
# (which adds the same constant to both sides; about 0.2 ms here).
SESSION_OPTIONS = "-c synchronous_commit=off"


@dataclass(frozen=True)
class Progress:
    """Progress lines on stderr, unless quiet."""

    quiet: bool = False

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- connections --------------------------------------------------------------


def server_params(dsn: str) -> dict:
    """Connection parameters of the server, without a database name: those of dsn,
    else the libpq variables with phaseline's defaults (phaseline.pgconn)."""
    params = conninfo_to_dict(dsn) if dsn else pgconn.server_params()
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


# --- rounds ----------------------------------------------------------------------


def rotate(items: list, rnd: int) -> list:
    k = rnd % len(items)
    return items[k:] + items[:k]


def run_rotated(sides: dict[str, Callable[[], float]], rnd: int) -> dict[str, float]:
    """Each side once, the first one changing every round (drift and cache warmth even out)."""
    return {k: sides[k]() for k in rotate(list(sides), rnd)}


def round_line(label: str, rnd: int, rounds: int, times: dict[str, float], digits: int = 2) -> str:
    return f"{label} round {rnd + 1}/{rounds}: " + ", ".join(f"{k} {v:.{digits}f}s" for k, v in times.items())


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


@dataclass(frozen=True)
class Context:
    """What a comparison runs with: the measured session, the world in the scratch
    database, that database's conninfo (for a second session) and the progress log."""

    conn: psycopg.Connection
    world: World
    dsn: str
    log: Progress
