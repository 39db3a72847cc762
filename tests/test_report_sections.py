"""Civil liberties and trafficking in persons: the act types they count, the tracker's
designations they show, and their numbers on a small hand-built store for both audiences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kirok.domain.records import (
    Act,
    Confidentiality,
    Consent,
    Designation,
    Event,
    Information,
    Person,
    Record,
)
from kirok.domain.tracker import consecutive_years
from kirok.domain.vocabulary import load_vocabularies
from kirok.reports.model import Audience, Figure, ReportData
from kirok.security.keys import Keyring
from kirok.services.context import Settings, initialise, open_keyring
from kirok.services.report import ACT_QUERIES, build_report
from kirok.services.reporting.religious_freedom import is_cpc
from kirok.services.reporting.trafficking import is_tier_3
from kirok.store.repository import RecordStore

ON = date(2026, 1, 15)
YEAR = 2024

# Written out here, not taken from the service: a changed mapping must fail this test.
CIVIL_LIBERTIES = {
    "expression_and_information": {"10000000000004", "09000000000004"},
    "association_and_assembly": {"12000000000004"},
    "movement": {"05000000000004"},
    "privacy": {"04000000000004"},
}
TRAFFICKING = {
    "trafficking": {"03010600000004", "07010200000004"},
    "state_forced_labour": {"30010201000004"},
}


# --- the mapping onto the vocabulary -------------------------------------------------------


def test_every_section_is_mapped_to_existing_act_types() -> None:
    acts = load_vocabularies()["types_of_acts"]
    by_key = {q.key: q for q in ACT_QUERIES}
    for key, roots in {**CIVIL_LIBERTIES, **TRAFFICKING}.items():
        assert set(by_key[key].roots) == roots, key
    sections = {q.section for q in ACT_QUERIES}
    assert {"civil_liberties", "trafficking"} <= sections
    for query in ACT_QUERIES:
        for root in query.roots:
            assert root in acts, (query.key, root)


def test_local_terms_sit_under_the_roots_that_count_them() -> None:
    acts = load_vocabularies()["types_of_acts"]
    assert "L4-TRAFFICKING" in acts.descendant_ids("03010600000004")
    assert "L4-PUNISHED-FOR-LEAVING" in acts.descendant_ids("05000000000004")
    assert "L4-FOREIGN-MEDIA-PUNISHMENT" in acts.descendant_ids("09000000000004")
    for term in ("L4-TRAFFICKING", "L4-PUNISHED-FOR-LEAVING", "L4-FOREIGN-MEDIA-PUNISHMENT"):
        assert acts[term].labels["ko"] and acts[term].local


def test_civil_liberties_figures_do_not_count_one_act_twice_nor_religious_persecution() -> None:
    acts = load_vocabularies()["types_of_acts"]
    seen: set[str] = set()
    for roots in CIVIL_LIBERTIES.values():
        types = {t for r in roots for t in acts.descendant_ids(r)}
        assert not types & seen
        seen |= types
    assert "L4-RELIGIOUS-PERSECUTION" not in seen


# --- the tracker ---------------------------------------------------------------------------


def _designation(program: str, year: int, status: str, version: int = 1) -> Designation:
    return Designation(
        program=program,
        country="KP",
        year=year,
        status=status,
        version=version,
        confidentiality=Confidentiality.PUBLIC,
    )


def test_consecutive_years_stop_at_a_gap_or_a_year_that_does_not_hold() -> None:
    tiers = [_designation("trafficking_tier", y, "Tier 3") for y in (2015, 2016, 2018, 2019)]
    tiers.append(_designation("trafficking_tier", 2020, "Tier 2 Watch List"))
    tiers.append(_designation("religious_freedom_cpc", 2017, "CPC"))
    run = consecutive_years(tiers, program="trafficking_tier", year=2019, holds=is_tier_3)
    assert [d.year for d in run] == [2019, 2018]  # 2017 is missing: the run ends there
    assert consecutive_years(tiers, program="trafficking_tier", year=2020, holds=is_tier_3) == []
    assert consecutive_years(tiers, program="trafficking_tier", year=2017, holds=is_tier_3) == []
    two = consecutive_years(tiers, program="trafficking_tier", year=2016, holds=is_tier_3)
    assert [d.year for d in two] == [2016, 2015]


def test_a_corrected_designation_replaces_the_earlier_version_of_its_year() -> None:
    old = _designation("trafficking_tier", 2019, "Tier 3", version=1)
    new = _designation("trafficking_tier", 2019, "Tier 3 (corrected source)", version=2)
    run = consecutive_years([old, new], program="trafficking_tier", year=2019, holds=is_tier_3)
    assert [d.id for d in run] == [new.id]


@pytest.mark.parametrize(
    ("status", "cpc"),
    [
        ("CPC", True),
        ("designated (first designation)", True),
        ("in_effect (covered by 'designated since 2001' statements)", True),
        ("not designated", False),
        ("removed", False),
    ],
)
def test_cpc_statuses_as_the_sources_word_them(status: str, cpc: bool) -> None:
    assert is_cpc(_designation("religious_freedom_cpc", 2020, status)) is cpc


@pytest.mark.parametrize(
    ("status", "tier_3"),
    [("Tier 3", True), ("tier 3 (upgraded later)", True), ("Tier 2 Watch List", False)],
)
def test_tier_3_is_only_tier_3(status: str, tier_3: bool) -> None:
    assert is_tier_3(_designation("trafficking_tier", 2020, status)) is tier_3


# --- live numbers on a small store ---------------------------------------------------------


class _Builder:
    """Victims, each with one event, its acts and one testimony whose consent allows (or not)
    publication."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.secret_acts: list[Act] = []  # acts whose only testimony may not be published

    def victim(self, name: str, acts: list[tuple[str, str]], *, publishable: bool) -> list[Act]:
        person = Person(confidentiality=Confidentiality.CONFIDENTIAL, source="ngo-a")
        event = Event(title=f"case {name}", confidentiality=Confidentiality.CONFIDENTIAL)
        made = [
            Act(
                event_id=event.id,
                victim_id=person.id,
                act_type=term,
                start_date=when,
                end_date=when,
                confidentiality=Confidentiality.CONFIDENTIAL,
            )
            for term, when in acts
        ]
        info = Information(
            event_id=event.id,
            person_id=person.id,
            testimony=f"testimony of {name}",
            confidentiality=Confidentiality.CONFIDENTIAL,
        )
        scopes = ["internal", "publication"] if publishable else ["internal"]
        consent = Consent(
            information_id=info.id,
            scopes=scopes,
            given_on=date(2023, 1, 1),
            confidentiality=Confidentiality.CONFIDENTIAL,
        )
        self.records += [person, event, *made, info, consent]
        if not publishable:
            self.secret_acts += made
        return made


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RecordStore, Keyring]]:
    folder: Path = tmp_path_factory.mktemp("sections")
    settings = Settings(
        db_url=f"sqlite:///{folder / 'kirok.db'}",
        keystore=folder / "kirok.keys.json",
        key_file=folder / "kirok.key",
    )
    b = _Builder()
    b.victim("trafficked", [("L4-TRAFFICKING", "2024-03")], publishable=True)
    b.victim("married", [("07010200000004", "2023/2024")], publishable=False)
    b.victim("slave", [("03010600000004", "2023")], publishable=True)
    b.victim("leaver", [("L4-PUNISHED-FOR-LEAVING", "2024-06-01")], publishable=True)
    b.victim("viewer", [("L4-FOREIGN-MEDIA-PUNISHMENT", "2024")], publishable=False)
    b.victim("censored", [("10010100000004", "2024")], publishable=True)
    b.victim("searched", [("04010100000004", "2024-02")], publishable=True)
    b.victim("meeting", [("12010500000004", "2022")], publishable=True)  # not in 2024
    # Returned from China in 2023 and held in 2023-2024; another held but never returned; a
    # third returned in 2024 and held then, whose testimony may not be published.
    b.victim(
        "returned",
        [("L4-FORCED-REPATRIATION", "2023-05"), ("03010200000004", "2023-05/2024-08")],
        publishable=True,
    )
    b.victim("held", [("03010200000004", "2024")], publishable=True)
    b.victim(
        "returned-secret",
        [("38010100000004", "2024-01"), ("03010200000004", "2024-02")],
        publishable=False,
    )
    b.victim("labourer", [("30010201000004", "2024-04/2024-09")], publishable=True)
    b.records += [
        _designation("trafficking_tier", y, "Tier 3") for y in range(2010, 2025) if y != 2012
    ]
    b.records += [_designation("religious_freedom_cpc", y, "CPC") for y in range(2001, 2025)]
    store = initialise(settings)
    with store.write("test") as uow:
        uow.add_many(b.records)
    try:
        yield store, open_keyring(settings)
    finally:
        store.close()


