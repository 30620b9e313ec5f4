"""Benchmarks of the fast engine on its workloads (``python -m benchmarks``; see workloads.py)."""
