"""The `kirok link` commands: deduplicate a CSV of person records."""

from __future__ import annotations

import csv
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kirok.linkage.defaults import (
    DEFAULT_REVIEW_FLOOR,
    DEFAULT_THRESHOLD,
    EXPECTED_PRECISION,
    SCALE_INPUT,
    SCALE_LOWER_THRESHOLDS,
    SCALE_THRESHOLD,
)

link_app = typer.Typer(help="Record linkage: find the records that describe the same person.")
err = Console(stderr=True)


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def _read_decisions(path: Path) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"record_id_l", "record_id_r", "decision"}
        if not needed <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: needs columns {sorted(needed)}")
        out: dict[tuple[str, str], str] = {}
        for row in reader:
            decision = row["decision"].strip().lower()
            if decision not in ("same", "different", "unsure"):
                raise ValueError(f"{path}: unknown decision {row['decision']!r}")
            out[(row["record_id_l"].strip(), row["record_id_r"].strip())] = decision
    return out


def _write_pairs(path: Path, result: Any, threshold: float) -> None:
    review = {p.key for p in result.review}
    names: list[str] = []
    for p in result.pairs:
        names = list(p.weights)
        break
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["record_id_l", "record_id_r", "match_probability", "match_weight", "status"]
            + [f"mw_{n}" for n in names]
            + [f"level_{n}" for n in names]
        )
        for p in sorted(result.pairs, key=lambda q: -q.match_probability):
            status = (
                "review"
                if p.key in review
                else ("linked" if p.match_probability >= threshold else "below")
            )
            writer.writerow(
                [p.id_l, p.id_r, f"{p.match_probability:.6f}", f"{p.match_weight:.3f}", status]
                + [f"{p.weights.get(n, 0.0):.3f}" for n in names]
                + [p.levels.get(n, "") for n in names]
            )


THRESHOLD_HELP = (
    f"Match probability at which records are linked. Default: {DEFAULT_THRESHOLD:.2f}, or "
    f"{SCALE_THRESHOLD:.2f} for an input of {SCALE_INPUT:,} records or more (any engine); each "
    "was calibrated on benchmarks of its size. A large input gets a lower one "
    f"({min(SCALE_LOWER_THRESHOLDS):.2f}-{max(SCALE_LOWER_THRESHOLDS):.2f}) when the model "
    f"expects {EXPECTED_PRECISION:.0%} or more of the pairs at or above it to be one person."
)


def whose_threshold(given: float | None, used: float, records: int) -> str:
    """Where the threshold a run of ``records`` records used came from."""
    if given is not None:
        return "(given)"
    if records < SCALE_INPUT:
        return "(the default)"
    if used == SCALE_THRESHOLD:
        return "(the default for an input this large)"
    return (
        f"(chosen for this input: the model expects {EXPECTED_PRECISION:.0%} or more of the "
        "pairs at or above it to be one person)"
    )


def dedupe(
    source: Annotated[
        Path,
        typer.Argument(
            help="CSV with record_id and any of full_name, family_name, given_name, aliases "
            "(;-separated), birth_date, sex, birth_place, source.",
            exists=True,
            dir_okay=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Write record_id,cluster_id here.")],
    engine: Annotated[EngineName, typer.Option(help="duckdb (embedded) or spark.")] = (
        EngineName.duckdb
    ),
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.5,
            max=1.0,
            help=THRESHOLD_HELP,
            show_default=False,
        ),
    ] = None,
    review_floor: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="Pairs from here to the threshold: review.")
    ] = DEFAULT_REVIEW_FLOOR,
    model: Annotated[
        Path | None, typer.Option(help="Use this trained model JSON instead of training.")
    ] = None,
    save_model: Annotated[Path | None, typer.Option(help="Write the model JSON here.")] = None,
    decisions: Annotated[
        Path | None,
        typer.Option(help="CSV of people's decisions: record_id_l,record_id_r,decision."),
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(help="Write scored pairs (weights per comparison, status) here."),
    ] = None,
) -> None:
    """Find duplicate person records in a CSV and write a cluster id for every record.

    Links pairs whose match probability reaches --threshold; pairs between --review-floor and
    the threshold are counted as needing review (write them with --pairs). Decisions given with
    --decisions are honoured: "different" is never linked, "same" always is. The threshold used
    is printed at the end.
    """
    lowest = min(DEFAULT_THRESHOLD, SCALE_THRESHOLD) if threshold is None else threshold
    if review_floor > lowest:
        err.print(f"[red]error[/red]: --review-floor must not exceed --threshold ({lowest:.2f})")
        raise typer.Exit(2)
    import pandas as pd

    from kirok.linkage.pipeline import link_records

    try:
        records = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        decided = _read_decisions(decisions) if decisions else None
        loaded = json.loads(model.read_text(encoding="utf-8")) if model else None
    except (OSError, ValueError, json.JSONDecodeError) as error:
        err.print(f"[red]error[/red]: {error}")
        raise typer.Exit(2) from None
    if "record_id" not in records.columns:
        err.print("[red]error[/red]: the CSV needs a record_id column")
        raise typer.Exit(2)

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{len(records)} records", total=None)

        def step(text: str) -> None:
            progress.update(task, description=f"{len(records)} records: {text}")

        try:
            result = link_records(
                records,
                decided,
                engine=engine.value,
                threshold=threshold,
                review_floor=review_floor,
                model=loaded,
                progress=step,
            )
        except ValueError as error:
            err.print(f"[red]error[/red]: {error}")
            raise typer.Exit(2) from None
        step("done")

    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "cluster_id"])
        for rid in records["record_id"].map(lambda v: str(v).strip()):
            writer.writerow([rid, result.clusters[rid]])
    if save_model:
        save_model.write_text(json.dumps(result.model, indent=2, ensure_ascii=False) + "\n")
    if pairs:
        _write_pairs(pairs, result, result.threshold)
    n_clusters = len(set(result.clusters.values()))
    err.print(
        f"{len(records)} records → {n_clusters} clusters; "
        f"{result.clustering.merged_by_model} links by the model; "
        f"{len(result.review)} pairs need review"
        + ("" if result.trained or model else " (small input: fixed priors, no training)")
    )
    whose = whose_threshold(threshold, result.threshold, len(records))
    err.print(f"threshold {result.threshold:.2f} {whose}")
    for a, b in result.clustering.conflicts:
        err.print(f"[yellow]conflict[/yellow]: {a} and {b} decided different but joined by 'same'")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    link_app.command("dedupe")(dedupe)
    app.add_typer(link_app, name="link")
