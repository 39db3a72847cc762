"""The linkage thresholds, in a module light enough for the CLI to import at start-up.

How they were chosen, with the measured tables: docs/explanation/linkage.md
(`bench/bench_linkage_calibration.py`, `bench/bench_linkage_scale.py`). In short: the lowest
threshold of a fixed grid whose cluster precision stays at or above 0.98 on every benchmark
(for the scale path, at every size measured); the lowest review floor at which
at least half of the pairs each lower step adds are true; and a chain veto low enough that only
pairs the model all but rules out keep two clusters apart.
"""

DEFAULT_THRESHOLD = 0.70
# From this many records on an input is linked on the scale path (kirok.linkage.scale, the
# reasons in kirok.linkage.pipeline) and clustered at SCALE_THRESHOLD, on any path.
SCALE_INPUT = 50_000
# The threshold for inputs of SCALE_INPUT records or more, by the same rule on
# bench/bench_linkage_scale.py (testimonies, generator version 3) at 100,000, 400,000 and 1.6
# million records: at 0.70 cluster precision was 0.975 / 0.971 / 0.973, at 0.80 0.9805 / 0.9797
# / 0.983, at 0.90 0.989 / 0.989 / 0.991. Among a million people a name is shared by dozens,
# and chains of near-certain links between namesakes grow clusters the pipeline's 0.70 allows.
SCALE_THRESHOLD = 0.90
# ... or lower, for an input whose own scored pairs allow it: the lowest of these at which the
# model's probabilities put the share of one-person pairs among the pairs at or above it at
# EXPECTED_PRECISION or more (the threshold Fellegi and Sunter set from the estimated rate of
# false links). Testimonies never allow it (their probabilities understate the true share);
# records with full dates do (docs/explanation/linkage.md, "At scale").
SCALE_LOWER_THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
EXPECTED_PRECISION = 0.98
DEFAULT_REVIEW_FLOOR = 0.30
# A compared pair a trained model scores below this keeps its two records out of one cluster
# (decisions.cluster); scored by the untrained priors, the review floor does
DEFAULT_VETO_BELOW = 0.10
