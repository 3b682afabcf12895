"""phaseline's benchmarks: a registry of comparisons, each measured against a
baseline in the same run (bench/README.md).

    registry.py        which comparisons there are, their order, --only ids
    spec.py            what a comparison is (Comparison, RowSpec, @comparison)
    plumbing.py        connections, timing, rounds, World, Context
    report.py          the table (Row), machine facts, profile rendering
    scales.py          sizes per --scale
    versions.py        1, 1b, 2a, 2b    decision_sets.py  3, 4, 7, 8, 10
    lookups.py         5a-c             overview.py       6
    audit_trail.py     9                profiling.py      --profile
"""
