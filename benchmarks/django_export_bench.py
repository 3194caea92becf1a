"""Benchmark: ``personalize_export``'s event sources on 100,000 and 1,000,000
events, to show that memory stays flat however long the history.

    python benchmarks/django_export_bench.py [--rows 100000 --rows 1000000] [--no-tracemalloc]

Half of the events wait in the outbox (pending rows, read through the ORM in
chunks), half are in the local engine's store (read back through
``LocalBackend.iter_events``); :class:`personalize_django.dataset.records.ShopEvents`
reads both, de-duplicates them by event id in a temporary SQLite file, and
``CsvExporter`` writes them. For each size it prints seconds, rows per second,
the tracemalloc peak (Python allocations during the export) and the growth of
the process's peak RSS. It asserts nothing. tracemalloc slows the export
several times over: read speed from a ``--no-tracemalloc`` run.

What to expect: the tracemalloc peak is bounded by the read chunks, not by the
history (one run: 24 MB at 100,000 events, 48 MB at 300,000 and at 1,000,000).
The local engine reads its events back 50,000 rows at a time and holds the
previous chunk while it reads the next, so the peak stops growing once the
engine holds 100,000 events; the outbox is read 10,000 rows at a time and the
ids already seen live in a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup(folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    os.environ["PERSONALIZE_BENCH_SQLITE"] = str(folder / "bench.sqlite3")
    os.environ["PERSONALIZE_BENCH_ENGINE"] = str(folder / "engine")
    os.environ["PERSONALIZE_BENCH_BROKER"] = ""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)


def fill(rows: int, engine_path: Path) -> None:
    """``rows`` synthetic events: the first half into the outbox, the rest into the engine."""
    from django.db import transaction
    from django.test import override_settings

    from benchmarks.dataset_bench import synthetic_events
    from personalize_django.client import get_backend
    from personalize_django.models import OutboxEvent

    OutboxEvent.objects.all().delete()
    half = rows // 2
    batch: list = []
    with override_settings(PERSONALIZE=settings_for(engine_path)):
        backend = get_backend()
        for n, event in enumerate(synthetic_events(rows)):
            batch.append(event)
            if len(batch) < 5000 and n + 1 != half and n + 1 != rows:
                continue
            if n < half:
                with transaction.atomic():
                    OutboxEvent.objects.bulk_create(
                        [
                            OutboxEvent(kind="event", record_id=e.event_id, payload=e.to_dict())
                            for e in batch
                        ]
                    )
            else:
                for start in range(0, len(batch), backend.max_events_per_call):
                    backend.put_events(batch[start : start + backend.max_events_per_call])
            batch = []


def settings_for(engine_path: Path) -> dict:
    return {
        "BACKEND": "local",
        "OPTIONS": {"path": str(engine_path), "auto_train": False},
        "DELIVERY": "manual",
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(rows: int, folder: Path, engine_path: Path, trace: bool) -> None:
    from django.test import override_settings

    from personalize_django.dataset import ShopEvents, shop_formats
    from personalize_sdk.dataset import CsvExporter

    with override_settings(PERSONALIZE=settings_for(engine_path)):
        gc.collect()
        rss_before = peak_rss_mb()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        events = ShopEvents(sources=("outbox", "backend"), chunk_size=10_000)
        result = CsvExporter(
            str(folder / f"export-{rows}"),
            interactions_format=shop_formats()["Interactions"],
            chunk_size=10_000,
        ).export(events=events)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
        if trace:
            tracemalloc.stop()
    written = result.rows["Interactions"]
    print(
        f"{rows:>10,} {written:>10,} {seconds:>8.1f} {written / seconds:>12,.0f} "
        f"{peak:>12.1f} {peak_rss_mb() - rss_before:>12.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, action="append", help="events (repeatable)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="measure speed only")
    args = parser.parse_args(argv)
    sizes = args.rows or [100_000, 1_000_000]
    with tempfile.TemporaryDirectory(prefix="personalize-export-bench-") as tmp:
        folder = Path(tmp)
        setup(folder)
        print(
            f"{'events':>10} {'written':>10} {'seconds':>8} {'rows/s':>12} "
            f"{'tracemalloc':>12} {'RSS growth':>12}"
        )
        print(f"{'':>10} {'':>10} {'':>8} {'':>12} {'peak (MB)':>12} {'(MB)':>12}")
        for rows in sizes:
            engine_path = folder / f"engine-{rows}"
            fill(rows, engine_path)
            export(rows, folder, engine_path, not args.no_tracemalloc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
