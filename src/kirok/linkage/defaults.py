"""The linkage thresholds, in a module light enough for the CLI to import at start-up.

How they were chosen, with the measured table: docs/explanation/linkage.md
(`bench/bench_linkage_calibration.py`). In short: the lowest threshold whose cluster precision
stays at or above 0.99 on every benchmark, and the lowest review floor at which at least half of
the pairs each lower step adds are true.
"""

DEFAULT_THRESHOLD = 0.80
DEFAULT_REVIEW_FLOOR = 0.30
