"""Deterministic synthetic demo data: a known population, several NGOs' overlapping lists.

``generate(seed=7)`` simulates people held in the DPRK penal system 1995–2024, lets three or
four synthetic NGOs document some of them with unequal, dependent capture probabilities, and
writes each NGO's records as that NGO would (names in Hangul or one of several romanizations,
approximate dates, typos, aliases). Because the generator knows the truth — which record is
which person, and how many people there really are — the data serves as a test bed for record
linkage (``truth.csv``) and for multiple systems estimation (``truth.json``,
``capture_histories.csv``).

Nothing here is a real person or a real organisation. Run as a module to write the files::

    python -m kirok.demo.synthetic OUT_DIR --seed 7 [--population 3000] [--no-records]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kirok.demo import vocab
from kirok.demo.capture import DEFAULT_NGOS, NgoSpec, capture_probabilities, draw_captures
from kirok.demo.esf import RecordSet, build_records, unit_persons
from kirok.demo.liberties import Context, TrueAct, add_liberty_records, simulate_acts
from kirok.demo.places import place_records
from kirok.demo.population import (
    FIRST_YEAR,
    HETEROGENEITY,
    LAST_YEAR,
    TruePerson,
    simulate_population,
)
from kirok.demo.render import degrade, pick_style, render_birth, render_name, render_place
from kirok.domain.records import Confidentiality, NameForm, Person, Place
from kirok.linkage.prepare import CONTRACT_COLUMNS

PERSON_COLUMNS = CONTRACT_COLUMNS  # the `kirok link dedupe` file contract (DESIGN.md)
GENERATOR_VERSION = 1


@dataclass(frozen=True)
class PersonRow:
    """One row of an NGO's list in the linkage file contract (DESIGN.md)."""

    record_id: str
    full_name: str
    family_name: str
    given_name: str
    aliases: str
    birth_date: str
    sex: str
    birth_place: str
    source: str
    person_id: str  # the truth; never written to the persons files
    ngo: str
    style: str

    def contract(self) -> dict[str, str]:
        return {column: getattr(self, column) for column in PERSON_COLUMNS}


@dataclass
class SyntheticDataset:
    """Everything one run of the generator produced, truth included."""

    seed: int
    ngos: tuple[NgoSpec, ...]
    population: list[TruePerson]
    captures: np.ndarray  # people × NGOs, 0/1
    rows: list[PersonRow]
    records: RecordSet
    places: list[Place] = field(default_factory=list)
    heterogeneity: float = HETEROGENEITY
    #: person_id -> the civil-liberties and trafficking acts the person really suffered
    #: (``kirok.demo.liberties``); empty without records or with ``civil_acts=False``.
    true_acts: dict[str, tuple[TrueAct, ...]] = field(default_factory=dict)

    @property
    def true_size(self) -> int:
        return len(self.population)

    def rows_for(self, slug: str) -> list[PersonRow]:
        return [row for row in self.rows if row.ngo == slug]

    def truth(self) -> dict[str, str]:
        """record_id -> person_id."""
        return {row.record_id: row.person_id for row in self.rows}

    def capture_histories(self, stratum: str | None = None) -> list[dict[str, Any]]:
        """Aggregated capture histories of the documented people: one 0/1 key per NGO and
        ``count``; with ``stratum`` (``facility_type``, ``arrest_period``, ``camp``) also the
        stratum value. Computed from the truth, i.e. as perfect linkage would give them."""
        counts: Counter[tuple[str, tuple[int, ...]]] = Counter()
        for person, row in zip(self.population, self.captures, strict=True):
            if row.any():
                counts[(_stratum(person, stratum), tuple(int(x) for x in row))] += 1
        out: list[dict[str, Any]] = []
        for (value, pattern), count in sorted(counts.items()):
            entry: dict[str, Any] = {}
            if stratum:
                entry[stratum] = value
            entry |= {ngo.slug: bit for ngo, bit in zip(self.ngos, pattern, strict=True)}
            entry["count"] = count
            out.append(entry)
        return out

    def summary(self) -> dict[str, Any]:
        """The truth a benchmark checks estimates against, and the settings that made it."""
        observed = [bool(row.any()) for row in self.captures]
        strata: dict[str, dict[str, dict[str, int]]] = {}
        for name in ("facility_type", "arrest_period", "camp", "sex", "fate"):
            true = Counter(_stratum(p, name) for p in self.population)
            seen = Counter(
                _stratum(p, name) for p, o in zip(self.population, observed, strict=True) if o
            )
            strata[name] = {key: {"true": true[key], "observed": seen[key]} for key in sorted(true)}
        return {
            "synthetic": True,
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "heterogeneity": self.heterogeneity,
            "years": [FIRST_YEAR, LAST_YEAR],
            "population": self.true_size,
            "observed": sum(observed),
            "records": len(self.rows),
            "lists": {
                ngo.slug: {
                    "label": ngo.label,
                    "people": int(self.captures[:, j].sum()),
                    "records": len(self.rows_for(ngo.slug)),
                    "settings": asdict(ngo),
                }
                for j, ngo in enumerate(self.ngos)
            },
            "strata": strata,
        }


