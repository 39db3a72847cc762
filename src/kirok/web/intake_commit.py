"""Storing a checked intake: every record of the interview in one unit of work, then its files.

The records — the source person, the information (testimony) and its consent, the event, each
victim and their act, each perpetrator and their involvements, and an approximate place where a
location is known only within some distance — are written in one transaction: all of them or
none. Each write is audited by the store (one ``create`` entry per record, in the same
transaction).

Evidence files go through the evidence service (``services.evidence.ingest``: content-addressed,
sealed, a custody event in the audit chain), which opens a unit of work of its own per file.
Duplicates are refused before anything is written; a file that still fails after the records
were stored (a full disk) is reported by name and the interview stays saved.

This is a use case with no HTTP in it; it lives beside the wizard's routes until an intake
service in ``kirok.services`` takes it over.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kirok.domain.errors import KirokError
from kirok.domain.records import (
    Act,
    Consent,
    Event,
    Information,
    Involvement,
    NameForm,
    Person,
    Place,
    PlaceName,
    Record,
    Script,
)
from kirok.domain.text import is_hangul
from kirok.security import policy
from kirok.services import evidence
from kirok.services.users import WebUser
from kirok.store.repository import RecordStore
from kirok.web.intake_form import IntakeForm

# ESF counting units (list 7): a perpetrator unit is a group, not an individual.
COUNTING_UNIT_INDIVIDUAL = "01000000000007"
COUNTING_UNIT_GROUP = "03000000000007"
APPROXIMATE_PLACE_KIND = "approximate"
#: The largest evidence file one intake accepts, in bytes.
MAX_EVIDENCE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One uploaded file, read into memory (the wizard caps its size)."""

    filename: str
    content: bytes
    media_type: str | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Stored:
    event_id: str
    record_ids: list[str] = field(default_factory=list)
    evidence_ids: list[str] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)


class DuplicateEvidence(KirokError):
    """A file of this intake is already stored as evidence (originals are stored once)."""

    def __init__(self, filename: str, evidence_id: str) -> None:
        self.filename = filename
        self.evidence_id = evidence_id
        super().__init__(f"{filename} is already evidence {evidence_id}")


def _script(text: str) -> Script:
    return Script.HANGUL if any(is_hangul(c) for c in text) else Script.LATIN


def _person(name: str, level: policy.Confidentiality | str, **extra: object) -> Person:
    return Person.model_validate(
        {
            "name_forms": [NameForm(text=name, script=_script(name))],
            "confidentiality": level,
            **extra,
        }
    )


def _approximate(place: Place, km: int, level: str) -> Place:
    """A place "within `km` km of `place`": no coordinates of its own, so maps count it at the
    gazetteer place it hangs under, and its radius (``precision_m``) says how far off it may be."""
    names = [
        PlaceName(text=f"{n.text} ±{km} km", script=n.script, system=n.system)
        for n in place.names[:3]
    ]
    return Place.model_validate(
        {
            "place_kind": APPROXIMATE_PLACE_KIND,
            "names": names or [PlaceName(text=f"{place.id} ±{km} km")],
            "parent_id": place.id,
            "precision_m": km * 1000.0,
            "confidentiality": level,
        }
    )


