"""The sizes of a run, per scale, and the sizes the issues quote.

A comparison names the parameters it reads (``uses`` in its registry entry)
and is handed only those.
"""

from __future__ import annotations

from types import MappingProxyType

# "versions" is the N of comparison 1 (issue 3 asks for 10,000); "carry" and
# "carry_large" the two carry-forward sizes (issue 5: 100,000 and 1,000,000).
SCALES = MappingProxyType(
    {
        "tiny": MappingProxyType(
            dict(
                rounds=3,
                big_rounds=3,
                versions=200,
                lifecycle=100,
                continuum=30,
                carry=1_000,
                carry_large=5_000,
                recommend=2_000,
                lookup_versions=10_000,
                lookups=2_000,
                overview_pairs=200,
                overviews=1_000,
                decide=2_000,
                trail_log=100_000,
                trails=500,
                log_size=2_000,
            )
        ),
        "small": MappingProxyType(
            dict(
                rounds=3,
                big_rounds=3,
                versions=2_000,
                lifecycle=500,
                continuum=150,
                carry=10_000,
                carry_large=50_000,
                recommend=20_000,
                lookup_versions=100_000,
                lookups=10_000,
                overview_pairs=1_000,
                overviews=5_000,
                decide=10_000,
                trail_log=300_000,
                trails=1_000,
                log_size=10_000,
            )
        ),
        "default": MappingProxyType(
            dict(
                rounds=5,
                big_rounds=3,
                versions=10_000,
                lifecycle=2_000,
                continuum=1_000,
                carry=100_000,
                carry_large=1_000_000,
                recommend=100_000,
                lookup_versions=1_000_000,
                lookups=20_000,
                overview_pairs=5_000,
                overviews=10_000,
                decide=100_000,
                trail_log=10_000_000,
                trails=5_000,
                log_size=200_000,
            )
        ),
    }
)

# The figures the issues quote, and the N at which they are asked.
QUOTED = MappingProxyType(
    {
        "versions": 10_000,
        "recommend": 100_000,
        "carry": 100_000,
        "carry_large": 1_000_000,
        "lookup_versions": 1_000_000,
        "decide": 100_000,
        "trail_log": 10_000_000,
        "log_size": 200_000,
    }
)
