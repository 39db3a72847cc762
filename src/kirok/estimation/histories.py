"""Capture histories: how many people were seen on exactly which combination of lists.

A capture history is a 0/1 vector with one entry per list (source). Multiple systems estimation
only ever needs the *table* of histories: for each of the 2^J − 1 observable patterns, the number
of people with that pattern. The all-zero pattern (people on no list) is what we estimate.

Two ways in:

* a CSV file (the contract of DESIGN.md): one 0/1 column per list and an optional ``count``
  column; without ``count`` every row is one person. Patterns that do not appear count zero.
* linked records, ``(cluster_id, source)`` or ``(cluster_id, source, stratum)`` tuples, as the
  record-linkage step produces them: one cluster is one person, seen by every source that holds
  one of its records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

COUNT_COLUMN = "count"
MAX_LISTS = 16


class HistoryError(ValueError):
    """The input cannot be read as capture histories; the message names the row and column."""


def all_patterns(n_lists: int) -> npt.NDArray[np.int8]:
    """Every observable pattern (not all zero) for ``n_lists`` lists, shape (2^J − 1, J).

    Row ``i`` is the binary expansion of ``i + 1`` with list 1 as the most significant bit, so
    the order is fixed and the same for every table with the same number of lists.
    """
    codes = np.arange(1, 2**n_lists, dtype=np.int64)
    shifts = np.arange(n_lists - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts[None, :]) & 1).astype(np.int8)


@dataclass(frozen=True)
class CaptureHistories:
    """Counts of the 2^J − 1 observable capture patterns over J named lists.

    ``counts[i]`` is the number of people with pattern ``all_patterns(J)[i]``.
    """

    lists: tuple[str, ...]
    counts: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        n_lists = len(self.lists)
        if n_lists < 2:
            raise HistoryError(f"at least two lists are needed, got {n_lists}: {list(self.lists)}")
        if n_lists > MAX_LISTS:
            raise HistoryError(f"at most {MAX_LISTS} lists are supported, got {n_lists}")
        if len(set(self.lists)) != n_lists:
            raise HistoryError(f"list names must be distinct: {list(self.lists)}")
        if self.counts.shape != (2**n_lists - 1,):
            raise HistoryError(
                f"expected {2**n_lists - 1} pattern counts for {n_lists} lists, "
                f"got shape {self.counts.shape}"
            )
        if (self.counts < 0).any():
            raise HistoryError("pattern counts must not be negative")

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        """The number of distinct people seen on at least one list."""
        return int(self.counts.sum())

    @property
    def patterns(self) -> npt.NDArray[np.int8]:
        return all_patterns(self.n_lists)

    def observed(self) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]]:
        """Only the patterns that occur, with their counts (what the LCMCR sampler works on)."""
        keep = self.counts > 0
        return self.patterns[keep], self.counts[keep]

    def list_totals(self) -> dict[str, int]:
        """People on each list."""
        totals = self.patterns.T.astype(np.int64) @ self.counts
        return {name: int(total) for name, total in zip(self.lists, totals, strict=True)}

    def sha256(self) -> str:
        """A hash of the table (list names and counts) so a result names exactly its data."""
        canonical = json.dumps(
            {"lists": list(self.lists), "counts": [int(c) for c in self.counts]},
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_dict(self) -> dict[str, object]:
        return {
            "lists": list(self.lists),
            "patterns": [
                {"history": "".join(str(int(v)) for v in row), "count": int(count)}
                for row, count in zip(self.patterns, self.counts, strict=True)
                if count > 0
            ],
            "n_observed": self.n_observed,
        }


def _pattern_index(bits: Sequence[int]) -> int:
    code = 0
    for bit in bits:
        code = (code << 1) | bit
    return code - 1


def histories_from_csv(source: str | Path | io.TextIOBase) -> CaptureHistories:
    """Read a capture-history CSV (DESIGN.md contract).

    Every column except ``count`` is a list and must hold 0 or 1. ``count``, when present, is a
    non-negative integer. A row that is 0 on every list describes people nobody saw, which is a
    contradiction, so it is rejected unless its count is 0. Errors name the line and column.
    """
    if isinstance(source, str | Path):
        with open(source, newline="", encoding="utf-8-sig") as handle:
            return _read_csv(handle, str(source))
    return _read_csv(source, "<stream>")


def _read_csv(handle: Iterable[str], label: str) -> CaptureHistories:
    reader = csv.reader(handle)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise HistoryError(f"{label}: the file is empty") from None
    if any(not name for name in header):
        raise HistoryError(f"{label}: line 1 has an empty column name")
    if len(set(header)) != len(header):
        raise HistoryError(f"{label}: line 1 repeats a column name: {header}")
    count_at = header.index(COUNT_COLUMN) if COUNT_COLUMN in header else None
    list_at = [i for i, name in enumerate(header) if i != count_at]
    lists = tuple(header[i] for i in list_at)
    if len(lists) < 2:
        raise HistoryError(f"{label}: at least two list columns are needed, got {list(lists)}")
    if len(lists) > MAX_LISTS:
        raise HistoryError(f"{label}: at most {MAX_LISTS} list columns are supported")
    counts = np.zeros(2 ** len(lists) - 1, dtype=np.int64)
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise HistoryError(
                f"{label}: line {line_no} has {len(row)} fields, the header has {len(header)}"
            )
        bits = []
        for i in list_at:
            cell = row[i].strip()
            if cell not in ("0", "1"):
                raise HistoryError(
                    f"{label}: line {line_no}, column {header[i]!r}: expected 0 or 1, got {cell!r}"
                )
            bits.append(int(cell))
        count = 1
        if count_at is not None:
            cell = row[count_at].strip()
            try:
                count = int(cell)
            except ValueError:
                raise HistoryError(
                    f"{label}: line {line_no}, column {COUNT_COLUMN!r}: "
                    f"expected a whole number, got {cell!r}"
                ) from None
            if count < 0:
                raise HistoryError(
                    f"{label}: line {line_no}, column {COUNT_COLUMN!r}: count is negative ({count})"
                )
        if not any(bits):
            if count == 0:
                continue
            raise HistoryError(
                f"{label}: line {line_no}: the history is 0 on every list; people nobody "
                "recorded cannot be in the data (that number is what is being estimated)"
            )
        counts[_pattern_index(bits)] += count
    if counts.sum() == 0:
        raise HistoryError(f"{label}: no one is recorded on any list")
    return CaptureHistories(lists=lists, counts=counts)


def histories_from_records(
    records: Iterable[tuple[str, str]], lists: Sequence[str] | None = None
) -> CaptureHistories:
    """Capture histories from linked records: one ``(cluster_id, source)`` pair per record.

    A cluster is one person; it is on every list (source) that holds at least one of its records,
    however many. ``lists`` fixes the lists and their order (list 1, 2, …); by default it is the
    sorted set of sources seen. A source outside a given ``lists`` is an error, not ignored.
    """
    seen: dict[str, set[str]] = {}
    for cluster_id, source in records:
        seen.setdefault(str(cluster_id), set()).add(str(source))
    return _table(seen, lists)


def histories_by_stratum(
    records: Iterable[tuple[str, str, str]], lists: Sequence[str] | None = None
) -> dict[str, CaptureHistories]:
    """Capture histories per stratum from ``(cluster_id, source, stratum)`` records.

    Every stratum uses the same lists (all sources seen anywhere, unless ``lists`` is given) so the
    tables line up. A cluster whose records disagree on the stratum is an error: silently putting
    one person in two strata would count them twice.
    """
    stratum_of: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for cluster_id, source, stratum in records:
        key = str(cluster_id)
        previous = stratum_of.setdefault(key, str(stratum))
        if previous != str(stratum):
            raise HistoryError(
                f"cluster {key!r} has records in two strata ({previous!r} and {stratum!r})"
            )
        seen.setdefault(key, set()).add(str(source))
    order = tuple(lists) if lists is not None else tuple(sorted(set().union(*seen.values())))
    result: dict[str, CaptureHistories] = {}
    for stratum in sorted(set(stratum_of.values())):
        members = {k: v for k, v in seen.items() if stratum_of[k] == stratum}
        result[stratum] = _table(members, order)
    return result


def combine_strata(tables: dict[str, CaptureHistories]) -> CaptureHistories:
    """The combined table of several strata (same lists in the same order), e.g. all years."""
    if not tables:
        raise HistoryError("no strata to combine")
    first = next(iter(tables.values()))
    for name, table in tables.items():
        if table.lists != first.lists:
            raise HistoryError(f"stratum {name!r} has lists {table.lists}, expected {first.lists}")
    total = np.sum([table.counts for table in tables.values()], axis=0).astype(np.int64)
    return CaptureHistories(lists=first.lists, counts=total)


def _table(seen: dict[str, set[str]], lists: Sequence[str] | None) -> CaptureHistories:
    if lists is None:
        lists = sorted(set().union(*seen.values())) if seen else []
    order = tuple(lists)
    position = {name: i for i, name in enumerate(order)}
    counts = np.zeros(max(2 ** len(order) - 1, 0), dtype=np.int64)
    for cluster_id, sources in seen.items():
        unknown = sources - position.keys()
        if unknown:
            raise HistoryError(f"cluster {cluster_id!r} has records from unknown lists {unknown}")
        bits = [0] * len(order)
        for source in sources:
            bits[position[source]] = 1
        counts[_pattern_index(bits)] += 1
    return CaptureHistories(lists=order, counts=counts)
