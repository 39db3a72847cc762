"""Controlled vocabularies: the HURIDOCS ESF micro-thesauri plus Korean labels and local terms.

Sources, all package data read with :mod:`importlib.resources`:

- ``data/micro_thesauri.csv`` — the ESF lists with English, French and Spanish labels, the
  hierarchy (``parent_term_id``) and display order, unchanged from HURIDOCS;
- ``data/vocab/ko_labels.csv`` — Korean labels (``term_id,ko``) for the lists intake uses;
- ``data/vocab/local_terms.csv`` — terms ESF lacks (North Korean and Chinese detention
  facility types, perpetrator units, ...). Local ids start with ``L`` and never collide with
  ESF's 14-digit ids, so a later ESF release cannot silently change their meaning.

A query for a term means the term *and everything below it*: "torture" includes every kind of
torture recorded under it. Use :meth:`Vocabulary.descendant_ids` to build such filters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from kirok.domain.text import fold

__all__ = [
    "LANGUAGES",
    "Term",
    "TermList",
    "UnknownTermError",
    "Vocabulary",
    "get_term",
    "load_vocabularies",
    "term_lists",
]

#: Label languages, in fallback order after the requested one.
LANGUAGES = ("en", "ko", "fr", "es")

_ESF_ROOT = "0"  # parent_term_id of top-level ESF terms
_LOCAL_ORDER_BASE = 10_000  # local terms sort after ESF siblings


class UnknownTermError(LookupError):
    """A term id that does not exist (in the given list)."""

    def __init__(self, term_id: str, list_name: str | None = None) -> None:
        self.term_id = term_id
        self.list_name = list_name
        where = f" in vocabulary {list_name!r}" if list_name else ""
        super().__init__(f"unknown term {term_id!r}{where}")

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Term:
    """One vocabulary term. ``labels`` maps a language code (en/fr/es/ko) to its label."""

    id: str
    list_number: int
    list_name: str
    parent_id: str | None
    level: int
    order: int
    labels: Mapping[str, str] = field(hash=False)
    local: bool = False
    note: str = field(default="", compare=False)

    def label(self, lang: str = "en") -> str:
        """The label in ``lang``, falling back to English, then any other language."""
        for code in (lang, *LANGUAGES):
            text = self.labels.get(code)
            if text:
                return text
        return self.id


@dataclass(frozen=True)
class TermList:
    """Summary of one vocabulary, for listings."""

    number: int
    name: str
    terms: int
    local_terms: int
    korean_labels: int


class Vocabulary:
    """One hierarchical list of terms (an ESF micro-thesaurus, possibly extended locally)."""

    def __init__(self, number: int, name: str, terms: list[Term]) -> None:
        self.number = number
        self.name = name
        self._terms: dict[str, Term] = {}
        self._children: dict[str | None, list[Term]] = {}
        self._folded: list[tuple[Term, list[tuple[str, str]]]] | None = None
        for term in terms:
            if term.id in self._terms:
                raise ValueError(f"vocabulary {name!r}: duplicate term id {term.id!r}")
            self._terms[term.id] = term
        for term in self._terms.values():
            if term.parent_id is not None and term.parent_id not in self._terms:
                raise ValueError(
                    f"vocabulary {name!r}: term {term.id!r} has unknown parent {term.parent_id!r}"
                )
            self._children.setdefault(term.parent_id, []).append(term)
        for siblings in self._children.values():
            siblings.sort(key=lambda t: (t.order, t.id))

    def __repr__(self) -> str:
        return f"Vocabulary({self.number}, {self.name!r}, {len(self)} terms)"

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self._terms

    def __iter__(self) -> Iterator[Term]:
        """All terms, depth first in display order: every parent comes before its children."""
        for root in self.roots():
            yield from self._walk(root)

    def __getitem__(self, term_id: str) -> Term:
        try:
            return self._terms[term_id]
        except KeyError:
            raise UnknownTermError(term_id, self.name) from None

    def get(self, term_id: str) -> Term | None:
        return self._terms.get(term_id)

    def roots(self) -> list[Term]:
        return list(self._children.get(None, []))

    def children(self, term_id: str) -> list[Term]:
        if term_id not in self._terms:
            raise UnknownTermError(term_id, self.name)
        return list(self._children.get(term_id, []))

    def _walk(self, term: Term) -> Iterator[Term]:
        yield term
        for child in self._children.get(term.id, []):
            yield from self._walk(child)

    def descendants(self, term_id: str) -> list[Term]:
        """The term itself and every term below it, depth first."""
        return list(self._walk(self[term_id]))

    def descendant_ids(self, term_id: str) -> frozenset[str]:
        """Ids to match when a user asks for ``term_id`` (itself included)."""
        return frozenset(t.id for t in self.descendants(term_id))

    def ancestors(self, term_id: str) -> list[Term]:
        """Parent, grandparent, ... up to the root (the term itself excluded)."""
        chain: list[Term] = []
        parent = self[term_id].parent_id
        while parent is not None:
            term = self._terms[parent]
            chain.append(term)
            parent = term.parent_id
        return chain

    def label(self, term_id: str, lang: str = "en") -> str:
        return self[term_id].label(lang)

    def path(self, term_id: str, lang: str = "en", sep: str = " › ") -> str:
        """Labels from the root down to the term, e.g. for showing a choice in context."""
        chain = [*reversed(self.ancestors(term_id)), self[term_id]]
        return sep.join(t.label(lang) for t in chain)

    def _folded_labels(self) -> list[tuple[Term, list[tuple[str, str]]]]:
        """Terms in display order with their folded labels, computed once."""
        if self._folded is None:
            self._folded = [
                (term, [(code, fold(text)) for code, text in term.labels.items()]) for term in self
            ]
        return self._folded

    def find(self, label: str, lang: str | None = None) -> list[Term]:
        """Terms whose label matches ``label`` ignoring case, accents and extra spaces.

        Exact matches come first, then labels starting with the text, then labels containing
        it; within each, shorter labels (closer matches) first, then display order. ``lang``
        restricts the search to one language.
        """
        wanted = fold(label)
        if not wanted:
            return []
        ranked: list[tuple[int, int, int, Term]] = []
        for position, (term, labels) in enumerate(self._folded_labels()):
            best: tuple[int, int] | None = None
            for code, folded in labels:
                if lang is not None and code != lang:
                    continue
                if folded == wanted:
                    rank = 0
                elif folded.startswith(wanted):
                    rank = 1
                elif wanted in folded:
                    rank = 2
                else:
                    continue
                if best is None or (rank, len(folded)) < best:
                    best = (rank, len(folded))
            if best is not None:
                ranked.append((*best, position, term))
        ranked.sort(key=lambda item: item[:3])
        return [item[3] for item in ranked]


def _read_csv(*parts: str) -> list[dict[str, str]]:
    resource = resources.files("kirok").joinpath("data", *parts)
    with resource.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        return list(csv.DictReader(text))


def _build() -> dict[str, Vocabulary]:
    rows = _read_csv("micro_thesauri.csv")
    korean = {row["term_id"]: row["ko"].strip() for row in _read_csv("vocab", "ko_labels.csv")}
    by_list: dict[str, list[Term]] = {}
    numbers: dict[int, str] = {}
    for row in rows:
        number = int(row["list_number"])
        labels = {
            code: row[column].strip()
            for code, column in (("en", "english"), ("fr", "french"), ("es", "spanish"))
            if row[column].strip()
        }
        if row["term_id"] in korean:
            labels["ko"] = korean.pop(row["term_id"])
        parent_code = row["parent_term_id"]
        term = Term(
            id=row["term_id"],
            list_number=number,
            list_name=row["list_name"],
            parent_id=None if parent_code == _ESF_ROOT else parent_code,
            level=int(row["level"]),
            order=int(row["order"]),
            labels=labels,
        )
        numbers[number] = row["list_name"]
        by_list.setdefault(row["list_name"], []).append(term)

    known = {t.id: t for terms in by_list.values() for t in terms}
    for position, row in enumerate(_read_csv("vocab", "local_terms.csv")):
        term_id = row["term_id"]
        if not term_id.startswith("L") or term_id in known:
            raise ValueError(f"local term id {term_id!r} must start with 'L' and be new")
        number = int(row["list_number"])
        parent_id = row["parent_term_id"] or None
        parent = known.get(parent_id) if parent_id else None
        if parent_id and (parent is None or parent.list_number != number):
            raise ValueError(f"local term {term_id!r}: parent {parent_id!r} not in list {number}")
        labels = {code: row[code].strip() for code in ("en", "ko") if row[code].strip()}
        if term_id in korean:
            labels["ko"] = korean.pop(term_id)
        term = Term(
            id=term_id,
            list_number=number,
            list_name=numbers[number],
            parent_id=parent_id,
            level=0 if parent is None else parent.level + 1,
            order=_LOCAL_ORDER_BASE + position,
            labels=labels,
            local=True,
            note=row.get("note", "").strip(),
        )
        known[term_id] = term
        by_list[numbers[number]].append(term)

    if korean:
        raise ValueError(f"Korean labels for unknown terms: {sorted(korean)[:5]}")
    vocabularies: dict[str, Vocabulary] = {}
    for name, terms in sorted(by_list.items(), key=lambda item: item[1][0].list_number):
        vocabularies[name] = Vocabulary(terms[0].list_number, name, terms)
    return vocabularies


@cache
def load_vocabularies() -> dict[str, Vocabulary]:
    """All vocabularies keyed by ESF list name (``types_of_acts``, ``sex``, ...), in list order.

    Cached: the result is shared, treat it as read-only.
    """
    return _build()


@cache
def _index() -> dict[str, Term]:
    return {term.id: term for vocab in load_vocabularies().values() for term in vocab}


def get_term(term_id: str) -> Term:
    """Any term by id (ids are unique across all lists)."""
    try:
        return _index()[term_id]
    except KeyError:
        raise UnknownTermError(term_id) from None


def term_lists() -> list[TermList]:
    """One summary row per vocabulary, in ESF list-number order."""
    return [
        TermList(
            number=vocab.number,
            name=vocab.name,
            terms=len(vocab),
            local_terms=sum(1 for t in vocab if t.local),
            korean_labels=sum(1 for t in vocab if "ko" in t.labels),
        )
        for vocab in load_vocabularies().values()
    ]
