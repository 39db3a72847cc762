"""Synthetic demo data with a known truth, for demonstrations, tests and benchmarks.

The API is in :mod:`kirok.demo.synthetic` (``generate``, ``write_dataset``, ``SyntheticDataset``).
"""
