"""Clusters from scored pairs and decisions: the pure function the review workflow relies on."""

from __future__ import annotations

import pytest

from kirok.linkage.decisions import Decision, ScoredPair, cluster, pair_key

IDS = ["a", "b", "c", "d", "e"]


def _p(a: str, b: str, prob: float) -> ScoredPair:
    return ScoredPair(a, b, prob, 0.0)


def _groups(clusters: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for rid, cid in clusters.items():
        out.setdefault(cid, set()).add(rid)
    return {frozenset(g) for g in out.values()}


def test_threshold_and_review_band() -> None:
    pairs = [_p("a", "b", 0.999), _p("c", "d", 0.9), _p("d", "e", 0.5)]
    result = cluster(IDS, pairs, threshold=0.99, review_floor=0.8)
    assert _groups(result.clusters) == {frozenset("ab"), frozenset("c"), frozenset("d"),
                                        frozenset("e")}  # fmt: skip
    assert [p.key for p in result.review] == [("c", "d")]
    assert result.clusters["b"] == "a"  # the cluster id is the smallest record id


def test_different_is_never_merged_even_through_a_chain() -> None:
    pairs = [_p("a", "b", 0.999), _p("b", "c", 0.998), _p("a", "c", 0.995)]
    plain = cluster(IDS, pairs)
    assert frozenset("abc") in _groups(plain.clusters)
    result = cluster(IDS, pairs, {("c", "a"): "different"})
    assert result.clusters["a"] != result.clusters["c"]
    # the strongest link wins: a-b stays, b-c would bring c next to a, so it is skipped
    assert result.clusters["a"] == result.clusters["b"]
    assert result.review == []


def test_same_is_always_merged_and_leaves_the_queue() -> None:
    pairs = [_p("a", "b", 0.85), _p("d", "e", 0.01)]
    result = cluster(IDS, pairs, {("a", "b"): Decision.SAME, ("e", "d"): "same"})
    assert result.clusters["a"] == result.clusters["b"]
    assert result.clusters["d"] == result.clusters["e"]
    assert result.review == []


def test_unsure_keeps_the_pair_in_review_and_changes_nothing() -> None:
    pairs = [_p("a", "b", 0.6), _p("c", "d", 0.999)]
    before = cluster(IDS, pairs)
    after = cluster(IDS, pairs, {("a", "b"): "unsure", ("c", "d"): "unsure"})
    assert before.clusters == after.clusters
    assert [p.key for p in after.review] == [("a", "b")]


def test_decisions_are_reversible() -> None:
    pairs = [_p("a", "b", 0.999)]
    split = cluster(IDS, pairs, {("a", "b"): "different"})
    assert split.clusters["a"] != split.clusters["b"]
    again = cluster(IDS, pairs, {})
    assert again.clusters["a"] == again.clusters["b"]


def test_contradicting_decisions_are_reported() -> None:
    decisions = {("a", "b"): "same", ("b", "c"): "same", ("a", "c"): "different"}
    result = cluster(IDS, [], decisions)
    assert result.clusters["a"] == result.clusters["c"]
    assert result.conflicts == [pair_key("a", "c")]


def test_merged_clusters_inherit_cannot_links() -> None:
    # d-e different; a-d and b-e strong; a-b strong: a-d, b-e, then a-b would join d and e.
    pairs = [_p("a", "d", 0.9999), _p("b", "e", 0.9998), _p("a", "b", 0.9997)]
    result = cluster(IDS, pairs, {("d", "e"): "different"})
    assert result.clusters["d"] != result.clusters["e"]
    assert result.merged_by_model == 2


def test_invalid_band_is_refused() -> None:
    with pytest.raises(ValueError, match="review_floor"):
        cluster(IDS, [], threshold=0.5, review_floor=0.9)


def test_a_pair_scored_below_the_veto_keeps_a_chain_apart() -> None:
    # a–b and b–c are strong links, but a and c were compared and found unlike
    pairs = [_p("a", "b", 0.95), _p("b", "c", 0.9), _p("a", "c", 0.02)]
    chained = cluster(IDS, pairs, threshold=0.8, review_floor=0.3)
    assert frozenset("abc") in _groups(chained.clusters)
    vetoed = cluster(IDS, pairs, threshold=0.8, review_floor=0.3, veto_below=0.3)
    assert vetoed.clusters["a"] == vetoed.clusters["b"] != vetoed.clusters["c"]
    assert vetoed.review == []  # a vetoing pair is below the band, not queued
    # a person's "same" still joins them: the veto binds only the model
    decided = cluster(IDS, pairs, {("a", "c"): "same"}, threshold=0.8, review_floor=0.3,
                      veto_below=0.3)  # fmt: skip
    assert frozenset("abc") in _groups(decided.clusters)