def _stratum(person: TruePerson, name: str | None) -> str:
    if name is None:
        return ""
    if name == "camp":
        return person.camp.place_id
    return str(getattr(person, name))


def generate(
    seed: int = 7,
    population: int = 3000,
    ngos: Sequence[NgoSpec] | None = None,
    *,
    with_records: bool = True,
    heterogeneity: float = HETEROGENEITY,
    civil_acts: bool = True,
) -> SyntheticDataset:
    """Simulate the population and each NGO's records. Same arguments, same dataset.

    ``with_records=False`` skips the ESF records (events, acts, testimony …) and keeps only the
    person lists and the truth: enough for linkage and estimation benchmarks at scale.
    ``heterogeneity`` scales how unequal people's chances of being documented are (see
    ``population.simulate_population``); larger values make estimation harder.
    ``civil_acts`` adds the civil-liberties and trafficking acts (``kirok.demo.liberties``):
    drawn from random streams of their own and appended after every other record, so
    switching them off leaves every other record, list and truth file exactly as it is.
    """
    specs = tuple(ngos) if ngos is not None else DEFAULT_NGOS
    if not specs:
        raise ValueError("at least one NGO is needed")
    if len({ngo.slug for ngo in specs}) != len(specs):
        raise ValueError("NGO slugs must be unique")
    if population < 1:
        raise ValueError("population must be positive")
    root = np.random.SeedSequence(seed)
    pop_seed, cap_seed, *ngo_seeds = root.spawn(2 + len(specs))
    people = simulate_population(np.random.default_rng(pop_seed), population, heterogeneity)
    captures = draw_captures(np.random.default_rng(cap_seed), people, specs)
    records = RecordSet()
    if with_records:
        records.persons.extend(unit_persons())
    rows: list[PersonRow] = []
    contexts: list[Context] = []
    for j, (ngo, ngo_seed) in enumerate(zip(specs, ngo_seeds, strict=True)):
        rng = np.random.default_rng(ngo_seed)
        documented = [people[i] for i in np.flatnonzero(captures[:, j])]
        entries = [(p, 0) for p in documented]
        entries += [(p, 1) for p in documented if rng.random() < ngo.duplicate_rate]
        order = rng.permutation(len(entries))
        for k, index in enumerate(order):
            person, _ = entries[int(index)]
            row, form = _document(rng, person, ngo, f"{ngo.slug}-{k + 1:05d}")
            rows.append(row)
            if with_records:
                victim = _victim(row, form, person, seed)
                records.persons.append(victim)
                name = row.full_name or row.given_name
                written = build_records(rng, records, person, ngo, victim, name)
                contexts.append(Context(j, person, victim, name, written))
    true_acts: dict[str, tuple[TrueAct, ...]] = {}
    if with_records and civil_acts:
        true_acts = simulate_acts(seed, people)
        add_liberty_records(seed, records, specs, contexts, true_acts)
    return SyntheticDataset(
        seed=seed,
        ngos=specs,
        population=people,
        captures=captures,
        rows=rows,
        records=records,
        places=place_records() if with_records else [],
        heterogeneity=heterogeneity,
        true_acts=true_acts,
    )


def _document(
    rng: np.random.Generator, person: TruePerson, ngo: NgoSpec, record_id: str
) -> tuple[PersonRow, NameForm]:
    style = pick_style(rng, ngo)
    name = degrade(rng, render_name(rng, person, style), ngo)
    aliases: list[str] = []
    if person.alias_given and rng.random() < 0.6:
        aliases.append(render_name(rng, person, style, person.alias_given).full)
    birth = render_birth(rng, person, ngo)
    sex = "" if rng.random() < 0.04 else person.sex
    place = render_place(rng, person.county, style)
    # Some lists keep only the full name; others only the parts.
    keep_parts = rng.random() < 0.8
    row = PersonRow(
        record_id=record_id,
        full_name=name.full,
        family_name=name.family if keep_parts else "",
        given_name=name.given if keep_parts else "",
        aliases=";".join(aliases),
        birth_date=birth,
        sex=sex,
        birth_place=place,
        source=ngo.label,
        person_id=person.person_id,
        ngo=ngo.slug,
        style=style,
    )
    return row, name.form


