"""The benchmark harness behind Benchmarks/run.py (standard library only)."""
