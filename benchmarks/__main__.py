"""``python -m benchmarks``: the ``remiss-bench`` command line."""

from benchmarks.cli import main

main()
