"""Storage: durability across reopen, duplicate event ids, export, deletion."""

from __future__ import annotations

from personalize_sdk import Event, Item, User

from .conftest import make_backend


def _event(n: int, user: str = "u1", **kw) -> Event:
    kw.setdefault("event_id", f"e{n}")
    return Event("View", session_id="s1", item_id=f"i{n}", user_id=user, sent_at=1_700_000_000 + n, **kw)


def test_events_items_and_users_survive_reopen(tmp_path):
    backend = make_backend(tmp_path / "engine")
    backend.put_events([_event(n) for n in range(5)])
    backend.put_items([Item("i1", {"categoryL1": "shoes"})])
    backend.put_users([User("u1", {"membership": "gold"})])
    backend.close()

    reopened = make_backend(tmp_path / "engine")
    assert [e.event_id for e in reopened.iter_events()] == [f"e{n}" for n in range(5)]
    assert [(i.item_id, dict(i.properties)) for i in reopened.iter_items()] == [("i1", {"categoryL1": "shoes"})]
    assert [u.user_id for u in reopened.iter_users()] == ["u1"]
    reopened.close()


def test_a_repeated_event_id_is_stored_once(backend):
    backend.put_events([_event(1), _event(2)])
    backend.put_events([_event(2), _event(3)])  # a retried delivery overlapping the first
    assert [e.event_id for e in backend.iter_events()] == ["e1", "e2", "e3"]
    assert backend.engine.put_events([_event(3)]) == 0


def test_exported_events_keep_every_field(backend):
    original = Event("Purchase", session_id="s9", item_id="i9", user_id="u9", sent_at=1_700_000_123.5,
                     event_value=12.5, properties={"discount": "yes"}, impression=["i9", "i8"],
                     recommendation_id="RID-1", event_id="e9")
    backend.put_events([original])
    (stored,) = backend.iter_events()
    assert stored.to_dict() == original.to_dict()


def test_forget_user_deletes_their_events_and_profile(backend):
    backend.put_events([_event(1, "u1"), _event(2, "u2")])
    backend.put_users([User("u1", {"membership": "gold"})])
    assert backend.forget_user("u1") == {"events": 1, "guest_events": 0, "sessions": 1, "users": 1, "served": 0}
    # u2's event in the same session is u2's: it stays
    assert [e.user_id for e in backend.iter_events()] == ["u2"]
    assert list(backend.iter_users()) == []


def test_forget_user_deletes_the_guest_events_of_sessions_joined_to_them(backend):
    store = backend.engine.store
    backend.put_events([
        Event("View", session_id="guest-1", item_id="i1", sent_at=1_700_000_000),
        Event("Login", session_id="guest-1", user_id="u1", sent_at=1_700_000_010),
        Event("View", session_id="u1-app", item_id="i2", user_id="u1", sent_at=1_700_000_020),
        Event("View", session_id="u1-app", item_id="i3", sent_at=1_700_000_030),  # anonymous, same app session
        Event("View", session_id="guest-2", item_id="i4", sent_at=1_700_000_040),  # somebody else, never joined
        Event("View", session_id="guest-1", item_id="i5", user_id="u2", sent_at=1_700_000_050),  # shared device
    ])
    store.record_served("RID-guest", "recommended_for_you", "guest-1", ["i9"])  # asked for by session id
    store.record_served("RID-u1", "recommended_for_you", "u1", ["i9"])
    store.record_served("RID-other", "recommended_for_you", "guest-2", ["i9"])

    assert backend.forget_user("u1") == {"events": 2, "guest_events": 2, "sessions": 2, "users": 0, "served": 2}
    assert [(e.session_id, e.user_id) for e in backend.iter_events()] == [("guest-2", None), ("guest-1", "u2")]
    assert set(store.served_lists(["RID-guest", "RID-u1", "RID-other"])) == {"RID-other"}


def test_anonymous_session_history_counts_for_its_session_id(backend):
    backend.put_events([Event("View", session_id="anon-1", item_id="i1", sent_at=1_700_000_000)])
    assert [row[0] for row in backend.engine.store.history("anon-1", 10)] == ["i1"]


def test_history_joins_the_guest_events_of_the_users_sessions(backend):
    backend.put_events([
        Event("View", session_id="guest-1", item_id="i1", sent_at=1_700_000_000),
        Event("View", session_id="guest-1", item_id="i2", sent_at=1_700_000_001),
        Event("View", session_id="guest-2", item_id="i3", sent_at=1_700_000_002),  # never joined
        Event("View", session_id="other", item_id="i4", user_id="u1", sent_at=1_700_000_003),
    ])
    store = backend.engine.store
    assert [row[0] for row in store.history("u1", 10)] == ["i4"]
    backend.put_events([Event("Login", session_id="guest-1", user_id="u1", sent_at=1_700_000_004)])
    assert [row[0] for row in store.history("u1", 10)] == ["i4", "i2", "i1"]  # newest first, merged
    assert [row[0] for row in store.history("u1", 2)] == ["i4", "i2"]
    assert [row[0] for row in store.history("guest-1", 10)] == ["i2", "i1"]  # the session id still works


