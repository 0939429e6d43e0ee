"""remiss benchmarks: solver and simulation performance against peers in the same run.

Run them with ``remiss-bench`` (or ``python -m benchmarks``): :mod:`benchmarks.cli`.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
"""Where every benchmark writes its figures (``*.md`` and ``*.json``)."""
