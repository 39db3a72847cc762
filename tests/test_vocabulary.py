"""Vocabularies: ESF micro-thesauri, Korean labels, local terms, hierarchy queries."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from kirok.domain.vocabulary import (
    Term,
    UnknownTermError,
    Vocabulary,
    get_term,
    load_vocabularies,
    term_lists,
)

TORTURE = "02011111000004"
LIBERTY_DIRECT = "03010000000004"
DETENTION = "03010200000004"
REFOULEMENT = "38010100000004"


def _rows(*parts: str) -> list[dict[str, str]]:
    text = resources.files("kirok").joinpath("data", *parts).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def vocabs() -> dict[str, Vocabulary]:
    return load_vocabularies()


@pytest.fixture(scope="module")
def acts(vocabs: dict[str, Vocabulary]) -> Vocabulary:
    return vocabs["types_of_acts"]


def test_every_esf_row_is_loaded_once(vocabs: dict[str, Vocabulary]) -> None:
    esf = _rows("micro_thesauri.csv")
    loaded = {t.id: t for v in vocabs.values() for t in v if not t.local}
    assert len(loaded) == len(esf)
    assert len(vocabs) == len({r["list_name"] for r in esf})
    for row in esf[::97]:
        term = loaded[row["term_id"]]
        assert term.labels["en"] == row["english"].strip()
        assert term.labels["fr"] == row["french"].strip()
        assert term.labels["es"] == row["spanish"].strip()
        assert term.level == int(row["level"])
        assert term.list_name == row["list_name"]
        expected_parent = None if row["parent_term_id"] == "0" else row["parent_term_id"]
        assert term.parent_id == expected_parent


def test_levels_follow_parents(vocabs: dict[str, Vocabulary]) -> None:
    for vocab in vocabs.values():
        for term in vocab:
            if term.parent_id is None:
                assert term.level == 0, term.id
            else:
                assert term.level == vocab[term.parent_id].level + 1, term.id


def test_iteration_puts_parents_first_and_covers_all(vocabs: dict[str, Vocabulary]) -> None:
    for vocab in vocabs.values():
        seen: set[str] = set()
        for term in vocab:
            assert term.parent_id is None or term.parent_id in seen
            seen.add(term.id)
        assert len(seen) == len(vocab)


def test_types_of_acts_has_five_levels(acts: Vocabulary) -> None:
    esf_terms = [t for t in acts if not t.local]
    assert len(esf_terms) == 532
    assert {t.level for t in esf_terms} == {0, 1, 2, 3, 4}


def test_descendants_include_the_term_and_everything_below(acts: Vocabulary) -> None:
    below = acts.descendant_ids(LIBERTY_DIRECT)
    assert LIBERTY_DIRECT in below
    assert DETENTION in below
    assert "03010201000004" in below  # denial of release, a grandchild
    assert TORTURE not in below
    # every descendant's ancestor chain passes through the queried term
    for term_id in below - {LIBERTY_DIRECT}:
        assert LIBERTY_DIRECT in {t.id for t in acts.ancestors(term_id)}
    # and every term not below it does not
    others = {t.id for t in acts} - below
    assert all(LIBERTY_DIRECT not in {a.id for a in acts.ancestors(i)} for i in others)
    assert acts.descendant_ids(TORTURE) == {TORTURE}


def test_query_for_a_term_includes_local_children(acts: Vocabulary) -> None:
    """Filtering on 'refoulement' finds acts recorded as the local 'forced repatriation'."""
    recorded = ["L4-FORCED-REPATRIATION", TORTURE, DETENTION]
    wanted = acts.descendant_ids(REFOULEMENT)
    assert [t for t in recorded if t in wanted] == ["L4-FORCED-REPATRIATION"]
    life = acts.descendant_ids("01000000000004")
    assert "L4-PUBLIC-EXECUTION" in life


def test_children_and_ancestors(acts: Vocabulary) -> None:
    children = acts.children("03010000000004")
    assert [c.order for c in children] == sorted(c.order for c in children)
    assert DETENTION in {c.id for c in children}
    chain = [t.id for t in acts.ancestors("03010201000004")]
    assert chain == [DETENTION, LIBERTY_DIRECT, "03000000000004"]
    assert acts.ancestors("03000000000004") == []


def test_labels_fall_back_to_english(vocabs: dict[str, Vocabulary], acts: Vocabulary) -> None:
    assert acts.label(TORTURE, "ko") == "고문"
    assert acts.label(TORTURE, "fr") == "Torture"
    languages = vocabs["languages"]
    some = next(iter(languages))
    assert "ko" not in some.labels
    assert languages.label(some.id, "ko") == some.labels["en"]
    local = get_term("L17-KWANLISO")
    assert "fr" not in local.labels and local.label("fr") == local.labels["en"]
    assert acts.path("03010201000004", "ko").endswith("구금, 투옥 › 불법 체포 시 석방 거부")


def test_find_ignores_case_accents_and_language(
    vocabs: dict[str, Vocabulary], acts: Vocabulary
) -> None:
    assert acts.find("TORTURE")[0].id == TORTURE
    assert acts.find("고문")[0].id == TORTURE
    assert acts.find("  torture ", lang="en")[0].id == TORTURE
    assert acts.find("tortura", lang="es")[0].id == TORTURE
    assert acts.find("tortura", lang="en") == []
    # accents: "Détention, emprisonnement" found without them
    assert acts.find("detention, emprisonnement")[0].id == DETENTION
    assert acts.find("강제북송")[0].id == "L4-FORCED-REPATRIATION"
    # exact before prefix before substring
    found = acts.find("torture")
    assert found[0].id == TORTURE
    assert all("torture" in " ".join(t.labels.values()).lower() for t in found)
    sex = vocabs["sex"]
    assert [t.id for t in sex.find("여성")] == ["02000000000039"]
    assert acts.find("") == []


@pytest.mark.parametrize(
    ("korean", "term_id"),
    [
        ("공개처형", "L4-PUBLIC-EXECUTION"),
        ("즉결 처형", "01010101000004"),
        ("강제실종", "03010300000004"),
        ("납치", "03010400000004"),
        ("강제노동", "30010201000004"),
        ("강간", "02011101000004"),
        ("강제 낙태", "08010300000004"),
        ("영아 살해", "01010201000004"),
        ("식량 박탈로 인한 사망", "01019003010004"),
        ("종교 박해", "L4-RELIGIOUS-PERSECUTION"),
        ("구금", "03010200000004"),
        ("연좌제", "L4-GUILT-BY-ASSOCIATION"),
    ],
)
def test_korean_intake_words_find_their_act(acts: Vocabulary, korean: str, term_id: str) -> None:
    assert acts.find(korean, lang="ko")[0].id == term_id


def test_unknown_terms_raise_a_clear_error(acts: Vocabulary) -> None:
    with pytest.raises(UnknownTermError, match="'99999' in vocabulary 'types_of_acts'"):
        acts["99999"]
    with pytest.raises(UnknownTermError):
        acts.descendants("nope")
    with pytest.raises(UnknownTermError):
        acts.children("nope")
    with pytest.raises(UnknownTermError, match="unknown term 'nope'"):
        get_term("nope")
    assert get_term(TORTURE).list_name == "types_of_acts"
    assert acts.get("nope") is None


# --- Korean labels and local terms ---------------------------------------------------------

FULLY_TRANSLATED = [
    "types_of_acts",
    "counting_units",
    "types_of_locations",
    "degrees_of_involvement",
    "source_connection_to_information",
    "types_of_intervention",
    "types_of_perpetrators",
    "types_of_detention",
    "sex",
    "violation_status",
    "reliability",
    "types_of_dates",
    "methods_of_violence",
    "status_as_victim",
    "types_of_chain_of_events",
    "types_of_source_material",
    "types_of_relationships",
    "whereabouts",
    "civil_status",
    "education",
    "religions",
    "types_of_responses",
    "attribution",
    "types_of_courts",
    "intent",
    "monitoring_status",
    "impact_on_the_situation",
    "intervention_status",
    "priority",
]

# Branches of types_of_acts that North Korea documentation needs, by their ESF/local ids.
NK_BRANCHES = {
    "execution and other killing": "01010000000004",
    "arbitrary detention": "03010000000004",
    "torture and sexual violence": "02010000000004",
    "enforced disappearance": "03010300000004",
    "abduction": "03010400000004",
    "forced repatriation": "38000000000004",
    "forced labour": "30010201000004",
    "religious persecution": "11000000000004",
    "denial of food (in detention)": "36010200000004",
    "denial of food (right to food)": "52010000000004",
    "death from denial of food": "01019000000004",
    "conditions of detained persons": "36010000000004",
    "reproductive violations": "08010000000004",
    "movement and residence": "05010000000004",
}


@pytest.mark.parametrize("name", FULLY_TRANSLATED)
def test_intake_lists_have_korean_for_every_term(vocabs: dict[str, Vocabulary], name: str) -> None:
    missing = [t.id for t in vocabs[name] if not t.labels.get("ko")]
    assert missing == []


@pytest.mark.parametrize("branch", sorted(NK_BRANCHES))
def test_nk_branches_are_translated_with_their_ancestors(acts: Vocabulary, branch: str) -> None:
    root = NK_BRANCHES[branch]
    chain = acts.descendants(root) + acts.ancestors(root)
    assert [t.id for t in chain if not t.labels.get("ko")] == []


def test_korean_label_file_names_existing_terms_with_matching_english() -> None:
    esf = {r["term_id"]: r for r in _rows("micro_thesauri.csv")}
    rows = _rows("vocab", "ko_labels.csv")
    assert len({r["term_id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["term_id"] in esf, row
        assert row["en"] == esf[row["term_id"]]["english"], row["term_id"]
        assert row["ko"].strip() and row["ko"] == row["ko"].strip()
        assert any("\uac00" <= c <= "\ud7a3" for c in row["ko"]), row


def test_local_terms(vocabs: dict[str, Vocabulary]) -> None:
    locations = vocabs["types_of_locations"]
    detention = locations.descendants("L17-DETENTION")
    by_ko = {t.labels["ko"]: t for t in detention}
    for ko in ("관리소", "교화소", "집결소", "노동단련대", "보위부 구류장", "구류장", "중국 변방"):
        assert any(ko in label for label in by_ko), ko
    assert all(t.local and t.id.startswith("L17-") for t in detention)
    assert detention[0].parent_id == "09000000000017"
    assert detention[1].level == detention[0].level + 1
    perpetrators = vocabs["types_of_perpetrators"]
    assert perpetrators["L24-MSS"].labels["ko"].startswith("국가보위성")
    assert "L24-MSS" in perpetrators.descendant_ids("01010600000024")
    assert "L24-MPS" in perpetrators.descendant_ids("01010400000024")
    assert perpetrators.find("Korean Workers' Party organs")[0].id == "L24-KWP"
    assert perpetrators.find("조선노동당")[0].id == "L24-KWP"
    # local terms come after their ESF siblings
    government = perpetrators.children("01000000000024")
    assert [t.local for t in government] == [False, False, False, True]
    assert [t.id for t in perpetrators.children("01010400000024")] == [
        "L24-MPS",
        "L24-CN-PUBLIC-SECURITY",
    ]


def test_nk_local_methods_and_statuses(vocabs: dict[str, Vocabulary]) -> None:
    methods = vocabs["methods_of_violence"]
    assert "L5-PIGEON-TORTURE" in methods.descendant_ids("03000000000005")
    assert methods.find("비둘기 고문")[0].id == "L5-PIGEON-TORTURE"
    status = vocabs["status_as_victim"]
    assert status.label("L25-FORCIBLY-REPATRIATED", "ko") == "강제북송됨"


def test_local_religions_are_roots(vocabs: dict[str, Vocabulary]) -> None:
    religions = vocabs["religions"]
    roots = religions.roots()
    assert [t.id for t in roots if t.local] == ["L12-CHEONDOISM", "L12-SHAMANISM"]
    assert all(not t.local for t in roots[:-2])
    assert religions.find("천도교")[0].id == "L12-CHEONDOISM"


def test_term_lists_summarise_every_vocabulary(vocabs: dict[str, Vocabulary]) -> None:
    lists = term_lists()
    assert [entry.name for entry in lists] == list(vocabs)
    assert [entry.number for entry in lists] == sorted(entry.number for entry in lists)
    acts = next(entry for entry in lists if entry.name == "types_of_acts")
    assert acts.terms == len(vocabs["types_of_acts"])
    assert acts.local_terms == sum(1 for t in vocabs["types_of_acts"] if t.local)
    assert sum(entry.korean_labels for entry in lists) >= 1180


def test_loader_is_cached_and_terms_are_hashable() -> None:
    assert load_vocabularies() is load_vocabularies()
    term = get_term(TORTURE)
    assert isinstance(term, Term)
    assert {term: 1}[get_term(TORTURE)] == 1


def test_vocabulary_rejects_broken_trees() -> None:
    orphan = Term("X1", 99, "test", "MISSING", 1, 1, {"en": "x"})
    with pytest.raises(ValueError, match="unknown parent 'MISSING'"):
        Vocabulary(99, "test", [orphan])
    root = Term("R", 99, "test", None, 0, 1, {"en": "r"})
    with pytest.raises(ValueError, match="duplicate term id 'R'"):
        Vocabulary(99, "test", [root, root])


def test_public_names_exist() -> None:
    import kirok.domain.vocabulary as module

    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
