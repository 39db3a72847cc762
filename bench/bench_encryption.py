"""The cost of encryption at rest: bulk insert and read of persons, encrypted vs plaintext.

Three stores over the same key ring, each with a database of its own, receive the same persons
through the normal store (``RecordStore.write`` → ``UnitOfWork.add_many``, or ``add`` per person
with ``--per-record``; one unit of work per batch) and are then read back whole with
``iter_kind("person")``:

``encrypted``
    The store as kirok runs it: ``KeyringSealer`` and ``SENSITIVE_FIELDS``. Every person gets a
    fresh data key wrapped by the master key, and its names, aliases, contact, address and notes
    are sealed with AES-256-GCM; reading unwraps the data key and opens the blob.
``plaintext``
    The same sealer with ``sensitive_fields={}``: nothing is sealed, but the keyed search grams
    and name blind indexes are still computed (HMAC-SHA256) and written, exactly as in
    ``encrypted``. ``encrypted / plaintext`` therefore isolates envelope encryption; this is the
    ratio the target (≤ 1.5×) is about.
``bare``
    Plaintext and no search grams or blind indexes at all (the same persons as a ``Person``
    subclass with no searchable text). ``encrypted / bare`` is what all of kirok's at-rest
    protection together costs over a store that neither seals nor offers keyed search; it is
    informative only. Reads of ``plaintext`` and ``bare`` do the same work.

To keep the comparison fair on a shared, busy machine, the variants are interleaved: each batch
is inserted into every store in turn (the order rotating from batch to batch), and reads pull one
batch from every store in turn. The records read back are checked against what was written (a
digest of every record's content), so a fast but wrong store cannot pass.

Peak memory is measured afterwards in an untimed pass with ``tracemalloc`` (Python allocations
for inserting one batch and for streaming reads), because tracing slows the code it watches; the
process's peak resident set size is printed as well.

Run from the repository root (see bench/README.md)::

    .venv/bin/python bench/bench_encryption.py                       # 100,000 persons, both
    .venv/bin/python bench/bench_encryption.py --n 20000 --backend sqlite
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import itertools
import json
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from _common import (
    Stopwatch,
    max_rss_bytes,
    mib,
    pg_admin_url,
    postgres_available,
    sqlite_url,
    throwaway_postgres,
    traced_peak,
)

from kirok.demo import vocab
from kirok.demo.names import FAMILY_NAMES, FEMALE_POOL, MALE_POOL, family_weights, south_form
from kirok.domain.records import (
    Confidentiality,
    NameForm,
    Person,
    Record,
    Romanization,
    Script,
    content_fields,
)
from kirok.linkage.romanize import romanize_syllables
from kirok.services.context import Settings, initialise
from kirok.store.repository import RecordStore, UnitOfWork
from kirok.store.schema import records

TARGET = 1.5
ACTOR = "bench"

# -- data ---------------------------------------------------------------------------------------

_SOUTH_DISTRICTS = (
    "서울특별시 노원구 상계로",
    "서울특별시 양천구 목동로",
    "인천광역시 남동구 논현로",
    "경기도 화성시 향남읍 발안로",
    "충청북도 청주시 상당구 상당로",
    "부산광역시 해운대구 좌동순환로",
)
_NORTH_COUNTIES = ("함경북도 회령시", "함경북도 무산군", "양강도 혜산시", "평안남도 순천시")
_LATIN_TOWNS = ("Seoul", "Incheon", "Cheongju", "Busan", "Suwon", "Hwaseong")


def _given(rng: random.Random, male: bool) -> str:
    pool = MALE_POOL if male else FEMALE_POOL
    size = 1 if rng.random() < 0.08 else 2
    return "".join(rng.choice(pool) for _ in range(size))


def _latin(family: str, given: str, system: str) -> str:
    parts = romanize_syllables(given, system, voicing=system != "rr")
    return f"{family} {'-'.join(parts).capitalize()}"


def make_person(rng: random.Random) -> Person:
    """One person as an NGO would keep them: Hangul and romanized names, aliases, contact."""
    family = rng.choices(FAMILY_NAMES, weights=_WEIGHTS)[0]
    male = rng.random() < 0.5
    given = _given(rng, male)
    forms = [
        NameForm(
            text=family.north + given,
            family=family.north,
            given=given,
            script=Script.HANGUL,
            system=Romanization.NONE,
        )
    ]
    latin = [
        (rng.choice(family.rr), south_form(given), "rr", Romanization.RR),
        (family.mr, given, "mr", Romanization.MR),
        (family.dprk, given, "dprk", Romanization.DPRK),
    ]
    for surname, part, system, style in rng.sample(latin, k=rng.choice((1, 1, 2))):
        text = _latin(surname, part, system)
        forms.append(NameForm(text=text, family=surname, given=text.split(" ", 1)[1], system=style))
    aliases = []
    if rng.random() < 0.4:  # the name taken after resettlement in the South
        aliases.append(family.south + _given(rng, male))
    if rng.random() < 0.2:  # a passport spelling
        passport = "".join(romanize_syllables(given, "rr", voicing=False))
        aliases.append(f"{family.rr[0].upper()} {passport.upper()}")
    if rng.random() < 0.15:  # a nickname used in the camp or in China
        aliases.append(given[-1] + rng.choice(("이", "아바이", "동무")))
    contact = None
    roll = rng.random()
    if roll < 0.6:
        contact = f"+82 10-{rng.randrange(10**4):04d}-{rng.randrange(10**4):04d}"
    elif roll < 0.8:
        contact = f"WeChat {family.rr[0].lower()}{rng.randrange(10**5):05d}"
    address = None
    if rng.random() < 0.5:
        address = f"{rng.choice(_SOUTH_DISTRICTS)} {rng.randrange(1, 300)}길 {rng.randrange(1, 90)}"
    elif rng.random() < 0.3:
        address = f"{rng.randrange(1, 400)} Hana-ro, {rng.choice(_LATIN_TOWNS)}, Republic of Korea"
    year = rng.randrange(1935, 2005)
    birth = rng.choice((f"{year}", f"{year}-{rng.randrange(1, 13):02d}", f"{year}~"))
    notes = None
    if rng.random() < 0.5:
        left = rng.randrange(max(year + 15, 1995), 2020)
        came = left + rng.randrange(1, 4)
        notes = (
            f"{left}년 {rng.choice(_NORTH_COUNTIES)}에서 탈북, {came}년 입국. "
            f"Interviewed in {rng.choice(_LATIN_TOWNS)}; family remains in the North."
        )
    return Person(
        id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        name_forms=forms,
        aliases=aliases,
        sex=vocab.SEX_MALE if male else vocab.SEX_FEMALE,
        birth_date=birth,
        contact=contact,
        address=address,
        notes=notes,
        confidentiality=Confidentiality.CONFIDENTIAL,
    )


_WEIGHTS = family_weights()


def make_batch(seed: int, start: int, size: int) -> list[Person]:
    """Persons ``start`` … ``start + size - 1`` of the data set: the same for every variant."""
    rng = random.Random(f"kirok-bench-encryption:{seed}:{start}")
    return [make_person(rng) for _ in range(size)]


def digest(record: Record) -> int:
    """A digest of a record's content; summed, it compares record sets in any order."""
    text = json.dumps(content_fields(record), sort_keys=True, ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big")


# -- variants -----------------------------------------------------------------------------------


class _UnsearchablePerson(Person):
    """A person with no searchable text, hence no search grams and no name blind indexes.

    Stored and read back as an ordinary person (the store files records by ``kind``); used only
    by the ``bare`` variant, so that it needs nothing of the store's internals.
    """

    def searchable_text(self) -> list[str]:
        return []


def _for_variant(name: str, persons: list[Person]) -> list[Person]:
    if name != "bare":
        return persons
    return [_UnsearchablePerson.model_validate(p.model_dump()) for p in persons]


def _insert(unit: UnitOfWork, persons: list[Person], per_record: bool) -> None:
    """One batch through the store's bulk call (``add_many``) when it has one, else ``add``."""
    add_many = None if per_record else getattr(unit, "add_many", None)
    if add_many is not None:
        add_many(persons)
    else:
        for person in persons:
            unit.add(person)


@dataclass
class Variant:
    name: str
    store: RecordStore
    insert: Stopwatch = field(default_factory=Stopwatch)
    read: Stopwatch = field(default_factory=Stopwatch)
    read_rows: int = 0
    read_digest: int = 0
    insert_peak: int = 0
    read_peak: int = 0
    sealed_rows: int = 0
    disk_bytes: int = 0


def open_variants(
    names: Sequence[str], urls: dict[str, str], keys: Path, stack: ExitStack
) -> list[Variant]:
    out = []
    for name in names:
        settings = Settings(
            db_url=urls[name], keystore=keys / "kirok.keys.json", key_file=keys / "kirok.key"
        )
        full = stack.enter_context(initialise(settings))  # every variant: the same key ring
        if name == "encrypted":
            store = full
        else:
            store = RecordStore(full.engine, full.sealer, {})
        out.append(Variant(name, store))
    return out


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Profiles:
    """cProfile of the encrypted variant's timed sections, when asked for (``--profile``)."""

    insert: cProfile.Profile | None = None
    read: cProfile.Profile | None = None

    @contextmanager
    def watch(self, phase: str, variant: Variant) -> Iterator[None]:
        profile = getattr(self, phase)
        if profile is None or variant.name != "encrypted":
            yield
            return
        profile.enable()
        try:
            yield
        finally:
            profile.disable()


def _rotated(variants: Sequence[Variant], turn: int) -> list[Variant]:
    shift = turn % len(variants)
    return [*variants[shift:], *variants[:shift]]


def insert_all(
    variants: Sequence[Variant],
    n: int,
    batch: int,
    seed: int,
    profiles: Profiles,
    per_record: bool = False,
) -> int:
    """Insert the data set into every variant, batch by batch; the digest of what was written."""
    written = 0
    turns = -(-n // batch)
    for turn, start in enumerate(range(0, n, batch)):
        if turns >= 10 and turn % (turns // 10) == 0:  # progress on stderr, off the report
            print(f"  ... {start:,}/{n:,} inserted", file=sys.stderr, flush=True)
        persons = make_batch(seed, start, min(batch, n - start))
        written += sum(digest(p) for p in persons)
        for variant in _rotated(variants, turn):
            given = _for_variant(variant.name, persons)
            with profiles.watch("insert", variant), variant.insert:
                with variant.store.write(ACTOR) as unit:
                    _insert(unit, given, per_record)
    return written


def read_all(variants: Sequence[Variant], batch: int, profiles: Profiles) -> None:
    """Stream every person back from every variant, one batch from each store in turn."""
    with ExitStack() as stack:
        streams = {
            v.name: stack.enter_context(v.store.read()).iter_kind("person", batch=batch)
            for v in variants
        }
        live = list(variants)
        turn = 0
        while live:
            for variant in _rotated(live, turn):
                with profiles.watch("read", variant), variant.read:
                    chunk = list(itertools.islice(streams[variant.name], batch))
                variant.read_rows += len(chunk)
                variant.read_digest += sum(digest(r) for r in chunk)
                if not chunk:
                    live.remove(variant)
            turn += 1


def inspect_stored(variants: Sequence[Variant]) -> None:
    """Rows with sealed fields, and the database's size on disk (all tables and indexes)."""
    for variant in variants:
        with variant.store.read() as unit:
            variant.sealed_rows = unit.connection.execute(
                sa.select(sa.func.count()).where(records.c.sealed.is_not(None))
            ).scalar_one()
        with variant.store.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                size = connection.exec_driver_sql(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
                ).scalar_one()
            else:
                size = connection.exec_driver_sql(
                    "SELECT pg_database_size(current_database())"
                ).scalar_one()
        variant.disk_bytes = int(size)


def measure_memory(
    variants: Sequence[Variant], n: int, batch: int, seed: int, per_record: bool = False
) -> None:
    """Untimed: Python's peak allocation while inserting one more batch and streaming reads."""
    extra = make_batch(seed + 1, n, batch)  # other ids: added after the timed part
    reads = min(n, 2 * batch)
    for variant in variants:
        given = _for_variant(variant.name, extra)
        with traced_peak() as peak, variant.store.write(ACTOR) as unit:
            _insert(unit, given, per_record)
        variant.insert_peak = peak[0]
        with traced_peak() as peak, variant.store.read() as unit:
            for _ in itertools.islice(unit.iter_kind("person", batch=batch), reads):
                pass
        variant.read_peak = peak[0]


# -- reporting ----------------------------------------------------------------------------------


def _verdict(ratio: float) -> str:
    return "met" if ratio <= TARGET else "NOT met"


def report(
    backend: str, variants: Sequence[Variant], n: int, written: int, profiling: bool
) -> bool:
    by_name = {v.name: v for v in variants}
    print(
        f"  {'variant':<10} {'insert rows/s':>14} {'read rows/s':>12} "
        f"{'insert s (cpu)':>16} {'read s (cpu)':>14} {'insert peak':>12} {'read peak':>11} "
        f"{'database':>12}"
    )
    for v in variants:
        print(
            f"  {v.name:<10} {v.insert.rate(n):>14,.0f} {v.read.rate(n):>12,.0f} "
            f"{v.insert.seconds:>8.2f} ({v.insert.cpu:>5.1f}) {v.read.seconds:>6.2f} "
            f"({v.read.cpu:>5.1f}) {mib(v.insert_peak):>12} {mib(v.read_peak):>11} "
            f"{mib(v.disk_bytes):>12}"
        )
    enc, plain = by_name["encrypted"], by_name["plaintext"]
    met = True
    for phase in ("insert", "read"):
        ratio = getattr(enc, phase).seconds / getattr(plain, phase).seconds
        met = met and ratio <= TARGET
        print(
            f"RATIO {backend} {phase} encrypted/plaintext = {ratio:.2f}x "
            f"(target <= {TARGET}x: {_verdict(ratio)})"
        )
    cpu = " ".join(
        f"{phase} {getattr(enc, phase).cpu / max(getattr(plain, phase).cpu, 1e-9):.2f}x"
        for phase in ("insert", "read")
    )
    print(f"  info: client CPU time encrypted/plaintext: {cpu} (excludes the database server)")
    if "bare" in by_name:
        bare = by_name["bare"]
        print(
            f"  info: encrypted/bare insert = {enc.insert.seconds / bare.insert.seconds:.2f}x, "
            f"read = {enc.read.seconds / bare.read.seconds:.2f}x (all at-rest protection "
            "including keyed search indexes; not the target)"
        )
    intact = all(v.read_rows == n and v.read_digest == written for v in variants)
    sealed = ", ".join(f"{v.name} {v.sealed_rows:,}" for v in variants)
    print(
        f"  check: {n:,} persons read back from every variant "
        f"{'identical to what was written' if intact else 'DIFFERENT FROM WHAT WAS WRITTEN'}; "
        f"rows with sealed fields: {sealed}"
    )
    if profiling:
        print(f"TARGET {backend}: not judged (the encrypted variant ran under the profiler)")
    else:
        verdict = "met" if met else "NOT met"
        print(f"TARGET {backend}: {verdict} (encrypted/plaintext <= {TARGET}x)")
    return intact


def run_backend(
    backend: str,
    names: Sequence[str],
    n: int,
    batch: int,
    seed: int,
    profiles: Profiles,
    per_record: bool,
) -> bool:
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kirok-bench-")))
        if backend == "sqlite":
            urls = {name: sqlite_url(work, name) for name in names}
        else:
            urls = {name: stack.enter_context(throwaway_postgres()) for name in names}
        variants = open_variants(names, urls, work, stack)
        with variants[0].store.read() as unit:
            version = unit.connection.exec_driver_sql(
                "SELECT sqlite_version()" if backend == "sqlite" else "SHOW server_version"
            ).scalar_one()
        print(f"backend {backend} (server {version})")
        written = insert_all(variants, n, batch, seed, profiles, per_record)
        read_all(variants, batch, profiles)
        inspect_stored(variants)
        measure_memory(variants, n, batch, seed, per_record)
        return report(backend, variants, n, written, profiles.insert is not None)


def _print_profile(title: str, profile: cProfile.Profile | None, top: int) -> None:
    if profile is None:
        return
    print(f"\n--- cProfile, encrypted variant, {title} (CPU time, top {top} by own time) ---")
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="persons (default 100,000)")
    parser.add_argument("--batch", type=int, default=2000, help="persons per unit of work")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-bare", action="store_true", help="skip the baseline without search indexes"
    )
    parser.add_argument(
        "--per-record",
        action="store_true",
        help="insert with one add() per person instead of the store's add_many()",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the encrypted variant's timed sections (the ratios are then not valid)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.batch < 1:
        parser.error("--n and --batch must be positive")
    names = ["encrypted", "plaintext"] + ([] if args.no_bare else ["bare"])
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    # CPU time, not wall time: on a busy machine waiting for a core would be charged to
    # whatever function happened to be running.
    profiles = (
        Profiles(cProfile.Profile(time.process_time), cProfile.Profile(time.process_time))
        if args.profile
        else Profiles()
    )
    batch = min(args.batch, args.n)
    print(
        f"kirok encryption benchmark: {args.n:,} persons, units of work of {batch:,}, "
        f"seed {args.seed}, variants {', '.join(names)}"
    )
    bulk = hasattr(UnitOfWork, "add_many") and not args.per_record
    print(f"  insert through UnitOfWork.{'add_many' if bulk else 'add'}, reads through iter_kind")
    if args.profile:
        print("  (profiling: the encrypted variant runs under cProfile, ratios are not valid)")
    intact = []
    for backend in backends:
        if backend == "postgres" and not postgres_available():
            print(f"backend postgres: skipped, no server at {pg_admin_url()}")
            if args.backend == "postgres":
                return 2
            continue
        intact.append(
            run_backend(backend, names, args.n, batch, args.seed, profiles, args.per_record)
        )
    print(f"peak resident set size of the process: {mib(max_rss_bytes())}")
    _print_profile("insert", profiles.insert, 30)
    _print_profile("read", profiles.read, 30)
    # Exit status 1 only when a store returned something else than was written; a missed
    # target is printed, not failed on (wall times depend on the machine and its load).
    return 0 if all(intact) else 1


if __name__ == "__main__":
    sys.exit(main())
