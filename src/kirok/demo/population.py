"""The simulated population: people held in the DPRK penal system, 1995–2024, and their truth.

Every quantity here is synthetic. Shares are chosen to look like the published testimony
(most escapees arrested in China are women; kwanliso prisoners are rarely released), not to
estimate anything. The generator knows the true size of the population, which is what makes
the data useful for testing linkage and multiple systems estimation.
"""

from __future__ import annotations

import math
from bisect import bisect
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import accumulate

import numpy as np

from kirok.demo.names import FEMALE_POOL, MALE_POOL, family_weights
from kirok.demo.places import (
    CHINA_ARREST_PLACES,
    COUNTIES,
    FACILITIES_BY_STAGE,
    County,
    Facility,
)

FIRST_YEAR = 1995
LAST_YEAR = 2024
HETEROGENEITY = 1.0
FATES = ("released", "died_in_custody", "executed", "still_held", "escaped")
#: Fate probabilities by the facility a person ends up in.
_FATE_P = {
    "kwanliso": (0.06, 0.40, 0.06, 0.46, 0.02),
    "kyohwaso": (0.55, 0.22, 0.05, 0.15, 0.03),
    "jipkyulso": (0.82, 0.06, 0.01, 0.04, 0.07),
}
_CROSSING = {
    "tumen": "Tumen–Namyang bridge",
    "dandong": "Dandong–Sinuiju Friendship Bridge",
    "longjing": "Sanhe–Hoeryong crossing",
    "changbai": "Changbai–Hyesan crossing",
}
_STAY_YEARS = {"kwanliso": (6.0, 12.0), "kyohwaso": (3.0, 3.0), "jipkyulso": (0.5, 0.4)}


@dataclass(frozen=True)
class TrueStep:
    """One stage of a true custody path, with exact dates (ISO text)."""

    stage: str
    start: str
    end: str | None
    facility: Facility | None = None
    place_text: str | None = None