def test_served_lists_are_kept_for_implicit_impressions_and_pruned_when_old(backend):
    store = backend.engine.store
    store.record_served("RID-1", "recommended_for_you", "u1", ["i1", "i2"])
    assert store.served_lists(["RID-1", "RID-unknown"]) == {"RID-1": ["i1", "i2"]}
    store.record_served("RID-2", "best_sellers", None, ["i2", "i3"])
    assert sorted(store.served_item_counts()) == [("i1", 1), ("i2", 2), ("i3", 1)]
    assert store.prune_served(older_than=0) == 0
    assert store.prune_served(older_than=float("inf")) == 2
    assert store.served_lists(["RID-1"]) == {} and store.served_item_counts() == []


def test_short_lived_threads_reuse_pooled_connections(tmp_path):
    import threading

    backend = make_backend(tmp_path / "engine")
    backend.put_events([_event(1)])
    for _ in range(20):  # like a development server's thread per request
        thread = threading.Thread(target=backend.engine.store.history, args=("u1", 10))
        thread.start()
        thread.join()
    assert len(backend.engine.store._connections) == 1
    backend.close()


def test_after_a_forget_no_file_of_the_engine_holds_the_user(tmp_path):
    # The deleted rows must not linger in free pages (secure_delete) nor in the
    # write-ahead log's older frames (a checkpoint that truncates it).
    backend = make_backend(tmp_path / "engine")
    marker = "forget-me-7f3a9c"
    backend.put_events([_event(n, marker) for n in range(50)] + [_event(100 + n, "stays") for n in range(50)])
    backend.put_users([User(marker, {"membership": "gold"})])
    assert any(marker.encode() in p.read_bytes() for p in (tmp_path / "engine").rglob("*") if p.is_file())
    backend.forget_user(marker)
    hits = [p.name for p in (tmp_path / "engine").rglob("*") if p.is_file() and marker.encode() in p.read_bytes()]
    assert hits == []
    assert {e.user_id for e in backend.iter_events()} == {"stays"}
    backend.close()


def test_deleting_by_id_prefix_removes_only_those_events(backend):
    backend.put_events([_event(n) for n in range(3)])
    backend.engine.import_events([_event(n, event_id=f"import-f-{n}") for n in range(10, 14)])
    backend.engine.import_events([_event(20, event_id="importer-1")])  # a longer id, not the prefix
    assert backend.engine.delete_events_by_id_prefix("import-") == 4
    assert [e.event_id for e in backend.iter_events()] == ["e0", "e1", "e2", "importer-1"]


def test_deleting_imported_records_keeps_those_put_one_by_one(backend):
    engine = backend.engine
    engine.put_items([Item("i1"), Item("i2")], imported=True)
    engine.put_items([Item("i3")])
    engine.put_items([Item("i2", {"categoryL1": "hats"})])  # put one by one since: it stays
    engine.put_users([User("u1"), User("u2")], imported=True)
    engine.put_users([User("u3")])
    engine.put_users([User("u2")], imported=True)
    backend.forget_user("u2")
    assert engine.delete_imported("items") == 1
    assert engine.delete_imported("users") == 1
    assert [i.item_id for i in backend.iter_items()] == ["i2", "i3"]
    assert [u.user_id for u in backend.iter_users()] == ["u3"]
    assert engine.delete_imported("items") == 0


def test_a_snapshot_holds_everything_stored_and_is_a_store_of_its_own(backend, tmp_path):
    from personalize_sdk.engine.store import Store

    backend.put_events([_event(n) for n in range(4)])
    backend.put_items([Item("i1", {"categoryL1": "shoes"})])
    backend.put_users([User("u1")])
    backend.engine.store.snapshot(str(tmp_path / "copy"))
    copy = Store(str(tmp_path / "copy"))
    try:
        seqs = [row[0] for rows in copy.iter_event_rows() for row in rows]
        assert copy.delete_events_by_seq(seqs[:2]) == 2
        assert [e.event_id for e in copy.iter_events()] == ["e2", "e3"]
        assert [i.item_id for i in copy.iter_items()] == ["i1"]
        assert [u.user_id for u in copy.iter_users()] == ["u1"]
    finally:
        copy.close()
    # the original is untouched
    assert [e.event_id for e in backend.iter_events()] == ["e0", "e1", "e2", "e3"]


def test_events_since_a_time_are_the_ones_sent_at_or_after_it(backend):
    from datetime import datetime, timezone

    backend.put_events([_event(n) for n in range(6)])  # sent at 1_700_000_000 + n
    since = datetime.fromtimestamp(1_700_000_003, timezone.utc)
    assert [e.event_id for e in backend.iter_events(since=since)] == ["e3", "e4", "e5"]
    assert len(list(backend.iter_events())) == 6


def test_events_since_a_time_span_chunks(backend, monkeypatch):
    from datetime import datetime, timezone

    from personalize_sdk.engine.store import Store

    real = Store._chunks
    monkeypatch.setattr(Store, "_chunks", lambda self, sql, key, chunk=2, **kw: real(self, sql, key, 2, **kw))
    backend.put_events([_event(n) for n in range(9)])
    since = datetime.fromtimestamp(1_700_000_002, timezone.utc)
    assert [e.event_id for e in backend.iter_events(since=since)] == [f"e{n}" for n in range(2, 9)]
