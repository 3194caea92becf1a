"""Benchmarks of personalize_django: what recording costs a product page, and
how fast one worker drains the outbox into the local engine.

    python benchmarks/django_bench.py [--requests 1000] [--events 10000] [--db sqlite|postgres]
                                      [--drop-every-list]

1. Product page: the same view with and without ``@track_item_view``, through
   Django's test client (the whole middleware and template stack, no network)
   and through a wsgiref server on loopback, interleaved in one run, a random
   product each round. Three pages: the product page as a shop using this
   package serves it (in the site layout, with the "also viewed" and "bought
   together" recommendation blocks, served by a LocalBackend trained on a
   small synthetic history, through the default cache), the same page without
   the blocks, and a bare page that never touches the session. Each variant is
   its own visitor (its own session), as a visitor of a site with or without
   tracking would be; so with tracking, each View drops the visitor's cached
   personal lists (caching.py; the blocks of this page are item lists, which a
   View keeps unless ``--drop-every-list`` sets CACHE_KEEP_ITEM_LISTS_ON to ()
   and the next page asks the backend again). With tracking, the product page
   with recommendations comes twice: as the decorator writes its View by
   default (built in the view, written to the outbox once the response has
   been sent: RECORD_VIEWS_AFTER_RESPONSE) and with the View written in the
   request. Over HTTP, the client waits (untimed) after each request until the
   server is idle, so no request waits for its predecessor's write: what a
   visitor of a site that is not saturated waits for. The test client closes
   the response before it returns, so its timings include the write either
   way. Each write stores one outbox row; with a private ``redis-server``
   (when one can be started) DELIVERY is "celery", so commits also wake the
   publisher thread that queues delivery tasks (nothing consumes them during
   the bench).
   Then the same page from a server process per variant (untracked, tracked,
   tracked with the View written in the request), so that what tracking
   costs a process beyond its requests (the publisher thread, the writes
   after the response; on SQLite, closing the last connection after a write
   checkpoints the write-ahead log) falls on the tracked pages alone, in their
   times and in the process's CPU per page: with persistent connections
   (``CONN_MAX_AGE = 600``) and with Django's default of closing the
   connection after each request.
   The overhead is printed three ways, each as a share of the untracked
   median: the change of the median; "paired", the median of the per-round
   differences, with a 95% bootstrap interval; and, in one process, the median
   times of record_event (in the view) and write_event within the tracked
   requests.
2. Outbox drain: 10,000 events in the outbox delivered by one
   ``deliver_pending`` run into a LocalBackend on disk, batched (as the backend
   accepts: 500 per call) and one call per event.

It prints tables and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_redis(folder: Path) -> tuple[subprocess.Popen | None, str]:
    """A private redis-server for the Celery variant (never the machine's shared one)."""
    if shutil.which("redis-server") is None:
        return None, ""
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not port_open(port):
        time.sleep(0.05)
    if not port_open(port):
        proc.terminate()
        return None, ""
    return proc, f"redis://127.0.0.1:{port}/0"


def create_pg_database() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    name = f"personalize_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(
            host="127.0.0.1",
            dbname="postgres",
            user=os.environ.get("PERSONALIZE_TEST_PG_USER", "postgres"),
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as err:
        print(f"(PostgreSQL unavailable: {err}; using SQLite)")
        return None
    return name


def drop_pg_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(
        host="127.0.0.1",
        dbname="postgres",
        user=os.environ.get("PERSONALIZE_TEST_PG_USER", "postgres"),
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(folder: Path, db: str, broker: str) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    os.environ["PERSONALIZE_BENCH_SQLITE"] = str(folder / "bench.sqlite3")
    os.environ["PERSONALIZE_BENCH_ENGINE"] = str(folder / "engine")
    os.environ["PERSONALIZE_BENCH_BROKER"] = broker
    label = "SQLite (WAL)"
    if db == "postgres":
        name = create_pg_database()
        if name:
            os.environ["PERSONALIZE_BENCH_PG_DB"] = name
            label = "PostgreSQL"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if broker:
        from celery import Celery

        app = Celery("bench")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.set_default()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    return label + (", DELIVERY celery (private redis-server)" if broker else ", DELIVERY manual")


def seed(products: int = 1000, categories: int = 20) -> list[int]:
    from benchmarks.benchshop.models import Category, Product

    cats = Category.objects.bulk_create([Category(name=f"Category {i}") for i in range(categories)])
    Product.objects.bulk_create(
        [
            Product(
                category=cats[i % categories],
                name=f"product {i}",
                description="A fine product.\nMade to last.",
                price=5 + (i % 50),
                stock=i % 7,
            )
            for i in range(products)
        ]
    )
    return list(Product.objects.values_list("pk", flat=True))


def train_engine(pks: list[int], sessions: int = 2000) -> str:
    """Put the catalogue and a synthetic shop history into the LocalBackend and
    train it: visitors browse one category per session (popular products more
    often) and buy some of what they viewed. Returns the readiness summary."""
    from benchmarks.benchshop.models import Product
    from personalize_django.client import get_backend
    from personalize_django.registry import registry
    from personalize_sdk import Event

    backend = get_backend()
    reg = registry.item_registration(Product)
    items = [reg.to_item(p) for p in Product.objects.select_related("category")]
    for start in range(0, len(items), backend.max_records_per_call):
        backend.put_items(items[start : start + backend.max_records_per_call])
    products = list(Product.objects.values_list("pk", "category_id"))
    by_category: dict[int, list[int]] = {}
    for pk, category in products:
        by_category.setdefault(category, []).append(pk)
    rng = random.Random(3)
    now = time.time()
    events = []
    for number in range(sessions):
        user = f"u{rng.randrange(400)}"
        session = f"s{number}"
        choices = by_category[rng.choice(list(by_category))]
        # a long tail: the first products of a category are viewed most
        viewed = {choices[min(int(rng.expovariate(0.15)), len(choices) - 1)] for _ in range(6)}
        at = now - rng.uniform(0, 20 * 86400)
        for pk in viewed:
            at += 30
            events.append(Event("View", session, item_id=pk, user_id=user, sent_at=at))
        if rng.random() < 0.6:
            for pk in rng.sample(sorted(viewed), min(len(viewed), rng.choice((1, 2, 2, 3)))):
                at += 30
                events.append(Event("Purchase", session, item_id=pk, user_id=user, sent_at=at))
    for start in range(0, len(events), backend.max_events_per_call):
        backend.put_events(events[start : start + backend.max_events_per_call])
    report = backend.train()
    return f"{len(events):,} events; {report}" if report is not None else f"{len(events):,} events"


def describe_blocks(pks: list[int]) -> str:
    """What the recommendation blocks of a few product pages hold (so the bench
    cannot silently time empty blocks)."""
    from benchmarks.benchshop.models import Product
    from personalize_django import pages

    counts: dict[str, list[int]] = {}
    sources: dict[str, set[str]] = {}
    for pk in pks[:: max(1, len(pks) // 20)]:
        product = Product.objects.get(pk=pk)
        for use_case in ("also_viewed", "bought_together"):
            recs = pages.recommend(use_case, session_id="bench-check", item=product, limit=6)
            counts.setdefault(use_case, []).append(len(recs))
            sources.setdefault(use_case, set()).update(o.personalize_source for o in recs)
    return "; ".join(
        f"{uc}: {statistics.mean(n):.1f} items per block (sources: {', '.join(sorted(sources[uc]))})"
        for uc, n in counts.items()
    )


def test_client_fetcher():
    """GET through Django's test client (the whole handler, no network); each
    visitor is a client of its own (its own session cookie)."""
    from django.test import Client

    def new_visitor():
        client = Client()
        return lambda path: client.get(path).status_code

    return new_visitor, lambda: None, lambda: None


def wsgi_server(port: int = 0):
    """A wsgiref server of this process's Django application (not started)."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    return make_server("127.0.0.1", port, get_wsgi_application(), handler_class=QuietHandler)


def http_visitor(base: str):
    """A visitor GETting paths of ``base`` over HTTP, keeping its cookies like a browser."""
    import http.cookiejar
    import urllib.request

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def fetch(path):
        with opener.open(base + path, timeout=30) as response:
            response.read()
            return response.status

    return fetch


def idle_waiter(base: str):
    """Wait until the single-threaded server at ``base`` is idle: an untimed GET
    of an empty page, answered once the server has finished what it ran after
    its previous response (a View written after the response was sent). So each
    timed request finds its server idle, as a visitor of a site that is not
    saturated finds it; what the work after the response costs the server shows
    in its CPU time instead."""
    import urllib.request

    def wait() -> None:
        with urllib.request.urlopen(base + "/ping/", timeout=30) as response:
            response.read()

    return wait


def server_fetcher():
    """GET over loopback HTTP from a wsgiref server thread (what a browser waits for,
    less the network), keeping the session cookie like a browser."""
    import threading

    server = wsgi_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    return (lambda: http_visitor(base)), server.shutdown, idle_waiter(base)


class RecordingTimer:
    """Times recording inside the requests, per variant: ``record_event`` (the
    call in the view, with the write when it is written in the request) and
    ``write_event`` (the outbox INSERT and what follows it, after the response
    by default). What recording itself takes, free of the page's own variation."""

    HALVES = ("record_event", "write_event")

    def __init__(self) -> None:
        from personalize_django import recording

        self.module = recording
        self.originals = {name: getattr(recording, name) for name in self.HALVES}
        self.variant = ""
        self.seconds: dict[str, dict[str, list[float]]] = {}

    def __enter__(self) -> "RecordingTimer":
        for name, original in self.originals.items():
            setattr(self.module, name, self._timed(name, original))
        return self

    def _timed(self, name, original):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.seconds.setdefault(self.variant, {}).setdefault(name, []).append(elapsed)

        return timed

    def __exit__(self, *exc) -> None:
        for name, original in self.originals.items():
            setattr(self.module, name, original)


def bench_pages(
    pks: list[int], requests: int, new_visitor, wait_idle
) -> tuple[list[tuple[str, list[float], list[float]]], dict[str, dict[str, list[float]]]]:
    """Time each variant once per round, in a shuffled order, a random product per round,
    each variant by a visitor of its own, each request followed by ``wait_idle``
    (the server's work after the response, outside the timed request). Settings stay fixed for the whole run (switching them per
    request would charge the tracked variants for reloading settings). Returns
    the timings and recording's own seconds in the tracked variants."""
    variants = [
        ("product page with recommendations, no tracking", "plain-reco"),
        ("product page with recommendations, tracking", "tracked-reco"),
        ("  the same, View written in the request", "tracked-in-request-reco"),
        ("page in layout, no tracking", "plain-layout"),
        ("page in layout, tracking", "tracked-layout"),
        ("bare page, no tracking", "plain"),
        ("bare page, tracking", "tracked"),
    ]
    visitors = {name: new_visitor() for name, _ in variants}
    rng = random.Random(1)
    timings: dict[str, list[float]] = {name: [] for name, _ in variants}
    cpu: dict[str, list[float]] = {name: [] for name, _ in variants}
    with RecordingTimer() as recording:
        for round_number in range(requests + 50):
            pk = rng.choice(pks)
            order = list(variants)
            rng.shuffle(order)
            for name, prefix in order:
                warm = round_number >= 50  # the first 50 rounds warm caches up
                recording.variant = name if warm else ""
                started, started_cpu = time.perf_counter(), time.process_time()
                status = visitors[name](f"/{prefix}/{pk}/")
                elapsed = time.perf_counter() - started
                elapsed_cpu = time.process_time() - started_cpu
                wait_idle()
                assert status == 200, status
                if warm:
                    timings[name].append(elapsed * 1000)
                    cpu[name].append(elapsed_cpu * 1000)
    recording.seconds.pop("", None)
    return [(name, timings[name], cpu[name]) for name, _ in variants], recording.seconds


def bootstrap_interval(
    differences: list[float], scale: float, resamples: int = 1000
) -> tuple[float, float]:
    """A 95% bootstrap interval of the median of ``differences`` / ``scale``."""
    rng = random.Random(4)
    count = len(differences)
    medians = sorted(
        statistics.median(rng.choices(differences, k=count)) / scale for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def overhead_columns(values: list[float], base_values: list[float]) -> tuple[str, str]:
    """The change of the median, and the paired overhead with its 95% interval,
    of ``values`` against the untracked ``base_values`` timed in the same rounds."""
    baseline = statistics.median(base_values)
    differences = [t - b for t, b in zip(values, base_values)]
    low, high = bootstrap_interval(differences, baseline / 100)
    return (
        f"{(statistics.median(values) / baseline - 1) * 100:+.1f}%",
        f"{statistics.median(differences) / baseline * 100:+.1f}% [{low:+.1f}, {high:+.1f}]",
    )


def print_pages(title: str, pages, recording: dict[str, dict[str, list[float]]]) -> None:
    """Per variant: medians, and the overhead of tracking three ways: the change
    of the median; the median of the per-round differences (both variants were
    timed within the same round, milliseconds apart, so a drift of the machine's
    speed over the run cancels out), with its 95% bootstrap interval; and the
    median times of record_event (in the view) and write_event within the
    tracked requests."""
    print(f"\n{title}")
    print(
        f"{'variant':48} {'median ms':>10} {'p90 ms':>8} {'overhead':>9} "
        f"{'paired (95% interval)':>22} {'in view / write':>26} {'CPU overhead':>13}"
    )
    baseline_cpu = 0.0
    base_values: list[float] = []
    for name, values, cpu_values in pages:
        median, median_cpu = statistics.median(values), statistics.median(cpu_values)
        p90 = statistics.quantiles(values, n=10)[-1]
        if "no tracking" in name:
            baseline_cpu, base_values = median_cpu, values
            overhead = paired = own = overhead_cpu = ""
        else:
            overhead, paired = overhead_columns(values, base_values)
            halves = recording.get(name, {})
            view_us, write_us = (
                statistics.median(halves.get(half) or [float("nan")]) * 1e6
                for half in RecordingTimer.HALVES
            )
            own = f"{view_us:.0f} us / {write_us:.0f} us"
            overhead_cpu = f"{(median_cpu / baseline_cpu - 1) * 100:+.1f}%"
        print(
            f"{name:48} {median:10.3f} {p90:8.3f} {overhead:>9} {paired:>22} {own:>26} "
            f"{overhead_cpu:>13}"
        )
    print(
        "(wall time on a shared machine includes waiting for a CPU after each write; CPU time "
        "does not. 'in view' is record_event's median time in the tracked requests (the write "
        "included when it is written in the request), 'write' write_event's: the test client "
        "closes the response before it returns, so a write after the response is within its "
        "timed request; over HTTP it is not, and each timed request waits (untimed) until the "
        "server is idle. CPU is this process's within the timed requests: over HTTP, a write "
        "after the response is not in it; the tables of a process per variant count it)"
    )


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of process ``pid`` so far (all its threads),
    from /proc; ``None`` where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: the server processes of bench_processes: (label, the path prefix each serves)
PROCESS_VARIANTS = (
    ("product page with recommendations, no tracking", "plain-reco"),
    ("product page with recommendations, tracking", "tracked-reco"),
    ("  the same, View written in the request", "tracked-in-request-reco"),
)


def bench_processes(pks: list[int], requests: int, conn_max_age: int) -> None:
    """The product page with recommendations from a server process per variant
    (untracked; tracked; tracked with the View written in the request),
    interleaved, with ``CONN_MAX_AGE = conn_max_age``. Whatever tracking costs
    a process beyond the request (the publisher thread, the database's state
    after its writes, the write after the response) falls on the tracked
    pages alone, in their times and in the process's CPU per page. After each
    timed request, the client waits until that server is idle (an untimed
    ping, whose own CPU time is measured apart and taken off). Nothing else holds the database
    open meanwhile, as on a site whose only clients are its web processes."""
    from django.db import connections

    connections.close_all()
    servers = {}
    try:
        for _, name in PROCESS_VARIANTS:
            port = free_port()
            servers[name] = (
                subprocess.Popen(
                    [sys.executable, __file__, "--serve", str(port)],
                    cwd=ROOT,
                    env=dict(os.environ, PERSONALIZE_BENCH_CONN_MAX_AGE=str(conn_max_age)),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
                port,
            )
        deadline = time.monotonic() + 60
        for name, (proc, port) in servers.items():
            while not port_open(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {name} server did not start: {proc.stderr.read()}")
                time.sleep(0.05)
        bases = {name: f"http://127.0.0.1:{port}" for name, (_, port) in servers.items()}
        visitors = {name: http_visitor(base) for name, base in bases.items()}
        waits = {name: idle_waiter(base) for name, base in bases.items()}
        rng = random.Random(5)
        timings: dict[str, list[float]] = {name: [] for name in servers}
        cpu_before: dict[str, float | None] = {}
        for round_number in range(requests + 50):
            if round_number == 50:  # the first 50 rounds warm caches up
                cpu_before = {
                    name: process_cpu_seconds(proc.pid) for name, (proc, _) in servers.items()
                }
            pk = rng.choice(pks)
            order = list(servers)
            rng.shuffle(order)
            for name in order:
                started = time.perf_counter()
                status = visitors[name](f"/{name}/{pk}/")
                elapsed = time.perf_counter() - started
                waits[name]()
                assert status == 200, status
                if round_number >= 50:
                    timings[name].append(elapsed * 1000)
        cpu: dict[str, float | None] = {}
        for name, (proc, _) in servers.items():
            after, before = process_cpu_seconds(proc.pid), cpu_before.get(name)
            if after is None or before is None:
                cpu[name] = None
                continue
            for _ in range(requests):  # the pings alone, to take their CPU time off
                waits[name]()
            pings = process_cpu_seconds(proc.pid) - after
            cpu[name] = (after - before - pings) / requests
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
    plain = timings["plain-reco"]
    print(
        f"{'variant':48} {'median ms':>10} {'p90 ms':>8} {'overhead':>9} "
        f"{'paired (95% interval)':>22} {'process CPU ms/page':>20} {'CPU overhead':>13}"
    )
    for label, name in PROCESS_VARIANTS:
        values = timings[name]
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        own_cpu = cpu[name]
        cpu_text = f"{own_cpu * 1000:.3f}" if own_cpu is not None else "n/a"
        if name == "plain-reco":
            overhead = paired = cpu_overhead = ""
        else:
            overhead, paired = overhead_columns(values, plain)
            base_cpu = cpu["plain-reco"]
            cpu_overhead = (
                f"{(own_cpu / base_cpu - 1) * 100:+.1f}%" if own_cpu and base_cpu else "n/a"
            )
        print(
            f"{label:48} {median:10.3f} {p90:8.3f} {overhead:>9} {paired:>22} {cpu_text:>20} "
            f"{cpu_overhead:>13}"
        )
    print(
        "(process CPU: all the server process's threads over the timed rounds, per page, less "
        "the idle waits' pings; a tracked process's includes its publisher thread and its "
        "writes after the response)"
    )


def serve(port: int) -> None:
    """``--serve PORT``: serve the bench's pages from this process, on the database,
    engine and broker the parent set up (passed in the environment)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if os.environ.get("PERSONALIZE_BENCH_BROKER"):
        from celery import Celery

        app = Celery("bench")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.set_default()
    wsgi_server(port).serve_forever()


def fill_outbox(count: int) -> None:
    from personalize_django.models import OutboxEvent
    from personalize_sdk import Event

    OutboxEvent.objects.all().delete()
    rng = random.Random(2)
    rows = []
    for i in range(count):
        user = rng.randrange(500)
        event = Event(
            rng.choice(["View", "View", "View", "AddToCart", "Purchase"]),
            session_id=f"s{user}-{i // 20}",
            user_id=f"u{user}",
            item_id=str(rng.randrange(1000)),
        )
        rows.append(OutboxEvent(kind="event", record_id=event.event_id, payload=event.to_dict()))
    OutboxEvent.objects.bulk_create(rows, batch_size=1000)


def bench_drain(events: int, folder: Path) -> list[tuple[str, int, float]]:
    from personalize_django.outbox import deliver_pending
    from personalize_sdk.backends.local import LocalBackend

    class OneEventPerCall(LocalBackend):
        max_events_per_call = 1

    results = []
    for label, cls in (
        ("batched (500 events/call)", LocalBackend),
        ("one call per event", OneEventPerCall),
    ):
        fill_outbox(events)
        backend = cls(str(folder / f"engine-{cls.__name__}"), auto_train=False)
        started = time.perf_counter()
        report = deliver_pending(backend=backend, time_limit=float("inf"))
        seconds = time.perf_counter() - started
        backend.close()
        if report.delivered != events:
            print(f"  ({label}: delivered {report.delivered} of {events}, dead {report.dead})")
        results.append((label, report.calls, seconds))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per variant")
    parser.add_argument(
        "--events", type=int, default=10_000, help="events drained into the local backend"
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--drop-every-list",
        action="store_true",
        help="CACHE_KEEP_ITEM_LISTS_ON = (): every View drops every cached list of the visitor",
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return
    if args.drop_every_list:
        os.environ["PERSONALIZE_BENCH_DROP_EVERY_LIST"] = "1"

    folder = Path(tempfile.mkdtemp(prefix="personalize-bench-"))
    redis, broker = start_redis(folder)
    try:
        label = setup_django(folder, args.db, broker)
        if args.drop_every_list:
            label += ", every event drops every cached list"
        pks = seed()
        print(f"LocalBackend trained on a synthetic history: {train_engine(pks)}")
        print(f"Recommendation blocks: {describe_blocks(pks)}")
        for title, make_fetcher in (
            ("Django test client", test_client_fetcher),
            ("wsgiref server on loopback", server_fetcher),
        ):
            new_visitor, stop, wait_idle = make_fetcher()
            try:
                pages, recording = bench_pages(pks, args.requests, new_visitor, wait_idle)
            finally:
                stop()
            print_pages(
                f"Product page, {title}, {label}, {args.requests} requests per variant, "
                "interleaved",
                pages,
                recording,
            )
        for conn_max_age, why in ((600, "persistent connections"), (0, "Django's default")):
            print(
                f"\nProduct page, a wsgiref server process per variant, "
                f"{label}, CONN_MAX_AGE = {conn_max_age} ({why}), {args.requests} requests each, "
                "interleaved"
            )
            bench_processes(pks, args.requests, conn_max_age)
        if not broker:
            print("(no redis-server found: DELIVERY manual, no Celery publishing measured)")

        drain = bench_drain(args.events, folder)
        print(f"\nOutbox drain into LocalBackend, {args.events:,} events, one worker, {label}")
        print(f"{'mode':28} {'calls':>7} {'seconds':>8} {'events/s':>9}")
        for name, calls, seconds in drain:
            print(f"{name:28} {calls:7d} {seconds:8.2f} {args.events / seconds:9.0f}")
        pg = os.environ.get("PERSONALIZE_BENCH_PG_DB")
        if pg:
            drop_pg_database(pg)
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
