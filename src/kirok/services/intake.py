"""Recording one interview: its records and its evidence files in one unit of work.

An interview is the source person, the information (testimony) and its consent, the event, each
victim and their act, each perpetrator and their involvements, an approximate place where a
location is known only within some distance, and the files the source handed over. ``record``
writes all of it in one transaction — all of it or nothing: a file that is refused (already
stored, too large, unreadable) or cannot be written leaves the database, the audit log and the
evidence folder exactly as they were. The store audits each record it writes (one ``create``
entry each) and each file gets its custody event (``evidence_ingest``), in the same transaction.

Every record, the files included, takes the level chosen for the interview. Permission to
create each kind at that level is asked of the one policy module before anything is written.

The input (``Interview``) is plain data: the web wizard builds it from its form, and any other
front end can do the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from kirok.domain.errors import KirokError
from kirok.domain.records import (
    Act,
    Confidentiality,
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

# ESF counting units (list 7): a perpetrator unit is a group, not an individual.
COUNTING_UNIT_INDIVIDUAL = "01000000000007"
COUNTING_UNIT_GROUP = "03000000000007"
APPROXIMATE_PLACE_KIND = "approximate"
#: The most one interview's files may weigh together, in bytes (each is sealed in memory).
MAX_EVIDENCE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Where:
    """A gazetteer place, or somewhere within `km` of it (0: the place itself)."""

    place_id: str
    km: int = 0


@dataclass(frozen=True)
class Victim:
    name: str
    act_type: str
    sex: str | None = None
    birth_date: str | None = None
    where: Where | None = None  # where the act happened; the event's place when not known


@dataclass(frozen=True)
class Perpetrator:
    """A perpetrator recorded before (`existing_id`) or a new one named here."""

    name: str | None = None
    existing_id: str | None = None
    is_unit: bool = True
    perpetrator_type: str | None = None
    degree: str | None = None
    #: Positions in ``Interview.victims`` of the acts they took part in; None for all of them.
    victims: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Upload:
    """One file handed over with the interview: its bytes, or a stream to read them from."""

    filename: str
    content: bytes | BinaryIO
    media_type: str | None = None


@dataclass(frozen=True)
class Interview:
    """What one interview records, already checked field by field (e.g. by the wizard's form)."""

    source_name: str
    event_title: str
    victims: Sequence[Victim]
    level: Confidentiality = Confidentiality.CONFIDENTIAL
    source_connection: str | None = None
    source_reliability: str | None = None
    source_language: str | None = None
    source_date: str | None = None
    testimony: str | None = None
    consent_scopes: Sequence[str] = ()
    consent_date: date | None = None  # today when not given
    family_at_risk: bool = False
    event_description: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    event_where: Where | None = None
    perpetrators: Sequence[Perpetrator] = ()
    evidence_description: str | None = None


@dataclass
class Stored:
    event_id: str
    record_ids: list[str] = field(default_factory=list)
    evidence_ids: list[str] = field(default_factory=list)


class FileRefused(KirokError):
    """One file of the interview could not be stored, so nothing of the interview was."""

    def __init__(self, filename: str, cause: Exception) -> None:
        self.filename = filename
        self.cause = cause
        super().__init__(f"{filename}: {cause}")


def _script(text: str) -> Script:
    return Script.HANGUL if any(is_hangul(c) for c in text) else Script.LATIN


def _person(name: str, level: Confidentiality, **extra: object) -> Person:
    return Person.model_validate(
        {
            "name_forms": [NameForm(text=name, script=_script(name))],
            "confidentiality": level,
            **extra,
        }
    )


def _approximate(place: Place, km: int, level: Confidentiality) -> Place:
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


def build_records(interview: Interview, places: dict[str, Place]) -> tuple[Event, list[Record]]:
    """The records of an interview, in an order where every reference precedes its use."""
    level = interview.level
    out: list[Record] = []
    approximate: dict[Where, Place] = {}

    def where(spot: Where | None) -> str | None:
        if spot is None or not spot.place_id:
            return None
        if spot.km == 0:
            return spot.place_id
        if spot not in approximate:
            approximate[spot] = _approximate(places[spot.place_id], spot.km, level)
            out.append(approximate[spot])
        return approximate[spot].id

    source = _person(interview.source_name, level)
    out.append(source)
    event = Event(
        title=interview.event_title,
        description=interview.event_description,
        start_date=interview.start_date,
        end_date=interview.end_date,
        place_id=where(interview.event_where),
        confidentiality=level,
    )
    out.append(event)
    acts: list[Act] = []
    victims: list[Person] = []
    for row in interview.victims:
        victim = _person(row.name, level, sex=row.sex, birth_date=row.birth_date)
        act = Act(
            event_id=event.id,
            victim_id=victim.id,
            act_type=row.act_type,
            start_date=event.start_date,
            end_date=event.end_date,
            place_id=where(row.where) or event.place_id,
            confidentiality=level,
        )
        victims.append(victim)
        acts.append(act)
        out.extend([victim, act])
    information = Information(
        source_person_id=source.id,
        event_id=event.id,
        person_id=victims[0].id if len(victims) == 1 else None,
        connection=interview.source_connection,
        reliability=interview.source_reliability,
        language=interview.source_language,
        date_of_source=interview.source_date,
        testimony=interview.testimony,
        confidentiality=level,
    )
    out.append(information)
    out.append(
        Consent(
            person_id=source.id,
            information_id=information.id,
            scopes=list(interview.consent_scopes),
            given_on=interview.consent_date or date.today(),
            family_at_risk=interview.family_at_risk,
            confidentiality=level,
        )
    )
    for who in interview.perpetrators:
        perpetrator_id = who.existing_id
        if not perpetrator_id:  # a perpetrator not recorded before
            perpetrator = _person(
                who.name or "",
                level,
                counting_unit=COUNTING_UNIT_GROUP if who.is_unit else COUNTING_UNIT_INDIVIDUAL,
            )
            out.append(perpetrator)
            perpetrator_id = perpetrator.id
        chosen = acts if who.victims is None else [acts[i] for i in who.victims]
        out.extend(
            Involvement(
                act_id=act.id,
                perpetrator_id=perpetrator_id,
                degree=who.degree,
                perpetrator_type=who.perpetrator_type,
                confidentiality=level,
            )
            for act in chosen
        )
    return event, out


def require_allowed(
    user: WebUser, records: Sequence[Record], level: Confidentiality, with_files: bool
) -> None:
    """Every record kind of the interview at its level, through the one policy module."""
    kinds = {(r.kind, r.confidentiality.value) for r in records}
    if with_files:
        kinds.add(("evidence", level.value))
    for kind, at in sorted(kinds):
        policy.can(user, policy.Action.CREATE, kind, at).require()


def safe_filename(name: str) -> str:
    """The file's own name, without any folder a browser sent and without unusual characters."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    return cleaned[:200] or "evidence"


def record(
    store: RecordStore,
    user: WebUser,
    interview: Interview,
    places: dict[str, Place],
    uploads: Sequence[Upload] = (),
    vault: evidence.Vault | None = None,
    *,
    max_evidence_bytes: int = MAX_EVIDENCE_BYTES,
) -> Stored:
    """Store the interview and its files in one unit of work (all or nothing).

    Raises ``PermissionDenied`` before writing when the user may not create some kind at the
    interview's level, and ``FileRefused`` (naming the file) when a file cannot be stored; the
    cause is an ``evidence.EvidenceError`` (``DuplicateEvidence``, ``EvidenceTooLarge``,
    ``UnreadableEvidence``) or the ``OSError`` of a failed write."""
    event, records = build_records(interview, places)
    require_allowed(user, records, interview.level, bool(uploads))
    if not uploads:
        with store.write(user.username) as uow:
            uow.add_many(records)
        return Stored(event.id, [r.id for r in records])
    if vault is None:
        raise evidence.EvidenceError("this server has no evidence folder configured")
    stored = Stored(event.id, [r.id for r in records])
    room = max_evidence_bytes
    with vault.transaction() as files, store.write(user.username) as uow:
        uow.add_many(records)
        for upload in uploads:
            try:
                stored_file = evidence.add(
                    uow,
                    files,
                    upload.content,
                    safe_filename(upload.filename),
                    confidentiality=interview.level,
                    description=interview.evidence_description,
                    event_id=event.id,
                    media_type=upload.media_type,
                    max_bytes=room,
                )
            except (evidence.EvidenceError, OSError) as error:
                raise FileRefused(upload.filename, error) from error
            room -= stored_file.size
            stored.evidence_ids.append(stored_file.id)
    return stored
