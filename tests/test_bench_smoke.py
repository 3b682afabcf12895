"""The benchmark suite runs end to end at its small scale (the one `make bench SCALE=small` runs) and prints its table.

Only that it completes and reports every comparison (measured, or skipped
with a reason) is checked: timings on a shared CI machine prove nothing, so
none is asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from phaseline.pytest_plugin import TEST_DB, conninfo

ROOT = Path(__file__).resolve().parent.parent
COMPARISONS = ["1", "1b", "2a", "2b", "3a", "3b", "4", "8", "5a", "5b", "5c", "6", "7a", "7b", "7c", "9", "10"]


def test_bench_runs_at_small_scale_and_prints_the_table():
    # Named after PHASELINE_TEST_DB so parallel runs on one server never collide.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--scale",
            "small",
            "--quiet",
            "--db",
            conninfo("postgres"),
            "--dbname",
            f"{TEST_DB}_bench",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"bench/run.py failed:\n{result.stdout}\n{result.stderr}"
    out = result.stdout
    assert "phaseline benchmarks, scale small" in out
    assert re.search(r"^server: +PostgreSQL \d+", out, re.M), out
    assert re.search(r"^\| +# \| comparison +\| +N \| baseline", out, re.M), out
    for key in COMPARISONS:
        line = re.search(rf"^\| +{re.escape(key)} \|.*\|$", out, re.M)
        assert line, f"comparison {key} is missing from the table:\n{out}"
        cells = [c.strip() for c in line.group(0).strip("|").split("|")]
        ratio = cells[6]
        if ratio == "skipped":
            assert re.search(rf"^{re.escape(key)} skipped: \S", out, re.M), f"{key} is skipped without a reason:\n{out}"
        else:
            assert re.fullmatch(r"\d+\.\d\dx", ratio), f"comparison {key} has no ratio: {line.group(0)}"
