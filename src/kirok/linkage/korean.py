"""Korean names for record linkage: the public entry point.

Re-exports the pieces from :mod:`kirok.linkage.hangul` (syllables, jamo, North → South),
:mod:`kirok.linkage.romanize` (RR, MR, MR in ASCII, DPRK style) and :mod:`kirok.linkage.names`
(personal-name romanization, surname classes, given-name keys, order detection).
"""

from __future__ import annotations

from kirok.linkage.hangul import (
    from_jamo,
    has_hangul,
    north_to_south,
    north_to_south_name,
    to_jamo,
)
from kirok.linkage.names import (
    given_key,
    is_known_surname,
    latin_key,
    romanize_name,
    split_name,
    surname_class,
)
from kirok.linkage.romanize import SYSTEMS, System, ascii_fold, romanize

__all__ = [
    "SYSTEMS",
    "System",
    "ascii_fold",
    "from_jamo",
    "given_key",
    "has_hangul",
    "is_known_surname",
    "latin_key",
    "north_to_south",
    "north_to_south_name",
    "romanize",
    "romanize_name",
    "split_name",
    "surname_class",
    "to_jamo",
]
