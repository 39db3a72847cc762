"""The demo: the gazetteer, the public facts and a synthetic documentation data set.

The synthetic part (``kirok.demo.synthetic``) is clearly labelled: its NGOs and people are
invented; its truth files (which record is which person, how many people there were) are
written beside the database for tests and benchmarks, never loaded into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kirok.demo.synthetic import SyntheticDataset, generate, write_dataset
from kirok.domain.records import Record
from kirok.services import catalogue, public_facts
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore

Progress = Callable[[str], None]


DEMO_SEED = 7
DEMO_POPULATION = 3000


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
) -> DemoSummary:
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
            f"{len(dataset.rows)} list entries by {len(dataset.ngos)} NGOs, {loaded} records"
        )
        with store.read() as uow:
            summary.counts = uow.counts_by_kind()
    return summary
