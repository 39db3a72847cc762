"""The demo's civil-liberties and trafficking acts: they leave every other part of the data set
exactly as it was, agree with their truth, and give the country report numbers it can count."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

from kirok.demo import DEMO_SEED, vocab
from kirok.demo.liberties import LABELS, NEW_UNITS, TrueAct
from kirok.demo.population import LAST_YEAR
from kirok.demo.synthetic import SyntheticDataset, generate, write_dataset
from kirok.domain.dates import parse_date
from kirok.domain.records import Act, Confidentiality, Record
from kirok.domain.vocabulary import get_term, load_vocabularies
from kirok.reports.model import Audience, Figure
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.demo import run_demo
from kirok.services.report import build_report

# The new act types, written out here rather than taken from the generator.
NEW_TERMS = {
    "L4-TRAFFICKING",
    "07010200000004",  # forced marriage
    "L4-PUNISHED-FOR-LEAVING",
    "L4-FOREIGN-MEDIA-PUNISHMENT",
    "04010100000004",  # illegal search
    "10010400000004",  # prohibition on speech
    "05010100000004",  # internal exile
    "05010600000004",  # restriction on travel
}

# SHA-256 of the lists and truth files of generate(seed=3, population=120), as the generator
# wrote them before the civil-liberties and trafficking acts were added. Linkage and estimation
# benchmarks read these files: they must not change.
LIST_AND_TRUTH_DIGESTS = {
    "capture_histories.csv": "26714b2cfab2052008142251976cf2e0ad673a3fca0215980614697aa072c78b",
    "persons_all.csv": "7aff4076ba2dc37536cc99170415b38d3995d509b56878feb8720c05ff92b221",
    "persons_ngo_a.csv": "c2d6595361e3a19531157e95ff47242287c46260f9b6682956f73872bc5c91d2",
    "persons_ngo_b.csv": "0b6f3a8084aab38e481c29b0076c8bcbae2fcc5dc9d38d1919d871d8680a40ae",
    "persons_ngo_c.csv": "77e29b957b43c979a679d091b5ceb41179b0819d422a02cc3bb2c625127f3c71",
    "persons_ngo_d.csv": "643c9698f609177abcb14d5e7c1625a0d05756d616460a9455a459ae9c167d36",
    "truth.csv": "143e6a62af32af833b0618c153b5971a015173013b732c0840aa675a947925db",
    "truth.json": "7ac784f76c20e7dcb23d83f51eeb33288ebca556dade99e5ea8bd79e7f0a3c2b",
}


@pytest.fixture(scope="module")
def pair() -> tuple[SyntheticDataset, SyntheticDataset]:
    """The same seed without and with the new acts."""
    return generate(seed=11, population=400, civil_acts=False), generate(seed=11, population=400)


@pytest.fixture(scope="module")
def medium() -> SyntheticDataset:
    return generate(seed=7, population=1500)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _new_acts(dataset: SyntheticDataset) -> list[Act]:
    return [a for a in dataset.records.acts if a.act_type in NEW_TERMS]


def test_every_record_made_without_the_new_acts_is_made_the_same_with_them(
    pair: tuple[SyntheticDataset, SyntheticDataset],
) -> None:
    off, on = pair
    assert on.rows == off.rows and on.population == off.population
    assert (on.captures == off.captures).all()
    assert on.summary() == off.summary() and on.truth() == off.truth()
    assert on.places == off.places
    assert not off.true_acts and on.true_acts
    for kind in fields(off.records):
        old: list[Record] = getattr(off.records, kind.name)
        new: list[Record] = getattr(on.records, kind.name)
        assert new[: len(old)] == old, kind.name  # the same records, in the same order
        assert not {r.id for r in new[len(old) :]} & {r.id for r in old}
    assert not any(a.act_type in NEW_TERMS for a in off.records.acts)
    added = len(on.records.acts) - len(off.records.acts)
    assert added == len(_new_acts(on)) > 0


def test_the_written_files_keep_their_bytes(
    pair: tuple[SyntheticDataset, SyntheticDataset], tmp_path: Path
) -> None:
    off, on = pair
    write_dataset(off, tmp_path / "off")
    write_dataset(on, tmp_path / "on")
    before, after = _files(tmp_path / "off"), _files(tmp_path / "on")
    assert set(after) == set(before) | {"truth_acts.csv"}
    grown = set()
    for name, content in before.items():
        if after[name] != content:
            assert name.startswith("records/") and after[name].startswith(content), name
            grown.add(name)
    kinds = ("act", "involvement", "event", "information", "consent", "person")
    assert grown == {f"records/{kind}.jsonl" for kind in kinds}
    # Without ESF records the new acts are not drawn at all.
    lists = generate(seed=11, population=400, with_records=False)
    plain = generate(seed=11, population=400, with_records=False, civil_acts=False)
    assert lists.rows == plain.rows and not lists.true_acts


def test_lists_and_truth_files_are_those_the_benchmarks_use(tmp_path: Path) -> None:
    write_dataset(generate(seed=3, population=120), tmp_path)
    digests = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        for name in LIST_AND_TRUTH_DIGESTS
    }
    assert digests == LIST_AND_TRUTH_DIGESTS


def test_the_new_acts_exist_with_known_terms_units_and_testimony(medium: SyntheticDataset) -> None:
    acts = _new_acts(medium)
    assert set(Counter(a.act_type for a in acts)) == NEW_TERMS
    for term in NEW_TERMS | {t for t, _, _ in LABELS.values()}:
        get_term(term)
    by_act = {i.act_id: i for i in medium.records.involvements}
    units = {p.id: p for p in medium.records.persons if p.counting_unit == vocab.UNIT_GROUP}
    assert {f"demo-unit-{key}" for key in NEW_UNITS} <= set(units)
    for act in acts:
        involvement = by_act[act.id]
        assert involvement.perpetrator_id in units
        get_term(involvement.perpetrator_type or "")
        assert act.confidentiality is Confidentiality.CONFIDENTIAL
        assert act.start_date or act.end_date  # every new act is dated, so a year counts it
    trafficked = {a.victim_id for a in acts if a.act_type == "L4-TRAFFICKING"}
    sexes = {p.sex for p in medium.records.persons if p.id in trafficked}
    assert sexes <= {vocab.SEX_FEMALE, None}
    follow_ups = [i for i in medium.records.information if i.id.endswith("-liberties")]
    assert {i.language for i in follow_ups} == {"ko", "en"}
    assert any("팔려" in (i.testimony or "") for i in follow_ups)
    assert any("South Korean dramas" in (i.testimony or "") for i in follow_ups)
    assert all(
        (i.testimony or "").endswith(("(synthetic data)", "(합성 데이터)")) for i in follow_ups
    )
    victims_told = {i.person_id for i in follow_ups}
    assert {a.victim_id for a in acts} <= victims_told


def test_follow_up_testimony_keeps_the_first_consent(medium: SyntheticDataset) -> None:
    info = {i.id: i for i in medium.records.information}
    consents = {c.information_id: c for c in medium.records.consents}
    follow_ups = [i for i in info.values() if i.id.endswith("-liberties")]
    assert follow_ups
    for later in follow_ups:
        first = info[later.id.removesuffix("-liberties")]
        assert later.source_person_id == first.source_person_id
        assert later.person_id == first.person_id
        assert first.date_of_source and later.date_of_source
        assert first.date_of_source <= later.date_of_source <= f"{LAST_YEAR}-12-31"
        before, after = consents[first.id], consents[later.id]
        assert after.scopes == before.scopes and after.family_at_risk == before.family_at_risk
        assert after.given_on == date.fromisoformat(later.date_of_source)
        assert (after.revoked_on is None) == (before.revoked_on is None)


def _span(*values: str | None) -> tuple[date, date] | None:
    parsed = [parse_date(v) for v in values if v]
    if not parsed:
        return None
    return min(p.earliest for p in parsed), max(p.latest for p in parsed)


def _covers(value: str | None, iso: str | None) -> bool:
    if value is None or iso is None:
        return True
    parsed = parse_date(value)
    return parsed.earliest <= date.fromisoformat(iso) <= parsed.latest


def test_the_truth_is_consistent_with_each_person(medium: SyntheticDataset) -> None:
    people = {p.person_id: p for p in medium.population}
    labels = Counter()
    for person_id, acts in medium.true_acts.items():
        person = people[person_id]
        china = person.steps[0].start
        final = person.steps[-1]
        for act in acts:
            labels[act.label] += 1
            assert act.term == LABELS[act.label][0]
            assert act.end is None or act.start <= act.end
            assert act.start <= f"{LAST_YEAR}-12-31"
            if act.label in ("trafficking", "forced_marriage"):
                assert person.refugee and person.sex == "F" and act.start < china
                assert act.end in (act.start, china)
            if act.label in ("trafficking_again", "forced_marriage_again"):
                assert person.sex == "F" and person.fate in ("released", "escaped")
                assert final.end is not None and act.start > final.end
            if act.label == "punished_for_leaving":
                assert person.refugee and (act.start, act.end) == (final.start, final.end)
                handover = next(s for s in person.steps if s.stage == "handover")
                assert act.start >= handover.start
            if act.label in ("foreign_media", "speech", "search"):
                assert not person.refugee
            if act.label == "foreign_media":
                assert person.arrest_year >= 1998 and act.end == final.end
            if act.label in ("internal_exile", "travel_restriction"):
                assert person.fate == "released" and act.start == final.end
    assert set(labels) == set(LABELS)
    refugees_returned = sum(1 for p in medium.population if p.refugee)
    assert labels["punished_for_leaving"] == refugees_returned  # every returnee is punished
    women_arrested_in_china = sum(1 for p in medium.population if p.refugee and p.sex == "F")
    assert 0.45 < labels["trafficking"] / women_arrested_in_china < 0.75


def test_each_recorded_act_agrees_with_the_truth_and_its_record(medium: SyntheticDataset) -> None:
    person_of = {f"demo-person-{row.record_id}": row.person_id for row in medium.rows}
    events = {e.id: e for e in medium.records.events}
    detention = {a.victim_id: a for a in medium.records.acts if a.act_type == vocab.ACT_DETENTION}
    for act in _new_acts(medium):
        truth: tuple[TrueAct, ...] = medium.true_acts[person_of[act.victim_id]]
        candidates = [t for t in truth if t.term == act.act_type]
        assert candidates, act
        held = detention[act.victim_id]
        if act.act_type in ("L4-FOREIGN-MEDIA-PUNISHMENT", "10010400000004"):
            # The punishment is the detention, with the dates the same NGO gave it.
            assert (act.start_date, act.end_date) == (held.start_date, held.end_date)
        assert any(
            _covers(act.start_date, t.start)
            and (
                _covers(act.end_date, t.end)
                if t.end is not None
                else act.end_date in (None, str(LAST_YEAR))
            )
            for t in candidates
        ), (act, candidates)
        span = _span(act.start_date, act.end_date)
        assert span is not None and span[0] <= span[1]
        event = events[act.event_id]
        assert event.source == act.source
        if event.id != held.event_id:  # an event of its own spans its acts
            event_span = _span(event.start_date, event.end_date)
            assert event_span is not None
            assert event_span[0] <= span[0] and span[1] <= event_span[1]


def test_truth_acts_file_lists_every_true_act(medium: SyntheticDataset, tmp_path: Path) -> None:
    write_dataset(medium, tmp_path)
    with (tmp_path / "truth_acts.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = [a for acts in medium.true_acts.values() for a in acts]
    assert len(rows) == len(expected)
    assert [(r["person_id"], r["act"], r["term"], r["start"], r["end"]) for r in rows] == [
        (a.person_id, a.label, a.term, a.start, a.end or "") for a in expected
    ]


# ---------------------------------------------------------------------------- the report

REPORT_POPULATION = 200
ON = date(2026, 1, 15)
# Each figure of the two sections that counts acts, and the act types it must count.
FIGURE_ROOTS = {
    "civil_liberties": {
        "Violations of freedom of expression and information": ("10000000000004", "09000000000004"),
        "Violations of freedom of association and assembly": ("12000000000004",),
        "Violations of freedom of movement and residence": ("05000000000004",),
        "Violations of privacy": ("04000000000004",),
    },
    "trafficking": {
        "Trafficking in persons, slavery and forced marriage": ("03010600000004", "07010200000004"),
    },
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("liberties-demo")
    settings = Settings(
        db_url=f"sqlite:///{folder / 'kirok.db'}",
        keystore=folder / "kirok.keys.json",
        key_file=folder / "kirok.key",
    )
    run_demo(settings, "test", population=REPORT_POPULATION)
    return settings


def _direct_count(dataset: SyntheticDataset, roots: tuple[str, ...], year: int) -> int:
    """Acts of the data set (all confidential, so all counted internally) of a type under
    ``roots`` whose dates meet ``year``."""
    vocabulary = load_vocabularies()["types_of_acts"]
    types = set().union(*(vocabulary.descendant_ids(root) for root in roots))
    count = 0
    for act in dataset.records.acts:
        span = _span(act.start_date, act.end_date)
        if act.act_type in types and span and span[0].year <= year <= span[1].year:
            count += 1
    return count


def _figures(settings: Settings, year: int, audience: Audience) -> dict[str, Figure]:
    with open_store(settings) as store:
        report = build_report(
            store,
            country="KP",
            year=year,
            audience=audience,
            pseudonyms=open_keyring(settings),
            generated_on=ON,
        )
    return {
        f"{section.key}:{figure.label}": figure
        for section in report.sections
        if section.key in FIGURE_ROOTS
        for figure in section.figures
    }


def _figure(figures: dict[str, Figure], section: str, label: str) -> Figure:
    (found,) = [f for key, f in figures.items() if key.startswith(f"{section}:{label}")]
    return found


def test_report_counts_the_new_acts_as_a_direct_count_does(demo_db: Settings) -> None:
    dataset = generate(seed=DEMO_SEED, population=REPORT_POPULATION)
    privacy = FIGURE_ROOTS["civil_liberties"]["Violations of privacy"]
    busiest = max(range(1995, LAST_YEAR + 1), key=lambda y: _direct_count(dataset, privacy, y))
    values: dict[tuple[int, str], int] = {}
    for year in (LAST_YEAR, busiest):
        internal = _figures(demo_db, year, Audience.INTERNAL)
        public = _figures(demo_db, year, Audience.PUBLIC)
        for section, labels in FIGURE_ROOTS.items():
            for label, roots in labels.items():
                figure = _figure(internal, section, label)
                assert figure.value == _direct_count(dataset, roots, year), (year, label)
                assert figure.previous == _direct_count(dataset, roots, year - 1), (year, label)
                assert len(figure.citations) == figure.value
                assert _figure(public, section, label).value <= figure.value
                values[(year, label)] = int(figure.value)
    # The demo's report year has numbers in both sections; the privacy figure in its year.
    assert values[(LAST_YEAR, "Violations of freedom of expression and information")] > 0
    assert values[(LAST_YEAR, "Violations of freedom of movement and residence")] > 0
    assert values[(LAST_YEAR, "Trafficking in persons, slavery and forced marriage")] > 0
    assert values[(busiest, "Violations of privacy")] > 0
