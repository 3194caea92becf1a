"""The bulk path of the engine's ingest: ``import_events`` stores what
``put_events`` stores, skips stored ids, and reports progress."""

from __future__ import annotations

import pytest

from personalize_sdk.backends.local import LocalBackend
from personalize_sdk.engine.store import Store
from personalize_sdk.records import Event

pytest.importorskip("numpy")


def _events(n: int, start: int = 0) -> list[Event]:
    return [
        Event(
            ("View", "AddToCart", "Purchase")[i % 3], f"s{i // 4}", f"p{i % 17}", f"u{i % 7}" if i % 5 else None,
            sent_at=1_700_000_000.0 + i, event_value=float(i) if i % 3 == 2 else None,
            properties={"device": "mobile"} if i % 2 else None,
            impression=[f"p{i % 17}", f"p{(i + 1) % 17}"] if i % 4 == 0 else None,
            recommendation_id="r1" if i % 4 == 0 else None, event_id=f"e{i}",
        )
        for i in range(start, start + n)
    ]


def _stored(store: Store) -> list[Event]:
    return sorted(store.iter_events(), key=lambda e: e.event_id)


@pytest.fixture(params=["memory", "folder"])
def folder(request, tmp_path):
    return None if request.param == "memory" else str(tmp_path / "engine")


def test_bulk_path_stores_exactly_what_put_events_stores(folder, tmp_path):
    events = _events(1200)
    bulk = Store(folder)
    batched = Store(str(tmp_path / "batched"))
    try:
        assert bulk.import_events(iter(events), chunk_size=250) == 1200
        for start in range(0, len(events), 500):
            batched.add_events(events[start:start + 500])
        assert _stored(bulk) == _stored(batched) == sorted(events, key=lambda e: e.event_id)
        # A user's events keep their order (the chunks are sorted by user, stably).
        by_user = [e.event_id for e in bulk.iter_events() if e.user_id == "u1"]
        assert by_user == [e.event_id for e in events if e.user_id == "u1"]
    finally:
        bulk.close()
        batched.close()


def test_stored_ids_are_skipped_and_the_first_of_two_with_one_id_wins(folder):
    store = Store(folder)
    try:
        store.add_events(_events(10))
        repeated = Event("Purchase", "other", "p99", "u99", event_id="e20")
        added = store.import_events([*_events(30), repeated], chunk_size=7)
        assert added == 20
        assert store.count_events() == 30
        (kept,) = [e for e in store.iter_events() if e.event_id == "e20"]
        assert kept.item_id == "p3" and kept.session_id == "s5"
        assert store.import_events(_events(30)) == 0
    finally:
        store.close()


def test_progress_is_reported_per_chunk_and_at_the_end(folder):
    store = Store(folder)
    calls: list[tuple[int, int]] = []
    try:
        store.add_events(_events(5))
        assert store.import_events(_events(23), chunk_size=10, progress=lambda *counts: calls.append(counts)) == 18
    finally:
        store.close()
    assert calls[-1] == (23, 18)
    assert calls == sorted(calls) and len(set(calls)) == len(calls)
    assert {read for read, _ in calls} <= {10, 20, 23}


def test_an_empty_iterable_adds_nothing(folder):
    store = Store(folder)
    calls: list[tuple[int, int]] = []
    try:
        assert store.import_events(iter(()), progress=lambda *counts: calls.append(counts)) == 0
        assert store.count_events() == 0
    finally:
        store.close()
    assert calls == [(0, 0)]


def test_a_generator_larger_than_one_chunk_is_read_once_and_lazily(folder):
    pulled = []

    def history():
        for event in _events(5000):
            pulled.append(event.event_id)
            yield event

    store = Store(folder)
    try:
        seen_at_progress = []
        added = store.import_events(history(), chunk_size=1000,
                                    progress=lambda read, added: seen_at_progress.append((read, len(pulled))))
        assert added == 5000 and store.count_events() == 5000
    finally:
        store.close()
    assert len(pulled) == 5000
    # Never more than three chunks held: one stored, one queued, one being read.
    assert all(pulled_then - read <= 3000 for read, pulled_then in seen_at_progress)
    assert seen_at_progress[0][1] < 5000


def test_a_failing_chunk_keeps_the_chunks_before_it(folder):
    def history():
        yield from _events(10)
        raise RuntimeError("the source broke")

    store = Store(folder)
    try:
        with pytest.raises(RuntimeError, match="the source broke"):
            store.import_events(history(), chunk_size=4)
        assert store.count_events() == 8
    finally:
        store.close()


def test_a_failed_write_keeps_the_transactions_committed_before_it(folder, monkeypatch):
    """Chunks are written in transactions of about IMPORT_COMMIT events: a
    write that fails rolls back its own transaction only."""
    import sqlite3

    from personalize_sdk.engine import store as store_module

    monkeypatch.setattr(store_module, "IMPORT_COMMIT", 10, raising=False)
    real, calls = store_module._insert_events, []

    def insert(conn, rows):
        calls.append(len(rows))
        if len(calls) == 5:
            raise sqlite3.OperationalError("disk I/O error")
        return real(conn, rows)

    monkeypatch.setattr(store_module, "_insert_events", insert)
    store = Store(folder)
    try:
        with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
            store.import_events(_events(30), chunk_size=4)
        # chunks 1-3 (12 events) were committed; chunk 4 was in the transaction chunk 5 broke
        assert store.count_events() == 12
        assert store.import_events(_events(30), chunk_size=4) == 18  # the rest, once writes work
    finally:
        store.close()


def test_the_chunk_size_must_be_positive():
    store = Store(None)
    try:
        with pytest.raises(ValueError, match="chunk_size"):
            store.import_events([], chunk_size=0)
    finally:
        store.close()


def test_local_backend_import_events_counts_toward_training(tmp_path):
    backend = LocalBackend(str(tmp_path), auto_train=False)
    calls: list[tuple[int, int]] = []
    try:
        assert backend.import_events(_events(1500), progress=lambda *counts: calls.append(counts)) == 1500
        assert backend.import_events(_events(1500)) == 0
        assert calls[-1] == (1500, 1500)
        report = backend.train()
        assert report.events == 1500
    finally:
        backend.close()