def _victim(row: PersonRow, form: NameForm, person: TruePerson, seed: int) -> Person:
    """The person record behind a list row, as the NGO would keep it."""
    return Person(
        id=f"demo-person-{row.record_id}",
        name_forms=[form],
        aliases=row.aliases.split(";") if row.aliases else [],
        sex={"M": vocab.SEX_MALE, "F": vocab.SEX_FEMALE}.get(row.sex),
        birth_date=row.birth_date or None,
        origin_place_id=person.county.place_id if row.birth_place else None,
        source=row.source,
        external_id=row.record_id,
        confidentiality=Confidentiality.CONFIDENTIAL,
        notes=f"Synthetic record (kirok demo generator, seed {seed}); hometown as written: "
        f"{row.birth_place or 'not recorded'}.",
    )


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_jsonl(path: Path, records: Iterable[Any]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(record.model_dump_json(exclude_none=True) + "\n")


def write_dataset(dataset: SyntheticDataset, out_dir: str | Path) -> list[Path]:
    """Write the lists, the truth and the ESF records under ``out_dir``; return the paths.

    Files: ``persons_<ngo>.csv`` and ``persons_all.csv`` (linkage contract), ``truth.csv``
    (record_id → person_id), ``truth.json`` (true size overall and per stratum, settings),
    ``capture_histories.csv`` (estimation contract), ``records/<kind>.jsonl``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def path(name: str) -> Path:
        written.append(out / name)
        return out / name

    for ngo in dataset.ngos:
        _write_csv(
            path(f"persons_{ngo.slug}.csv"),
            PERSON_COLUMNS,
            (row.contract() for row in dataset.rows_for(ngo.slug)),
        )
    _write_csv(path("persons_all.csv"), PERSON_COLUMNS, (row.contract() for row in dataset.rows))
    _write_csv(
        path("truth.csv"),
        ("record_id", "person_id", "source", "style"),
        (
            {
                "record_id": r.record_id,
                "person_id": r.person_id,
                "source": r.source,
                "style": r.style,
            }
            for r in dataset.rows
        ),
    )
    histories = dataset.capture_histories()
    _write_csv(path("capture_histories.csv"), [n.slug for n in dataset.ngos] + ["count"], histories)
    with path("truth.json").open("w", encoding="utf-8", newline="\n") as handle:
        json.dump(dataset.summary(), handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")
    if dataset.places or dataset.records.persons:
        (out / "records").mkdir(exist_ok=True)
        _write_jsonl(path("records/place.jsonl"), dataset.places)
        for kind, items in (
            ("person", dataset.records.persons),
            ("event", dataset.records.events),
            ("act", dataset.records.acts),
            ("involvement", dataset.records.involvements),
            ("information", dataset.records.information),
            ("consent", dataset.records.consents),
            ("intervention", dataset.records.interventions),
            ("refugee_case", dataset.records.refugee_cases),
        ):
            _write_jsonl(path(f"records/{kind}.jsonl"), items)
    if dataset.true_acts:
        _write_csv(
            path("truth_acts.csv"),
            ("person_id", "act", "term", "start", "end"),
            (
                {
                    "person_id": act.person_id,
                    "act": act.label,
                    "term": act.term,
                    "start": act.start,
                    "end": act.end or "",
                }
                for acts in dataset.true_acts.values()
                for act in acts
            ),
        )
    return written


def capture_probability_matrix(dataset: SyntheticDataset) -> np.ndarray:
    """The true capture probabilities (people × NGOs) behind ``dataset.captures``."""
    return capture_probabilities(dataset.population, dataset.ngos)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kirok.demo.synthetic", description=__doc__.splitlines()[0]
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--population", type=int, default=3000)
    parser.add_argument("--no-records", action="store_true", help="person lists and truth only")
    args = parser.parse_args(argv)
    dataset = generate(args.seed, args.population, with_records=not args.no_records)
    paths = write_dataset(dataset, args.out_dir)
    summary = dataset.summary()
    sys.stderr.write(
        f"{summary['population']} people, {summary['observed']} documented, "
        f"{summary['records']} records; {len(paths)} files in {args.out_dir}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