def build_records(form: IntakeForm, places: dict[str, Place]) -> tuple[Event, list[Record]]:
    """The records of a checked form, in an order where every reference precedes its use."""
    level = form.level.value
    out: list[Record] = []
    approximate: dict[tuple[str, int], Place] = {}

    def where(place_id: str, km_text: str) -> str | None:
        if not place_id:
            return None
        km = form.km(km_text)
        if km == 0:
            return place_id
        key = (place_id, km)
        if key not in approximate:
            approximate[key] = _approximate(places[place_id], km, level)
            out.append(approximate[key])
        return approximate[key].id

    source = _person(form.get("source_name"), level)
    out.append(source)
    event = Event(
        title=form.get("event_title"),
        description=form.get("event_description") or None,
        start_date=form.get("start_date") or None,
        end_date=form.get("end_date") or None,
        place_id=where(form.get("event_place"), form.get("event_place_km")),
        confidentiality=form.level,
    )
    out.append(event)
    acts: dict[int, Act] = {}
    victims: list[Person] = []
    rows = form.rows
    for i in form.victim_rows():
        victim = _person(
            rows["victim_name"][i],
            level,
            sex=rows["victim_sex"][i] or None,
            birth_date=rows["victim_birth"][i] or None,
        )
        victims.append(victim)
        act = Act(
            event_id=event.id,
            victim_id=victim.id,
            act_type=rows["act_type"][i],
            start_date=event.start_date,
            end_date=event.end_date,
            place_id=where(rows["act_place"][i], rows["act_place_km"][i]) or event.place_id,
            confidentiality=form.level,
        )
        acts[i] = act
        out.extend([victim, act])
    information = Information(
        source_person_id=source.id,
        event_id=event.id,
        person_id=victims[0].id if len(victims) == 1 else None,
        connection=form.get("source_connection") or None,
        reliability=form.get("source_reliability") or None,
        language=form.get("source_language") or None,
        date_of_source=form.get("source_date") or None,
        testimony=form.get("testimony") or None,
        confidentiality=form.level,
    )
    consent_day = form.get("consent_date")
    out.append(information)
    out.append(
        Consent(
            person_id=source.id,
            information_id=information.id,
            scopes=list(form.multi["consent_scope"]),
            given_on=date.fromisoformat(consent_day) if consent_day else date.today(),
            family_at_risk=form.get("family_at_risk") == "1",
            confidentiality=form.level,
        )
    )
    for i in form.perpetrator_rows():
        perpetrator_id = rows["perp_existing"][i]
        if not perpetrator_id:  # a perpetrator not recorded before
            unit = rows["perp_kind"][i] == "unit"
            perpetrator = _person(
                rows["perp_name"][i],
                level,
                counting_unit=COUNTING_UNIT_GROUP if unit else COUNTING_UNIT_INDIVIDUAL,
            )
            out.append(perpetrator)
            perpetrator_id = perpetrator.id
        target = rows["perp_victim"][i]
        chosen = list(acts.values()) if target in ("", "all") else [acts[int(target)]]
        out.extend(
            Involvement(
                act_id=act.id,
                perpetrator_id=perpetrator_id,
                degree=rows["perp_degree"][i] or None,
                perpetrator_type=rows["perp_type"][i] or None,
                confidentiality=form.level,
            )
            for act in chosen
        )
    return event, out


def require_allowed(user: WebUser, records: Sequence[Record], with_files: bool) -> None:
    """Every record kind of the intake at its level, through the one policy module."""
    kinds = {(r.kind, r.confidentiality.value) for r in records}
    if with_files:
        kinds.add(("evidence", policy.Confidentiality.INTERNAL.name.lower()))
    for kind, level in sorted(kinds):
        policy.can(user, policy.Action.CREATE, kind, level).require()


def check_duplicates(store: RecordStore, uploads: Sequence[Upload]) -> None:
    seen: set[str] = set()
    with store.read() as uow:
        for upload in uploads:
            digest = upload.sha256
            existing = uow.find_external("evidence", evidence.SOURCE, digest)
            if existing is not None:
                raise DuplicateEvidence(upload.filename, existing)
            if digest in seen:
                raise DuplicateEvidence(upload.filename, "(twice in this upload)")
            seen.add(digest)


def _safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    return cleaned[:200] or "evidence"


def commit(
    store: RecordStore,
    user: WebUser,
    form: IntakeForm,
    places: dict[str, Place],
    uploads: Sequence[Upload],
    vault: evidence.Vault | None,
) -> Stored:
    """Store the interview (one unit of work), then hand each file to the evidence service."""
    event, records = build_records(form, places)
    require_allowed(user, records, bool(uploads))
    if uploads and vault is None:
        raise evidence.EvidenceError("this server has no evidence folder configured")
    check_duplicates(store, uploads)
    with store.write(user.username) as uow:
        uow.add_many(records)
    stored = Stored(event.id, [r.id for r in records])
    if not uploads or vault is None:
        return stored
    description = form.get("evidence_description") or None
    with tempfile.TemporaryDirectory(prefix="kirok-intake-") as folder:
        for upload in uploads:
            path = Path(folder) / _safe_filename(upload.filename)
            path.write_bytes(upload.content)
            try:
                record = evidence.ingest(
                    store,
                    vault,
                    path,
                    user.username,
                    description=description,
                    event_id=event.id,
                    media_type=upload.media_type,
                )
            except (KirokError, OSError):
                stored.failed_files.append(upload.filename)
            else:
                stored.evidence_ids.append(record.id)
            finally:
                path.unlink(missing_ok=True)
    return stored
