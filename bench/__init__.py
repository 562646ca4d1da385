"""Benchmarks: each module runnable as `python -m bench.<name>`; results land in bench/results/."""
