"""The demo: the gazetteer, the public facts and a synthetic documentation data set.

The synthetic part (``kirok.demo.synthetic``) is clearly labelled: its NGOs and people are
invented; its truth files (which record is which person, how many people there were) are
written beside the database for tests and benchmarks, never loaded into it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kirok.demo import DEMO_POPULATION, DEMO_SEED
from kirok.demo.population import LAST_YEAR
from kirok.demo.synthetic import SyntheticDataset, generate, write_dataset
from kirok.domain.records import Record
from kirok.reports.model import Audience
from kirok.reports.render import Format, write_report
from kirok.services import catalogue, estimates, linkage, public_facts, users
from kirok.services.context import Settings, initialise, open_keyring, open_store
from kirok.services.report import build_report
from kirok.store.repository import RecordStore

Progress = Callable[[str], None]


@dataclass
class DemoSummary:
    db_url: str
    truth_dir: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


def synthetic_records(dataset: SyntheticDataset) -> list[Record]:
    """Every synthetic record, in an order where references point backwards."""
    r = dataset.records
    return [
        *dataset.places,
        *r.persons,
        *r.events,
        *r.acts,
        *r.involvements,
        *r.information,
        *r.consents,
        *r.interventions,
        *r.refugee_cases,
    ]


def load_records(
    store: RecordStore,
    records: list[Record],
    actor: str,
    batch: int = 2000,
    progress: Callable[[int], None] = lambda _: None,
) -> int:
    """Insert records not yet stored, in one transaction (all or nothing)."""
    done = 0
    with store.write(actor) as uow:
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            stored = uow.existing_ids([r.id for r in chunk])
            chunk = [r for r in chunk if r.id not in stored]
            uow.add_many(chunk)
            done += len(chunk)
            progress(done)
    return done


def run_demo(
    settings: Settings,
    actor: str,
    progress: Progress = lambda _: None,
    *,
    population: int = DEMO_POPULATION,
    seed: int = DEMO_SEED,
    truth_dir: Path | None = None,
    analyse: bool = False,
    report_dir: Path | None = None,
    report_formats: Sequence[Format] = ("html",),
) -> DemoSummary:
    """Load the demo data; with ``analyse``, also link, estimate and (with ``report_dir``)
    write the internal and public country reports for the last year of the data."""
    summary = DemoSummary(db_url=settings.db_url, truth_dir=truth_dir)
    with initialise(settings) as store:
        progress("gazetteer")
        places = catalogue.load_gazetteer(store, actor)
        summary.steps.append(f"gazetteer: {places} places")
        progress("public facts")
        facts = public_facts.load_public_facts(store, actor)
        summary.steps.append(
            "public facts: " + ", ".join(f"{n} {kind}" for kind, n in sorted(facts.items()))
        )
        progress("synthetic data")
        dataset = generate(seed=seed, population=population)
        if truth_dir is not None:
            write_dataset(dataset, truth_dir)
        records = synthetic_records(dataset)
        loaded = load_records(store, records, actor, progress=lambda n: progress(f"records {n}"))
        summary.steps.append(
            f"synthetic data (seed {seed}): {dataset.true_size} simulated people, "
            f"{len(dataset.rows)} list entries by {len(dataset.ngos)} NGOs, {loaded} new records"
        )
        if analyse:
            _analyse(store, settings, actor, summary, progress, dataset, report_dir, report_formats)
        with store.read() as uow:
            summary.counts = uow.counts_by_kind()
    return summary


def _analyse(
    store: RecordStore,
    settings: Settings,
    actor: str,
    summary: DemoSummary,
    progress: Progress,
    dataset: SyntheticDataset,
    report_dir: Path | None,
    report_formats: Sequence[Format],
) -> None:
    progress("linking")
    run = linkage.run_linkage(store, actor, progress=lambda step: progress(f"linking: {step}"))
    clusters = len(set(run.clusters.values()))
    summary.steps.append(
        f"linkage: {run.n_records} person records → {clusters} clusters, "
        f"{len(run.review)} pairs for review"
    )
    progress("estimating")
    (estimate,) = estimates.estimate_db(store, actor)
    summary.steps.append(
        f"estimate ({estimate.method} {estimate.model}): {estimate.estimate:,.0f} people "
        f"(95% {estimate.ci_lower:,.0f}–{estimate.ci_upper:,.0f}) from {estimate.n_observed} "
        f"documented; the simulation's true total is {dataset.true_size} "
        f"({int(dataset.captures.any(axis=1).sum())} of them documented)"
    )
    if report_dir is None:
        return
    progress("writing the reports")
    keyring = open_keyring(settings)
    year = LAST_YEAR
    for audience in (Audience.INTERNAL, Audience.PUBLIC):
        data = build_report(
            store,
            country="KP",
            year=year,
            audience=audience,
            pseudonyms=keyring,
            generated_on=date.today(),
        )
        for fmt in report_formats:
            path = write_report(data, fmt, report_dir / audience.value)
            summary.steps.append(f"report ({audience.value}, {fmt}): {path}")


DEMO_USER = "demo-admin"


def demo_login(settings: Settings, actor: str, password: str) -> str:
    """An administrator account for the served demo, with the given (fresh) password."""
    with open_store(settings) as store:
        if users.find_user(store, DEMO_USER) is None:
            users.add_user(store, DEMO_USER, "admin", password, actor=actor)
        else:
            users.set_password(store, DEMO_USER, password, actor=actor)
    return DEMO_USER
