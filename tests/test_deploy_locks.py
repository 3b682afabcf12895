"""Deploys on a live database: writers are not stalled, and a deploy that must lock waits politely.

A writer transaction holds a row lock (and so a ROW EXCLUSIVE table lock) on
report_attributes while a deploy runs. A deploy whose change is a function
body, or a comment, needs no table lock: it applies with no retry at all
(lock_retries=0 would fail otherwise) while another writer on another row
goes on. A deploy that re-creates a trigger must take SHARE ROW EXCLUSIVE
on the table: it retries with backoff and succeeds once the writer commits,
or fails cleanly with nothing of the file applied.

The writer delay measured here is printed (pytest -s shows it); no test
asserts a timing.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import psycopg
import pytest
from phaseline import Build, deploy
from phaseline.deploy import LockError
from phaseline.pytest_plugin import owner_conninfo
from phaseline.render import SQL_DIR
from psycopg.types.json import Jsonb


@pytest.fixture
def live(phaseline_db, world, tmp_path):
    """(owner dsn, app dsn-less direct dsn, two attribute version ids, a copy of sql/ to edit)."""
    dsn = owner_conninfo(phaseline_db.info.dbname)
    with psycopg.connect(dsn, autocommit=True) as conn:
        ids = [
            conn.execute(
                "SELECT phaseline_api.propose_report_attribute(%s, %s, %s, %s, %s)",
                (world["cycle"], world["report"], name, Jsonb({}), world["tester"]),
            ).fetchone()[0]
            for name in ("a1", "a2")
        ]
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    return dsn, ids, sql_dir, world


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{path.name}: {old!r} not found"
    path.write_text(text.replace(old, new, 1))


def hold_row(dsn: str, version_id, tester: int) -> psycopg.Connection:
    """An application transaction left open with a row lock on report_attributes."""
    conn = psycopg.connect(dsn)
    conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(tester),))
    conn.execute("UPDATE phaseline.report_attributes SET definition = '{\"held\": true}' WHERE id = %s", (version_id,))
    return conn


def write_other_row(dsn: str, version_id, tester: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET lock_timeout = '20s'")
        conn.execute("SELECT set_config('phaseline.actor', %s, true)", (str(tester),))
        conn.execute(
            "UPDATE phaseline.report_attributes SET definition = '{\"other\": true}' WHERE id = %s", (version_id,)
        )
    return time.perf_counter() - started


def test_a_function_body_change_takes_no_table_lock(live):
    dsn, (held, other), sql_dir, world = live
    edit(sql_dir / "include" / "versioning.sql", "is still %s", "is still %s (open)")  # a trigger function's message
    edit(sql_dir / "repeatable" / "120_versioning.sql", "\n", "\n-- an edited comment between statements\n")
    holder = hold_row(dsn, held, world["tester"])
    try:
        baseline = write_other_row(dsn, other, world["tester"])
        delays: list[float] = []
        writer = threading.Thread(target=lambda: delays.append(write_other_row(dsn, other, world["tester"])))
        said: list[str] = []
        started = time.perf_counter()
        writer.start()
        done = deploy(dsn, build=Build.load(sql_dir=sql_dir), lock_retries=0, log=said.append)
        deploy_s = time.perf_counter() - started
        writer.join(30)
    finally:
        holder.rollback()
        holder.close()
    assert {p.file.name for p in done} >= {"repeatable/120_versioning.sql"}
    assert any("unchanged trigger/view statement(s) left alone" in line for line in said), said
    assert delays, "the concurrent writer finished"
    print(
        f"\nwriter on another row: {baseline * 1000:.1f} ms alone, {delays[0] * 1000:.1f} ms during the deploy "
        f"({deploy_s * 1000:.0f} ms) with a row lock held"
    )
    with psycopg.connect(dsn) as conn:
        assert (
            "(open)"
            in conn.execute(
                "SELECT prosrc FROM pg_proc WHERE proname = '_report_attributes_version_insert'"
            ).fetchone()[0]
        )


def trigger_change(sql_dir: Path) -> None:
    # same trigger, new text: EXECUTE PROCEDURE is EXECUTE FUNCTION's old spelling
    edit(
        sql_dir / "include" / "versioning.sql",
        "FOR EACH ROW EXECUTE FUNCTION {{ fn }}_update();",
        "FOR EACH ROW EXECUTE PROCEDURE {{ fn }}_update();",
    )


def test_a_trigger_change_retries_and_applies_once_the_writer_commits(live):
    dsn, (held, _other), sql_dir, world = live
    trigger_change(sql_dir)
    holder = hold_row(dsn, held, world["tester"])
    threading.Timer(2.0, holder.commit).start()  # the application commits while deploy retries
    said: list[str] = []
    try:
        deploy(dsn, build=Build.load(sql_dir=sql_dir), lock_timeout="200ms", lock_retries=8, log=said.append)
    finally:
        holder.close()
    assert any("lock not granted" in line for line in said), said
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT definition FROM phaseline.report_attributes WHERE id = %s", (held,)).fetchone()[
            0
        ] == {"held": True}, "the writer's transaction was not disturbed"


def test_a_trigger_change_that_never_gets_its_lock_fails_cleanly(live):
    dsn, (held, _other), sql_dir, world = live
    trigger_change(sql_dir)
    with psycopg.connect(dsn) as conn:
        before = conn.execute("SELECT max(id) FROM phaseline_deploy.ledger").fetchone()[0]
        before_src = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = '_report_attributes_version_update'"
        ).fetchone()[0]
    holder = hold_row(dsn, held, world["tester"])
    try:
        with pytest.raises(LockError, match="nothing of repeatable/120_versioning.sql was applied"):
            deploy(dsn, build=Build.load(sql_dir=sql_dir), lock_timeout="100ms", lock_retries=1, log=lambda *_: None)
    finally:
        holder.rollback()
        holder.close()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT max(id) FROM phaseline_deploy.ledger").fetchone()[0] == before
        assert (
            conn.execute("SELECT prosrc FROM pg_proc WHERE proname = '_report_attributes_version_update'").fetchone()[0]
            == before_src
        )
