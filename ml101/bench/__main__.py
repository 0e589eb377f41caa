"""`python -m ml101.bench`: record a sweep to CSV (see ml101.bench.cli)."""

from ml101.bench.cli import main

main()
