"""A backend for the integration tests that keeps a ledger of every call.

Every ``put_events`` call appends each event to ``received`` (duplicates
included, so redeliveries can be counted) in a SQLite file that the test
reads; the events then go to the engine: a real
:class:`~personalize_sdk.backends.local.LocalBackend` under ``engine_path``
(which keeps each event id once), or, without it, a table keyed by event id.
It can be told to throttle a share of its calls (deterministically, from a
seed), to be slow after storing a call, and to hang after its ``hang_after``-th
call (having stored it, and touched ``hang_marker``), so a test can kill the
worker at a known point: calls delivered, the outbox not yet told.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from typing import Any, ClassVar, Sequence

from personalize_sdk import NotReadyError, ThrottledError
from personalize_sdk.backends.base import Backend
from personalize_sdk.records import Event, Item, User

SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    event_id TEXT NOT NULL, pid INTEGER NOT NULL, call INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS engine (event_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS throttled (pid INTEGER NOT NULL, call INTEGER NOT NULL);
"""


class RecordingBackend(Backend):
    name: ClassVar[str] = "recording"
    max_events_per_call: ClassVar[int] = 10
    one_session_per_call: ClassVar[bool] = False
    max_records_per_call: ClassVar[int] = 10

    def __init__(
        self,
        *,
        path: str,
        engine_path: str | None = None,
        throttle: float = 0.0,
        seed: int = 0,
        delay_after: float = 0.0,
        hang_after: int = 0,
        hang_marker: str | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.throttle = throttle
        self.delay_after = delay_after
        self.hang_after = hang_after
        self.hang_marker = hang_marker
        # Seeded per process, so each worker process throttles a fixed sequence of its calls.
        self.rng = random.Random(f"{seed}:{os.getpid()}")
        self.calls = 0
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self.engine = None
        if engine_path:
            from personalize_sdk.backends.local import LocalBackend

            self.engine = LocalBackend(engine_path, auto_train=False)

    def put_events(self, events: Sequence[Event]) -> None:
        self.calls += 1
        if self.throttle and self.rng.random() < self.throttle:
            self.db.execute("INSERT INTO throttled VALUES (?, ?)", (os.getpid(), self.calls))
            raise ThrottledError(backend=self.name)
        if len(events) > self.max_events_per_call:
            raise ValueError("too many events in one call")
        if self.engine is not None:
            self.engine.put_events(events)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT INTO received VALUES (?, ?, ?)",
                [(e.event_id, os.getpid(), self.calls) for e in events],
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO engine VALUES (?)", [(e.event_id,) for e in events]
            )
        if self.delay_after:
            time.sleep(self.delay_after)  # the backend took the call; its answer is slow
        if self.hang_after and self.calls == self.hang_after and self.hang_marker:
            with open(self.hang_marker, "w") as marker:
                marker.write(str(os.getpid()))
            time.sleep(3600)  # a stuck call: the test kills the worker now

    def put_items(self, items: Sequence[Item]) -> None:
        pass

    def put_users(self, users: Sequence[User]) -> None:
        pass

    def recommend(self, request: Any) -> Any:
        raise NotReadyError("the recording backend does not recommend")

    def rank(self, request: Any) -> Any:
        raise NotReadyError("the recording backend does not rank")

    def close(self) -> None:
        self.db.close()
        if self.engine is not None:
            self.engine.close()
