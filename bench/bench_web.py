"""Web and JSON API under load: search and list latency on the demo database scaled up.

The demo's synthetic documentation (``kirok.demo.synthetic.generate``: events, victims, acts,
perpetrator involvement, testimony, consent, interventions, refugee cases, with the demo's
vocabularies, places and Korean and English text) is generated in chunks of about 3,000 people,
each chunk from its own seed with its record ids made unique, until ``--events`` events are in
the database; every chunk goes through the normal store (``RecordStore.write`` →
``UnitOfWork.add_many``), so it is sealed, indexed and audited as in use.

The database is then served by ``uvicorn`` running ``create_app`` in a SECOND process, as
``kirok serve`` would; this process is only the load generator (``httpx``, one thread per
concurrent client, every request with an API token of a user of ``--role``):

``search``
    ``GET /api/v1/search?q=…`` cycling over queries taken from the data: rare ones (a victim's
    Hangul name in an event title), common ones (구금 "detention", 관리소 "political prison
    camp", "Detention") and place names in Latin script.
``list``
    ``GET /api/v1/event`` pages: one of the first 20 pages, a year of dates, or one place.

Each backend runs a warm-up, a sequential phase (one client: latency without queueing) and a
concurrent phase (``--concurrency`` clients: latency with queueing, and requests per second).
Printed per phase and request type: p50 and p95 latency, requests per second, and the CPU
seconds the server process and this process used (on a shared machine wall time includes
waiting for a core; CPU time does not, but it leaves out PostgreSQL's own work). The target is
search p95 < 100 ms at 100,000 events under the concurrent load; its ratio is printed.

The server runs ``--workers`` uvicorn worker processes, as ``kirok serve --workers N`` does (one
process serves one request at a time in Python: with one worker, concurrent requests queue);
its CPU seconds are those of the whole process tree.

``--keep DIR`` keeps the SQLite database, its keys and what the load found in DIR (and, for
PostgreSQL, a database ``kirok_bench_web_<events>_<seed>`` on the server), and a later run with
the same ``--events`` and ``--seed`` reuses them instead of generating the data again (the
database is upgraded to the current schema first, as ``kirok init`` does).

``--profile`` runs the same searches and lists in this process under cProfile afterwards and
prints where the time goes (the latencies above are measured without it). ``--plans`` (PostgreSQL)
then measures the CPU per search of this process and its PostgreSQL backend, with the store's
plan choice (a common word walks the index in order: docs/adr/0007) and with the planner alone,
and checks that both return the same records in the same order.

Run from the repository root (see bench/README.md)::

    .venv/bin/python bench/bench_web.py                                  # 100,000 events, both
    .venv/bin/python bench/bench_web.py --events 20000 --backend sqlite --profile
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _common import kept_postgres, postgres_available, sqlite_url, throwaway_postgres

from kirok.demo.synthetic import generate
from kirok.domain.records import Event, Record
from kirok.services import catalogue, records_api, users
from kirok.services.context import Settings, initialise, open_store
from kirok.store import search
from kirok.store.repository import RecordStore

TARGET_MS = 100.0
PASSWORD = "bench password for the load test"
CHUNK_POPULATION = 3000
EVENTS_PER_PERSON = 1.0  # a first guess; then measured from the chunks made so far
PAGE = 50


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the data ---------------------------------------------------------------------------------


def _unique(record: Record, chunk: int) -> Record:
    """`record` with its id and its references to other synthetic records made unique to
    `chunk` (places and the perpetrator units are shared by every chunk)."""

    def fix(value: str) -> str:
        return f"c{chunk}-{value}"

    update: dict[str, str] = {"id": fix(record.id)}
    for name, target in record.references.items():
        value = getattr(record, name)
        if isinstance(value, str) and value and target != "place":
            if not value.startswith("demo-unit-"):
                update[name] = fix(value)
    if record.external_id:
        update["external_id"] = fix(record.external_id)
    return record.model_copy(update=update)


def demo_chunks(seed: int, events: int) -> Iterator[tuple[list[Record], int]]:
    """(records, events among them) per chunk, until at least `events` events; the first
    chunk also brings the places and the perpetrator units."""
    made = 0
    people = 0
    chunk = 0
    while made < events:
        remaining = events - made
        per_person = made / people if made else EVENTS_PER_PERSON  # as the generator goes
        population = min(CHUNK_POPULATION, max(2, int(remaining / per_person) + 2))
        people += population
        dataset = generate(seed=seed + chunk, population=population)
        r = dataset.records
        shared = [p for p in r.persons if p.id.startswith("demo-unit-")]
        own = [
            *[p for p in r.persons if not p.id.startswith("demo-unit-")],
            *r.events,
            *r.acts,
            *r.involvements,
            *r.information,
            *r.consents,
            *r.interventions,
            *r.refugee_cases,
        ]
        records = [_unique(x, chunk) for x in own]
        if chunk == 0:
            records = [*dataset.places, *shared, *records]
        made += len(r.events)
        chunk += 1
        yield records, len(r.events)


@dataclass
class Loaded:
    events: int = 0
    records: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    queries: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


def load(store: RecordStore, seed: int, events: int) -> Loaded:
    loaded = Loaded()
    rare: list[str] = []
    latin: set[str] = set()
    years: set[int] = set()
    places: set[str] = set()
    catalogue.load_gazetteer(store, "bench")  # as `kirok demo` does: places persons refer to
    for records, n_events in demo_chunks(seed, events):
        started = (time.perf_counter(), time.process_time())
        with store.write("bench") as uow:
            stored = uow.existing_ids([r.id for r in records if r.kind == "place"])
            uow.add_many([r for r in records if r.id not in stored])
        loaded.seconds += time.perf_counter() - started[0]
        loaded.cpu += time.process_time() - started[1]
        loaded.events += n_events
        loaded.records += len(records)
        for record in records:
            if not isinstance(record, Event):
                continue
            words = record.title.split()
            if words[-1] == "구금" and len(rare) < 8 and len(words[0]) >= 3:
                rare.append(words[0])  # a victim's name: a few events, and their person record
            for word in words:
                if word.startswith("(") and word.endswith(")") and word[1:2].isascii():
                    latin.add(word.strip("()"))
            if record.start_date and record.start_date[:4].isdigit():
                years.add(int(record.start_date[:4]))
            if record.place_id:
                places.add(record.place_id)
        _log(f"... {loaded.events:,}/{events:,} events ({loaded.records:,} records) loaded")
    common = ["구금", "관리소", "Detention"]
    loaded.queries = [*rare, *common, *sorted(latin)[:4]]
    loaded.years = sorted(years)
    loaded.places = sorted(places)
    return loaded


# -- the server ---------------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """The second process: uvicorn serving create_app over the benchmark database."""
    import uvicorn

    from kirok.web.app import create_app

    settings = Settings(db_url=args.db, keystore=Path(args.keystore), key_file=Path(args.key_file))
    if args.workers == 1:
        uvicorn.run(
            create_app(settings, https=False),
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            access_log=False,
        )
        return
    from kirok.cli.serve import serve_workers, tcp_listener, worker_environment

    worker_environment(settings, https=False)
    listener = tcp_listener("127.0.0.1", args.port)
    serve_workers(
        listener, args.workers, proxy_headers=False, log_level="warning", access_log=False
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and its live descendants so far (Linux /proc;
    0 elsewhere): the uvicorn worker processes are the server's children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in children)


@contextmanager
def server(settings: Settings, workers: int) -> Iterator[tuple[str, int]]:
    port = _free_port()
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "serve",
        "--db",
        settings.db_url,
        "--keystore",
        str(settings.keystore),
        "--key-file",
        str(settings.key_file),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    kind: str  # "search" or "list"
    path: str
    params: tuple[tuple[str, str | int], ...]


def requests_for(loaded: Loaded, n: int, rng: random.Random) -> list[Request]:
    """`n` requests, half searches (cycling over the queries) and half event lists."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            q = loaded.queries[(i // 2) % len(loaded.queries)]
            out.append(Request("search", "/api/v1/search", (("q", q),)))
            continue
        shape = (i // 2) % 3
        if shape == 0 or not loaded.years:
            pages = max(1, min(20, loaded.events // PAGE))
            offset = rng.randrange(pages) * PAGE
            params: tuple[tuple[str, str | int], ...] = (("limit", PAGE), ("offset", offset))
        elif shape == 1:
            year = rng.choice(loaded.years)
            params = (("from", f"{year}-01-01"), ("to", f"{year}-12-31"), ("limit", PAGE))
        else:
            params = (("place", rng.choice(loaded.places)), ("limit", PAGE))
        out.append(Request("list", "/api/v1/event", params))
    return out


@dataclass
class Phase:
    name: str
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0


def run_phase(
    name: str, base: str, token: str, pid: int, todo: Sequence[Request], concurrency: int
) -> Phase:
    phase = Phase(name)
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=base, headers=headers, limits=limits, timeout=120) as client:

        def one(request: Request) -> None:
            started = time.perf_counter()
            response = client.get(request.path, params=list(request.params))
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                phase.latencies.setdefault(request.kind, []).append(elapsed)
                if response.status_code != 200:
                    phase.errors.append(f"{response.status_code} {request}")

        cpu = (_cpu_seconds(pid), time.process_time())
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, todo))
        phase.seconds = time.perf_counter() - started
        phase.server_cpu = _cpu_seconds(pid) - cpu[0]
        phase.client_cpu = time.process_time() - cpu[1]
    return phase


