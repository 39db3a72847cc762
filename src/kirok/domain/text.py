"""Text normalisation shared by vocabulary and gazetteer look-ups.

Search keys must match however a documenter typed a word: with or without accents or
McCune-Reischauer breves (``Yodŏk``/``Yodok``), apostrophes of any shape (``P'yŏngyang``,
``P’yŏngyang``), full-width characters, or decomposed Hangul from some input methods.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["APOSTROPHES", "fold", "is_hangul", "strip_marks"]

#: Apostrophe-like characters used for McCune-Reischauer aspiration marks and elisions.
APOSTROPHES = "'’‘ʼʻ`´′ʹ"

_SPACES = re.compile(r"\s+")


def strip_marks(text: str) -> str:
    """Remove diacritics and breves but keep Hangul syllables whole.

    NFKD splits ``ŏ`` into ``o`` + combining breve (and Hangul syllables into jamo); combining
    marks are dropped and NFC then recomposes the Hangul.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def fold(text: str) -> str:
    """Case-, accent- and width-insensitive form with single spaces, for comparing labels."""
    return _SPACES.sub(" ", strip_marks(text).casefold()).strip()


def is_hangul(text: str) -> bool:
    """Whether ``text`` contains at least one Hangul syllable or jamo."""
    return any(
        "\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"
        for c in text
    )
