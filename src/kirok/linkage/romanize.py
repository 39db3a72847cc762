"""Hangul → Latin: Revised Romanization, McCune–Reischauer, its plain-ASCII form, DPRK style.

Systems (``system`` argument):

``rr``
    Revised Romanization of Korean (Ministry of Culture and Tourism notice 2000-8). Sound changes
    across syllable boundaries are transcribed: liaison (백암 Baegam), nasalisation (백마 Baengma,
    종로 Jongno), lateralisation (신라 Silla), palatalisation (같이 gachi), aspiration with ㅎ
    (좋고 joko). In nouns ㅎ after ㄱ/ㄷ/ㅂ keeps its h (묵호 Mukho), as the notice prescribes;
    tensing is not written.
``mr``
    McCune–Reischauer as in the Library of Congress (ALA-LC) table: ŏ and ŭ, the apostrophe of
    aspiration (ㅊ ch', ㅋ k', ㅌ t', ㅍ p'), voicing of ㄱ ㄷ ㅂ ㅈ between voiced sounds
    (Taegu, Pusan), ㅅ as sh before ㅟ only (shwi; 시 is si, as in the 1984 revision), n'g
    where n and g meet (Han'guk), the same sound changes as RR. After ㄹ, ㄷ and ㅈ stay
    voiceless (길주 Kilchu: they are tensed in Sino-Korean).
``mr_ascii``
    McCune–Reischauer as commonly typed: breves and apostrophes dropped (Ch'ŏngjin → Chongjin).
``dprk``
    The North's practice in its English-language publications: MR-like consonants with the
    aspirates written kh, th, ph, ㅈ always j, ㅓ → o and ㅡ → u without diacritics, word-initial
    ㄹ kept as r (리 Ri, 룡 Ryong).

Personal names follow the naming conventions of each system rather than word phonology: see
:mod:`kirok.linkage.names`.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from kirok.linkage.hangul import Syllable, decompose, is_syllable

System = Literal["rr", "mr", "mr_ascii", "dprk"]
SYSTEMS: tuple[System, ...] = ("rr", "mr", "mr_ascii", "dprk")

_RR_VOWELS = dict(
    zip(
        "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ",
        "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split(),
        strict=True,
    )
)
_MR_VOWELS = dict(
    zip(
        "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ",
        "a ae ya yae ŏ e yŏ ye o wa wae oe yo u wŏ we wi yu ŭ ŭi i".split(),
        strict=True,
    )
)
_RR_INITIALS = {
    "ㄱ": "g",
    "ㄲ": "kk",
    "ㄴ": "n",
    "ㄷ": "d",
    "ㄸ": "tt",
    "ㄹ": "r",
    "ㅁ": "m",
    "ㅂ": "b",
    "ㅃ": "pp",
    "ㅅ": "s",
    "ㅆ": "ss",
    "ㅇ": "",
    "ㅈ": "j",
    "ㅉ": "jj",
    "ㅊ": "ch",
    "ㅋ": "k",
    "ㅌ": "t",
    "ㅍ": "p",
    "ㅎ": "h",
}
_MR_INITIALS = {
    **_RR_INITIALS,
    "ㄱ": "k",
    "ㄷ": "t",
    "ㅂ": "p",
    "ㅈ": "ch",
    "ㅉ": "tch",
    "ㅊ": "ch'",
    "ㅋ": "k'",
    "ㅌ": "t'",
    "ㅍ": "p'",
}
_DPRK_INITIALS = {
    **_MR_INITIALS,
    "ㅈ": "j",
    "ㅉ": "jj",
    "ㅊ": "ch",
    "ㅋ": "kh",
    "ㅌ": "th",
    "ㅍ": "ph",
}
_VOICED = {"ㄱ": "g", "ㄷ": "d", "ㅂ": "b", "ㅈ": "j"}
_FINAL_SOUND = {"ㄱ": "k", "ㄴ": "n", "ㄷ": "t", "ㄹ": "l", "ㅁ": "m", "ㅂ": "p", "ㅇ": "ng"}

# Final consonant (or cluster) → the sound it has before a consonant or at the end of a word.
_NEUTRAL = {
    "": "",
    "ㄱ": "ㄱ",
    "ㄲ": "ㄱ",
    "ㅋ": "ㄱ",
    "ㄳ": "ㄱ",
    "ㄺ": "ㄱ",
    "ㄴ": "ㄴ",
    "ㄵ": "ㄴ",
    "ㄶ": "ㄴ",
    "ㄷ": "ㄷ",
    "ㅅ": "ㄷ",
    "ㅆ": "ㄷ",
    "ㅈ": "ㄷ",
    "ㅊ": "ㄷ",
    "ㅌ": "ㄷ",
    "ㅎ": "ㄷ",
    "ㄹ": "ㄹ",
    "ㄼ": "ㄹ",
    "ㄽ": "ㄹ",
    "ㄾ": "ㄹ",
    "ㅀ": "ㄹ",
    "ㅁ": "ㅁ",
    "ㄻ": "ㅁ",
    "ㅂ": "ㅂ",
    "ㅍ": "ㅂ",
    "ㅄ": "ㅂ",
    "ㄿ": "ㅂ",
    "ㅇ": "ㅇ",
}
# Before a vowel a cluster keeps its first consonant and hands the second to the next syllable.
_LIAISON = {
    "ㄳ": ("ㄱ", "ㅆ"),
    "ㄵ": ("ㄴ", "ㅈ"),
    "ㄶ": ("ㄴ", "ㅇ"),
    "ㄺ": ("ㄹ", "ㄱ"),
    "ㄻ": ("ㄹ", "ㅁ"),
    "ㄼ": ("ㄹ", "ㅂ"),
    "ㄽ": ("ㄹ", "ㅆ"),
    "ㄾ": ("ㄹ", "ㅌ"),
    "ㄿ": ("ㄹ", "ㅍ"),
    "ㅀ": ("ㄹ", "ㅇ"),
    "ㅄ": ("ㅂ", "ㅆ"),
    "ㅎ": ("", "ㅇ"),
}
_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅈ": "ㅊ", "ㅂ": "ㅍ"}
_NASAL = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}
_H_FINALS = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}


def _boundary(final: str, nxt: Syllable) -> tuple[str, Syllable]:
    """Sound change where a syllable's final meets the next syllable's initial."""
    ini = nxt.initial
    if final == "":
        return final, nxt
    if final == "ㅇ":
        return final, nxt._replace(initial="ㄴ") if ini == "ㄹ" else nxt
    if ini == "ㅇ":  # liaison
        if final in _LIAISON:
            stay, move = _LIAISON[final]
        else:
            stay, move = "", final
        if move == "ㄷ" and nxt.medial == "ㅣ":
            move = "ㅈ"  # 해돋이 haedoji
        elif move == "ㅌ" and nxt.medial == "ㅣ":
            move = "ㅊ"  # 같이 gachi
        return stay, nxt._replace(initial=move)
    if final in _H_FINALS:
        rest = _H_FINALS[final]
        if ini in ("ㄱ", "ㄷ", "ㅈ"):
            return rest, nxt._replace(initial=_ASPIRATE[ini])  # 좋고 joko
        if ini == "ㅅ":
            return rest, nxt._replace(initial="ㅆ")
        if ini == "ㄴ":
            final = rest or "ㄴ"
        else:
            final = _NEUTRAL[final]
    else:
        final = _NEUTRAL[final]
    if ini == "ㄹ":
        if final in ("ㄴ", "ㄹ"):
            return "ㄹ", nxt  # 신라 Silla, 별내 handled below
        ini = "ㄴ"  # 종로 Jongno, 백로 → 뱅노
    if final == "ㄹ" and ini == "ㄴ":
        return "ㄹ", nxt._replace(initial="ㄹ")  # 별내 Byeollae
    if final in _NASAL and ini in ("ㄴ", "ㅁ"):
        final = _NASAL[final]  # 백마 Baengma
    return final, nxt._replace(initial=ini)


def _apply_sound_changes(sylls: list[Syllable]) -> list[Syllable]:
    out = list(sylls)
    for k in range(len(out) - 1):
        final, nxt = _boundary(out[k].final, out[k + 1])
        out[k] = out[k]._replace(final=final)
        out[k + 1] = nxt
    if out:
        out[-1] = out[-1]._replace(final=_NEUTRAL[out[-1].final])
    return out


def _neutralise(sylls: list[Syllable]) -> list[Syllable]:
    return [s._replace(final=_NEUTRAL[s.final]) for s in sylls]


def _initial(system: System, syl: Syllable, prev_final: str | None) -> str:
    """Latin for an initial; ``prev_final`` is None at the start of a word."""
    ini = syl.initial
    if ini == "ㄹ" and prev_final == "ㄹ":
        return "l"
    if system == "rr":
        return _RR_INITIALS[ini]
    if ini == "ㅅ" and system in ("mr", "mr_ascii") and syl.medial == "ㅟ":
        return "sh"
    table = _DPRK_INITIALS if system == "dprk" else _MR_INITIALS
    if ini in _VOICED and prev_final is not None:
        voiced_context = prev_final in ("", "ㄴ", "ㅁ", "ㅇ") or (
            prev_final == "ㄹ" and ini in ("ㄱ", "ㅂ")
        )
        if voiced_context:
            return _VOICED[ini]
    return table[ini]


def _vowel(system: System, medial: str) -> str:
    if system == "rr":
        return _RR_VOWELS[medial]
    return _MR_VOWELS[medial]


def _render(sylls: list[Syllable], system: System) -> list[str]:
    parts: list[str] = []
    prev: str | None = None
    for k, syl in enumerate(sylls):
        ini = _initial(system, syl, prev if k > 0 else None)
        if system in ("mr", "mr_ascii") and prev == "ㄴ" and ini.startswith("g"):
            ini = "'" + ini  # Han'guk: n'g is not ng
        parts.append(ini + _vowel(system, syl.medial) + _FINAL_SOUND.get(syl.final, ""))
        prev = syl.final
    return parts


def ascii_fold(text: str) -> str:
    """Drop diacritics and apostrophes: MR as commonly typed (Ch'ŏngjin → Chongjin)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.replace("'", "").replace("’", "").replace("‘", "")


def _finish(text: str, system: System) -> str:
    if system in ("mr_ascii", "dprk"):
        text = ascii_fold(text)
    return text


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def romanize(hangul: str, system: str) -> str:
    """Romanize one word (a run of Hangul syllables) with sound changes across its syllables.

    Characters that are not Hangul syllables split the text into words and are kept as they are.
    The first letter of each word is capitalised.
    """
    sys_ = _check(system)
    out: list[str] = []
    run: list[Syllable] = []

    def flush() -> None:
        if run:
            word = "".join(_render(_apply_sound_changes(run), sys_))
            out.append(_capitalize(_finish(word, sys_)))
            run.clear()

    for ch in hangul:
        if is_syllable(ch):
            run.append(decompose(ch))
        else:
            flush()
            out.append(ch)
    flush()
    return "".join(out)


def romanize_syllables(hangul: str, system: str, *, voicing: bool) -> list[str]:
    """Romanize each syllable on its own (no liaison, no assimilation), lower case.

    With ``voicing`` (MR, DPRK) an initial ㄱ ㄷ ㅂ ㅈ is voiced after a vowel or a nasal of the
    previous syllable, the convention for the second syllable of a hyphenated MR given name
    (Tae-jung, Myŏng-bak); without it each syllable is romanized as if it began a word.
    """
    sys_ = _check(system)
    sylls = _neutralise([decompose(c) for c in hangul if is_syllable(c)])
    parts: list[str] = []
    prev: str | None = None
    for syl in sylls:
        if voicing and sys_ != "rr" and prev is not None:
            parts.append(_render_after(syl, sys_, prev))
        else:
            parts.append(_render([syl], sys_)[0])
        prev = syl.final
    return [_finish(p, sys_) for p in parts]


def _render_after(syl: Syllable, system: System, prev_final: str) -> str:
    ini = _initial(system, syl, prev_final)
    return ini + _vowel(system, syl.medial) + _FINAL_SOUND.get(syl.final, "")


def _check(system: str) -> System:
    if system not in SYSTEMS:
        raise ValueError(f"unknown romanization system {system!r}; expected one of {SYSTEMS}")
    return system
