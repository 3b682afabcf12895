"""The report on stdout: machine and server facts, one table of rows, then the
notes comparisons leave (plans) and the profiles of --profile."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from .plumbing import ROOT, one


@dataclass
class Row:
    """One line of the table: the times (or sizes) of both sides, one pair per round."""

    key: str
    what: str
    n: str
    baseline: str
    base: list[float] = field(default_factory=list)
    pl: list[float] = field(default_factory=list)
    skipped: str | None = None
    note: str = ""
    unit: str = "ms"  # "ms": base and pl are seconds; "MB": they are bytes (a size, not a time)

    def add(self, base_s: float, pl_s: float) -> None:
        self.base.append(base_s)
        self.pl.append(pl_s)


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:,.1f}" if ms >= 1 else f"{ms:.2f}"


def fmt_mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def render_table(rows: list[Row]) -> str:
    head = ["#", "comparison", "N", "baseline", "baseline ms", "phaseline ms", "ratio", "min", "max", "rounds"]
    body = []
    for r in rows:
        if r.skipped:
            body.append([r.key, r.what, r.n, r.baseline, "-", "-", "skipped", "", "", "0"])
            continue
        ratios = [p / b for p, b in zip(r.pl, r.base, strict=False)]
        fmt = fmt_ms if r.unit == "ms" else fmt_mb
        body.append(
            [
                r.key,
                r.what + (f" ({r.note})" if r.note else ""),
                r.n,
                r.baseline,
                fmt(statistics.median(r.base)),
                fmt(statistics.median(r.pl)),
                f"{statistics.median(ratios):.2f}x",
                f"{min(ratios):.2f}",
                f"{max(ratios):.2f}",
                str(len(ratios)),
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    right = {0, 2, 4, 5, 6, 7, 8, 9}

    def line(cells):
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))
            )
            + " |"
        )

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    out = [line(head), sep] + [line(b) for b in body]
    skipped = [r for r in rows if r.skipped]
    if skipped:
        out.append("")
        out += [f"{r.key} skipped: {r.skipped}" for r in skipped]
    return "\n".join(out)


def machine(conn: psycopg.Connection) -> list[str]:
    """The machine, the server and its settings, and the phaseline revision."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    settings = dict(
        conn.execute(
            # current_setting() says 128MB; setting || unit said "16384" || "8kB" = 163848kB
            "SELECT name, current_setting(name) FROM pg_settings "
            "WHERE name IN ('shared_buffers', 'work_mem', 'max_wal_size', 'fsync')"
        ).fetchall()
    )
    try:
        rev = (
            subprocess.run(
                ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "?"
        )
    except (OSError, subprocess.SubprocessError):
        rev = "?"
    return [
        f"machine: {os.cpu_count()} cpus ({cpu}), {ram} RAM, {platform.system()} {platform.release()}",
        f"server:  {one(conn, 'SELECT version()')}",
        "settings: "
        + ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        + "; measured sessions: synchronous_commit=off",
        f"phaseline: {rev}",
    ]


def render_report(
    scale: str, seconds: float, facts: list[str], rows: list[Row], notes: list[str], profile: list[str]
) -> str:
    out = [
        f"phaseline benchmarks, scale {scale}, {time.strftime('%Y-%m-%d %H:%M %Z')}, {seconds:.0f} s in all",
        *facts,
        "ratio = phaseline time / baseline time, per round; the table gives its median, min and max,",
        "and the median time of each side (ms). 7: baseline = the same call with the audit trigger off.",
        "9: baseline = the same audit_trail calls before the log grew. 10: sizes, not times (MB).",
        "",
        render_table(rows),
    ]
    for block in (notes, profile):
        if block:
            out += ["", *block]
    return "\n".join(out)


# --- profiles (--profile) ------------------------------------------------------------


def _trigger_name(t: dict) -> str:
    return t.get("Constraint Name") and f"FK {t['Constraint Name']}" or t["Trigger Name"]


def _cut(q: str) -> str:
    return f"{q[:110]}{'...' if len(q) > 110 else ''}"


def render_profile(title: str, total: float, stmts: list[dict]) -> list[str]:
    """The statements of one call (and their triggers) over 1% of its time, slowest first."""
    out = [
        f"{title}: {total * 1000:,.0f} ms in all (instrumented)",
        f"  {'ms':>9}  {'own ms':>9}  statement (and its triggers)",
    ]
    for s in sorted(stmts, key=lambda s: -s["ms"]):
        if s["ms"] < total * 1000 * 0.01:
            continue
        trig = sum(t["Time"] for t in s["triggers"])
        out.append(f"  {s['ms']:9,.0f}  {s['ms'] - trig:9,.0f}  {_cut(s['query'])}")
        for t in sorted(s["triggers"], key=lambda t: -t["Time"]):
            out.append(
                f"  {'':9}  {'':9}    trigger {_trigger_name(t)} on {t['Relation']}: {t['Time']:,.0f} ms, {t['Calls']:,} call(s)"
            )
    return out


def render_aggregate(title: str, total: float, stmts: list[dict], calls: int) -> list[str]:
    """Statements summed over many calls of one API function: where one call's time goes."""
    agg: dict[str, dict] = {}
    for s in stmts:
        a = agg.setdefault(s["query"], dict(ms=0.0, n=0, triggers={}))
        a["ms"] += s["ms"]
        a["n"] += 1
        for t in s["triggers"]:
            name = f"{_trigger_name(t)} on {t['Relation']}"
            a["triggers"][name] = a["triggers"].get(name, 0.0) + t["Time"]
    out = [
        f"{title}: {total * 1000:,.0f} ms in all (instrumented), {total * 1e6 / calls:,.0f} us per call",
        f"  {'us/call':>9}  {'own':>9}  statement, summed over the calls (and its triggers)",
    ]
    for q, a in sorted(agg.items(), key=lambda kv: -kv[1]["ms"])[:12]:
        trig = sum(a["triggers"].values())
        out.append(f"  {a['ms'] * 1000 / calls:9,.1f}  {(a['ms'] - trig) * 1000 / calls:9,.1f}  {_cut(q)}")
        for name, ms in sorted(a["triggers"].items(), key=lambda kv: -kv[1]):
            out.append(f"  {'':9}  {'':9}    trigger {name}: {ms * 1000 / calls:,.1f} us/call")
    return out