def _report(built: tuple[RecordStore, Keyring], audience: Audience) -> ReportData:
    store, keyring = built
    return build_report(
        store, country="KP", year=YEAR, audience=audience, pseudonyms=keyring, generated_on=ON
    )


def _figures(report: ReportData, section: str) -> dict[str, Figure]:
    found = next(s for s in report.sections if s.key == section)
    return {f.label.split(" (")[0].split(",")[0]: f for f in found.figures}


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (
            Audience.INTERNAL,
            {
                "Violations of freedom of expression and information documented": (2, 0),
                "Violations of freedom of association and assembly documented": (0, 0),
                "Violations of freedom of movement and residence documented": (1, 0),
                "Violations of privacy documented": (1, 0),
                "Forcibly returned people held in detention": (2, 1),
            },
        ),
        (
            Audience.PUBLIC,
            {
                "Violations of freedom of expression and information documented": (1, 0),
                "Violations of freedom of association and assembly documented": (0, 0),
                "Violations of freedom of movement and residence documented": (1, 0),
                "Violations of privacy documented": (1, 0),
                "Forcibly returned people held in detention": (1, 1),
            },
        ),
    ],
)
def test_civil_liberties_counts_each_audience_may_see(
    built: tuple[RecordStore, Keyring], audience: Audience, expected: dict[str, tuple[int, int]]
) -> None:
    figures = _figures(_report(built, audience), "civil_liberties")
    assert {k: (f.value, f.previous) for k, f in figures.items()} == expected


