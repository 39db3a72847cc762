"""Text → search grams, the same on every backend.

Full-text search runs over a keyed index of character bigrams (and single characters of
one-letter words), not over plaintext: testimony is encrypted at rest, and an FTS5 or pg_trgm
index would hold it in the clear. Bigrams match Korean words of two syllables (고문, 처형,
탈북), which a trigram index cannot; Latin text is folded so that ``Yodŏk`` finds ``Yodok``
and case does not matter. Candidates found through the index are confirmed against the
decrypted text, so a gram collision never yields a false hit.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
# ASCII and precomposed Hangul syllables: NFD, dropping combining marks, then NFC gives them
# back unchanged (jamo are not combining marks, and syllables never compose with each other).
_NOTHING_TO_DECOMPOSE = re.compile("[\x00-\x7f\uac00-\ud7a3]*")


def fold(text: str) -> str:
    """Case- and accent-insensitive form. Hangul stays composed (NFD would split it into jamo)."""
    if _NOTHING_TO_DECOMPOSE.fullmatch(text):  # the same result, several times faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def grams(text: str) -> set[str]:
    """Every bigram inside each word, and the word itself when it has one character."""
    out: set[str] = set()
    for word in words(text):
        out.update(word_grams(word))
    return out


def word_grams(word: str) -> set[str]:
    """The grams of one folded word (see ``grams``)."""
    if len(word) == 1:
        return {word}
    return {word[i : i + 2] for i in range(len(word) - 1)}


def matches(query: str, texts: list[str]) -> bool:
    """Whether every word of the query occurs (folded) in one of the texts."""
    haystack = " ".join(fold(text) for text in texts)
    return all(word in haystack for word in words(query))
