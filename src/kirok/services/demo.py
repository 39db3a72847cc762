"""The demo: a fresh database with the vocabularies, the gazetteer and the public facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kirok.services import catalogue, public_facts
from kirok.services.context import Settings, initialise

Progress = Callable[[str], None]


@dataclass
class DemoSummary:
    db_url: str
    counts: dict[str, int] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


def run_demo(settings: Settings, actor: str, progress: Progress = lambda _: None) -> DemoSummary:
    summary = DemoSummary(db_url=settings.db_url)
    with initialise(settings) as store:
        progress("gazetteer")
        places = catalogue.load_gazetteer(store, actor)
        summary.steps.append(f"gazetteer: {places} places")
        progress("public facts")
        facts = public_facts.load_public_facts(store, actor)
        summary.steps.append(
            "public facts: " + ", ".join(f"{n} {kind}" for kind, n in sorted(facts.items()))
        )
        with store.read() as uow:
            summary.counts = uow.counts_by_kind()
    return summary
