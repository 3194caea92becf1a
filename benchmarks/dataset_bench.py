"""Benchmark: export and check N synthetic events, and show that memory stays flat.

    python -m benchmarks.dataset_bench                  # 100,000 and 1,000,000 rows
    python -m benchmarks.dataset_bench --rows 250000 --no-tracemalloc

For each size it prints, for the export and for the check: seconds, rows per
second, the tracemalloc peak (Python allocations during the phase) and the
growth of the process's peak RSS. It asserts nothing: speed and memory
belong here, not in the tests. tracemalloc slows allocation-heavy code
several times over (about tenfold for the export, which builds a record per
row), so read speed from a ``--no-tracemalloc`` run. "rows" counts events;
the export phase also writes 10,000 items and 50,000 users.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from personalize_sdk.dataset.check import check_files
from personalize_sdk.dataset.export import CsvExporter
from personalize_sdk.records import Event, Item, User

N_USERS = 50_000
N_ITEMS = 10_000
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def synthetic_events(rows: int, seed: int = 7) -> Iterator[Event]:
    """``rows`` events, generated lazily: skewed item popularity, 70% views,
    15% add-to-cart, 15% purchases, spread over 180 days."""
    rng = random.Random(seed)
    step = timedelta(days=180) / max(rows, 1)
    for n in range(rows):
        roll = rng.random()
        event_type = "View" if roll < 0.7 else ("AddToCart" if roll < 0.85 else "Purchase")
        user = rng.randrange(N_USERS)
        yield Event(
            event_type,
            session_id=f"s{user}-{n // 20}",
            user_id=f"u{user}",
            item_id=f"i{int(N_ITEMS * rng.random() ** 3)}",
            sent_at=START + step * n,
        )


def synthetic_items() -> Iterator[Item]:
    for n in range(N_ITEMS):
        yield Item(f"i{n}", {"price": 5 + n % 95, "categoryL1": f"dept{n % 12}"})


def synthetic_users() -> Iterator[User]:
    for n in range(N_USERS):
        yield User(f"u{n}", {"membershipStatus": "gold" if n % 5 == 0 else "basic"})


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def measure(phase: Callable[[], object], trace: bool) -> tuple[float, float | None, float]:
    """Run ``phase``; return (seconds, tracemalloc peak MiB or None, peak RSS growth MiB)."""
    gc.collect()
    rss_before = _peak_rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    phase()
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak, _peak_rss_mb() - rss_before


def run(rows: int, trace: bool) -> list[tuple[str, int, float, float | None, float]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="personalize-bench-") as directory:
        exporter = CsvExporter(directory)
        holder: dict[str, object] = {}

        def export() -> None:
            holder["result"] = exporter.export(events=synthetic_events(rows), items=synthetic_items(),
                                               users=synthetic_users())

        seconds, peak, rss = measure(export, trace)
        results.append(("export", rows, seconds, peak, rss))
        paths = holder["result"].paths  # type: ignore[attr-defined]

        def check() -> None:
            holder["report"] = check_files(paths["Interactions"], items=paths["Items"], users=paths["Users"],
                                           now=(START + timedelta(days=200)).timestamp())

        seconds, peak, rss = measure(check, trace)
        results.append(("check", rows, seconds, peak, rss))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dataset_bench", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated sizes (default 100000,1000000)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="measure plain speed, without tracemalloc")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.rows.split(",") if s]
    trace = not args.no_tracemalloc
    print(f"personalize_sdk.dataset bench: {N_USERS:,} users, {N_ITEMS:,} items; "
          f"tracemalloc {'on' if trace else 'off'}; Python {sys.version.split()[0]}")
    print(f"{'phase':8} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'tracemalloc peak':>17} {'peak RSS growth':>16}")
    for rows in sizes:
        for phase, n, seconds, peak, rss in run(rows, trace):
            peak_text = f"{peak:,.1f} MiB" if peak is not None else "-"
            print(f"{phase:8} {n:>10,} {seconds:>8.1f} {n / seconds:>10,.0f} {peak_text:>17} {rss:>12,.1f} MiB")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
