"""Civil-liberties and trafficking-in-persons acts in the demo data.

What the simulated people suffered besides their detention, as the country report's sections on
civil liberties and on trafficking in persons count it:

- **trafficking**: 60% of the women arrested in China had been sold by brokers, 0.3 to 5.3 years
  before the arrest (``L4-TRAFFICKING``); 70% of them were then held as the "wife" of the man
  who bought them until the arrest (forced marriage). Women who escape (54%) or are released
  (18% of returned refugees, 6% of the others) cross into China and are sold there within
  about two years, and 70% of them held as a "wife" for half a year to six years;
- **punishment for leaving**: everyone forcibly returned is punished for the illegal border
  crossing: the detention after the return (``L4-PUNISHED-FOR-LEAVING``);
- **foreign media**: some people not arrested as refugees were punished for watching or passing
  on South Korean films and dramas (``L4-FOREIGN-MEDIA-PUNISHMENT``), more often the later the
  arrest (3% before 2004 … 35% from 2020, when the law against "reactionary ideology and
  culture" came in; a third of that in kwanliso), the punishment being their detention; 60% of
  them after a search of their home by an inspection group (illegal search);
- **speech**: others were taken for a remark about the leadership (prohibition on speech):
  15% of the other kwanliso prisoners, 5% in kyohwaso;
- **movement**: after release, half the kwanliso prisoners were banished to a remote area
  (internal exile) and a quarter of the others (40% of returned refugees) were refused travel
  permits (restriction on travel), for one to four years.

The truth (``simulate_acts``) is drawn per person; each NGO then records an act with its own
probability and approximate dates, on the detention event or on an event of its own (the sale in
China, the restrictions after release), with a follow-up testimony and its consent.

Every draw comes from random streams of their own (``SeedSequence(seed, spawn_key=(STREAM,
k))``), and every record is appended after all the others, so a seed gives exactly the same
persons, lists, truth files and other records with or without these acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np

from kirok.demo import vocab
from kirok.demo.capture import NgoSpec
from kirok.demo.esf import UNITS, Documented, RecordSet, unit_persons
from kirok.demo.population import LAST_YEAR, TruePerson
from kirok.demo.render import render_date
from kirok.domain.records import (
    Act,
    Confidentiality,
    Consent,
    Event,
    Information,
    Involvement,
    Person,
)

__all__ = [
    "LABELS",
    "NEW_UNITS",
    "STREAM",
    "TrueAct",
    "add_liberty_records",
    "liberty_units",
    "simulate_acts",
]

#: First spawn key of the streams used here. The generator's other streams are the children
#: of ``SeedSequence(seed)``, whose spawn keys have one element, so these never coincide.
STREAM: Final = 1_000_008

#: Act label -> (term, perpetrator unit, probability that an NGO knowing the person records it).
LABELS: Final[dict[str, tuple[str, str, float]]] = {
    "trafficking": (vocab.ACT_TRAFFICKING, "brokers", 0.75),
    "forced_marriage": (vocab.ACT_FORCED_MARRIAGE, "buyers", 0.85),
    "trafficking_again": (vocab.ACT_TRAFFICKING, "brokers", 0.75),
    "forced_marriage_again": (vocab.ACT_FORCED_MARRIAGE, "buyers", 0.85),
    "punished_for_leaving": (vocab.ACT_PUNISHED_FOR_LEAVING, "mss", 0.25),
    "foreign_media": (vocab.ACT_FOREIGN_MEDIA, "mps", 0.85),
    "search": (vocab.ACT_SEARCH, "group109", 0.7),
    "speech": (vocab.ACT_SPEECH, "mss", 0.85),
    "internal_exile": (vocab.ACT_INTERNAL_EXILE, "mps", 0.6),
    "travel_restriction": (vocab.ACT_TRAVEL_RESTRICTION, "mps", 0.5),
}
#: An NGO that focuses on refugees records their punishment for leaving more often.
_LEAVING_FOCUSED: Final = 0.6

#: Perpetrator units these acts add (appended after the generator's other units).
NEW_UNITS: Final[dict[str, tuple[str, str, str]]] = {
    "brokers": (
        "Human traffickers (brokers) in China",
        "중국 내 인신매매 브로커",
        vocab.PERP_PRIVATE,
    ),
    "buyers": (
        "Men in China who bought North Korean women as wives",
        "북한 여성을 돈을 주고 산 중국 남성",
        vocab.PERP_SPOUSES,
    ),
    "group109": (
        "Group 109 (joint inspection group against foreign media and non-socialist conduct)",
        "109상무(비사회주의 그루빠)",
        vocab.PERP_KWP,
    ),
}
_CHINA: Final = ("trafficking", "forced_marriage")
_CHINA_AGAIN: Final = ("trafficking_again", "forced_marriage_again")
_SOLD: Final = {"forced_marriage": "trafficking", "forced_marriage_again": "trafficking_again"}
_RELEASE: Final = ("internal_exile", "travel_restriction")
#: Punishments that are the detention itself: a person still held has no end date, as in the
#: detention act.
_HELD: Final = ("punished_for_leaving", "foreign_media", "speech")


@dataclass(frozen=True)
class TrueAct:
    """One act a simulated person really suffered, with exact dates (ISO)."""

    person_id: str
    label: str
    term: str
    start: str
    end: str | None


def _year(iso: str) -> float:
    day = date.fromisoformat(iso)
    return day.year + (day.timetuple().tm_yday - 1) / 365


def _iso(year: float) -> str:
    """The day a fractional year stands for, no later than the last year simulated."""
    year = min(year, LAST_YEAR + 0.99)
    whole = int(year)
    return (date(whole, 1, 1) + timedelta(days=min(int((year - whole) * 365), 364))).isoformat()


def _media_share(arrest_year: int) -> float:
    """Share of arrests for foreign media: from the DVD years to the 2020 law."""
    if arrest_year < 1998:
        return 0.0
    if arrest_year < 2004:
        return 0.03
    if arrest_year < 2010:
        return 0.08
    if arrest_year < 2020:
        return 0.15
    return 0.35


def _until(year: float) -> str | None:
    """The end of an act lasting until ``year``; None when it still lasts after the data end."""
    return None if year >= LAST_YEAR + 1 else _iso(year)


def _true_acts(person: TruePerson, u: list[float]) -> list[TrueAct]:
    pid = person.person_id
    final = person.steps[-1]
    arrested = person.steps[0].start
    acts: list[TrueAct] = []

    def add(label: str, start: str, end: str | None) -> None:
        acts.append(TrueAct(pid, label, LABELS[label][0], start, end))

    if person.refugee:
        if person.sex == "F" and u[0] < 0.6:
            sold = _iso(_year(arrested) - 0.3 - 5.0 * u[1])
            add("trafficking", sold, sold)
            if u[2] < 0.7:
                add("forced_marriage", sold, arrested)
        add("punished_for_leaving", final.start, final.end)
    else:
        media = _media_share(person.arrest_year)
        if person.facility_type == "kwanliso":
            media /= 3
        speech = {"kwanliso": 0.15, "kyohwaso": 0.05}.get(person.facility_type, 0.0)
        if u[3] < media:
            add("foreign_media", arrested, final.end)
            if u[4] < 0.6:
                searched = _iso(_year(arrested) - 0.05 * u[5])
                add("search", searched, searched)
        elif u[3] > 1.0 - speech:
            add("speech", arrested, final.end)
    if person.fate not in ("released", "escaped") or final.end is None:
        return acts
    free = _year(final.end)
    if person.fate == "released":
        label, share = "travel_restriction", 0.4 if person.refugee else 0.25
        if person.facility_type == "kwanliso":
            label, share = "internal_exile", 0.5
        if u[6] < share:
            lifted = free + 1.0 + 3.0 * u[7]
            add(label, final.end, _until(lifted))
            free = lifted
    # Women who escape or are released often cross into China (again) and are sold there.
    if person.sex == "F":
        crossing = 0.9 if person.fate == "escaped" else 0.3 if person.refugee else 0.1
        sold_at = free + 0.1 + 2.0 * u[8]
        if u[9] < crossing * 0.6 and sold_at < LAST_YEAR + 1:
            sold = _iso(sold_at)
            add("trafficking_again", sold, sold)
            if u[10] < 0.7:
                add("forced_marriage_again", sold, _until(sold_at + 0.5 + 5.5 * u[11]))
    return acts


def simulate_acts(seed: int, people: Sequence[TruePerson]) -> dict[str, tuple[TrueAct, ...]]:
    """The civil-liberties and trafficking acts of each person who suffered any (the truth)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM, 0)))
    draws = rng.random((len(people), 12)).tolist()
    out: dict[str, tuple[TrueAct, ...]] = {}
    for person, u in zip(people, draws, strict=True):
        if acts := _true_acts(person, u):
            out[person.person_id] = tuple(acts)
    return out


