"""Interface strings in English and Korean (``locales/{en,ko}.json``).

Vocabulary labels are not here: they come from the vocabularies themselves (``Term.label``), so
one switch covers the interface and the data. A missing Korean string falls back to English, and
a missing English one shows its key, so a gap is visible rather than silent.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = resources.files("kirok.web").joinpath("locales", f"{lang}.json").read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"locales/{lang}.json must hold one object")
    return {str(k): str(v) for k, v in data.items()}


def language(value: object) -> str:
    """A supported language code (anything else falls back to the default)."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def translate(lang: str, key: str) -> str:
    chosen = language(lang)
    return catalogue(chosen).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key


def field_label(lang: str, name: str) -> str:
    """A record field's label; the field's own name if none is written yet."""
    key = f"field.{name}"
    chosen = language(lang)
    return catalogue(chosen).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or name
