"""CPU vs GPU benchmarking done right: the ops, timing with warm-up and medians, sweeps
within a budget, recordings from real GPUs, and the `python -m ml101.bench` CLI."""
