"""Benchmarks: each bench_*.py module has run() -> list[Result]; `python -m bench.run`."""
