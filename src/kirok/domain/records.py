"""The records kirok keeps, after the HURIDOCS Events Standard Formats (ESF), extended.

Plain Pydantic models: no I/O, no SQL. Vocabulary values are ESF/local term ids (strings) and are
checked against the vocabularies by the service layer; dates are EDTF text (see ``domain.dates``);
places are gazetteer ids.

Every record carries a stable id, who created/updated it and when, a version number and a
confidentiality level. Which fields are sensitive (encrypted at rest, redacted by role) is declared
once, in ``kirok.security.policy.SENSITIVE_FIELDS``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Confidentiality(StrEnum):
    """Who may see a record at all; each role has a clearance (see ``security.policy``)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Record(BaseModel):
    """Fields every record has. ``kind`` names the entity in storage, policy and the API."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    kind: ClassVar[str] = "record"
    # Fields holding a reference to another record: field name -> kind of the target.
    references: ClassVar[dict[str, str]] = {}
    # Fields that hold EDTF text.
    date_fields: ClassVar[tuple[str, ...]] = ()
    # Fields whose text is indexed for full-text search.
    text_fields: ClassVar[tuple[str, ...]] = ()
    # The vocabulary field that list filters use ("acts of type X, including narrower terms").
    term_field: ClassVar[str | None] = None

    id: str = Field(default_factory=new_id, max_length=64)
    confidentiality: Confidentiality = Confidentiality.INTERNAL
    # Upsert key for imports: the same (source, external_id) updates instead of duplicating.
    source: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=200)
    version: int = 0
    created_by: str | None = None
    created_at: datetime | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None

    def searchable_text(self) -> list[str]:
        """The texts full-text search covers for this record."""
        texts = (getattr(self, name) for name in self.text_fields)
        return [text for text in texts if isinstance(text, str) and text]

    def referenced_ids(self) -> dict[str, str]:
        """Reference field -> target id, for the references that are set."""
        return {f: v for f in self.references if isinstance(v := getattr(self, f), str) and v}


class Script(StrEnum):
    HANGUL = "hangul"
    HANJA = "hanja"
    LATIN = "latin"


class Romanization(StrEnum):
    """How a Latin-script name was written."""

    MR = "mr"  # McCune–Reischauer
    RR = "rr"  # Revised Romanization (South Korea, 2000)
    DPRK = "dprk"  # North Korea's official style (Kim Jong Il, Ri Sol Ju)
    PASSPORT = "passport"
    UNKNOWN = "unknown"
    NONE = "none"  # not romanized (Hangul or Hanja)


class NameOrder(StrEnum):
    FAMILY_FIRST = "family_first"
    GIVEN_FIRST = "given_first"


class NameForm(BaseModel):
    """One way a person's name was written: 김정일, Kim Jong-il, Kim Chŏng-il, KIM Jong Il."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=300)
    family: str | None = None
    given: str | None = None
    script: Script = Script.LATIN
    system: Romanization = Romanization.UNKNOWN
    order: NameOrder = NameOrder.FAMILY_FIRST


class Person(Record):
    """An individual or a group (ESF counting unit), taking roles through acts, involvements,
    information and interventions."""

    kind: ClassVar[str] = "person"
    term_field = "counting_unit"
    date_fields = ("birth_date",)
    references = {"birth_place_id": "place", "origin_place_id": "place"}

    counting_unit: str | None = None  # ESF list 7; None means an individual
    name_forms: list[NameForm] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    sex: str | None = None  # ESF list 39
    birth_date: str | None = None
    birth_place_id: str | None = None
    origin_place_id: str | None = None
    occupation: str | None = None
    contact: str | None = None
    address: str | None = None
    notes: str | None = None

    @property
    def display_name(self) -> str:
        return self.name_forms[0].text if self.name_forms else "(unnamed)"

    def searchable_text(self) -> list[str]:
        return [form.text for form in self.name_forms] + list(self.aliases)


class Event(Record):
    kind: ClassVar[str] = "event"
    term_field = "violation_status"
    date_fields = ("start_date", "end_date")
    references = {"place_id": "place"}
    text_fields = ("title", "description")

    title: str = Field(min_length=1, max_length=500)
    description: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    place_id: str | None = None
    violation_status: str | None = None  # ESF list 41
    monitoring_status: str | None = None  # ESF list 43


class EventLink(Record):
    """Chain of events: ``from_event`` precedes / encompasses / causes … ``to_event``."""

    kind: ClassVar[str] = "event_link"
    term_field = "relation"
    references = {"from_event_id": "event", "to_event_id": "event"}

    from_event_id: str
    to_event_id: str
    relation: str  # ESF list 22 (types of chain of events)
    comments: str | None = None


