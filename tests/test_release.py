"""Releases: what a deployed database was given must stay what it was given.

tests/fixtures/release_0_1_0/ holds the files release 0.1.0 (commit 37723f3)
rendered with the default variables, exactly as its deploy applied them.
Databases deployed with it exist, so every run-once file it had must still
render byte-identical: otherwise their next deploy is refused as drift.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from phaseline.render import SQL_DIR, render_all

RELEASE_0_1_0 = Path(__file__).resolve().parent / "fixtures" / "release_0_1_0"


def test_run_once_files_of_0_1_0_render_byte_identical():
    rendered = {f.name: f.text for f in render_all() if f.kind == "once"}
    released = sorted(p.relative_to(RELEASE_0_1_0).as_posix() for p in (RELEASE_0_1_0 / "once").glob("*.sql"))
    assert released, "the 0.1.0 fixture is missing"
    for name in released:
        assert name in rendered, f"{name} of release 0.1.0 is gone: a run-once file is never removed"
        assert rendered[name] == (RELEASE_0_1_0 / name).read_text(), f"{name} renders differently from release 0.1.0"


def test_editing_the_trigger_template_changes_no_run_once_file(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    before = {f.name: f.sha256 for f in render_all(sql_dir=target)}
    template = target / "include" / "versioning.sql"
    text = template.read_text()
    # a comment and a message inside the trigger macro: behaviour a later release may change
    edited = text.replace("-- Race-free numbering.", "-- Race-free numbering (edited).", 1)
    edited = edited.replace("cannot change", "can never change", 1)
    assert edited != text
    template.write_text(edited)
    after = {f.name: f.sha256 for f in render_all(sql_dir=target)}
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed and all(name.startswith("repeatable/") for name in changed), changed


def test_drift_names_the_include_that_changed(scratch_dsn, tmp_path):
    from phaseline import Build, deploy
    from phaseline.deploy import RefusedError

    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    deploy(scratch_dsn, build=Build.load(sql_dir=target), log=lambda *_: None)
    shapes = target / "include" / "shapes.sql"
    shapes.write_text(
        shapes.read_text().replace(
            "-- Invariant 2: one latest version per key.", "-- Invariant 2: exactly one latest version per key.", 1
        )
    )
    try:
        deploy(scratch_dsn, build=Build.load(sql_dir=target), log=lambda *_: None)
    except RefusedError as exc:
        message = str(exc)
    else:
        raise AssertionError("a changed include of run-once files must be refused")
    for name in ("once/040_report_attributes.sql", "once/050_workflow_phases.sql", "once/060_sample_selection.sql"):
        assert f"{name}: its text now differs; source(s) that changed: include/shapes.sql" in message, message
    assert "once/010_reference.sql" not in message
