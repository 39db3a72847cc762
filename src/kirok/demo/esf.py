"""The ESF records behind each NGO's list: events, acts, perpetrator units, testimony with
consent, interventions and refugee cases, as ``kirok.domain.records`` objects.

Ids are derived from the record id, so the same seed always gives the same records. Everything
is labelled as synthetic in its ``source`` and ``notes``.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

import numpy as np

from kirok.demo import vocab
from kirok.demo.capture import NgoSpec
from kirok.demo.population import LAST_YEAR, TruePerson
from kirok.demo.render import render_date
from kirok.domain.records import (
    Act,
    Confidentiality,
    Consent,
    CustodyStep,
    Event,
    Information,
    Intervention,
    Involvement,
    NameForm,
    Person,
    RefugeeCase,
    Romanization,
    Script,
)

DEMO_SOURCE = "kirok demo (synthetic)"

#: Perpetrator units (ESF group persons): key -> (English, Korean, perpetrator type term).
UNITS: dict[str, tuple[str, str, str]] = {
    "mss": ("Ministry of State Security (Bowibu)", "국가보위성", vocab.PERP_MSS),
    "mps": ("Ministry of Social Security (Anjeonbu)", "사회안전성", vocab.PERP_MPS),
    "kwanliso_guards": ("Kwanliso guard command", "관리소 경비대", vocab.PERP_PRISON_OFFICIALS),
    "kyohwaso_guards": ("Kyohwaso guards", "교화소 계호원", vocab.PERP_PRISON_OFFICIALS),
    "jipkyulso_guards": ("Jipkyulso guards", "집결소 계호원", vocab.PERP_PRISON_OFFICIALS),
    "china_border": (
        "Chinese Public Security border police",
        "중국 공안·변방부대",
        vocab.PERP_CN_PUBLIC_SECURITY,
    ),
}

_STAGE_CUSTODIAN = {
    "arrest_china": "china_border",
    "detention_china": "china_border",
    "handover": "china_border",
    "mss_holding": "mss",
    "kwanliso": "kwanliso_guards",
    "kyohwaso": "kyohwaso_guards",
    "jipkyulso": "jipkyulso_guards",
}
_SCOPES = (
    ["internal"],
    ["internal", "share_un"],
    ["internal", "share_un", "courts"],
    ["internal", "share_un", "courts", "publication"],
)


@dataclass(frozen=True)
class _ActSpec:
    label: str
    term: str
    start: str | None
    end: str | None = None
    place_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Documented:
    """What ``build_records`` wrote for one NGO record, for records added later about it."""

    event: Event
    acts: int  # how many acts it numbered
    information: Information
    consent: Consent


@dataclass
class RecordSet:
    """Every ESF record of the demo data, by kind."""

    persons: list[Person] = field(default_factory=list)  # victims, witnesses, units
    events: list[Event] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    involvements: list[Involvement] = field(default_factory=list)
    information: list[Information] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    refugee_cases: list[RefugeeCase] = field(default_factory=list)


def unit_persons(units: Mapping[str, tuple[str, str, str]] = UNITS) -> list[Person]:
    """Perpetrator units (key -> English name, Korean name, ESF perpetrator type) as group
    persons (ESF counting unit "group")."""
    return [
        Person(
            id=f"demo-unit-{key}",
            counting_unit=vocab.UNIT_GROUP,
            name_forms=[
                NameForm(text=english),
                NameForm(text=korean, script=Script.HANGUL, system=Romanization.NONE),
            ],
            confidentiality=Confidentiality.PUBLIC,
            source=DEMO_SOURCE,
            external_id=f"unit-{key}",
            notes=f"Perpetrator unit; ESF perpetrator type {kind}.",
        )
        for key, (english, korean, kind) in units.items()
    ]


def _testimony(person: TruePerson, ngo: NgoSpec, name: str, arrest: str, camp: str) -> str:
    if ngo.language == "ko":
        text = f"{name}은(는) {arrest}경 체포되어 {camp}에 수감되었다."
        if person.refugee:
            text = f"{name}은(는) 중국에서 체포되어 강제송환된 후 {camp}에 수감되었다."
        if person.fate == "died_in_custody":
            text += " 수감 중 사망한 것으로 전해진다."
        elif person.fate == "executed":
            text += " 공개처형되었다는 증언이 있다."
        return text + " (합성 데이터)"
    text = f"{name} was arrested around {arrest} and held in {camp}."
    if person.refugee:
        text = f"{name} was arrested in China, forcibly returned and later held in {camp}."
    if person.fate == "died_in_custody":
        pronoun = "she" if person.sex == "F" else "he"
        text += f" The witness heard that {pronoun} died in custody."
    elif person.fate == "executed":
        text += " A witness saw the public execution."
    return text + " (synthetic data)"


def build_records(
    rng: np.random.Generator,
    out: RecordSet,
    person: TruePerson,
    ngo: NgoSpec,
    victim: Person,
    name: str,
) -> Documented:
    """Append the ESF records one NGO holds about one documented person."""
    rid = victim.external_id or victim.id
    final = person.steps[-1]
    camp = final.facility.place_id if final.facility else None
    arrest = render_date(rng, person.steps[0].start, known=0.95)
    end = render_date(rng, final.end, known=0.7)
    fate_known = rng.random() < 0.8
    if ngo.language == "ko":
        title = f"{name} {person.camp.hangul} 구금"
    else:
        title = f"Detention of {name} in {person.camp.name}"
    event = Event(
        id=f"demo-event-{rid}",
        external_id=f"{rid}-event",
        title=title,
        start_date=arrest,
        end_date=end,
        place_id=camp,
        violation_status=vocab.VIOLATION_CONFIRMED if fate_known else vocab.VIOLATION_LIKELY,
        source=ngo.label,
        confidentiality=Confidentiality.CONFIDENTIAL,
    )
    out.events.append(event)
    status = person.fate if fate_known else "unknown"
    acts = [_ActSpec("detention", vocab.ACT_DETENTION, arrest, end, camp, status)]
    if person.facility_type in ("kwanliso", "kyohwaso"):
        start = render_date(rng, final.start)
        acts.append(_ActSpec("labour", vocab.ACT_FORCED_LABOUR, start, end, camp))
    if person.facility_type == "kwanliso":
        acts.append(_ActSpec("disappearance", vocab.ACT_DISAPPEARANCE, arrest))
    for step in person.steps:
        if step.stage == "handover":
            when = render_date(rng, step.start)
            acts.append(
                _ActSpec("refoulement", vocab.ACT_FORCED_REPATRIATION, when, status="repatriated")
            )
        if step.stage == "mss_holding" and rng.random() < 0.6:
            where = step.facility.place_id if step.facility else None
            when, until = render_date(rng, step.start), render_date(rng, step.end)
            acts.append(_ActSpec("torture", vocab.ACT_TORTURE, when, until, where))
    if not person.refugee and rng.random() < 0.3:
        acts.append(_ActSpec("torture", vocab.ACT_TORTURE, arrest))
    if fate_known and person.fate == "died_in_custody":
        acts.append(_ActSpec("death", vocab.ACT_DEATH_IN_CUSTODY, end, end, camp, "dead"))
    if fate_known and person.fate == "executed":
        public = rng.random() < 0.6
        term = vocab.ACT_PUBLIC_EXECUTION if public else vocab.ACT_SUMMARY_EXECUTION
        acts.append(_ActSpec("execution", term, end, end, camp, "executed"))
    for k, spec in enumerate(acts):
        act = Act(
            id=f"demo-act-{rid}-{k}",
            external_id=f"{rid}-act-{k}",
            event_id=event.id,
            victim_id=victim.id,
            act_type=spec.term,
            start_date=spec.start,
            end_date=spec.end,
            place_id=spec.place_id,
            status_at_end=spec.status,
            source=ngo.label,
            confidentiality=Confidentiality.CONFIDENTIAL,
        )
        out.acts.append(act)
        unit = _unit_for(spec.label, person)
        out.involvements.append(
            Involvement(
                id=f"demo-inv-{rid}-{k}",
                external_id=f"{rid}-inv-{k}",
                act_id=act.id,
                perpetrator_id=f"demo-unit-{unit}",
                degree=vocab.DEGREE_DIRECT,
                perpetrator_type=UNITS[unit][2],
                source=ngo.label,
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
        )
    _information(rng, out, person, ngo, victim, event, name, arrest)
    info, consent = out.information[-1], out.consents[-1]
    _intervention(rng, out, person, ngo, victim, event)
    if person.refugee and rng.random() < (0.95 if ngo.focus.get("refugee") else 0.4):
        _refugee_case(rng, out, person, ngo, victim)
    return Documented(event=event, acts=len(acts), information=info, consent=consent)


def _weighted(rng: np.random.Generator, weights: tuple[float, ...]) -> int:
    """An index drawn with the given probabilities (which sum to one)."""
    return min(bisect(list(accumulate(weights)), rng.random()), len(weights) - 1)


def _unit_for(label: str, person: TruePerson) -> str:
    if label in ("refoulement",):
        return "china_border"
    if label == "torture":
        return "mss" if person.refugee or person.facility_type == "kwanliso" else "mps"
    if label in ("labour", "death", "execution"):
        return f"{person.facility_type}_guards"
    return "mss" if person.facility_type == "kwanliso" or person.refugee else "mps"


def _information(
    rng: np.random.Generator,
    out: RecordSet,
    person: TruePerson,
    ngo: NgoSpec,
    victim: Person,
    event: Event,
    name: str,
    arrest: str | None,
) -> None:
    rid = victim.external_id or victim.id
    survivor = person.fate in ("released", "escaped")
    if survivor and rng.random() < 0.7:
        source_id, connection = victim.id, vocab.CONNECTION_VICTIM
    else:
        witness = Person(
            id=f"demo-witness-{rid}",
            name_forms=[NameForm(text=f"Witness {rid} (pseudonym)")],
            confidentiality=Confidentiality.SECRET,
            source=ngo.label,
            external_id=f"{rid}-witness",
            notes="Synthetic source; real name withheld to protect the family.",
        )
        out.persons.append(witness)
        source_id = witness.id
        connection = vocab.CONNECTION_RELATIVE if rng.random() < 0.5 else vocab.CONNECTION_WITNESS
    first_possible = max(person.arrest_year + 1, 2000)
    interview_year = int(rng.integers(min(first_possible, LAST_YEAR), LAST_YEAR + 1))
    interview = date(interview_year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    camp = person.camp.hangul if ngo.language == "ko" else person.camp.name
    info = Information(
        id=f"demo-info-{rid}",
        external_id=f"{rid}-info",
        source_person_id=source_id,
        event_id=event.id,
        person_id=victim.id,
        connection=connection,
        reliability=[vocab.RELIABILITY_HIGH, vocab.RELIABILITY_LIKELY, vocab.RELIABILITY_UNSURE][
            _weighted(rng, (0.4, 0.45, 0.15))
        ],
        language=ngo.language,
        date_of_source=interview.isoformat(),
        source_name=ngo.label,
        testimony=_testimony(person, ngo, name, arrest or "an unknown date", camp),
        source=ngo.label,
        confidentiality=Confidentiality.SECRET,
    )
    out.information.append(info)
    revoked = (
        interview.replace(year=min(interview.year + 1, LAST_YEAR)) if rng.random() < 0.02 else None
    )
    out.consents.append(
        Consent(
            id=f"demo-consent-{rid}",
            external_id=f"{rid}-consent",
            person_id=source_id,
            information_id=info.id,
            scopes=list(_SCOPES[_weighted(rng, (0.3, 0.35, 0.2, 0.15))]),
            given_on=interview,
            revoked_on=revoked if revoked and revoked >= interview else None,
            family_at_risk=bool(rng.random() < 0.4),
            source=ngo.label,
            confidentiality=Confidentiality.CONFIDENTIAL,
        )
    )


def _intervention(
    rng: np.random.Generator,
    out: RecordSet,
    person: TruePerson,
    ngo: NgoSpec,
    victim: Person,
    event: Event,
) -> None:
    rid = victim.external_id or victim.id
    if person.refugee and rng.random() < 0.15:
        china = person.steps[1]
        out.interventions.append(
            Intervention(
                id=f"demo-int-{rid}-demarche",
                external_id=f"{rid}-demarche",
                intervention_type=vocab.INTERVENTION_DEMARCHE,
                intervener_name=ngo.label,
                event_id=event.id,
                victim_id=victim.id,
                date=china.start,
                addressee="Government of the People's Republic of China",
                request="Démarche: do not return the detainee to the DPRK (non-refoulement).",
                response=vocab.RESPONSE_NONE,
                status=vocab.STATUS_CONTINUING,
                source=ngo.label,
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
        )
    if person.fate == "still_held" and rng.random() < 0.3:
        out.interventions.append(
            Intervention(
                id=f"demo-int-{rid}-appeal",
                external_id=f"{rid}-appeal",
                intervention_type=vocab.INTERVENTION_URGENT_APPEAL,
                intervener_name=ngo.label,
                event_id=event.id,
                victim_id=victim.id,
                date=f"{int(rng.integers(max(person.arrest_year, 2005), LAST_YEAR + 1))}",
                addressee="UN Working Group on Arbitrary Detention",
                request="Urgent appeal: ask the DPRK to disclose the fate and whereabouts.",
                response=vocab.RESPONSE_NONE if rng.random() < 0.8 else vocab.RESPONSE_DENIED,
                status=vocab.STATUS_PENDING,
                source=ngo.label,
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
        )


def _refugee_case(
    rng: np.random.Generator, out: RecordSet, person: TruePerson, ngo: NgoSpec, victim: Person
) -> None:
    rid = victim.external_id or victim.id
    steps: list[CustodyStep] = []
    for step in person.steps:
        if step.stage in ("detention_china", "handover") and rng.random() < 0.15:
            continue  # the source did not know this stage
        steps.append(
            CustodyStep(
                stage=step.stage,
                place_id=step.facility.place_id if step.facility else None,
                start_date=render_date(rng, step.start),
                end_date=render_date(rng, step.end),
                custodian=UNITS[_STAGE_CUSTODIAN[step.stage]][0],
                notes=step.place_text,
            )
        )
    status = {"escaped": "resettled", "released": "closed", "still_held": "repatriated"}.get(
        person.fate, "closed"
    )
    out.refugee_cases.append(
        RefugeeCase(
            id=f"demo-case-{rid}",
            external_id=f"{rid}-case",
            person_id=victim.id,
            status=status,
            steps=steps,
            solution_sought="resettlement",
            solution_achieved="resettlement" if person.fate == "escaped" else None,
            source=ngo.label,
            confidentiality=Confidentiality.CONFIDENTIAL,
        )
    )
