"""`python -m ml101.bench`: record a sweep to CSV (see ml101.bench.sweep.main)."""

from ml101.bench.sweep import main

main()
