"""How the local engine grows: ingest, training, memory and every use case's
latency at 100k, 1M and 4M events (``BENCH_SCALE=10m`` adds 10M).

    python -m benchmarks.scale_bench              # 100k, 1M and 4M events
    BENCH_SCALE=10m python -m benchmarks.scale_bench
    python -m benchmarks.scale_bench --quick      # 100k and 1M only

Run from the repository's root (``make bench`` does). Each row is a seeded
synthetic shop (:func:`benchmarks.engine_bench_data.synthetic_shop`) built,
ingested, trained and served in a fresh subprocess, so its peak resident
memory (``ru_maxrss``) is that row's own: the shop's arrays, the ingest, the
training and the requests.

Ingest is measured twice, the records built from the shop's arrays included
in both: the bulk path (``LocalBackend.import_events``) takes every event
but the last ``PUT_EVENTS`` ones, then ``put_events`` stores those in calls
of 500, into a database already holding the rest (the rate a live shop sees
at that size, not an empty database's). Latencies are per request through
``LocalBackend.recommend`` / ``rank`` (recording the served list included),
``REQUESTS`` per line after a few warm-up requests, for the five use cases
and the ranking of 25 items, each without and with a category filter. Each
row after the first is followed by its growth factor over the row before.

The bench asserts nothing: it prints the figures, and the issue's targets
beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any, Iterator

from benchmarks import engine_bench_data as bench_data

#: the repository's root: each row's child process runs this module from there
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: (events, items, users) of each row
SIZES = [(100_000, 5_000, 10_000), (1_000_000, 50_000, 100_000), (4_000_000, 200_000, 400_000)]
LARGE = (10_000_000, 500_000, 1_000_000)
#: events stored through put_events (at most half the row), after the bulk path
PUT_EVENTS = 200_000
REQUESTS = 1000
WARM_UP = 20
TYPES = ("View", "AddToCart", "Purchase")
FILTERS = {"category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"}
#: the lines of the latency table: (label, what the request needs)
CASES = [("recommended_for_you", "user"), ("also_viewed", "item"), ("bought_together", "item"),
         ("best_sellers", None), ("most_viewed", None), ("ranking of 25", "rank")]


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes there, KiB on Linux


def shop_events(shop: dict[str, Any], start: int, stop: int) -> Iterator[Any]:
    """The shop's events ``start:stop`` as records, built as they are read."""
    from personalize_sdk.records import Event

    for lo in range(start, stop, 50_000):
        hi = min(lo + 50_000, stop)
        rows = zip(shop["etype"][lo:hi].tolist(), shop["session"][lo:hi].tolist(), shop["item"][lo:hi].tolist(),
                   shop["user"][lo:hi].tolist(), shop["ts"][lo:hi].tolist())
        for etype, session, item, user, ts in rows:
            yield Event(TYPES[etype], f"s{session}", f"p{item}", f"c{user}", sent_at=ts)


