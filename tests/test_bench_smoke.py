"""The benchmark suite runs end to end at its tiny scale and prints its table.

Only that it completes and reports every comparison (measured, or skipped
with a reason) is checked: timings on a shared CI machine prove nothing, so
none is asserted. Tiny, not small: every comparison runs the same code at
any scale, and small took a sixth of the suite (92 s of 9 min on a 2-CPU
machine), which CI's ten minutes cannot spare. Also: --only selects
comparisons by their registry id, and the package runs as
`python -m phaseline_bench` from bench/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from phaseline.pytest_plugin import TEST_DB, conninfo

ROOT = Path(__file__).resolve().parent.parent
COMPARISONS = [
    *("1", "1b", "2a", "2b", "3a", "3b", "4", "8", "5a", "5b", "5c", "6"),
    *("7a", "7b", "7c", "9", "10", "11", "12", "13"),
]


def run_bench(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    # Named after PHASELINE_TEST_DB so parallel runs on one server never collide.
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quiet",
            "--db",
            conninfo("postgres"),
            "--dbname",
            f"{TEST_DB}_bench",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def table_keys(out: str) -> list[str]:
    """The row keys of the table, in order (the header's "#" is no key)."""
    return re.findall(r"^\| +(\w+) \|", out, re.M)


def test_bench_runs_at_tiny_scale_and_prints_the_table():
    result = run_bench("--scale", "tiny")
    assert result.returncode == 0, f"bench/run.py failed:\n{result.stdout}\n{result.stderr}"
    out = result.stdout
    assert "phaseline benchmarks, scale tiny" in out
    assert re.search(r"^server: +PostgreSQL \d+", out, re.M), out
    assert re.search(r"^\| +# \| comparison +\| +N \| baseline", out, re.M), out
    assert table_keys(out) == COMPARISONS, out
    for key in COMPARISONS:
        line = re.search(rf"^\| +{re.escape(key)} \|.*\|$", out, re.M)
        assert line, f"comparison {key} is missing from the table:\n{out}"
        cells = [c.strip() for c in line.group(0).strip("|").split("|")]
        ratio = cells[6]
        if ratio == "skipped":
            assert re.search(rf"^{re.escape(key)} skipped: \S", out, re.M), f"{key} is skipped without a reason:\n{out}"
        else:
            assert re.fullmatch(r"\d+\.\d\dx", ratio), f"comparison {key} has no ratio: {line.group(0)}"


def test_only_selects_comparisons_by_registry_id():
    result = run_bench("--scale", "tiny", "--only", "6,3")
    assert result.returncode == 0, f"bench/run.py failed:\n{result.stdout}\n{result.stderr}"
    # 3 fills 3a, 3b and 7b; the table keeps its order
    assert table_keys(result.stdout) == ["3a", "3b", "6", "7b"], result.stdout


def test_only_refuses_an_unknown_id_and_names_the_known_ones():
    result = run_bench("--only", "7")
    assert result.returncode == 2
    assert "unknown comparison(s) 7; choose from 1, 2, 3, 4, 5, 6, 8, 9, 10" in result.stderr


def test_the_package_runs_as_a_module_from_bench():
    result = subprocess.run(
        [sys.executable, "-m", "phaseline_bench", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT / "bench",
    )
    assert result.returncode == 0, result.stderr
    assert "--only" in result.stdout and "--scale {tiny,small,default}" in result.stdout