@pytest.mark.parametrize(
    ("audience", "acts", "labour"),
    [(Audience.INTERNAL, (2, 2), (1, 0)), (Audience.PUBLIC, (1, 1), (1, 0))],
)
def test_trafficking_counts_acts_and_the_tier_3_run(
    built: tuple[RecordStore, Keyring],
    audience: Audience,
    acts: tuple[int, int],
    labour: tuple[int, int],
) -> None:
    figures = _figures(_report(built, audience), "trafficking")
    trafficking = figures["Trafficking in persons"]
    assert (trafficking.value, trafficking.previous) == acts
    forced = figures["Forced labour for the state documented"]
    assert (forced.value, forced.previous) == labour
    ranked = figures["Years ranked in the Trafficking in Persons Report"]
    assert (ranked.value, ranked.previous) == (14, 13)
    run = figures["Consecutive years ranked Tier 3"]
    assert (run.value, run.previous) == (12, 11)  # 2013-2024: 2012 is missing
    assert len(run.citations) == 12


def test_religious_freedom_shows_the_cpc_run(built: tuple[RecordStore, Keyring]) -> None:
    figures = _figures(_report(built, Audience.PUBLIC), "religious_freedom")
    run = figures["Consecutive years designated a Country of Particular Concern"]
    assert (run.value, run.previous) == (24, 23)


def test_the_public_sections_cite_no_act_without_publication_consent(
    built: tuple[RecordStore, Keyring],
) -> None:
    store, keyring = built
    report = _report(built, Audience.PUBLIC)
    internal = _report(built, Audience.INTERNAL)
    with store.read() as uow:
        secret = [
            a
            for a in uow.iter_kind("act")
            if isinstance(a, Act) and a.act_type in {"07010200000004", "38010100000004"}
        ]
    assert secret
    refs = {c.ref for f in report.figures() for c in f.citations}
    internal_refs = {c.ref for f in internal.figures() for c in f.citations}
    for act in secret:
        assert keyring.pseudonym("act", act.id) not in refs
        assert act.id not in refs
    assert any(a.id in internal_refs for a in secret)
    assert all(c.publishable for f in report.figures() for c in f.citations)
