"""What a comparison is: an id for --only, the table rows it fills, the scale
parameters it reads, and the function that measures. registry.py lists them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .plumbing import Context
from .report import Row
from .scales import QUOTED

# run(ctx, params, rows): params holds only the scale parameters the comparison
# uses; rows its own table rows by key, to add rounds to (or mark skipped).
# Returns lines to print after the table (or None).
Run = Callable[[Context, Mapping[str, int], dict[str, Row]], "list[str] | None"]


@dataclass(frozen=True)
class RowSpec:
    """A line of the table. n: the scale parameter that is its N (the run fills N
    itself when None); quoted: say the N the issues quote when the scale's differs."""

    key: str
    title: str
    baseline: str
    n: str | None = None
    quoted: bool = False
    unit: str = "ms"

    def row(self, scale: Mapping[str, int], scale_name: str) -> Row:
        n = ""
        if self.n:
            n = f"{scale[self.n]:,}"
            q = QUOTED.get(self.n)
            if self.quoted and q is not None and scale[self.n] != q and scale_name != "default":
                n += f" (quoted: {q:,})"
        return Row(self.key, self.title, n, self.baseline, unit=self.unit)


@dataclass(frozen=True)
class Comparison:
    id: str  # what --only selects
    what: str  # for the progress log
    rows: tuple[RowSpec, ...]
    uses: tuple[str, ...]  # scale parameters
    run: Run

    def __post_init__(self):
        missing = {r.n for r in self.rows if r.n} - set(self.uses)
        if missing:
            raise ValueError(f"comparison {self.id}: rows use scale parameters {sorted(missing)} not in uses")

    def params(self, scale: Mapping[str, int]) -> Mapping[str, int]:
        return MappingProxyType({k: scale[k] for k in self.uses})


def comparison(id: str, what: str, rows: list[RowSpec], uses: tuple[str, ...]) -> Callable[[Run], Comparison]:
    """Decorator: the function becomes a Comparison (add it to registry.COMPARISONS)."""

    def wrap(fn: Run) -> Comparison:
        return Comparison(id, what, tuple(rows), tuple(uses), fn)

    return wrap
