"""The import mapping: which column fills which field, and how a cell becomes a value.

A mapping is a small YAML file an NGO writes once per spreadsheet layout::

    kind: person
    source: ngo-a                 # upsert key with the external id column
    encoding: utf-8               # cp949 for files saved by Korean Windows
    list_separator: ";"
    defaults: {confidentiality: confidential}
    columns:
      Case No: external_id
      이름: {field: name_forms, script: hangul, system: none}
      Name: {field: name_forms, script: latin, system: mr}
      Sex: {field: sex, vocab: sex}          # English or Korean label, or the term id
      Born: birth_date                       # EDTF: 1968, 1968-03, 1968~, 1965/1970
      Hometown: origin_place_id              # a place name, looked up in the gazetteer
      Aliases: aliases                       # ";"-separated

Without a mapping every column must be named after a field of the kind (what kirok's own
exports write).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kirok.domain.errors import KirokError
from kirok.domain.records import NameForm, Record, Romanization, Script, record_type
from kirok.domain.vocabulary import load_vocabularies

# Fields the store fills itself: an import may not set them.
_STORE_FIELDS = frozenset({"version", "created_by", "created_at", "updated_by", "updated_at"})


class MappingError(KirokError):
    """The mapping file itself is wrong."""


@dataclass(frozen=True)
class ColumnRule:
    column: str
    field: str
    vocab: str | None = None
    script: Script | None = None  # name_forms only
    system: Romanization | None = None


@dataclass(frozen=True)
class Mapping:
    kind: str
    rules: tuple[ColumnRule, ...]
    source: str | None = None
    encoding: str = "utf-8"
    format: str | None = None
    list_separator: str = ";"
    formula_escape: bool = False  # strip the apostrophe kirok's exports put before = + - @
    identity: bool = False  # columns are field names
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> type[Record]:
        return record_type(self.kind)


def identity_mapping(kind: str, source: str | None = None) -> Mapping:
    """Columns named after the fields (the layout of kirok's own exports)."""
    model = record_type(kind)
    rules = tuple(
        ColumnRule(column=name, field=name)
        for name in model.model_fields
        if name not in _STORE_FIELDS
    )
    return Mapping(kind=kind, rules=rules, source=source, identity=True, formula_escape=True)


def load_mapping(path: Path, kind: str | None = None) -> Mapping:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise MappingError(f"{path.name}: cannot read the mapping: {error}") from None
    if not isinstance(document, dict):
        raise MappingError(f"{path.name}: a mapping is a YAML object with 'kind' and 'columns'")
    return parse_mapping(document, kind, path.name)


def parse_mapping(document: dict[str, Any], kind: str | None, name: str = "mapping") -> Mapping:
    chosen = kind or document.get("kind")
    if not isinstance(chosen, str):
        raise MappingError(f"{name}: no record kind (give 'kind:' or --kind)")
    if kind is not None and document.get("kind") not in (None, kind):
        raise MappingError(f"{name}: the mapping is for {document['kind']!r}, not {kind!r}")
    try:
        model = record_type(chosen)
    except ValueError as error:
        raise MappingError(f"{name}: {error}") from None
    columns = document.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise MappingError(f"{name}: 'columns' must map column headers to fields")
    vocabularies = load_vocabularies()
    rules = []
    for column, spec in columns.items():
        if isinstance(spec, str):
            spec = {"field": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
            raise MappingError(f"{name}: column {column!r} needs a field name")
        target = spec["field"]
        if target not in model.model_fields or target in _STORE_FIELDS:
            raise MappingError(f"{name}: column {column!r}: {chosen} has no field {target!r}")
        vocab = spec.get("vocab")
        if vocab is not None and str(vocab) not in vocabularies:
            by_number = [v.name for v in vocabularies.values() if str(v.number) == str(vocab)]
            if not by_number:
                raise MappingError(f"{name}: column {column!r}: no vocabulary {vocab!r}")
            vocab = by_number[0]
        try:
            script = Script(spec["script"]) if "script" in spec else None
            system = Romanization(spec["system"]) if "system" in spec else None
        except ValueError as error:
            raise MappingError(f"{name}: column {column!r}: {error}") from None
        if (script or system) and target != "name_forms":
            raise MappingError(f"{name}: column {column!r}: script/system apply to name_forms")
        rules.append(
            ColumnRule(str(column), target, None if vocab is None else str(vocab), script, system)
        )
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise MappingError(f"{name}: 'defaults' must map fields to values")
    for key in defaults:
        if key not in model.model_fields or key in _STORE_FIELDS:
            raise MappingError(f"{name}: default for unknown field {key!r}")
    separator = str(document.get("list_separator", ";"))
    if not separator:
        raise MappingError(f"{name}: list_separator must not be empty")
    return Mapping(
        kind=chosen,
        rules=tuple(rules),
        source=_optional_text(document.get("source")),
        encoding=str(document.get("encoding", "utf-8")),
        format=_optional_text(document.get("format")),
        list_separator=separator,
        formula_escape=bool(document.get("formula_escape", False)),
        defaults=dict(defaults),
    )


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


def name_form(text: str, rule: ColumnRule) -> NameForm:
    """A name form for a cell; unless the mapping says, Hangul text is recognised as such."""
    script = rule.script
    if script is None:
        script = Script.HANGUL if any("\uac00" <= ch <= "\ud7a3" for ch in text) else Script.LATIN
    system = rule.system
    if system is None:
        system = Romanization.NONE if script is not Script.LATIN else Romanization.UNKNOWN
    return NameForm(text=text, script=script, system=system)