class Act(Record):
    """Victim side: what was done to whom in an event."""

    kind: ClassVar[str] = "act"
    term_field = "act_type"
    date_fields = ("start_date", "end_date")
    references = {"event_id": "event", "victim_id": "person", "place_id": "place"}

    event_id: str
    victim_id: str
    act_type: str  # ESF list 4 (types of acts), hierarchical
    start_date: str | None = None
    end_date: str | None = None
    place_id: str | None = None
    method: str | None = None  # ESF list 5
    status_at_end: str | None = None  # e.g. detained, executed, disappeared, repatriated


class Involvement(Record):
    """Perpetrator side: who took part in an act, and how."""

    kind: ClassVar[str] = "involvement"
    term_field = "degree"
    references = {"act_id": "act", "perpetrator_id": "person"}

    act_id: str
    perpetrator_id: str
    degree: str | None = None  # ESF list 18
    perpetrator_type: str | None = None  # ESF list 24 or a local unit term


class Information(Record):
    """Source side: who told us what, how they know, how reliable it is."""

    kind: ClassVar[str] = "information"
    term_field = "reliability"
    date_fields = ("date_of_source",)
    references = {"source_person_id": "person", "event_id": "event", "person_id": "person"}
    text_fields = ("testimony",)

    source_person_id: str | None = None
    event_id: str | None = None
    person_id: str | None = None
    connection: str | None = None  # ESF list 19
    reliability: str | None = None  # ESF list 42
    language: str | None = None
    date_of_source: str | None = None
    source_name: str | None = None
    source_contact: str | None = None
    testimony: str | None = None


class Intervention(Record):
    """An action by an intervening party: urgent appeal, démarche, UN communication."""

    kind: ClassVar[str] = "intervention"
    term_field = "intervention_type"
    date_fields = ("date",)
    references = {"intervener_id": "person", "event_id": "event", "victim_id": "person"}
    text_fields = ("request", "response", "addressee")

    intervention_type: str  # ESF list 20
    intervener_id: str | None = None
    intervener_name: str | None = None
    event_id: str | None = None
    victim_id: str | None = None
    date: str | None = None
    addressee: str | None = None  # the government or body urged to act
    request: str | None = None
    response: str | None = None  # ESF list 27
    status: str | None = None  # ESF list 45


class BiographicLink(Record):
    kind: ClassVar[str] = "biographic_link"
    term_field = "relationship"
    date_fields = ("start_date", "end_date")
    references = {"person_id": "person", "related_person_id": "person"}

    person_id: str
    related_person_id: str
    relationship: str  # ESF list 21
    start_date: str | None = None
    end_date: str | None = None