def percentile(values: Sequence[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report_phase(phase: Phase) -> None:
    total = sum(len(v) for v in phase.latencies.values())
    rate = total / phase.seconds if phase.seconds else float("inf")
    for kind in ("search", "list"):
        values = phase.latencies.get(kind, [])
        if not values:
            continue
        print(
            f"  {phase.name:<12} {kind:<7} {len(values):>6} "
            f"{percentile(values, 50):>9.1f} {percentile(values, 95):>9.1f}"
        )
    print(
        f"  {phase.name:<12} {'all':<7} {total:>6} {'':>9} {'':>9} {rate:>8.1f} req/s  "
        f"server cpu {phase.server_cpu:.1f} s, client cpu {phase.client_cpu:.1f} s, "
        f"wall {phase.seconds:.1f} s"
    )


# -- checks and profile -------------------------------------------------------------------------


def check(base: str, token: str, loaded: Loaded, store: RecordStore) -> list[str]:
    """What the server answers must be right, not only fast."""
    problems = []
    headers = {"Authorization": f"Bearer {token}"}
    with store.read() as uow:
        stored_events = uow.counts_by_kind().get("event", 0)
    if stored_events != loaded.events:
        problems.append(f"{stored_events} events stored, {loaded.events} loaded")
    page = httpx.get(f"{base}/api/v1/event", params={"limit": 1}, headers=headers, timeout=120)
    if page.status_code != 200 or page.json()["total"] != loaded.events:
        problems.append(f"event list total {page.text[:200]} != {loaded.events}")
    name = loaded.queries[0]
    found = httpx.get(f"{base}/api/v1/search", params={"q": name}, headers=headers, timeout=120)
    titles = [i["data"].get("title") or "" for i in found.json().get("items", [])]
    if found.status_code != 200 or not any(name in t for t in titles):
        problems.append(f"searching {name!r} did not find its event")
    return problems


def profile(store: RecordStore, user: users.WebUser, loaded: Loaded, rounds: int) -> None:
    profiler = cProfile.Profile()
    rng = random.Random(1)
    todo = requests_for(loaded, rounds, rng)
    profiler.enable()
    for request in todo:
        params = dict(request.params)
        if request.kind == "search":
            records_api.search(store, user, str(params["q"]))
        else:
            records_api.list_records(
                store,
                user,
                "event",
                limit=PAGE,
                offset=int(params.get("offset", 0)),
                place_id=str(params["place"]) if "place" in params else None,
            )
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(25)
    print(f"  profile of {rounds} in-process requests (cumulative time):")
    print("\n".join("    " + line for line in out.getvalue().splitlines() if line.strip()))


def _backend_cpu(pid: int) -> float:
    """CPU seconds of a PostgreSQL backend on this machine (0 where /proc cannot tell)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare_plans(store: RecordStore, user: users.WebUser, loaded: Loaded, rounds: int) -> bool:
    """CPU per search, this process and its PostgreSQL backend, with the store's plan choice
    (a common word walks the index in order: ADR 0007) and with the planner alone; both must
    return the same records in the same order."""
    real = search.walk_budget

    def planner_alone(*_: object) -> None:
        return None

    def run(query: str) -> tuple[float, list[str]]:
        with store.read() as uow:  # one pooled connection: its backend does all the work
            pid = int(uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        found = [d["id"] for d in records_api.search(store, user, query)]
        before, cpu = _backend_cpu(pid), time.process_time()
        for _ in range(rounds):
            records_api.search(store, user, query)
        spent = _backend_cpu(pid) - before + time.process_time() - cpu
        return spent / rounds * 1000, found

    totals = {"walk": 0.0, "planner": 0.0}
    same = True
    print(f"  plans: CPU per search (ms, this process and its PostgreSQL backend), {rounds} each")
    for query in loaded.queries:
        measured = {}
        for name, choice in (("walk", real), ("planner", planner_alone), ("walk", real)):
            search.walk_budget = choice  # type: ignore[assignment]
            try:
                ms, found = run(query)
            finally:
                search.walk_budget = real
            previous = measured.get(name)
            measured[name] = (ms if previous is None else (ms + previous[0]) / 2, found)
        same &= measured["walk"][1] == measured["planner"][1]
        totals["walk"] += measured["walk"][0]
        totals["planner"] += measured["planner"][0]
        print(
            f"    {query[:24]!r:<28} walk {measured['walk'][0]:7.1f}   "
            f"planner {measured['planner'][0]:7.1f}"
        )
    print(
        f"RATIO postgres search cpu walk/planner = {totals['walk'] / totals['planner']:.2f}x "
        f"({totals['walk']:.1f} / {totals['planner']:.1f} ms over {len(loaded.queries)} queries)"
    )
    print(f"  check: {'the same records in the same order' if same else 'FAILED: results differ'}")
    return same


# -- one backend --------------------------------------------------------------------------------


def run_backend(backend: str, db_url: str, folder: Path, args: argparse.Namespace) -> bool:
    settings = Settings(
        db_url=db_url, keystore=folder / f"{backend}.keys.json", key_file=folder / f"{backend}.key"
    )
    kept = folder / f"{backend}-{args.events}-{args.seed}.json"
    with initialise(settings) as store:
        if args.keep and kept.exists():
            _log(f"backend {backend}: reusing the ~{args.events:,} events kept in {folder}")
            loaded = Loaded(**json.loads(kept.read_text()))
        else:
            _log(f"backend {backend}: loading ~{args.events:,} events")
            loaded = load(store, args.seed, args.events)
            if args.keep:
                kept.write_text(json.dumps(dataclasses.asdict(loaded)))
        user = users.find_user(store, f"bench-{args.role}") or users.add_user(
            store, f"bench-{args.role}", args.role, PASSWORD, actor="bench"
        )
        token = users.issue_token(store, user)
        version = store.engine.dialect.server_version_info or ()
    print(
        f"backend {backend} (server {'.'.join(map(str, version))}): {loaded.events:,} events, "
        f"{loaded.records:,} records loaded in {loaded.seconds:.0f} s "
        f"(cpu {loaded.cpu:.0f} s, {loaded.records / max(loaded.seconds, 1e-9):,.0f} records/s); "
        f"role {args.role}; {len(loaded.queries)} search queries; {args.workers} server workers"
    )
    rng = random.Random(args.seed)
    with server(settings, args.workers) as (base, pid), open_store(settings) as store:
        run_phase("warm-up", base, token, pid, requests_for(loaded, 20, rng), 2)
        sequential = run_phase(
            "sequential", base, token, pid, requests_for(loaded, args.sequential, rng), 1
        )
        concurrent = run_phase(
            f"c={args.concurrency}",
            base,
            token,
            pid,
            requests_for(loaded, args.requests, rng),
            args.concurrency,
        )
        problems = check(base, token, loaded, store)
        print(f"  {'phase':<12} {'type':<7} {'n':>6} {'p50 ms':>9} {'p95 ms':>9}")
        report_phase(sequential)
        report_phase(concurrent)
        problems += sequential.errors[:3] + concurrent.errors[:3]
        search_p95 = percentile(concurrent.latencies["search"], 95)
        list_p95 = percentile(concurrent.latencies["list"], 95)
        ratio = search_p95 / TARGET_MS
        met = "met" if ratio < 1 else "NOT met"
        print(
            f"RATIO {backend} search p95/target = {ratio:.2f}x "
            f"(p95 {search_p95:.1f} ms at {args.concurrency} clients, {loaded.events:,} events; "
            f"target < {TARGET_MS:.0f} ms: {met})"
        )
        print(
            f"  info: sequential search p95/target = "
            f"{percentile(sequential.latencies['search'], 95) / TARGET_MS:.2f}x; "
            f"list p95 {list_p95:.1f} ms at {args.concurrency} clients"
        )
        if problems:
            print(f"  check FAILED: {'; '.join(problems)}")
        else:
            print(
                f"  check: {loaded.events:,} events listed, search finds a victim's event, "
                f"every response 200"
            )
        bench_user = users.find_user(store, f"bench-{args.role}")
        assert bench_user is not None
        if args.profile:
            profile(store, bench_user, loaded, args.profile_requests)
        if args.plans and backend == "postgres":
            if not compare_plans(store, bench_user, loaded, args.plans_rounds):
                problems.append("the search plans returned different records")
    return not problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    serving = sub.add_parser("serve", help="(internal) the server process")
    serving.add_argument("--db", required=True)
    serving.add_argument("--keystore", required=True)
    serving.add_argument("--key-file", required=True)
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--workers", type=int, default=1)
    parser.add_argument("--events", type=int, default=100_000, help="events in the database")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=600, help="requests, concurrent phase")
    parser.add_argument("--sequential", type=int, default=200, help="requests, one client")
    parser.add_argument("--role", default="analyst", help="role of the benchmark's API user")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workers", type=int, default=2, help="server worker processes (kirok serve --workers)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the databases (SQLite's and the keys here, PostgreSQL's on the server)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile searches and lists")
    parser.add_argument("--profile-requests", type=int, default=100)
    parser.add_argument(
        "--plans",
        action="store_true",
        help="PostgreSQL: CPU per search with the store's plan choice and with the planner alone",
    )
    parser.add_argument("--plans-rounds", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args)
        return 0
    # A plain `kill` still drops the throwaway PostgreSQL database and the temporary folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if (
        args.events < 1
        or args.requests < 2
        or args.sequential < 2
        or args.concurrency < 1
        or args.workers < 1
    ):
        parser.error("--events, --concurrency, --workers >= 1; --requests, --sequential >= 2")
    ok = True
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kirok-bench-web-")))
        if args.backend in ("sqlite", "both"):
            kept = args.keep if args.keep else folder
            kept.mkdir(parents=True, exist_ok=True)
            url = sqlite_url(kept, f"web-{args.events}-{args.seed}")
            ok &= run_backend("sqlite", url, kept, args)
        if args.backend in ("postgres", "both"):
            if postgres_available():
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    url = kept_postgres(f"kirok_bench_web_{args.events}_{args.seed}")
                    ok &= run_backend("postgres", url, args.keep, args)
                else:
                    url = stack.enter_context(throwaway_postgres("kirok_bench_web"))
                    ok &= run_backend("postgres", url, folder, args)
            elif args.backend == "postgres":
                print("PostgreSQL is not reachable (KIROK_BENCH_PG_ADMIN_URL)")
                return 1
            else:
                print("backend postgres: skipped, the server is not reachable")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
