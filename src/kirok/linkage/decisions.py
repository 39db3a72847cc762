"""Clusters from scored pairs and people's decisions: a pure function, recomputed every run.

Rules, in order:

1. A pair a person decided is ``same`` is always in one cluster.
2. A pair decided ``different`` is never joined by the model: an edge whose two sides already
   hold records someone called different is skipped, even when the edge itself is not that pair
   (so A–B–C chains cannot smuggle A and C together).
3. Model edges at or above the threshold join clusters, strongest first, so a weak chain cannot
   pre-empt a strong link.
4. ``unsure`` changes nothing; the pair stays in the review queue.
5. With ``veto_below``, a compared pair the model scores below it is the model's own
   cannot-link: no chain of model edges joins its two records (a person's ``same`` still can).
   Two records that share a strong link each with a third but were compared and found unlike
   stay apart, so clusters are not built from chains of near-misses.

If people's decisions contradict each other (A same B, B same C, A different C) the ``same``
decisions win and the contradiction is reported in :attr:`Clustering.conflicts` for a reviewer.
Nothing is merged destructively: the clusters are a function of the records, the pairs and the
decisions, and change back when a decision changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from kirok.linkage.defaults import DEFAULT_REVIEW_FLOOR, DEFAULT_THRESHOLD


class Decision(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    UNSURE = "unsure"


Pair = tuple[str, str]


def pair_key(a: str, b: str) -> Pair:
    """Order-free key of a pair."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class ScoredPair:
    """One compared pair: the model's probability and the match weight of each comparison."""

    id_l: str
    id_r: str
    match_probability: float
    match_weight: float
    weights: Mapping[str, float] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> Pair:
        return pair_key(self.id_l, self.id_r)


@dataclass(frozen=True)
class Clustering:
    clusters: dict[str, str]  # record_id → cluster_id (the smallest record_id in the cluster)
    review: list[ScoredPair]  # undecided pairs in the review band, most probable first
    conflicts: list[Pair]  # "different" decisions overruled by a chain of "same" decisions
    merged_by_model: int  # model edges that joined two clusters


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> str:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        keep, drop = (ra, rb) if ra <= rb else (rb, ra)
        self.parent[drop] = keep
        return keep


def check_band(threshold: float, review_floor: float) -> None:
    """A review band must lie inside (0, 1] and end at the threshold."""
    if not 0.0 < review_floor <= threshold <= 1.0:
        raise ValueError("need 0 < review_floor <= threshold <= 1")


def most_probable_first(pair: ScoredPair) -> tuple[float, Pair]:
    """The order pairs are clustered and queued for review in: most probable first, then by
    their ids, so that equal scores always come in the same order."""
    return -pair.match_probability, pair.key


def cluster(
    record_ids: Sequence[str],
    pairs: Iterable[ScoredPair],
    decisions: Mapping[Pair, Decision | str] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    review_floor: float = DEFAULT_REVIEW_FLOOR,
    veto_below: float | None = None,
) -> Clustering:
    """Cluster records from scored pairs, honouring decisions (see the module docstring)."""
    check_band(threshold, review_floor)
    decided = {pair_key(*k): Decision(v) for k, v in (decisions or {}).items()}
    ids = list(dict.fromkeys(record_ids))
    known = set(ids)
    uf = _UnionFind(ids)
    for (a, b), d in sorted(decided.items()):
        if d is Decision.SAME and a in known and b in known:
            uf.union(a, b)

    # cannot-link sets keyed by cluster root; kept up to date on every union
    cannot: dict[str, set[str]] = {}
    conflicts: list[Pair] = []
    for (a, b), d in sorted(decided.items()):
        if d is not Decision.DIFFERENT or a not in known or b not in known:
            continue
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            conflicts.append((a, b))
            continue
        cannot.setdefault(ra, set()).add(rb)
        cannot.setdefault(rb, set()).add(ra)

    scored = sorted(pairs, key=most_probable_first)
    if veto_below is not None:
        for p in scored:
            if p.match_probability >= veto_below or p.key in decided:
                continue
            if p.id_l not in known or p.id_r not in known:
                continue
            ra, rb = uf.find(p.id_l), uf.find(p.id_r)
            if ra != rb:
                cannot.setdefault(ra, set()).add(rb)
                cannot.setdefault(rb, set()).add(ra)
    merged = 0
    review: list[ScoredPair] = []
    for p in scored:
        if p.id_l not in known or p.id_r not in known:
            continue
        decision = decided.get(p.key)
        undecided = decision is None or decision is Decision.UNSURE
        if undecided and review_floor <= p.match_probability < threshold:
            review.append(p)
        if not undecided or p.match_probability < threshold:
            continue
        ra, rb = uf.find(p.id_l), uf.find(p.id_r)
        if ra == rb or rb in cannot.get(ra, set()):
            continue
        root = uf.union(ra, rb)
        other = rb if root == ra else ra
        merged_cannot = cannot.pop(ra, set()) | cannot.pop(rb, set())
        if merged_cannot:
            cannot[root] = merged_cannot
            for c in merged_cannot:
                peers = cannot[c]
                peers.discard(other)
                peers.add(root)
        merged += 1
    clusters = {i: uf.find(i) for i in ids}
    return Clustering(clusters, review, conflicts, merged)
