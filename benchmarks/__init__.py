"""Benchmarks of every rag stage against its ceiling and a plain LangChain baseline.

Run `python -m benchmarks.run` (full, 15-30 min on 2 cores) or `--quick` (under two
minutes). Results land in benchmarks/results.json and benchmarks/RESULTS.md.
"""