@dataclass(frozen=True)
class TruePerson:
    """A simulated person and what really happened to them."""

    person_id: str
    sex: str  # "M" / "F"
    family: int  # index into FAMILY_NAMES
    given: str  # Hangul syllables, North orthography
    alias_given: str | None  # another given name the person is known by
    birth: str  # YYYY-MM-DD
    county: County
    arrest_year: int
    facility_type: str  # kwanliso / kyohwaso / jipkyulso
    camp: Facility
    fate: str
    fate_year: int | None
    refugee: bool
    steps: tuple[TrueStep, ...]
    visibility: float  # latent: how likely the person is to be documented at all
    held_years: float = field(default=0.0)

    @property
    def birth_year(self) -> int:
        return int(self.birth[:4])

    @property
    def arrest_period(self) -> str:
        start = FIRST_YEAR + 5 * ((self.arrest_year - FIRST_YEAR) // 5)
        return f"{start}-{start + 4}"


def _iso(year: float) -> str:
    """The day a fractional year stands for (2004.5 → 2004-07-02); later years, later days."""
    year = min(year, LAST_YEAR + 0.99)
    whole = int(year)
    day = date(whole, 1, 1) + timedelta(days=min(int((year - whole) * 365), 364))
    return day.isoformat()


def weighted_index(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """``size`` draws of an index with probability proportional to ``weights`` (vectorised)."""
    cumulative = np.cumsum(weights, dtype=float)
    picks = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    return np.asarray(np.minimum(picks, len(weights) - 1))


def _facility_weights(stage: str) -> np.ndarray:
    return np.array([f.weight for f in FACILITIES_BY_STAGE[stage]], dtype=float)


def _given_names(rng: np.random.Generator, sexes: list[str]) -> list[str]:
    """Two distinct syllables from the pool of the person's sex; one syllable now and then."""
    n = len(sexes)
    single = rng.random(n) < 0.06
    first = rng.random(n)
    second = rng.random(n)
    names: list[str] = []
    for k, sex in enumerate(sexes):
        pool = MALE_POOL if sex == "M" else FEMALE_POOL
        a = int(first[k] * len(pool))
        if single[k]:
            names.append(pool[a])
            continue
        b = int(second[k] * (len(pool) - 1))
        b += b >= a  # a different syllable
        names.append(pool[a] + pool[b])
    return names


def simulate_population(
    rng: np.random.Generator, size: int, heterogeneity: float = HETEROGENEITY
) -> list[TruePerson]:
    """Draw ``size`` people. Draws are made in a fixed order, so one seed gives one population.

    ``heterogeneity`` scales how far each person's visibility lies from the population mean
    (visibility: survivor, border county, length of detention, kwanliso, plus person-level
    noise). At 0 everyone is equally visible and only the NGOs' focus groups differ; at 1 the
    least visible people are rarely on any list, which no multiple systems estimator can see
    (their intervals then fall short of the truth).
    """
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    # Arrests peak in the famine aftermath and the 2000s crackdowns on border crossing.
    year_w = np.exp(-0.5 * ((years - 2005) / 8.0) ** 2)
    county_w = np.array([c.weight for c in COUNTIES], dtype=float)
    border_w = np.array([c.weight * (3.0 if c.border else 0.3) for c in COUNTIES])

    refugee = rng.random(size) < 0.38
    female = rng.random(size) < np.where(refugee, 0.72, 0.35)
    sexes = ["F" if f else "M" for f in female]
    arrest_years = years[weighted_index(rng, year_w, size)]
    ages = np.clip(rng.normal(34, 11, size), 16, 75).astype(int)
    birth_u = rng.random((size, 2))
    counties = np.where(
        refugee, weighted_index(rng, border_w, size), weighted_index(rng, county_w, size)
    )
    types = np.where(
        refugee,
        weighted_index(rng, np.array([0.15, 0.40, 0.45]), size),
        weighted_index(rng, np.array([0.30, 0.50, 0.20]), size),
    )
    camp_draw = {
        stage: weighted_index(rng, _facility_weights(stage), size) for stage in FACILITIES_BY_STAGE
    }
    stay_z = rng.normal(size=size)
    fate_u = rng.random(size)
    path_u = rng.random((size, 8))
    families = weighted_index(rng, np.array(family_weights()), size)
    given = _given_names(rng, sexes)
    has_alias = rng.random(size) < 0.12
    aliases = _given_names(rng, sexes)
    noise = rng.normal(0.0, 0.8, size)
    # Plain Python values from here on: the per-person loop is the slow part at scale.
    fate_cum = {k: list(accumulate(v)) for k, v in _FATE_P.items()}
    camps = {stage: draw.tolist() for stage, draw in camp_draw.items()}
    type_l, county_l, year_l, age_l = (
        types.tolist(),
        counties.tolist(),
        arrest_years.tolist(),
        ages.tolist(),
    )
    birth_l, stay_l, fate_l, path_l = (
        birth_u.tolist(),
        stay_z.tolist(),
        fate_u.tolist(),
        path_u.tolist(),
    )
    families_l, alias_l, noise_l, refugee_l = (
        families.tolist(),
        has_alias.tolist(),
        noise.tolist(),
        refugee.tolist(),
    )

    people: list[TruePerson] = []
    for i in range(size):
        facility_type = ("kwanliso", "kyohwaso", "jipkyulso")[type_l[i]]
        camp = FACILITIES_BY_STAGE[facility_type][camps[facility_type][i]]
        county = COUNTIES[county_l[i]]
        arrest_year = int(year_l[i])
        birth = _iso(arrest_year - age_l[i] + birth_l[i][0])
        mean, sd = _STAY_YEARS[facility_type]
        stay = max(0.1, mean + sd * stay_l[i])
        cum = fate_cum[facility_type]
        fate = FATES[min(bisect(cum, fate_l[i] * cum[-1]), 4)]
        u = path_l[i]
        t = arrest_year + u[0]
        steps: list[TrueStep] = []
        if refugee_l[i]:
            arrested_at = CHINA_ARREST_PLACES[int(u[1] * len(CHINA_ARREST_PLACES))]
            held_cn = t + 0.05 * u[2]
            handover = held_cn + 0.05 + 0.25 * u[3]
            mss_end = handover + 0.1 + 0.5 * u[4]
            china = FACILITIES_BY_STAGE["detention_china"][camps["detention_china"][i]]
            mss = FACILITIES_BY_STAGE["mss_holding"][camps["mss_holding"][i]]
            steps += [
                TrueStep("arrest_china", _iso(t), None, None, arrested_at),
                TrueStep("detention_china", _iso(held_cn), _iso(handover), china),
                TrueStep("handover", _iso(handover), None, None, _CROSSING[china.key]),
                TrueStep("mss_holding", _iso(handover), _iso(mss_end), mss),
            ]
            t = mss_end
        end_t = t + stay
        if fate == "still_held" or end_t >= LAST_YEAR + 1:
            fate = "still_held"
            end_t = float(LAST_YEAR + 1)
        end = None if fate == "still_held" else _iso(end_t)
        steps.append(TrueStep(facility_type, _iso(t), end, camp))
        held = end_t - (arrest_year + 0.5)
        # Survivors testify; border people have kin who escape; long detentions get noticed.
        visibility = (
            noise_l[i]
            + (0.9 if fate in ("released", "escaped") else 0.0)
            + (0.5 if county.border else 0.0)
            + 0.25 * math.log1p(max(held, 0.0))
            - (0.4 if facility_type == "kwanliso" and fate != "escaped" else 0.0)
        )
        people.append(
            TruePerson(
                person_id=f"P{i + 1:06d}",
                sex=sexes[i],
                family=families_l[i],
                given=given[i],
                alias_given=aliases[i] if alias_l[i] and aliases[i] != given[i] else None,
                birth=birth,
                county=county,
                arrest_year=arrest_year,
                facility_type=facility_type,
                camp=camp,
                fate=fate,
                fate_year=None if fate == "still_held" else int(end_t),
                refugee=bool(refugee_l[i]),
                steps=tuple(steps),
                visibility=visibility,
                held_years=round(held, 2),
            )
        )
    # Scale the spread around the mean, so the knob changes inequality, not the overall level.
    centre = sum(p.visibility for p in people) / max(len(people), 1)
    return [replace(p, visibility=centre + heterogeneity * (p.visibility - centre)) for p in people]
