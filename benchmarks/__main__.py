"""``python -m benchmarks [WORKLOAD ...]``: run the benchmarks (see benchmarks/run.py)."""

from benchmarks.run import main

main()
