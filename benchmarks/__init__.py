"""remiss benchmarks: solver and simulation performance against peers in the same run."""
