"""Text → search grams, the same on every backend.

Full-text search runs over a keyed index of character bigrams and trigrams (and single
characters of one-letter words), not over plaintext: testimony is encrypted at rest, and an
FTS5 or pg_trgm index would hold it in the clear. Bigrams match Korean words of two syllables
(고문, 처형, 탈북), which a trigram index cannot; trigrams keep longer words selective. Latin
text is folded so that ``Yodŏk`` finds ``Yodok`` and case does not matter. Candidates found
through the index are confirmed against the decrypted text, so a gram collision never yields a
false hit.
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


def grams(text: str, *, trigrams: bool = False) -> set[str]:
    """The grams a query for ``text`` asks the index for: each word's bigrams (its trigrams
    instead, for a word of three characters or more, when ``trigrams``), or the word itself when
    it has one character."""
    out: set[str] = set()
    for word in words(text):
        out.update(query_grams(word, trigrams=trigrams))
    return out


def query_grams(word: str, *, trigrams: bool = False) -> set[str]:
    """The grams of one folded query word (see ``grams``)."""
    if len(word) == 1:
        return {word}
    size = 3 if trigrams and len(word) >= 3 else 2
    return {word[i : i + size] for i in range(len(word) - size + 1)}


def word_grams(word: str) -> set[str]:
    """The grams a folded word of a record is indexed under: its bigrams and trigrams, or the
    word itself when it has one character. Bigrams find two-syllable words; trigrams keep
    longer words from matching every record that holds their bigrams in other words (Hwasong:
    hw, wa, as, so, on, ng are spread over many unrelated names)."""
    if len(word) == 1:
        return {word}
    return {word[i : i + 2] for i in range(len(word) - 1)} | {
        word[i : i + 3] for i in range(len(word) - 2)
    }


def matches(query: str, texts: list[str]) -> bool:
    """Whether every word of the query occurs (folded) in one of the texts."""
    haystack = " ".join(fold(text) for text in texts)
    return all(word in haystack for word in words(query))
