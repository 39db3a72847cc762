"""Turning one input row into one record, explaining every cell that cannot be used.

Each cell goes through the rule its column maps to: vocabulary labels (English, Korean, French or
Spanish, accents and case ignored) become term ids; dates must be EDTF; place names are looked up
among the gazetteer's places; ``;``-separated text becomes lists; structured fields take JSON. What
fails is reported with the row and the column, never guessed: an unresolved place or an ambiguous
label stops the row rather than being dropped or replaced.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.records import NameForm, Record
from kirok.domain.text import fold
from kirok.domain.vocabulary import load_vocabularies
from kirok.services.io.mapping import ColumnRule, Mapping, name_form
from kirok.services.io.readers import InputProblem, Row

#: Characters a spreadsheet reads as the start of a formula (see ``exporting.neutralise``).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class PlaceIndex:
    """Place names (folded) and ids of the places in the database: the gazetteer, loaded by
    ``kirok init``, plus any place records the organisation added."""

    ids: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)

    def add(self, place_id: str, names: Iterable[str]) -> None:
        self.ids.add(place_id)
        for name in names:
            self.names.setdefault(fold(name), set()).add(place_id)

    def resolve(self, text: str) -> tuple[str | None, str]:
        """(place id, "") or (None, why not)."""
        if text in self.ids:
            return text, ""
        found = self.names.get(fold(text), set())
        if len(found) == 1:
            return next(iter(found)), ""
        if found:
            return None, (
                f"place {text!r} is ambiguous ({', '.join(sorted(found)[:5])}); give the place id"
            )
        return None, f"place {text!r} is not in the gazetteer; add it or give a known name or id"


@dataclass
class Known:
    """Records the import can refer to: ids and (kind, source, external id) in the database or
    earlier in the same file."""

    ids: dict[str, str] = field(default_factory=dict)  # id -> kind
    external: dict[tuple[str, str, str], str] = field(default_factory=dict)


class Converter:
    def __init__(self, mapping: Mapping, file: str, places: PlaceIndex, known: Known) -> None:
        self.mapping = mapping
        self.file = file
        self.places = places
        self.known = known
        self.model = mapping.model
        self.vocabularies = load_vocabularies()
        self.shapes = {
            name: field_shape(info.annotation) for name, info in self.model.model_fields.items()
        }
        # A column of labels repeats a handful of values; resolving one folds every label of
        # the vocabulary, so each distinct (vocabulary, cell) is resolved once per file.
        self._terms: dict[tuple[str, str], str] = {}
        self._rules = {rule.column: rule for rule in mapping.rules}
        self._rules_with_id = {**self._rules, "id": ColumnRule("id", "id")}

    def check_headers(self, headers: Iterable[str]) -> list[InputProblem]:
        present = set(headers)
        if self.mapping.identity:
            fields = {rule.column for rule in self.mapping.rules} | {"id"}
            return [
                InputProblem(self.file, 1, header, f"{self.mapping.kind} has no such field")
                for header in sorted(present - fields)
            ]
        return [
            InputProblem(self.file, 1, rule.column, "column named in the mapping is missing")
            for rule in self.mapping.rules
            if rule.column not in present
        ]

    def convert(self, row: Row, source: str | None) -> tuple[Record | None, list[InputProblem]]:
        problems = list(row.problems)
        values: dict[str, Any] = dict(self.mapping.defaults)
        columns: dict[str, str] = {}
        rules = self._rules_with_id if self.mapping.identity and "id" in row.cells else self._rules
        for column, raw in row.cells.items():
            rule = rules.get(column)
            if rule is None:
                continue
            try:
                value = self._cell(rule, raw)
            except _CellError as error:
                problems.append(InputProblem(self.file, row.number, column, str(error)))
                continue
            if value is None:
                continue
            columns.setdefault(rule.field, column)
            if isinstance(value, list) and isinstance(values.get(rule.field), list):
                values[rule.field] = [*values[rule.field], *value]
            else:
                values[rule.field] = value
        if values.get("source") is None and source is not None:
            values["source"] = source
        if values.get("external_id") is not None and values.get("source") is None:
            problems.append(
                InputProblem(
                    self.file,
                    row.number,
                    columns.get("external_id"),
                    "an external id needs a source: give --source or 'source:' in the mapping",
                )
            )
        if problems:
            return None, problems
        try:
            record = self.model.model_validate(values)
        except ValidationError as error:
            for item in error.errors():
                name = str(item["loc"][0]) if item["loc"] else None
                where = columns.get(name or "", name)
                reason = item["msg"]
                if "input" in item and not isinstance(item["input"], dict | list):
                    reason += f" (got {str(item['input'])[:60]!r})"
                problems.append(InputProblem(self.file, row.number, where, reason))
            return None, problems
        problems.extend(self._references(record, row.number, columns))
        if problems:
            return None, problems
        return record, []

    # ------------------------------------------------------------------ cells

    def _cell(self, rule: ColumnRule, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, str):
            if self.mapping.formula_escape and raw.startswith("'"):
                raw = raw[1:]
            if not raw.strip():
                return None
        shape = self.shapes.get(rule.field, "scalar")
        if rule.field == "name_forms" and isinstance(raw, str) and not self.mapping.identity:
            return [name_form(raw.strip(), rule)]
        if rule.vocab is not None:
            return (
                [self._term(rule.vocab, v) for v in self._split(raw)]
                if shape == "list"
                else (self._term(rule.vocab, _text(raw)))
            )
        target = self.model.references.get(rule.field)
        if target == "place":
            place_id, why = self.places.resolve(_text(raw).strip())
            if place_id is None:
                raise _CellError(why)
            return place_id
        if rule.field in self.model.date_fields or rule.field in ("valid_from", "valid_to"):
            text = _text(raw).strip()
            try:
                _parsed_date(text)
            except DateParseError as error:
                raise _CellError(str(error)) from None
            return text
        if shape == "list":
            return self._split(raw)
        if shape == "json":
            if isinstance(raw, str):
                try:
                    return json.loads(raw)
                except (json.JSONDecodeError, RecursionError) as error:
                    raise _CellError(f"expected JSON for {rule.field}: {error}") from None
            return raw
        if shape == "text":
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise _CellError(f"expected text, got {type(raw).__name__}")
            return _text(raw)
        return raw.strip() if isinstance(raw, str) else raw

    def _split(self, raw: Any) -> list[str]:
        if isinstance(raw, list):
            if not all(isinstance(v, str) for v in raw):
                raise _CellError("expected a list of texts")
            return list(raw)
        text = _text(raw)
        if text.startswith("["):  # kirok's exports write a list as JSON when ";" is ambiguous
            try:
                parsed = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                parsed = None
            if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
                return parsed
        parts = (part.strip() for part in text.split(self.mapping.list_separator))
        return [part for part in parts if part]

    def _term(self, vocab_name: str, text: str) -> str:
        key = (vocab_name, text.strip())
        term = self._terms.get(key)
        if term is None:
            term = self._terms[key] = self._resolve_term(*key)
        return term

    def _resolve_term(self, vocab_name: str, text: str) -> str:
        vocab = self.vocabularies[vocab_name]
        if text in vocab:
            return text
        wanted = fold(text)
        exact = [
            term for term in vocab if any(fold(label) == wanted for label in term.labels.values())
        ]
        if len(exact) == 1:
            return exact[0].id
        if exact:
            ids = ", ".join(f"{t.id} ({t.label('en')})" for t in exact[:4])
            raise _CellError(f"{text!r} matches several {vocab_name} terms: {ids}")
        near = [t.label("en") for t in vocab.find(text)[:3]]
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
        raise _CellError(f"{text!r} is not a term of {vocab_name}{hint}")

    def _references(
        self, record: Record, number: int, columns: dict[str, str]
    ) -> list[InputProblem]:
        problems = []
        for name, target in record.referenced_ids().items():
            expected = record.references[name]
            if expected == "place" or self.known.ids.get(target) == expected:
                continue
            if target == record.id:
                continue
            # Not an id: an external id of the same source?
            found = self.known.external.get((expected, record.source or "", target))
            if found is not None:
                setattr(record, name, found)
                continue
            problems.append(
                InputProblem(
                    self.file,
                    number,
                    columns.get(name, name),
                    f"no {expected} with id or external id {target!r}",
                )
            )
        return problems


# A date column repeats the same few thousand values (birth years above all).
_parsed_date = functools.lru_cache(maxsize=8192)(parse_date)


class _CellError(Exception):
    """One cell that cannot be converted; collected into the row's problems."""


def _text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return raw if isinstance(raw, str) else str(raw)


def field_shape(annotation: Any) -> str:
    """How a cell fills a field: "text", "list" (of texts), "json" (structured) or "scalar"."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return field_shape(args[0])
    if annotation is str:
        return "text"
    if origin is list:
        inner = typing.get_args(annotation)
        return "list" if inner and inner[0] is str else "json"
    if origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return "json"
    return "scalar"


__all__ = ["FORMULA_STARTS", "Converter", "Known", "NameForm", "PlaceIndex", "field_shape"]
