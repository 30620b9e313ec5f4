"""Benchmarks of the fast engine on the workloads of PERFORMANCE.md (``python -m benchmarks``)."""
