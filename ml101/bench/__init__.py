"""CPU vs GPU benchmarking done right: the ops and their costs (ops), timing with warm-up
and medians (measuring), sweeps within a budget (sweeps), what the numbers say (readings),
the lesson's timing beside Timer's (lesson_timing), the roofline, recordings from real GPUs,
device facts and peaks, and the `python -m ml101.bench` CLI (cli)."""