def child(n_events: int, n_items: int, n_users: int, folder: str) -> dict[str, Any]:
    """One row, in this (fresh) process."""
    from personalize_sdk.backends.local import LocalBackend
    from personalize_sdk.engine._deps import np
    from personalize_sdk.records import Item

    shop = bench_data.synthetic_shop(n_events, n_items, n_users)
    total = len(shop["item"])
    backend = LocalBackend(folder, auto_train=False, min_data_scale=0.1)
    try:
        backend.configure_filters(FILTERS)
        has_filters = True
    except Exception:  # the filter evaluator is not installed: measure without
        has_filters = False
    items = [Item(f"p{i}", {"categoryL1": f"cat{c}", "price": 10.0}) for i, c in enumerate(shop["category"])]
    for start in range(0, len(items), 10_000):
        backend.put_items(items[start:start + 10_000])
    del items
    put = min(PUT_EVENTS, total // 2)
    started = time.perf_counter()
    backend.import_events(shop_events(shop, 0, total - put))
    bulk_s = time.perf_counter() - started
    started = time.perf_counter()
    batch: list[Any] = []
    for event in shop_events(shop, total - put, total):
        batch.append(event)
        if len(batch) == 500:
            backend.put_events(batch)
            batch = []
    if batch:
        backend.put_events(batch)
    put_s = time.perf_counter() - started
    ingest_rss = _peak_rss_mb()
    started = time.perf_counter()
    report = backend.train()
    train_s = time.perf_counter() - started
    train_rss = _peak_rss_mb()
    result: dict[str, Any] = {
        "events": total, "items": n_items, "users": n_users, "bulk_rate": (total - put) / bulk_s,
        "put_rate": put / put_s, "train_s": train_s, "ingest_rss_mb": ingest_rss, "train_rss_mb": train_rss,
        "similarity": report.similarity, "filters": has_filters,
    }
    result.update(latencies(backend, shop, has_filters, np))
    result["peak_rss_mb"] = _peak_rss_mb()
    backend.close()
    return result


def latencies(backend: Any, shop: dict[str, Any], has_filters: bool, np: Any) -> dict[str, float]:
    from personalize_sdk.use_cases import RankingRequest, RecommendationRequest

    rng = np.random.default_rng(3)
    users = np.unique(shop["user"])
    out: dict[str, float] = {}
    for label, needs in CASES:
        for filtered in (False, True) if has_filters else (False,):
            times = []
            for n in range(WARM_UP + REQUESTS):
                extra: dict[str, Any] = {}
                if filtered:
                    extra = {"filter": "category", "filter_values": {"CATEGORY": f"cat{rng.integers(50)}"}}
                user = f"c{rng.choice(users)}"
                if needs == "rank":
                    picks = rng.choice(shop["n_items"], 25, replace=False)
                    call, request = backend.rank, RankingRequest(user, tuple(f"p{i}" for i in picks), **extra)
                else:
                    who = {"user": {"user_id": user}, "item": {"item_id": f"p{rng.choice(shop['item'])}"},
                           None: {}}[needs]
                    call, request = backend.recommend, RecommendationRequest(label, num_results=10, **who, **extra)
                t = time.perf_counter()
                call(request)
                if n >= WARM_UP:
                    times.append(time.perf_counter() - t)
            key = f"{label}{' +filter' if filtered else ''}"
            out[f"{key} p50"] = float(np.percentile(times, 50) * 1000)
            out[f"{key} p99"] = float(np.percentile(times, 99) * 1000)
    return out


def run_row(size: tuple[int, int, int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="personalize-scale-") as folder:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale_bench", "--child", *map(str, size), folder],
            check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- printing -----------------------------------------------------------------
SUMMARY = [("events", "events", ",d"), ("items", "items", ",d"), ("users", "users", ",d"),
           ("bulk ev/s", "bulk_rate", ",.0f"), ("put ev/s", "put_rate", ",.0f"), ("train s", "train_s", ".1f"),
           ("RSS ingest", "ingest_rss_mb", ",.0f"), ("RSS train", "train_rss_mb", ",.0f"),
           ("RSS peak", "peak_rss_mb", ",.0f")]


def _growth(now: float, before: float) -> str:
    return f"x{now / before:.2f}" if before else "-"


def print_summary(rows: list[dict[str, Any]]) -> None:
    print("\nScale: ingest, training and memory (fresh process per row; RSS in MB, the peak so far at the end "
          "of ingest, of training, of the whole row)")
    print("  " + "".join(f"{label:>12}" for label, _k, _f in SUMMARY))
    for n, row in enumerate(rows):
        print("  " + "".join(f"{format(row[key], fmt):>12}" for _l, key, fmt in SUMMARY)
              + f"  [{row['similarity']}{'' if row['filters'] else ', no filter evaluator'}]")
        if n:
            print("  " + "".join(f"{_growth(row[key], rows[n - 1][key]):>12}" for _l, key, _f in SUMMARY))


def print_latencies(rows: list[dict[str, Any]]) -> None:
    print("\nScale: latency per request in ms (p50 / p99), and the p99's growth over the row before")
    head = f"  {'use case':<32}" + "".join(f"{row['events']:>16,}" for row in rows)
    print(head + "".join(f"{'p99 x':>9}" for _ in rows[1:]))
    keys = [k[:-4] for k in rows[0] if k.endswith(" p50")]
    for key in keys:
        cells = "".join(f"{row[key + ' p50']:>7.2f} /{row[key + ' p99']:>7.2f}" for row in rows)
        growth = "".join(f"{_growth(row[key + ' p99'], before[key + ' p99']):>9}"
                         for before, row in zip(rows, rows[1:]))
        print(f"  {key:<32}{cells}{growth}")


def print_targets(rows: list[dict[str, Any]]) -> None:
    """The issue's targets beside the figures (printed, never asserted)."""
    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print("\nTargets")
    for row in rows:
        e = row["events"]
        lines = [f"bulk ingest >= 100,000/s: {row['bulk_rate']:,.0f} {mark(row['bulk_rate'] >= 100_000)}",
                 f"put_events >= 30,000/s: {row['put_rate']:,.0f} {mark(row['put_rate'] >= 30_000)}"]
        if 3_500_000 <= e < 5_000_000:
            worst = max(v for k, v in row.items() if k.endswith(" p99"))
            lines += [f"every p99 <= 10 ms: worst {worst:.2f} {mark(worst <= 10)}",
                      f"training <= 60 s: {row['train_s']:.1f} {mark(row['train_s'] <= 60)}",
                      f"peak RSS <= 3 GB: {row['peak_rss_mb']:,.0f} MB {mark(row['peak_rss_mb'] <= 3 * 1024)}"]
        elif e >= 9_000_000:
            lines += [f"training <= 4 min: {row['train_s']:.1f} s {mark(row['train_s'] <= 240)}",
                      f"peak RSS <= 8 GB: {row['peak_rss_mb']:,.0f} MB {mark(row['peak_rss_mb'] <= 8 * 1024)}"]
        print(f"  {e:>12,} events: " + "; ".join(lines))


def sizes(quick: bool) -> list[tuple[int, int, int]]:
    scale = os.environ.get("BENCH_SCALE", "").strip().lower()
    if scale not in ("", "4m", "10m"):
        raise SystemExit(f"BENCH_SCALE must be empty, 4m or 10m, not {scale!r}")
    chosen = SIZES[:2] if quick else list(SIZES)
    return chosen + [LARGE] if scale == "10m" else chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the 100k and 1M rows")
    parser.add_argument("--child", nargs=4, metavar=("EVENTS", "ITEMS", "USERS", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        events, items, users, folder = args.child
        print(json.dumps(child(int(events), int(items), int(users), folder)))
        return 0
    from personalize_sdk.engine._deps import np

    print(f"personalize scale bench: Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    rows = []
    for size in sizes(args.quick):
        rows.append(run_row(size))
        print(f"  ({rows[-1]['events']:,} events done)", flush=True)
    print_summary(rows)
    print_latencies(rows)
    print_targets(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
