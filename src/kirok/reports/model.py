"""What a country report contains, before it is rendered.

The renderer never queries anything: a service (``services/report.py``) runs each query with the
audience's access and consent rules and fills a :class:`ReportData`. Every number is a
:class:`Figure` that says which query produced it and which records support it, so a reader (or
a test) can re-run the query and get the same number.

Consent is decided upstream (``kirok.security.policy``); this module only *refuses* a public
report that still holds a citation or a record not cleared for publication. That guard is a
second line of defence: a bug in a query must not put a witness's record in a public PDF.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kirok.domain.indicators import Assessment, Indicator
from kirok.domain.records import (
    Confidentiality,
    Designation,
    Event,
    Intervention,
    Resolution,
    SanctionEntry,
)
from kirok.security.policy import Consent, ConsentScope, may_leave

__all__ = [
    "SECTIONS",
    "Audience",
    "Camp",
    "Citation",
    "Estimate",
    "Figure",
    "IndicatorBlock",
    "NotPublishable",
    "PreviousReport",
    "RecordOfActions",
    "ReportData",
    "Section",
]


class Audience(StrEnum):
    INTERNAL = "internal"
    PUBLIC = "public"


class NotPublishable(ValueError):
    """A public report was given something not cleared for publication."""


#: The sections of the annual report, in order, after the Country Reports on Human Rights
#: Practices; ``key`` -> heading.
SECTIONS: Final[dict[str, str]] = {
    "deprivation_of_life": "Arbitrary or unlawful deprivation of life",
    "disappearance": "Disappearance",
    "torture": "Torture and other cruel, inhuman or degrading treatment or punishment",
    "detention": "Arbitrary arrest and detention; prison and camp conditions",
    "civil_liberties": "Civil liberties",
    "refugees": "Refugees and forced repatriation",
    "religious_freedom": "Religious freedom",
    "trafficking": "Trafficking in persons",
}

RECORD_OF_ACTIONS: Final = "Record of actions"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Citation(_Model):
    """A record a number rests on: its id (internal) or its pseudonym (public).

    ``publishable`` is the upstream consent decision for this record
    (``security.policy.may_leave(..., destination="publication")``).
    """

    ref: str = Field(min_length=1, max_length=100)
    publishable: bool

    @classmethod
    def checked(
        cls, ref: str, consents: Iterable[Consent], on_date: date, *, identifying: bool = True
    ) -> Citation:
        """A citation whose ``publishable`` is the consent policy's answer for publication."""
        decision = may_leave(consents, ConsentScope.PUBLICATION, on_date, identifying=identifying)
        return cls(ref=ref, publishable=decision.allowed)


class Estimate(_Model):
    lower: float
    upper: float
    level: float = Field(default=0.95, gt=0, lt=1)
    method: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Estimate:
        if self.lower > self.upper:
            raise ValueError("estimate lower bound above upper bound")
        return self


class Figure(_Model):
    """One number in the report, with the query that produced it and its support."""

    label: str
    value: float
    query: str = Field(min_length=1, description="what was counted, in words, with filters")
    citations: list[Citation] = Field(default_factory=list)
    estimate: Estimate | None = None
    previous: float | None = Field(default=None, description="same query, previous year")
    unit: str = ""

    @property
    def shown(self) -> str:
        return f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.1f}"

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


class Section(_Model):
    key: str
    summary: str = ""
    figures: list[Figure] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return SECTIONS[self.key]

    @model_validator(mode="after")
    def _known(self) -> Section:
        if self.key not in SECTIONS:
            raise ValueError(f"unknown section {self.key!r}")
        return self


class RecordOfActions(_Model):
    designations: list[Designation] = Field(default_factory=list)
    resolutions: list[Resolution] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    sanctions: list[SanctionEntry] = Field(default_factory=list)
    #: Conferences, funded programmes and other actions recorded as events.
    events: list[Event] = Field(default_factory=list)


class IndicatorBlock(_Model):
    indicator: Indicator
    assessment: Assessment


class Camp(_Model):
    name: str
    kind: str
    lat: float | None = None
    lon: float | None = None
    status: str = ""


class PreviousReport(_Model):
    """The numbers the previous year's report gave when it was published, by figure label.

    The current report recomputes the previous year with today's records; comparing the two
    shows how much was documented after publication (testimony about a year keeps arriving for
    years after it)."""

    year: int
    published_on: date
    values: dict[str, float]


class ReportData(_Model):
    country: str = Field(min_length=2, max_length=3)
    country_name: str
    year: int
    audience: Audience
    title: str
    subtitle: str = ""  # e.g. the title in Korean
    generated_on: date
    sections: list[Section]
    actions: RecordOfActions = Field(default_factory=RecordOfActions)
    indicators: list[IndicatorBlock] = Field(default_factory=list)
    camps: list[Camp] = Field(default_factory=list)
    previous_year: int | None = None
    previous_report: PreviousReport | None = None

    @model_validator(mode="after")
    def _complete_and_publishable(self) -> ReportData:
        keys = [s.key for s in self.sections]
        if keys != list(SECTIONS):
            raise ValueError(f"sections must be exactly {list(SECTIONS)} in order, got {keys}")
        if self.audience is Audience.PUBLIC:
            check_publishable(self)
        return self

    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    def compared_with_previous_report(self) -> list[tuple[Figure, float]]:
        """Each figure with the value the previous report published for the same label and
        year (``figure.previous`` is the same query run now)."""
        if self.previous_report is None or self.previous_report.year != self.year - 1:
            return []
        published = self.previous_report.values
        return [(f, published[f.label]) for f in self.figures() if f.label in published]


def check_publishable(report: ReportData) -> None:
    """Raise :class:`NotPublishable` if anything in the report is not cleared for the public."""
    bad = sorted({c.ref for f in report.figures() for c in f.citations if not c.publishable})
    if bad:
        raise NotPublishable(f"citations without publication consent: {', '.join(bad)}")
    records = [*report.actions.designations, *report.actions.resolutions]
    records += [*report.actions.interventions, *report.actions.sanctions, *report.actions.events]
    hidden = sorted(r.id for r in records if r.confidentiality is not Confidentiality.PUBLIC)
    if hidden:
        raise NotPublishable(f"records not marked public: {', '.join(hidden)}")
