"""Record linkage over the stored persons, with reviewers' decisions honoured on every run.

A run reads every individual (not groups), decrypts their names, links them with
``kirok.linkage`` and stores the outcome as a ``LinkageRun`` record: a cluster id for every
person and the pairs left for review. Nothing is merged or changed: clusters are a view, and a
newer run replaces the view, not the records. Reviewers' decisions are ``LinkDecision``
records, so they are versioned and audited like everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.errors import KirokError
from kirok.domain.records import Act, LinkageRun, LinkDecision, Person, ReviewPair
from kirok.domain.vocabulary import get_term
from kirok.linkage.decisions import Decision, Pair, pair_key
from kirok.linkage.defaults import DEFAULT_REVIEW_FLOOR
from kirok.linkage.pipeline import link_records
from kirok.linkage.prepare import CONTRACT_COLUMNS
from kirok.store.repository import RecordStore

Progress = Callable[[str], None]
REVIEW_SOURCE = "kirok-review"


class NoLinkageRun(KirokError):
    def __init__(self) -> None:
        super().__init__("no linkage run yet: run `kirok link run` first")


def _birth(text: str | None) -> str:
    """The contract's YYYY / YYYY-MM / YYYY-MM-DD, or empty for ranges and uncertain dates."""
    if not text:
        return ""
    try:
        parsed = parse_date(text)
    except DateParseError:
        return ""
    if parsed.earliest.year != parsed.latest.year:
        return ""
    return parsed.text.rstrip("~?%") if parsed.text[:4].isdigit() else ""


def _sex(term_id: str | None) -> str:
    if not term_id:
        return ""
    try:
        return get_term(term_id).label("en")
    except LookupError:
        return term_id


# A name with digits in it is a code ("Witness ngo_a-00001", "W-0012"); these words mark a
# name put in the record instead of the real one.
_NOT_A_NAME = re.compile(r"\d|pseudonym|anonymous|withheld|가명|익명", re.IGNORECASE)


def has_name(person: Person) -> bool:
    """Whether any of the person's names is a real name, not a pseudonym or a code.

    A person known only by a pseudonym (a witness whose name is withheld to protect the family)
    must not be linked on it: pseudonyms say nothing about who two records are, and taken for
    names they join people who share nothing.
    """
    texts = [form.text for form in person.name_forms] + list(person.aliases)
    return any(text.strip() and not _NOT_A_NAME.search(text) for text in texts)


def persons_frame(persons: Iterable[Person]) -> pd.DataFrame:
    """Individuals with a real name in the ``kirok link dedupe`` file contract (DESIGN.md)."""
    rows = []
    for person in persons:
        if person.counting_unit is not None or not has_name(person):
            continue
        first = person.name_forms[0]
        others = [form.text for form in person.name_forms[1:]] + list(person.aliases)
        rows.append(
            {
                "record_id": person.id,
                "full_name": first.text,
                "family_name": first.family or "",
                "given_name": first.given or "",
                "aliases": ";".join(others),
                "birth_date": _birth(person.birth_date),
                "sex": _sex(person.sex),
                "birth_place": person.birth_place_id or person.origin_place_id or "",
                "source": person.source or "",
            }
        )
    return pd.DataFrame(rows, columns=list(CONTRACT_COLUMNS))


def stored_decisions(store: RecordStore) -> dict[Pair, Decision]:
    with store.read() as uow:
        return {
            pair_key(d.record_a, d.record_b): Decision(d.decision)
            for d in uow.iter_kind("link_decision")
            if isinstance(d, LinkDecision)
        }


def run_linkage(
    store: RecordStore,
    actor: str,
    *,
    engine: str = "duckdb",
    threshold: float | None = None,
    review_floor: float = DEFAULT_REVIEW_FLOOR,
    progress: Progress = lambda _: None,
) -> LinkageRun:
    """Link every stored individual and store the clusters and the review queue.

    Without a ``threshold``, the linkage path's own default (see ``link_records``); the run
    stores the one used.
    """
    progress("reading persons")
    with store.read() as uow:
        persons = [p for p in uow.iter_kind("person") if isinstance(p, Person)]
    frame = persons_frame(persons)
    # individuals known only by a pseudonym keep a cluster of their own (or a person's "same")
    unnamed = [p.id for p in persons if p.counting_unit is None and not has_name(p)]
    decisions = stored_decisions(store)
    result = link_records(
        frame,
        decisions,
        engine=engine,
        threshold=threshold,
        review_floor=review_floor,
        unscored=unnamed,
        progress=progress,
    )
    run = LinkageRun(
        engine=engine,
        threshold=result.threshold,
        review_floor=review_floor,
        trained=result.trained,
        n_records=result.n_records,
        clusters=result.clusters,
        review=[
            ReviewPair(
                record_a=pair.id_l,
                record_b=pair.id_r,
                probability=pair.match_probability,
                weight=pair.match_weight,
                weights=dict(pair.weights),
                levels=dict(pair.levels),
            )
            for pair in result.review
        ],
        decisions_applied=len(decisions),
        timings=result.timings,
    )
    with store.write(actor) as uow:
        return uow.add(run)


def latest_run(store: RecordStore) -> LinkageRun:
    with store.read() as uow:
        runs = [r for r in uow.iter_kind("linkage_run") if isinstance(r, LinkageRun)]
    if not runs:
        raise NoLinkageRun()
    return max(runs, key=lambda r: (r.created_at is not None, r.created_at))


@dataclass(frozen=True)
class ReviewItem:
    pair: ReviewPair
    left: Person
    right: Person


def review_queue(store: RecordStore, limit: int = 50) -> list[ReviewItem]:
    """Undecided pairs of the latest run, most probable first, with both records."""
    run = latest_run(store)
    decided = stored_decisions(store)
    items = []
    with store.read() as uow:
        for pair in run.review:
            if pair_key(pair.record_a, pair.record_b) in decided:
                continue
            if not (uow.exists(pair.record_a) and uow.exists(pair.record_b)):
                continue  # deleted since the run: nothing left to decide
            left, right = uow.get(pair.record_a), uow.get(pair.record_b)
            if isinstance(left, Person) and isinstance(right, Person):
                items.append(ReviewItem(pair, left, right))
            if len(items) >= limit:
                break
    return items


def decide(
    store: RecordStore, actor: str, record_a: str, record_b: str, decision: str, note: str | None
) -> LinkDecision:
    """Record (or change) the decision on a pair; it is honoured by every later run."""
    a, b = pair_key(record_a, record_b)
    Decision(decision)  # refuses anything but same / different / unsure
    with store.write(actor) as uow:
        stored, _ = uow.upsert(
            LinkDecision(
                record_a=a,
                record_b=b,
                decision=decision,
                note=note,
                source=REVIEW_SOURCE,
                external_id=f"{a}|{b}",
            )
        )
    return stored


def cluster_sources(store: RecordStore, run: LinkageRun) -> list[tuple[str, str]]:
    """(cluster id, source) for every linked victim: the input of multiple systems estimation.

    Only persons who are the victim of at least one act count; witnesses and perpetrators do
    not belong in a count of victims.
    """
    with store.read() as uow:
        victims = {a.victim_id for a in uow.iter_kind("act") if isinstance(a, Act)}
        persons = [p for p in uow.iter_kind("person") if isinstance(p, Person)]
    return [
        (run.clusters[p.id], p.source)
        for p in persons
        if p.id in victims and p.id in run.clusters and p.source
    ]
