"""Benchmarks: each module runs as `python -m bench.<name>` (`make bench` runs them all)."""
