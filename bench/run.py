"""phaseline benchmarks: ratios against baselines measured in the same run.

    .venv/bin/python bench/run.py --scale tiny|small|default [--db DSN] [--only 3,4] [--profile]

Python puts this script's directory (bench/) first on the import path, which
makes the phaseline_bench package beside it importable; the comparisons and
their registry live there (phaseline_bench/registry.py). See bench/README.md.
"""

import sys

from phaseline_bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
