"""``python -m benchmarks.simulate``: the simulation benchmarks without the CLI."""

from benchmarks.simulate.runner import main

main()