def liberty_units() -> list[Person]:
    """The perpetrator units of these acts as group persons."""
    return unit_persons(NEW_UNITS)


@dataclass(frozen=True)
class Context:
    """One NGO record the generator wrote, and what it needs to add these acts to it."""

    ngo_index: int
    person: TruePerson
    victim: Person
    name: str
    documented: Documented


def add_liberty_records(
    seed: int,
    out: RecordSet,
    ngos: Sequence[NgoSpec],
    contexts: Sequence[Context],
    truth: dict[str, tuple[TrueAct, ...]],
) -> None:
    """Append, after every other record, what each NGO recorded of the people's ``truth``."""
    out.persons.extend(liberty_units())
    rngs = [
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM, 1 + j)))
        for j in range(len(ngos))
    ]
    for context in contexts:
        acts = truth.get(context.person.person_id)
        if acts:
            j = context.ngo_index
            _record(rngs[j], out, ngos[j], context, acts)


@dataclass(frozen=True)
class _Recorded:
    label: str
    start: str | None
    end: str | None
    event: str  # detention, china, china-again or release
    place_id: str | None


def _record(
    rng: np.random.Generator,
    out: RecordSet,
    ngo: NgoSpec,
    context: Context,
    acts: Sequence[TrueAct],
) -> None:
    person, victim, doc = context.person, context.victim, context.documented
    rid = victim.external_id or victim.id
    detention = doc.event
    final = person.steps[-1]
    camp = final.facility.place_id if final.facility else None
    # One draw per true act, whether or not it is recorded, so the stream stays aligned.
    rolls = rng.random(len(acts)).tolist()
    chosen: list[_Recorded] = []
    recorded: set[str] = set()
    sales: dict[str, str | None] = {}
    for act, roll in zip(acts, rolls, strict=True):
        share = LABELS[act.label][2]
        if act.label == "punished_for_leaving" and ngo.focus.get("refugee"):
            share = _LEAVING_FOCUSED
        if roll >= share or _SOLD.get(act.label, act.label) not in recorded | {act.label}:
            continue  # not recorded, or a forced marriage whose sale was not
        if act.label in ("foreign_media", "speech"):
            # The punishment is the detention the NGO recorded, with the dates it recorded.
            start, end = detention.start_date, detention.end_date
        elif act.start == act.end:
            start = end = render_date(rng, act.start, known=0.95)
        else:
            # A forced marriage begins with the sale, as the NGO dated it.
            start = sales[_SOLD[act.label]] if act.label in _SOLD else None
            start = start or render_date(rng, act.start, known=0.95)
            if act.end is None and act.label not in _HELD:  # "still so when last heard of"
                end = str(LAST_YEAR) if rng.random() < 0.6 else None
            else:
                end = render_date(rng, act.end, known=0.8)
        if start is None and end is None:
            continue  # a date nobody remembers: the act is not counted in any year
        recorded.add(act.label)
        sales[act.label] = start
        key, place_id = "detention", None
        if act.label in _CHINA:
            key = "china"
        elif act.label in _CHINA_AGAIN:
            key = "china-again"
        elif act.label in _RELEASE:
            key = "release"
            place_id = person.county.place_id if act.label == "travel_restriction" else None
        elif act.label in _HELD:
            place_id = camp
        elif act.label == "search":
            place_id = person.county.place_id
        chosen.append(_Recorded(act.label, start, end, key, place_id))
    if not chosen:
        return
    events = {"detention": detention.id}
    for key in dict.fromkeys(c.event for c in chosen):
        if key not in events:
            group = [c for c in chosen if c.event == key]
            last = next((c.end for c in reversed(group) if c.end), group[0].start)
            events[key] = _event(out, key, context, ngo, group[0].start, last).id
    for offset, spec in enumerate(chosen):
        k = doc.acts + offset
        term, unit, _ = LABELS[spec.label]
        act_record = Act(
            id=f"demo-act-{rid}-{k}",
            external_id=f"{rid}-act-{k}",
            event_id=events[spec.event],
            victim_id=victim.id,
            act_type=term,
            start_date=spec.start,
            end_date=spec.end,
            place_id=spec.place_id,
            source=ngo.label,
            confidentiality=Confidentiality.CONFIDENTIAL,
        )
        out.acts.append(act_record)
        kind = NEW_UNITS[unit][2] if unit in NEW_UNITS else UNITS[unit][2]
        out.involvements.append(
            Involvement(
                id=f"demo-inv-{rid}-{k}",
                external_id=f"{rid}-inv-{k}",
                act_id=act_record.id,
                perpetrator_id=f"demo-unit-{unit}",
                degree=vocab.DEGREE_DIRECT,
                perpetrator_type=kind,
                source=ngo.label,
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
        )
    _testimony(rng, out, ngo, context, acts, chosen, events[chosen[0].event])


def _event(
    out: RecordSet, key: str, context: Context, ngo: NgoSpec, start: str | None, end: str | None
) -> Event:
    """An event of its own for the sale in China (``china``: before the arrest there;
    ``china-again``: after release) or the restrictions after release (``release``)."""
    rid = context.victim.external_id or context.victim.id
    korean = ngo.language == "ko"
    title = {
        "china": ("{} 중국 내 인신매매", "Sale of {} by traffickers in China"),
        "china-again": (
            "{} 석방 후 재탈북·중국 내 인신매매",
            "Sale of {} by traffickers in China after release",
        ),
        "release": ("{} 석방 후 거주·이동 제한", "Restrictions on {} after release"),
    }[key][0 if korean else 1].format(context.name)
    event = Event(
        id=f"demo-event-{rid}-{key}",
        external_id=f"{rid}-event-{key}",
        title=title,
        start_date=start,
        end_date=end,
        place_id=context.person.county.place_id if key == "release" else None,
        violation_status=vocab.VIOLATION_CONFIRMED,
        source=ngo.label,
        confidentiality=Confidentiality.CONFIDENTIAL,
    )
    out.events.append(event)
    return event


_KO: Final = {
    "trafficking": "{name}은(는) 탈북 후 {year} 중국에서 브로커에게 팔려갔다.",
    "forced_marriage": "체포될 때까지 중국 남성의 '아내'로 강제로 살아야 했다.",
    "trafficking_again": "석방 후 다시 중국으로 건너갔다가 {year} 브로커에게 팔렸다.",
    "forced_marriage_again": "중국 남성에게 '아내'로 팔려 강제로 살아야 했다.",
    "punished_for_leaving": "강제송환된 뒤 불법 월경(탈북) 죄로 {camp}에서 처벌받았다.",
    "foreign_media": "한국 드라마를 보고 돌려 본 혐의로 체포되어 {camp}에서 처벌받았다.",
    "search": "109상무 단속반이 집을 뒤져 USB와 DVD를 찾아냈다.",
    "speech": "지도자를 비판하는 말을 했다는 이유로 끌려갔다.",
    "internal_exile": "석방 후 가족과 함께 산간 오지로 추방되었다.",
    "travel_restriction": "석방 후 여행증명서를 받지 못하고 감시를 받았다.",
}
_EN: Final = {
    "trafficking": "After crossing into China, {name} was sold by brokers {year}.",
    "forced_marriage": "She was forced to live as the 'wife' of a Chinese man until her arrest.",
    "trafficking_again": "After release she crossed into China again and was sold by brokers "
    "{year}.",
    "forced_marriage_again": "She was forced to live as the 'wife' of the man who bought her.",
    "punished_for_leaving": "After the forced return {they} was punished in {camp} for crossing "
    "the border without permission.",
    "foreign_media": "{They} was arrested for watching and passing on South Korean dramas and "
    "punished in {camp}.",
    "search": "A Group 109 inspection team searched the family home and found USB sticks and DVDs.",
    "speech": "{They} was taken away for a remark about the leadership.",
    "internal_exile": "After release the family was banished to a remote mountain area.",
    "travel_restriction": "After release {they} was refused travel permits and kept under watch.",
}


def _testimony(
    rng: np.random.Generator,
    out: RecordSet,
    ngo: NgoSpec,
    context: Context,
    acts: Sequence[TrueAct],
    chosen: Sequence[_Recorded],
    event_id: str,
) -> None:
    """A follow-up testimony from the same source about the acts recorded, with its consent:
    the same scopes as the first, given at the follow-up interview."""
    person, victim, doc = context.person, context.victim, context.documented
    rid = victim.external_id or victim.id
    first = doc.information
    korean = ngo.language == "ko"
    camp = person.camp.hangul if korean else person.camp.name
    they = "she" if person.sex == "F" else "he"
    sentences = []
    for c in chosen:
        if korean:
            year = f"{c.start[:4]}년경" if c.start else "어느 해"
        else:
            year = f"around {c.start[:4]}" if c.start else "one year"
        sentences.append(
            (_KO if korean else _EN)[c.label].format(
                name=context.name, year=year, camp=camp, they=they, They=they.capitalize()
            )
        )
    text = " ".join(sentences) + (" (합성 데이터)" if korean else " (synthetic data)")
    # The follow-up comes after the last thing it tells of (and no later than the data).
    recorded = {c.label for c in chosen}
    known = [a.end or a.start for a in acts if a.label in recorded]
    first_on = date.fromisoformat(first.date_of_source or f"{LAST_YEAR}-12-31")
    latest = max([first_on, *(date.fromisoformat(day) for day in known)])
    interview = min(latest + timedelta(days=int(rng.integers(30, 400))), date(LAST_YEAR, 12, 31))
    interview = max(interview, first_on)
    info = Information(
        id=f"{first.id}-liberties",
        external_id=f"{rid}-info-liberties",
        source_person_id=first.source_person_id,
        event_id=event_id,
        person_id=victim.id,
        connection=first.connection,
        reliability=first.reliability,
        language=first.language,
        date_of_source=interview.isoformat(),
        source_name=first.source_name,
        testimony=text,
        source=ngo.label,
        confidentiality=first.confidentiality,
    )
    out.information.append(info)
    consent = doc.consent
    revoked = consent.revoked_on
    out.consents.append(
        Consent(
            id=f"{consent.id}-liberties",
            external_id=f"{rid}-consent-liberties",
            person_id=consent.person_id,
            information_id=info.id,
            scopes=list(consent.scopes),
            given_on=interview,
            revoked_on=max(revoked, interview) if revoked else None,
            family_at_risk=consent.family_at_risk,
            source=ngo.label,
            confidentiality=consent.confidentiality,
        )
    )
