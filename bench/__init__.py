"""Benchmarks for k360scrape (run by hand: ``python -m bench.parse`` and friends).

See docs/PERFORMANCE.md for the command lines, the targets and the measured results.
"""
