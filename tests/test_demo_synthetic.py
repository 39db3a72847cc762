"""The synthetic demo data: deterministic, consistent with its truth, realistically messy."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from kirok.demo import vocab
from kirok.demo.capture import DEFAULT_NGOS, NgoSpec
from kirok.demo.names import FAMILY_NAMES, south_form
from kirok.demo.places import COUNTIES, FACILITIES, place_records
from kirok.demo.render import romanize_given, typo
from kirok.demo.synthetic import PERSON_COLUMNS, SyntheticDataset, generate, main, write_dataset
from kirok.domain.dates import parse_date
from kirok.domain.gazetteer import load_gazetteer
from kirok.domain.records import Record, Script
from kirok.domain.refugee import validate_path
from kirok.domain.vocabulary import get_term


@pytest.fixture(scope="module")
def small() -> SyntheticDataset:
    return generate(seed=11, population=400)


@pytest.fixture(scope="module")
def large() -> SyntheticDataset:
    """Enough people for the statistical properties; person lists only, which is fast."""
    return generate(seed=5, population=4000, with_records=False)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    write_dataset(generate(seed=3, population=250), tmp_path / "a")
    write_dataset(generate(seed=3, population=250), tmp_path / "b")
    write_dataset(generate(seed=4, population=250), tmp_path / "c")
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a == b
    assert set(a) == set(c)
    assert a["persons_all.csv"] != c["persons_all.csv"]
    assert a["truth.csv"] != c["truth.csv"]
    assert "records/act.jsonl" in a and "persons_ngo_d.csv" in a


def test_every_record_maps_to_a_captured_person(small: SyntheticDataset) -> None:
    ids = {p.person_id for p in small.population}
    index = {p.person_id: i for i, p in enumerate(small.population)}
    assert len(ids) == small.true_size == 400
    for j, ngo in enumerate(small.ngos):
        rows = small.rows_for(ngo.slug)
        documented = {row.person_id for row in rows}
        captured = {small.population[i].person_id for i in np.flatnonzero(small.captures[:, j])}
        assert documented == captured
        assert len(rows) >= len(documented)  # re-interviews give within-list duplicates
        assert all(row.source == ngo.label and "synthetic" in row.source for row in rows)
        assert all(small.captures[index[row.person_id], j] == 1 for row in rows)
    assert len({row.record_id for row in small.rows}) == len(small.rows)


def test_capture_histories_sum_to_the_observed_people(small: SyntheticDataset) -> None:
    histories = small.capture_histories()
    observed = {row.person_id for row in small.rows}
    assert sum(h["count"] for h in histories) == len(observed) == small.summary()["observed"]
    assert all(any(h[n.slug] for n in small.ngos) for h in histories)  # no all-zero pattern
    per_list = {n.slug: sum(h["count"] for h in histories if h[n.slug]) for n in small.ngos}
    for ngo in small.ngos:
        assert per_list[ngo.slug] == len({r.person_id for r in small.rows_for(ngo.slug)})
    by_facility = small.capture_histories("facility_type")
    assert sum(h["count"] for h in by_facility) == len(observed)
    assert {h["facility_type"] for h in by_facility} <= {"kwanliso", "kyohwaso", "jipkyulso"}


def test_capture_is_unequal_and_lists_are_positively_dependent(large: SyntheticDataset) -> None:
    captures = large.captures.astype(float)
    rates = captures.mean(axis=0)
    assert rates.max() / rates.min() > 3  # lists of very different sizes
    n = large.true_size
    a, b = captures[:, 0], captures[:, 1]
    # Lincoln–Petersen assumes independent lists; positive dependence makes it fall short of
    # the truth, which is what the generator is designed to produce.
    both = float((a * b).sum())
    lincoln_petersen = a.sum() * b.sum() / both
    assert lincoln_petersen < 0.9 * n
    for j in range(captures.shape[1]):
        for k in range(j + 1, captures.shape[1]):
            covariance = (captures[:, j] * captures[:, k]).mean() - rates[j] * rates[k]
            assert covariance > 0, (j, k)
    # Heterogeneity: the same NGO is far likelier to document some people than others.
    from kirok.demo.synthetic import capture_probability_matrix

    probabilities = capture_probability_matrix(large)
    assert probabilities[:, 0].std() > 0.1
    assert np.quantile(probabilities[:, 0], 0.9) > 3 * np.quantile(probabilities[:, 0], 0.1)


def test_names_vary_as_the_ngos_write_them(large: SyntheticDataset) -> None:
    by_person: dict[str, list[str]] = defaultdict(list)
    for row in large.rows:
        by_person[row.person_id].append(row.full_name)
    multi = [names for names in by_person.values() if len(names) >= 2]
    assert multi
    disjoint = sum(1 for names in multi if len(set(names)) == len(names))
    assert disjoint / len(multi) > 0.8  # most people are never written the same way twice
    styles = {row.style for row in large.rows}
    assert styles == {s for ngo in DEFAULT_NGOS for s in ngo.styles}
    names = [row.full_name for row in large.rows]
    assert any("ŏ" in n or "ŭ" in n for n in names)  # MR with diacritics
    assert any(re.fullmatch(r"[A-Z]+, [A-Z]+", n) for n in names)  # passport "KIM, JONGIL"
    assert any(re.fullmatch(r"[A-Z][a-z]+ [A-Z]{2,}", n) for n in names)  # given-first "Jongil KIM"
    assert any(re.search(r"[a-z]-[a-z]", n) for n in names)  # hyphenated given names
    assert any(re.fullmatch(r"\w+ \w+ \w+", n) for n in names)  # spaced given names
    assert any(row.aliases for row in large.rows)
    assert any(row.family_name == "" and row.given_name for row in large.rows)  # parts missing
    # North orthography (리/류/림) in one list, South (이/유/임) in another, for one family name.
    hangul_ri = {r.ngo for r in large.rows if r.family_name == "리"}
    hangul_i = {r.ngo for r in large.rows if r.family_name == "이"}
    assert hangul_ri and hangul_i and hangul_ri != hangul_i
    assert any(r.family_name == "Ri" for r in large.rows) and any(
        r.family_name == "Lee" for r in large.rows
    )


def test_birth_dates_and_places_follow_the_contract(large: SyntheticDataset) -> None:
    pattern = re.compile(r"(\d{4}(-\d{2}(-\d{2})?)?)?")
    truth = {p.person_id: p for p in large.population}
    offsets = []
    for row in large.rows:
        assert pattern.fullmatch(row.birth_date), row.birth_date
        assert row.sex in ("M", "F", "")
        if row.birth_date:
            offsets.append(int(row.birth_date[:4]) - truth[row.person_id].birth_year)
    assert set(offsets) == {-2, -1, 0, 1, 2}
    assert offsets.count(0) / len(offsets) > 0.7
    assert sum(1 for row in large.rows if not row.birth_date) > 0
    places = {row.birth_place for row in large.rows if row.person_id == large.rows[0].person_id}
    assert all(isinstance(p, str) for p in places)
    hoeryong = {row.birth_place for row in large.rows if "회령" in row.birth_place}
    hoeryong |= {r.birth_place for r in large.rows if r.birth_place.lower().startswith("hoery")}
    assert len(hoeryong) >= 4  # one hometown, many spellings


def test_written_files_keep_the_truth_separate(small: SyntheticDataset, tmp_path: Path) -> None:
    paths = write_dataset(small, tmp_path)
    assert all(p.exists() for p in paths)
    with (tmp_path / "persons_all.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == PERSON_COLUMNS
        rows = list(reader)
    assert len(rows) == len(small.rows)
    with (tmp_path / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(handle)}
    assert set(truth) == {r["record_id"] for r in rows}
    summary = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert summary["population"] == 400 and summary["synthetic"] is True
    for stratum in summary["strata"].values():
        assert sum(v["true"] for v in stratum.values()) == 400
        assert sum(v["observed"] for v in stratum.values()) == summary["observed"]
    with (tmp_path / "capture_histories.csv").open(encoding="utf-8", newline="") as handle:
        histories = list(csv.DictReader(handle))
    assert list(histories[0]) == [n.slug for n in small.ngos] + ["count"]
    assert sum(int(h["count"]) for h in histories) == summary["observed"]
    per_ngo = sum(1 for r in rows if r["source"] == small.ngos[0].label)
    lines = (tmp_path / "persons_ngo_a.csv").read_text(encoding="utf-8").splitlines()
    assert per_ngo == len(lines) - 1


def _all_records(dataset: SyntheticDataset) -> list[Record]:
    r = dataset.records
    groups: list[list[Record]] = [
        list(dataset.places),
        list(r.persons),
        list(r.events),
        list(r.acts),
        list(r.involvements),
        list(r.information),
        list(r.consents),
        list(r.interventions),
        list(r.refugee_cases),
    ]
    return [record for group in groups for record in group]


def test_records_validate_and_references_resolve(small: SyntheticDataset) -> None:
    records = _all_records(small)
    by_id: dict[str, Record] = {}
    for record in records:
        again = type(record).model_validate(record.model_dump())
        assert again == record
        assert record.id not in by_id
        by_id[record.id] = record
    gazetteer = load_gazetteer()
    for record in records:
        for field, target in record.referenced_ids().items():
            if record.references[field] == "place" and target in gazetteer:
                assert target not in by_id  # gazetteer places are not duplicated
                continue
            assert target in by_id, (record.kind, field, target)
            assert by_id[target].kind == record.references[field]
        for field in record.date_fields:
            if value := getattr(record, field):
                parse_date(value)
    r = small.records
    assert r.events and r.acts and r.involvements and r.information and r.consents
    assert r.interventions and r.refugee_cases
    kinds = {i.intervention_type for i in r.interventions}
    assert kinds == {vocab.INTERVENTION_URGENT_APPEAL, vocab.INTERVENTION_DEMARCHE}
    for case in r.refugee_cases:
        assert validate_path(case.steps) == [], case
        assert case.steps[0].stage == "arrest_china"
        assert case.steps[-1].stage in ("jipkyulso", "kyohwaso", "kwanliso")
        for step in case.steps:
            for value in (step.start_date, step.end_date):
                if value:
                    parse_date(value)
    units = [p for p in r.persons if p.counting_unit == vocab.UNIT_GROUP]
    assert {i.perpetrator_id for i in r.involvements} <= {u.id for u in units}
    assert all(
        set(c.scopes) <= {"internal", "share_un", "courts", "publication"} for c in r.consents
    )
    victims = [p for p in r.persons if p.id.startswith("demo-person-")]
    assert len(victims) == len(small.rows)
    assert {f.script for p in victims for f in p.name_forms} == {Script.HANGUL, Script.LATIN}
    languages = {i.language for i in r.information}
    assert languages == {"ko", "en"}
    assert all(
        "(synthetic" in (i.testimony or "") or "(합성" in (i.testimony or "") for i in r.information
    )


def test_every_vocabulary_value_is_a_known_term(small: SyntheticDataset) -> None:
    for term_id in vocab.ALL_TERM_IDS:
        get_term(term_id)
    for record in _all_records(small):
        for name in (
            "act_type",
            "sex",
            "counting_unit",
            "degree",
            "perpetrator_type",
            "connection",
            "reliability",
            "intervention_type",
            "response",
            "status",
            "violation_status",
            "facility_type",
        ):
            value = getattr(record, name, None)
            if value and not (record.kind == "refugee_case" and name == "status"):
                get_term(value)


def test_name_building_blocks() -> None:
    assert romanize_given("정일", "mr") == "Chŏng-il"
    assert romanize_given("정일", "rr", joiner="") == "Jeongil"
    assert romanize_given("설주", "dprk", joiner=" ") == "Sol Ju"
    assert south_form("룡철") == "용철" and south_form("철룡") == "철룡"
    shares = [name.share for name in FAMILY_NAMES]
    assert FAMILY_NAMES[0].south == "김" and shares[0] == max(shares)
    rng = np.random.default_rng(0)
    changed = {typo(rng, "Chongil") for _ in range(30)}
    assert "Chongil" not in changed
    assert all(abs(len(t) - 7) <= 1 and t[0] == "C" for t in changed)


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        generate(population=0)
    spec = NgoSpec(slug="x", label="X (synthetic)", alpha=0.0, beta=1.0, styles={"rr": 1.0})
    with pytest.raises(ValueError, match="unique"):
        generate(population=10, ngos=[spec, spec])
    two = generate(seed=1, population=50, ngos=DEFAULT_NGOS[:2], with_records=False)
    assert two.captures.shape == (50, 2) and not two.records.events


def test_module_entry_writes_the_files(tmp_path: Path) -> None:
    assert main([str(tmp_path), "--seed", "2", "--population", "60", "--no-records"]) == 0
    assert (tmp_path / "truth.json").exists() and (tmp_path / "persons_ngo_a.csv").exists()
    assert not (tmp_path / "records").exists()


def test_heterogeneity_scales_unequal_capture() -> None:
    from kirok.demo.synthetic import capture_probability_matrix

    plain = NgoSpec(slug="p", label="P (synthetic)", alpha=-1.0, beta=1.0, styles={"rr": 1.0})
    ngos = (plain, DEFAULT_NGOS[0])
    flat = generate(seed=9, population=600, ngos=ngos, with_records=False, heterogeneity=0.0)
    wide = generate(seed=9, population=600, ngos=ngos, with_records=False, heterogeneity=1.5)
    flat_p, wide_p = capture_probability_matrix(flat), capture_probability_matrix(wide)
    assert np.ptp(flat_p[:, 0]) < 1e-9  # everyone equally visible
    assert flat_p[:, 1].std() > 0  # an NGO's focus still favours some people
    assert wide_p[:, 0].std() > 0.15 and wide_p[:, 1].std() > 2 * flat_p[:, 1].std()
    assert wide.summary()["heterogeneity"] == 1.5
    # The knob changes inequality, not the overall level of documentation.
    assert abs(flat_p[:, 0].mean() - wide_p[:, 0].mean()) < 0.1


def test_places_use_the_gazetteer_where_it_has_them() -> None:
    gazetteer = load_gazetteer()
    linked = [p for p in (*COUNTIES, *FACILITIES) if p.gazetteer_id]
    assert len(linked) >= 20
    for place in linked:
        assert place.gazetteer_id in gazetteer
        assert place.place_id == place.gazetteer_id
    camp15 = next(f for f in FACILITIES if f.key == "15")
    assert gazetteer[camp15.place_id].kind == "facility"


def test_every_demo_place_lies_in_a_province_of_the_gazetteer() -> None:
    """Filters and charts by province find what happened at a demo-only place too."""
    gazetteer = load_gazetteer()
    demo = {place.id: place for place in place_records()}
    assert demo, "the demo adds places the gazetteer lacks"
    for place in demo.values():
        parent = place.parent_id
        hops = 0
        while parent in demo:  # a facility may lie in a demo-only county
            parent = demo[parent].parent_id
            hops += 1
            assert hops < 5
        assert parent is not None, f"{place.id} has no parent"
        assert parent in gazetteer, f"{place.id}: parent {parent} is not in the gazetteer"
        lineage = [parent, *(p.id for p in gazetteer.ancestors(parent))]
        kinds = {gazetteer[i].kind for i in lineage}
        assert kinds & {"province", "special_city"}, f"{place.id} is in no province: {lineage}"