class PlaceName(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    script: str = "latin"
    system: str = "english"


class Place(Record):
    """A gazetteer entry with names in every script and romanization, and a precision radius."""

    kind: ClassVar[str] = "place"
    term_field = "facility_type"
    references = {"parent_id": "place"}

    place_kind: str
    names: list[PlaceName] = Field(default_factory=list)
    parent_id: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    precision_m: float | None = Field(default=None, ge=0)
    facility_type: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None

    @property
    def display_name(self) -> str:
        return self.names[0].text if self.names else self.id

    def searchable_text(self) -> list[str]:
        return [name.text for name in self.names]


class Evidence(Record):
    """Metadata of an evidence file; the bytes live in the content-addressed evidence store."""

    kind: ClassVar[str] = "evidence"
    references = {"event_id": "event", "information_id": "information", "derived_from": "evidence"}

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: str
    media_type: str | None = None
    size: int = Field(ge=0)
    description: str | None = None
    event_id: str | None = None
    information_id: str | None = None
    is_original: bool = True
    derived_from: str | None = None


class Consent(Record):
    """What a person allowed to be done with what they told us, or with their identity."""

    kind: ClassVar[str] = "consent"
    references = {"person_id": "person", "information_id": "information"}

    person_id: str | None = None
    information_id: str | None = None
    scopes: list[str] = Field(default_factory=list)  # internal, share_un, courts, publication
    given_on: date | None = None
    revoked_on: date | None = None
    family_at_risk: bool = False


class Designation(Record):
    """A government's designation of a country under a programme in a year (CPC, TIP tier…)."""

    kind: ClassVar[str] = "designation"
    term_field = "program"
    text_fields = ("notes", "status")

    program: str  # e.g. "religious_freedom_cpc", "trafficking_tier", "sanctions"
    country: str = Field(min_length=2, max_length=3)
    year: int = Field(ge=1900, le=2100)
    status: str
    designated_on: date | None = None
    notes: str | None = None
    citation: str | None = None


class VoteCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yes: int | None = Field(default=None, ge=0)
    no: int | None = Field(default=None, ge=0)
    abstain: int | None = Field(default=None, ge=0)


class Resolution(Record):
    kind: ClassVar[str] = "resolution"
    term_field = "body"
    date_fields = ("adopted_on",)
    text_fields = ("symbol", "title")

    body: str  # e.g. "UNGA", "HRC", "CHR"
    symbol: str | None = None  # empty where the symbol was not confirmed
    title: str | None = None
    session: str | None = None
    adopted_on: str | None = None
    adopted: bool = True
    vote: VoteCount | None = None  # None: adopted without a vote
    notes: str | None = None
    citation: str | None = None


class SanctionEntry(Record):
    kind: ClassVar[str] = "sanction_entry"
    term_field = "program"
    date_fields = ("listed_on", "delisted_on")
    references = {"perpetrator_id": "person"}
    text_fields = ("listed_name", "basis")

    program: str
    listed_name: str
    perpetrator_id: str | None = None
    listed_on: str | None = None
    delisted_on: str | None = None
    basis: str | None = None


class CustodyStep(BaseModel):
    """One stage of a refugee's custody path: arrest in China → detention → handover → …"""

    model_config = ConfigDict(extra="forbid")

    stage: str  # e.g. arrest_china, detention_china, handover, mss_holding, jipkyulso, kyohwaso
    place_id: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    custodian: str | None = None
    notes: str | None = None


class RefugeeCase(Record):
    kind: ClassVar[str] = "refugee_case"
    term_field = "status"
    references = {"person_id": "person"}

    person_id: str
    status: str  # open, detained_china, repatriated, resettled, closed …
    steps: list[CustodyStep] = Field(default_factory=list)
    solution_sought: str | None = None  # voluntary_repatriation, local_integration, resettlement
    solution_achieved: str | None = None


class Statistic(Record):
    """A published figure for a period, e.g. escapees arriving in South Korea in 2002 (with its
    breakdown by sex). Kept as published, with its citation; never recomputed."""

    kind: ClassVar[str] = "statistic"
    term_field = "series"
    date_fields = ("period",)
    text_fields = ("label", "series")

    series: str
    period: str  # EDTF: "2002", "1999/2001", "../1998"
    value: float
    breakdown: dict[str, float] = Field(default_factory=dict)
    label: str | None = None
    citation: str | None = None


class LinkDecision(Record):
    """A reviewer's decision on whether two person records are the same person. Honoured by
    every later linkage run: "different" is never merged, "same" always is."""

    kind: ClassVar[str] = "link_decision"
    term_field = "decision"
    references = {"record_a": "person", "record_b": "person"}

    record_a: str
    record_b: str
    decision: str = Field(pattern="^(same|different|unsure)$")
    note: str | None = None


class ReviewPair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_a: str
    record_b: str
    probability: float
    weight: float
    weights: dict[str, float] = Field(default_factory=dict)
    levels: dict[str, str] = Field(default_factory=dict)


class LinkageRun(Record):
    """The outcome of one linkage run over the stored persons: a cluster for every record (a
    reversible grouping; no record is merged or changed) and the pairs left for review."""

    kind: ClassVar[str] = "linkage_run"
    term_field = "engine"

    engine: str
    threshold: float
    review_floor: float
    trained: bool
    n_records: int
    clusters: dict[str, str] = Field(default_factory=dict)  # person id -> cluster id
    review: list[ReviewPair] = Field(default_factory=list)
    decisions_applied: int = 0
    timings: dict[str, float] = Field(default_factory=dict)


class EstimationRun(Record):
    """A stored estimate with everything needed to reproduce it: method, model, seed, the hash
    of the capture histories and every setting (``result`` is the estimator's full output)."""

    kind: ClassVar[str] = "estimation_run"
    term_field = "method"
    references = {"linkage_run_id": "linkage_run"}

    method: str
    model: str
    stratum: str | None = None
    n_observed: int = Field(ge=0)
    estimate: float
    ci_lower: float | None = None
    ci_upper: float | None = None
    linkage_run_id: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)


RECORD_TYPES: dict[str, type[Record]] = {
    cls.kind: cls
    for cls in (
        Person,
        Event,
        EventLink,
        Act,
        Involvement,
        Information,
        Intervention,
        BiographicLink,
        Place,
        Evidence,
        Consent,
        Designation,
        Resolution,
        SanctionEntry,
        RefugeeCase,
        Statistic,
        LinkDecision,
        LinkageRun,
        EstimationRun,
    )
}


def record_type(kind: str) -> type[Record]:
    try:
        return RECORD_TYPES[kind]
    except KeyError:
        raise ValueError(
            f"unknown record kind {kind!r}; known: {', '.join(RECORD_TYPES)}"
        ) from None


def content_fields(record: Record) -> dict[str, Any]:
    """The record's own data, without the bookkeeping fields the store maintains."""
    return record.model_dump(
        mode="json",
        exclude={"id", "version", "created_by", "created_at", "updated_by", "updated_at"},
    )
