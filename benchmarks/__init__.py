"""Measuring scripts: run each from the checkout's root as ``python -m benchmarks.NAME``
(docs/contributing.md). Shared helpers: benchmarks/common.py."""
