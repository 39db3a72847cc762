"""The linkage thresholds, in a module light enough for the CLI to import at start-up.

How they were chosen, with the measured table: docs/explanation/linkage.md
(`bench/bench_linkage_calibration.py`). In short: the lowest threshold of a fixed grid whose
cluster precision stays at or above 0.98 on every benchmark; the lowest review floor at which
at least half of the pairs each lower step adds are true; and a chain veto low enough that only
pairs the model all but rules out keep two clusters apart.
"""

DEFAULT_THRESHOLD = 0.70
DEFAULT_REVIEW_FLOOR = 0.30
# A compared pair a trained model scores below this keeps its two records out of one cluster
# (decisions.cluster); scored by the untrained priors, the review floor does
DEFAULT_VETO_BELOW = 0.10
