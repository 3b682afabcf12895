"""plpgsql_check over the migration's machinery (phaseline_migration) and its
compatibility schema, as tests/test_plpgsql_check.py does for phaseline's:
every PL/pgSQL function, and every sync trigger function with the legacy
table and transition tables it fires on.

The apply functions build their working sets as temporary tables at run
time, which a static check cannot see; the check runs once the functions
have run in this session (a backfill of a tiny fixture leaves nothing
behind, so the temporary tables are made anew here by running each apply
inside the checking transaction).
"""

from __future__ import annotations

import psycopg
from phaseline.legacy_fixture import create_fixture
from phaseline.migrate import backfill, expand
from test_plpgsql_check import CHECK, TARGETS, require_plpgsql_check

SCHEMAS = ("phaseline_migration", "phaseline_legacy")


def test_the_migration_machinery_passes_plpgsql_check(phaseline_dsn):
    create_fixture(phaseline_dsn, 100, log=lambda *_: None)
    expand(phaseline_dsn, log=lambda *_: None)
    backfill(phaseline_dsn, batch_size=1000, log=lambda *_: None)
    with psycopg.connect(phaseline_dsn) as conn:
        setup = require_plpgsql_check(conn)
        conn.commit()
        # Run every apply once in this transaction: its temporary tables
        # (ON COMMIT DROP) then exist while the check plans its statements.
        conn.execute("SET LOCAL phaseline.backfill = 'on'")
        conn.execute("SELECT phaseline_migration._mig_verify()")
        conn.execute("SELECT phaseline_migration._mig_apply_users(ARRAY[1, 2])")
        conn.execute(
            "SELECT phaseline_migration._mig_apply_reference(ARRAY(SELECT cycle_id FROM legacy.sample_sets LIMIT 1), "
            "ARRAY(SELECT report_id FROM legacy.sample_sets LIMIT 1))"
        )
        conn.execute(
            "SELECT phaseline_migration._mig_apply_attributes(ARRAY(SELECT master_attribute_id FROM legacy.report_attributes LIMIT 1))"
        )
        conn.execute(
            "SELECT phaseline_migration._mig_apply_sample_sets(ARRAY(SELECT master_set_id FROM legacy.sample_sets LIMIT 1))"
        )
        conn.execute(
            "SELECT phaseline_migration._mig_apply_phase_data(ARRAY(SELECT cycle_id FROM legacy.scoping_phases LIMIT 1), "
            "ARRAY(SELECT report_id FROM legacy.scoping_phases LIMIT 1), ARRAY['scoping'])"
        )
        conn.execute("SELECT phaseline_migration._mig_apply_orphans(NULL, 'ffffffff-ffff-ffff-ffff-ffffffffffff')")
        conn.execute(TARGETS, (list(SCHEMAS),))
        n_functions, n_trigger_checks = conn.execute(
            "SELECT count(DISTINCT fn), count(*) FILTER (WHERE is_trigger) FROM targets"
        ).fetchone()
        assert n_functions >= 20 and n_trigger_checks >= 30, "the catalog query found too few functions to check"
        problems = list(setup)
        for fn, rel, level, lineno, sqlstate, message, detail, query in conn.execute(CHECK):
            where = f"{fn} on {rel}" if rel else fn
            problems.append(
                f"{where} line {lineno}: {level} {sqlstate}: {message}"
                + (f"\n    DETAIL: {detail}" if detail else "")
                + (f"\n    QUERY: {' '.join(query.split())}" if query else "")
            )
        conn.rollback()
    assert not problems, f"plpgsql_check found {len(problems)} problem(s):\n" + "\n".join(problems)
