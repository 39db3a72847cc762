"""How an NGO writes what it learned about a person: names, birth dates, hometowns, dates.

The same person appears as 리영철, 이영철, Ri Yong Chol, Yi Yŏng-ch'ŏl, Lee Yeong-cheol,
LEE YEONGCHEOL or Yeongcheol Lee, sometimes with a typo, a missing given name, a birth year off
by one or an alias. These are the variations record linkage must see through; the style weights
of each NGO are in ``capture.NgoSpec.styles``.
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from kirok.demo.capture import NgoSpec
from kirok.demo.names import FAMILY_NAMES, south_form
from kirok.demo.places import County, county_spellings
from kirok.demo.population import TruePerson
from kirok.domain.records import NameForm, NameOrder, Romanization, Script
from kirok.linkage.korean import romanize_name

STYLES = (
    "hangul_south",
    "hangul_north",
    "rr",
    "rr_joined",
    "rr_spaced",
    "mr",
    "mr_ascii",
    "dprk",
    "passport",
    "passport_given_first",
)
_SYSTEM_ENUM = {
    "rr": Romanization.RR,
    "mr": Romanization.MR,
    "mr_ascii": Romanization.MR,
    "dprk": Romanization.DPRK,
    "passport": Romanization.PASSPORT,
}


@dataclass(frozen=True)
class RenderedName:
    full: str
    family: str  # empty when the record leaves it out
    given: str
    form: NameForm


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = sorted(weights)
    cumulative = list(accumulate(weights[k] for k in keys))
    return keys[min(bisect(cumulative, rng.random() * cumulative[-1]), len(keys) - 1)]


def typo(rng: np.random.Generator, text: str) -> str:
    """Drop, double or swap a letter (never the first), as a hurried transcriber would."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 3:
        return text
    i = letters[int(rng.integers(1, len(letters)))]
    kind = int(rng.integers(3))
    if kind == 2 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 0:
        return text[:i] + text[i + 1 :]
    letter = text[i]
    upper_word = letter.isupper() and (text[i + 1 : i + 2] + text[i - 1]).isupper()
    double = letter if letter.islower() or upper_word else letter.lower()
    return text[: i + 1] + double + text[i + 1 :]


def romanize_given(syllables: str, system: str, *, joiner: str = "-") -> str:
    """A Hangul given name in a system's personal-name convention (``kirok.linkage``), with the
    syllables hyphenated (``"-"``: Chŏng-il), joined (``""``: Jeongil) or spaced (``" "``:
    Jong Il)."""
    hyphenated = romanize_name("", syllables, system, hyphen=True)[1]
    pieces = [piece for piece in hyphenated.replace(" ", "-").split("-") if piece]
    if joiner == " ":
        return " ".join(piece[:1].upper() + piece[1:].lower() for piece in pieces)
    text = joiner.join(piece.lower() for piece in pieces)
    return text[:1].upper() + text[1:]


def _family_latin(rng: np.random.Generator, person: TruePerson, style: str) -> str:
    name = FAMILY_NAMES[person.family]
    if style in ("dprk",):
        return name.dprk
    if style == "mr":
        return name.mr
    if style == "mr_ascii":
        return name.mr_ascii if rng.random() < 0.7 else name.rr[0]
    forms = name.rr
    if len(forms) == 1 or rng.random() < 0.6:
        return forms[0]
    return forms[1 + int(rng.random() * (len(forms) - 1))]


