"""The TAP reading behind every pgTAP item: what counts as a failure."""

from __future__ import annotations

from phaseline.pytest_plugin import parse_tap


def test_failures_carry_their_diagnostics():
    planned, results, failures, complaints = parse_tap(
        ["1..3", "ok 1 - a", "not ok 2 - b", '# Failed test 2: "b"', "#   have: 1", "ok 3 - c"]
    )
    assert planned == 3 and len(results) == 3
    assert failures == ['not ok 2 - b\n# Failed test 2: "b"\n#   have: 1']
    assert complaints == []


def test_a_todo_failure_is_expected_and_pgtap_complaints_are_kept():
    planned, results, failures, complaints = parse_tap(
        ["1..2", "not ok 1 - later # todo not built yet", "ok 2 - b", "# Looks like you planned 2 tests but ran 3"]
    )
    assert failures == []
    assert complaints == ["# Looks like you planned 2 tests but ran 3"]


def test_no_plan_is_reported_as_none():
    assert parse_tap(["ok 1 - a"])[0] is None
