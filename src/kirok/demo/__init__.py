"""Synthetic demo data with a known truth, for demonstrations, tests and benchmarks.

The API is in :mod:`kirok.demo.synthetic` (``generate``, ``write_dataset``, ``SyntheticDataset``).
"""

# The demo's defaults: `kirok demo` and the services use these, so `kirok --help` stays light.
DEMO_SEED = 7
DEMO_POPULATION = 3000