def render_name(
    rng: np.random.Generator, person: TruePerson, style: str, given_hangul: str | None = None
) -> RenderedName:
    """One written form of the person's name (or of an alias when ``given_hangul`` is given)."""
    given_n = given_hangul or person.given
    name = FAMILY_NAMES[person.family]
    order = NameOrder.FAMILY_FIRST
    if style in ("hangul_south", "hangul_north"):
        family = name.south if style == "hangul_south" else name.north
        given = south_form(given_n) if style == "hangul_south" else given_n
        full = family + (" " if rng.random() < 0.15 else "") + given
        form = NameForm(
            text=full,
            family=family,
            given=given,
            script=Script.HANGUL,
            system=Romanization.NONE,
        )
        return RenderedName(full, family, given, form)
    north_given = style == "dprk" or (style.startswith("mr") and rng.random() < 0.5)
    source = given_n if north_given else south_form(given_n)
    if style.startswith("rr") or style.startswith("passport"):
        system = "rr"
    elif style == "dprk":
        system = "dprk"
    else:
        system = "mr" if style == "mr" else "mr_ascii"
    joiner = {"rr_joined": "", "rr_spaced": " ", "dprk": " ", "passport": ""}.get(style, "-")
    if style == "passport_given_first":
        joiner = "" if rng.random() < 0.6 else " "
    elif style == "rr" and rng.random() < 0.3:
        joiner = ""
    given = romanize_given(source, system, joiner=joiner)
    family = _family_latin(rng, person, "rr" if style.startswith("passport") else style)
    if style.startswith("passport"):
        family = family.upper()
        given = given.upper() if style == "passport" else given
    if style == "passport_given_first" or (style == "mr_ascii" and rng.random() < 0.1):
        order = NameOrder.GIVEN_FIRST
        full = f"{given} {family}"
    elif style == "passport" and rng.random() < 0.4:
        full = f"{family}, {given}"
    else:
        full = f"{family} {given}"
    enum = _SYSTEM_ENUM["passport" if style.startswith("passport") else system]
    form = NameForm(
        text=full, family=family, given=given, script=Script.LATIN, system=enum, order=order
    )
    return RenderedName(full, family, given, form)


def degrade(rng: np.random.Generator, rendered: RenderedName, ngo: NgoSpec) -> RenderedName:
    """Typos and missing parts, at the NGO's rates. The name form keeps what was written."""
    family, given, full = rendered.family, rendered.given, rendered.full
    latin = rendered.form.script == Script.LATIN
    if rng.random() < ngo.typo_rate:
        if latin:
            given = typo(rng, given)
        elif len(given) == 2:
            given = given[::-1]  # syllables transposed
        full = rendered.full.replace(rendered.given, given)
    roll = rng.random()
    if roll < ngo.missing_given_rate:
        # Only the family name and an initial ("Kim C."), or the family name alone.
        if latin and rng.random() < 0.6 and given:
            given = given[0] + "."
        else:
            given = ""
        full = f"{family} {given}".strip() if latin else family + given
    elif roll < 2 * ngo.missing_given_rate:
        family = ""  # known only by the given name
        full = given
    if full == rendered.full:
        return rendered
    form = rendered.form.model_copy(
        update={"text": full, "family": family or None, "given": given or None}
    )
    return RenderedName(full, family, given, form)


def render_birth(rng: np.random.Generator, person: TruePerson, ngo: NgoSpec) -> str:
    """Birth date as the NGO has it: exact, month, year, a year off, or missing."""
    if rng.random() < ngo.birth_missing_rate:
        return ""
    if rng.random() < ngo.birth_error_rate:
        shift = (-2, -1, -1, 1, 1, 2)[int(rng.random() * 6)]
        return f"{person.birth_year + shift:04d}"
    roll = rng.random()
    if roll < 0.3:
        return person.birth
    if roll < 0.4:
        return person.birth[:7]
    return person.birth[:4]


def render_place(rng: np.random.Generator, county: County, style: str) -> str:
    """A hometown as written: Hangul for Hangul records, else one of the romanized spellings."""
    if rng.random() < 0.12:
        return ""
    spellings = county_spellings(county)
    if style.startswith("hangul"):
        options = spellings[:2]
    elif style.startswith("mr"):
        options = [spellings[4], spellings[5], spellings[6]]
    elif style == "dprk":
        options = [spellings[7], county.dprk]
    else:
        options = [spellings[2], spellings[3], spellings[6], spellings[8]]
    text = options[int(rng.integers(len(options)))]
    return typo(rng, text) if rng.random() < 0.03 else text


def render_date(rng: np.random.Generator, iso: str | None, *, known: float = 0.9) -> str | None:
    """An exact ISO date as a witness remembers it, in EDTF: day, month, year, ``2004~``,
    ``2003/2005`` — or nothing."""
    if iso is None or rng.random() > known:
        return None
    year = int(iso[:4])
    roll = rng.random()
    if roll < 0.2:
        return iso
    if roll < 0.5:
        return iso[:7]
    if roll < 0.75:
        return iso[:4]
    if roll < 0.9:
        return f"{year:04d}~"
    return f"{year - 1:04d}/{year + 1:04d}"


def pick_style(rng: np.random.Generator, ngo: NgoSpec) -> str:
    return _choice(rng, ngo.styles)
