"""The registry: every comparison of the run, in the order they run, and the
order of the table's rows. Adding a comparison is adding its entry here
(bench/README.md says how)."""

from __future__ import annotations

from collections.abc import Mapping

from . import decision_sets as sets
from .audit_trail import audit_trail
from .lookups import lookups
from .overview import overview
from .spec import Comparison
from .versions import continuum, new_versions

COMPARISONS: tuple[Comparison, ...] = (
    audit_trail,  # 9 first: it needs a log of 10,000 entries at most, then grows it
    new_versions,  # 1, 1b, 2a
    continuum,  # 2b
    sets.recommend(sets.SAMPLES, "4", key="4", audit_key="7a", n="recommend"),
    sets.carry(
        sets.SAMPLES,
        "3",
        sizes=(sets.Size("3a", "carry", audit_key="7b"), sets.Size("3b", "carry_large", rounds="big_rounds")),
    ),
    sets.decide(sets.SAMPLES, "8", key="8", audit_key="7c", n="decide"),
    sets.log_size(sets.SAMPLES, "10", key="10", n="log_size"),
    # A set generated from its declaration, through the generic API (issue 16).
    sets.recommend(sets.SCOPING, "11", key="11", audit_key=None, n="recommend"),
    sets.carry(sets.SCOPING, "12", sizes=(sets.Size("12", "carry"),)),
    sets.decide(sets.SCOPING, "13", key="13", audit_key=None, n="decide"),
    lookups,  # 5a-c
    overview,  # 6
)

# The rows of the table, in this order; rows of a comparison added later and
# not named here follow, in registry order.
TABLE_ORDER = (
    "1",
    "1b",
    "2a",
    "2b",
    "3a",
    "3b",
    "4",
    "8",
    "5a",
    "5b",
    "5c",
    "6",
    "7a",
    "7b",
    "7c",
    "9",
    "10",
    "11",
    "12",
    "13",
)


def ids() -> list[str]:
    """What --only takes, in numeric order."""
    return sorted((c.id for c in COMPARISONS), key=lambda i: (int("".join(ch for ch in i if ch.isdigit()) or 0), i))


def select(only: list[str]) -> tuple[Comparison, ...]:
    """The comparisons --only names (all when empty), in registry order."""
    return tuple(c for c in COMPARISONS if not only or c.id in only)


def table_order(keys: list[str]) -> list[str]:
    known = [k for k in TABLE_ORDER if k in keys]
    return known + [k for k in keys if k not in TABLE_ORDER]


def check(scales: Mapping[str, Mapping[str, int]]) -> None:
    """Ids and row keys unique; every scale has the parameters each comparison uses."""
    seen_ids = [c.id for c in COMPARISONS]
    keys = [r.key for c in COMPARISONS for r in c.rows]
    for what, xs in (("comparison id", seen_ids), ("row key", keys)):
        dup = sorted({x for x in xs if xs.count(x) > 1})
        if dup:
            raise ValueError(f"registry: {what} used twice: {', '.join(dup)}")
    for name, scale in scales.items():
        for c in COMPARISONS:
            missing = [u for u in c.uses if u not in scale]
            if missing:
                raise ValueError(f"registry: scale {name} lacks {', '.join(missing)} (comparison {c.id})")
