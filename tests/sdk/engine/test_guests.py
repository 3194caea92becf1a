"""Guests and login: a guest's history joins the user at once (serving) and at
training, and forgetting the user forgets the guest sessions joined to them."""

from __future__ import annotations

import json
import sqlite3

from personalize_sdk import Event
from personalize_sdk.engine.interactions import load

from . import shop
from .conftest import fill, make_backend, make_client

LATER = shop.START + 60 * shop.DAY
GUEST = "guest-session-7"
USER = "new-customer"


def _browse_as_guest(client):
    # i81 is usually followed by i85 (the chains of shop.py); i1 by i5.
    client.record_many([
        Event("View", GUEST, "i81", sent_at=LATER),
        Event("View", GUEST, "i1", sent_at=LATER + 30),
    ])


def _login(client):
    client.record(Event("Login", GUEST, user_id=USER, sent_at=LATER + 60))


def test_after_login_recommended_for_you_reflects_the_guest_views_without_retraining(client, backend):
    _browse_as_guest(client)
    before = client.recommend("recommended_for_you", user_id=USER, num_results=5)
    assert before.source == "fallback" and "no history" in before.reason
    version = backend.engine.model.version

    _login(client)
    after = client.recommend("recommended_for_you", user_id=USER, num_results=5)

    assert backend.engine.model.version == version  # no training happened
    assert after.source == "model"
    assert {"i85", "i5"} <= set(after.item_ids)
    # the guest's own session id still gets the same history
    as_guest = client.recommend("recommended_for_you", user_id=GUEST, num_results=5)
    assert as_guest.item_ids == after.item_ids


def test_training_gives_the_guest_events_to_the_user_who_logged_in_from_the_session(client, backend):
    _browse_as_guest(client)
    client.record(Event("View", "never-joined", "i2", sent_at=LATER))
    _login(client)

    data = load(backend.engine.store, backend.engine.config)
    by_user: dict[str, list[str]] = {}
    for u, i in zip(data.user, data.item):
        by_user.setdefault(data.user_ids[u], []).append(data.item_ids[i])
    assert by_user[USER] == ["i81", "i1"]
    assert GUEST not in by_user and by_user["never-joined"] == ["i2"]

    backend.train()
    after = client.recommend("recommended_for_you", user_id=USER, num_results=5)
    assert after.source == "model" and {"i85", "i5"} <= set(after.item_ids)


def test_the_guest_events_count_at_training_even_when_login_comes_first_in_storage(backend):
    client = make_client(backend)
    client.record(Event("Login", GUEST, user_id=USER, sent_at=LATER + 60))
    _browse_as_guest(client)  # stored after the Login, sent before it
    data = load(backend.engine.store, backend.engine.config)
    assert data.user_ids == [USER] and len(data.item) == 2


def _rows(path):
    with sqlite3.connect(path / "engine.sqlite3") as db:
        return {table: db.execute(f"SELECT * FROM {table}").fetchall() for table in ("events", "users", "served")}


def _mentions(row, *needles):
    text = json.dumps(row, default=str)
    return any(needle in text for needle in needles)


def test_forget_user_removes_the_user_and_the_guest_sessions_joined_to_them(tmp_path):
    backend = make_backend(tmp_path / "engine")
    client = make_client(backend)
    fill(client)
    backend.train()
    _browse_as_guest(client)
    client.recommend("recommended_for_you", user_id=GUEST, num_results=5)  # served to the guest
    _login(client)
    client.record(Event("Purchase", f"user-{USER}", "i85", USER, sent_at=LATER + 90))
    client.recommend("recommended_for_you", user_id=USER, num_results=5)  # served to the user
    before = _rows(tmp_path / "engine")
    assert sum(_mentions(row, USER, GUEST) for rows in before.values() for row in rows) == 6

    counts = backend.forget_user(USER)

    assert counts == {"events": 2, "guest_events": 2, "sessions": 2, "users": 0, "served": 2}
    after = _rows(tmp_path / "engine")
    for table, rows in after.items():
        assert not [row for row in rows if _mentions(row, USER, GUEST)], table
    assert len(after["events"]) == len(before["events"]) - 4  # everybody else's stay
    # and the user's list no longer reflects the guest's views
    fresh = client.recommend("recommended_for_you", user_id=USER, num_results=5)
    assert fresh.source == "fallback"
    backend.close()
