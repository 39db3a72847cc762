"""Reading services: search, records, vocabularies and the gazetteer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kirok.domain import gazetteer as gz
from kirok.domain.records import Confidentiality, Place, PlaceName, Record
from kirok.domain.vocabulary import TermList, get_term, load_vocabularies, term_lists
from kirok.store.repository import RecordStore, Version

GAZETTEER_SOURCE = "kirok-gazetteer"


def search(
    store: RecordStore, text: str, kinds: Sequence[str] | None = None, limit: int = 50
) -> list[Record]:
    with store.read() as uow:
        return uow.search(text, kinds=kinds, limit=limit)


def show(
    store: RecordStore, record_id: str, with_history: bool = False
) -> tuple[Record, list[Version]]:
    with store.read() as uow:
        record = uow.get(record_id)
        return record, uow.history(record_id) if with_history else []


def summary(record: Record) -> str:
    """One line naming a record for listings."""
    for name in ("title", "display_name", "symbol", "listed_name", "testimony", "status"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value if len(value) <= 80 else value[:77] + "…"
    return record.kind


def vocabulary_lists() -> list[TermList]:
    return term_lists()


def _vocabulary(name: str) -> Any:
    vocabularies = load_vocabularies()
    if name in vocabularies:
        return vocabularies[name]
    for vocab in vocabularies.values():
        if str(vocab.number) == name:
            return vocab
    raise LookupError(f"no vocabulary {name!r}; `kirok vocab list` shows them")


def vocabulary_tree(name: str, lang: str) -> Iterator[tuple[int, str, str]]:
    vocab = _vocabulary(name)
    base = min((t.level for t in vocab), default=0)
    for term in vocab:
        yield term.level - base, term.id, term.label(lang)


def vocabulary_terms(text: str) -> list[dict[str, Any]]:
    """The term with this id, or every term with this label in any language."""
    try:
        terms = [get_term(text)]
    except LookupError:
        terms = [t for v in load_vocabularies().values() for t in v.find(text)]
        if not terms:
            raise LookupError(f"no term with id or label {text!r}") from None
    out = []
    for term in terms:
        vocab = load_vocabularies()[term.list_name]
        out.append(
            {
                "id": term.id,
                "list": term.list_name,
                "labels": dict(term.labels),
                "broader": [{"id": t.id, "en": t.label("en")} for t in vocab.ancestors(term.id)],
                "narrower": [{"id": t.id, "en": t.label("en")} for t in vocab.children(term.id)],
            }
        )
    return out


@dataclass(frozen=True)
class PlaceHit:
    id: str
    kind: str
    names: str
    parent: str | None
    lat: float | None
    lon: float | None


def find_places(name: str) -> list[PlaceHit]:
    found = gz.load_gazetteer().find(name)
    return [
        PlaceHit(
            id=place.id,
            kind=place.kind,
            names=" / ".join(dict.fromkeys(n.text for n in place.names)),
            parent=place.parent_id,
            lat=place.lat,
            lon=place.lon,
        )
        for place in found
    ]


def gazetteer_records() -> list[Place]:
    """The gazetteer as Place records whose ids are the gazetteer's stable ids, parents first."""
    out = []
    for place in gz.load_gazetteer():
        out.append(
            Place(
                id=place.id,
                place_kind=place.kind,
                names=[
                    PlaceName(text=n.text, script=n.script, system=n.system) for n in place.names
                ],
                parent_id=place.parent_id,
                lat=place.lat,
                lon=place.lon,
                precision_m=place.precision_m,
                facility_type=place.facility_type,
                valid_from=place.valid_from,
                valid_to=place.valid_to,
                source=GAZETTEER_SOURCE,
                external_id=place.id,
                confidentiality=Confidentiality.PUBLIC,
            )
        )
    return out


def load_gazetteer(store: RecordStore, actor: str) -> int:
    """Insert or refresh the gazetteer's places in the database (idempotent)."""
    places = gazetteer_records()
    with store.write(actor) as uow:
        for place in places:
            if uow.exists(place.id):
                uow.upsert(place)
            else:
                uow.add(place)
    return len(places)
