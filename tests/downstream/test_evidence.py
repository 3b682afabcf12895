"""A Python test of the downstream project, on the test kit's fixtures."""


def test_world_and_own_table(phaseline_db, world):
    phaseline_db.execute(
        "INSERT INTO acme.evidence_requests (cycle_id, report_id, request) VALUES (%s, %s, 'loan tape')",
        (world["cycle"], world["report"]),
    )
    assert phaseline_db.execute("SELECT acme.open_requests(%s)", (world["cycle"],)).fetchone()[0] == 1
