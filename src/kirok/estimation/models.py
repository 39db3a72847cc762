"""Hierarchical log-linear models for J lists: enumeration, names and design matrices.

A hierarchical model keeps every main effect and a set of interaction terms that is closed under
taking subsets (if 1:2:3 is in, so are 1:2, 1:3 and 2:3). The J-way term is never included:
with it the model fits the observed cells perfectly and says nothing about the unobserved one.
A model is named by its generating class, the terms no other term contains, with lists numbered
1..J in column order: ``[123,14,34]``; the independence model is ``[1,2,3,4]`` (``Mt``).

There are 8 such models for 3 lists, 113 for 4 and 6,893 for 5 (Rcapture's count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np
import numpy.typing as npt

from kirok.estimation.histories import all_patterns

MAX_LOGLINEAR_LISTS = 5

Term = tuple[int, ...]  # 0-based list indices, sorted


@dataclass(frozen=True)
class HierarchicalModel:
    """One hierarchical model: its interaction terms (all of them, not just the generators)."""

    n_lists: int
    interactions: tuple[Term, ...]

    @property
    def generators(self) -> tuple[Term, ...]:
        terms = set(self.interactions) | {(j,) for j in range(self.n_lists)}
        maximal = [t for t in terms if not any(set(t) < set(u) for u in terms)]
        return tuple(sorted(maximal))

    @property
    def name(self) -> str:
        return "[" + ",".join("".join(str(j + 1) for j in t) for t in self.generators) + "]"

    @property
    def n_params(self) -> int:
        """Intercept + main effects + interactions."""
        return 1 + self.n_lists + len(self.interactions)

    def design(self) -> npt.NDArray[np.float64]:
        """Design matrix over the 2^J − 1 observable patterns (intercept column first).

        Columns are 0/1 products, so the unobserved (all-zero) pattern has the all-zero row and
        exp(intercept) is its expected count: N̂ = n + exp(β̂₀) (Rcapture's coding).
        """
        return _design(self.n_lists, self.interactions)


@cache
def _design(n_lists: int, interactions: tuple[Term, ...]) -> npt.NDArray[np.float64]:
    patterns = all_patterns(n_lists).astype(np.float64)
    columns = [np.ones(len(patterns))] + [patterns[:, j] for j in range(n_lists)]
    columns += [np.prod(patterns[:, list(term)], axis=1) for term in interactions]
    matrix = np.column_stack(columns)
    matrix.setflags(write=False)
    return matrix


def _candidate_terms(n_lists: int) -> list[Term]:
    return [t for size in range(2, n_lists) for t in combinations(range(n_lists), size)]


@cache
def hierarchical_models(n_lists: int) -> tuple[HierarchicalModel, ...]:
    """Every hierarchical model with all main effects and no J-way term, for 2 ≤ J ≤ 5.

    Terms are decided in order of size; a term may enter only when all its sub-terms of size ≥ 2
    are already in, which enumerates exactly the subset-closed term sets.
    """
    if not 2 <= n_lists <= MAX_LOGLINEAR_LISTS:
        raise ValueError(
            f"log-linear models are enumerated for 2 to {MAX_LOGLINEAR_LISTS} lists, got {n_lists}"
        )
    candidates = _candidate_terms(n_lists)
    found: list[HierarchicalModel] = []

    def extend(i: int, chosen: list[Term], chosen_set: set[Term]) -> None:
        if i == len(candidates):
            found.append(HierarchicalModel(n_lists, tuple(chosen)))
            return
        extend(i + 1, chosen, chosen_set)
        term = candidates[i]
        subs = [s for s in combinations(term, len(term) - 1)] if len(term) > 2 else []
        if all(s in chosen_set for s in subs):
            chosen.append(term)
            chosen_set.add(term)
            extend(i + 1, chosen, chosen_set)
            chosen.pop()
            chosen_set.discard(term)

    extend(0, [], set())
    found.sort(key=lambda m: (len(m.interactions), m.interactions))
    return tuple(found)


_NAME = re.compile(r"^\[\s*\d+(\s*,\s*\d+)*\s*\]$")


def parse_model(name: str, n_lists: int) -> HierarchicalModel:
    """Parse ``[123,14,34]`` (or ``Mt`` for independence) into a model for ``n_lists`` lists."""
    text = name.strip()
    if text.lower() == "mt":
        return HierarchicalModel(n_lists, ())
    if not _NAME.match(text):
        raise ValueError(
            f"model {name!r} is not a bracketed generating class like [12,3,4] or [123,14,34]"
        )
    generators: list[Term] = []
    for part in text.strip("[]").split(","):
        digits = part.strip()
        term = tuple(sorted(int(d) - 1 for d in digits))
        if len(set(term)) != len(term) or any(not 0 <= j < n_lists for j in term):
            raise ValueError(f"model {name!r}: term {digits!r} is not a set of lists 1..{n_lists}")
        if len(term) == n_lists:
            raise ValueError(
                f"model {name!r}: the {n_lists}-way term leaves the unobserved cell unidentified"
            )
        generators.append(term)
    interactions = {
        sub
        for term in generators
        for size in range(2, len(term) + 1)
        for sub in combinations(term, size)
    }
    order = {t: i for i, t in enumerate(_candidate_terms(n_lists))}
    return HierarchicalModel(n_lists, tuple(sorted(interactions, key=order.__getitem__)))
