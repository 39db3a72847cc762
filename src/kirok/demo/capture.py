"""Which NGO documents whom: heterogeneous, positively dependent capture.

Each person has a latent *visibility* (survivors who reach the South testify, border families
have relatives who escape, long detentions are noticed). NGO ``j`` documents person ``i`` with
probability ``sigmoid(alpha_j + beta_j * visibility_i + focus_j(i))``. Because every NGO loads on
the same latent visibility, the lists are positively dependent and capture probabilities are
unequal between people — the situation in which the independence model of multiple systems
estimation underestimates the total, and which heterogeneity models (LCMCR) are meant for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kirok.demo.population import TruePerson


@dataclass(frozen=True)
class NgoSpec:
    """A synthetic documenting organisation and how it writes names.

    ``styles`` maps a name style (see ``render.STYLES``) to its weight; ``focus`` adds to the
    capture logit for people with a trait (``refugee``, ``kwanliso``, ``border``, ``survivor``).
    """

    slug: str
    label: str
    alpha: float
    beta: float
    styles: dict[str, float]
    focus: dict[str, float] = field(default_factory=dict)
    language: str = "en"
    duplicate_rate: float = 0.02  # share of its people it records twice (re-interviews)
    typo_rate: float = 0.05
    missing_given_rate: float = 0.02
    birth_missing_rate: float = 0.10
    birth_error_rate: float = 0.15  # birth year off by one or two


DEFAULT_NGOS: tuple[NgoSpec, ...] = (
    NgoSpec(
        slug="ngo_a",
        label="NGO-A (synthetic)",
        alpha=-2.2,
        beta=1.1,
        styles={"hangul_south": 0.7, "rr": 0.2, "rr_joined": 0.1},
        focus={"survivor": 0.4},
        language="ko",
        typo_rate=0.01,
    ),
    NgoSpec(
        slug="ngo_b",
        label="NGO-B (synthetic)",
        alpha=-2.9,
        beta=1.3,
        styles={"mr": 0.4, "mr_ascii": 0.35, "passport": 0.15, "rr": 0.1},
        focus={"kwanliso": 0.6},
        language="en",
    ),
    NgoSpec(
        slug="ngo_c",
        label="NGO-C (synthetic)",
        alpha=-3.4,
        beta=0.9,
        styles={"hangul_north": 0.45, "dprk": 0.35, "rr": 0.2},
        focus={"refugee": 2.0, "border": 0.3},
        language="ko",
        birth_missing_rate=0.2,
    ),
    NgoSpec(
        slug="ngo_d",
        label="NGO-D (synthetic)",
        alpha=-3.9,
        beta=0.7,
        styles={"passport_given_first": 0.45, "mr_ascii": 0.3, "rr_spaced": 0.25},
        focus={"kwanliso": 0.8},
        language="en",
        typo_rate=0.10,
        missing_given_rate=0.05,
        birth_missing_rate=0.25,
        birth_error_rate=0.25,
        duplicate_rate=0.05,
    ),
)


def _traits(person: TruePerson) -> dict[str, bool]:
    return {
        "refugee": person.refugee,
        "kwanliso": person.facility_type == "kwanliso",
        "border": person.county.border,
        "survivor": person.fate in ("released", "escaped"),
    }


def capture_probabilities(people: list[TruePerson], ngos: tuple[NgoSpec, ...]) -> np.ndarray:
    """Matrix (people × NGOs) of the probability that each NGO documents each person."""
    visibility = np.array([person.visibility for person in people], dtype=float)
    traits = {
        name: np.array([_traits(person)[name] for person in people], dtype=float)
        for name in ("refugee", "kwanliso", "border", "survivor")
    }
    logits = np.empty((len(people), len(ngos)))
    for j, ngo in enumerate(ngos):
        logits[:, j] = ngo.alpha + ngo.beta * visibility
        for trait, weight in ngo.focus.items():
            if trait not in traits:
                raise ValueError(
                    f"{ngo.slug}: unknown focus trait {trait!r}; known: {sorted(traits)}"
                )
            logits[:, j] += weight * traits[trait]
    return np.asarray(1.0 / (1.0 + np.exp(-logits)))


def draw_captures(
    rng: np.random.Generator, people: list[TruePerson], ngos: tuple[NgoSpec, ...]
) -> np.ndarray:
    """0/1 matrix (people × NGOs): who is on which list."""
    probabilities = capture_probabilities(people, ngos)
    return np.asarray(rng.random(probabilities.shape) < probabilities, dtype=np.int8)
