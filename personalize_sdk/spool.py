"""A durable on-disk queue for :class:`~personalize_sdk.client.Client`: ``Client(spool=path)``.

Without Django's outbox, a plain-Python client queues in memory, and a
process that dies loses what it had not delivered yet. With a spool, every
record is written to a SQLite database before ``record`` returns (WAL,
``synchronous=FULL``: a committed record survives a crash of the process and
of the machine), and it leaves the spool only once the backend took it.
The next ``Client(spool=path)`` delivers what a dead process left behind:
the guarantee of Snowplow's emitters, which Segment's client lacks.

Delivery is at least once: a process killed between the backend's answer and
the row's removal sends that record again, and events carry their
``event_id``, so the backend keeps it once. A record the backend refuses for
good is moved to the ``dead`` table, with the reason, and reported through
``on_error``; it is never deleted. A record whose delivery failed in a way
that may pass (throttling, an outage) stays queued and is tried again on the
next write, or by the next client.

One process at a time should deliver a spool: two would both send the rows
(harmless, thanks to the event ids, but twice the calls).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from typing import Any, Callable, Iterable, Sequence

from .exceptions import ConfigurationError
from .records import Event, Item, User
from .sending import EVENTS, ITEMS, USERS, SendOutcome

logger = logging.getLogger("personalize_sdk")

_CLASSES = {EVENTS: Event, ITEMS: Item, USERS: User}
#: rows read per round of :meth:`Spool.drain`
DRAIN_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, error TEXT NOT NULL
);
"""

SendKind = Callable[[str, list[tuple[int, Any]]], SendOutcome[int]]


class Spool:
    """Records waiting for the backend, in a SQLite database at ``path``
    (created if missing; its folder must exist)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise ConfigurationError(f"The client's 'spool' folder {folder!r} does not exist")
        # One connection shared by the writers and the worker thread, behind a lock.
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise ConfigurationError(f"The client's 'spool' {self.path!r} is not usable: {err}") from err

    def append(self, kind: str, records: Sequence[Any]) -> None:
        """Write ``records`` of ``kind`` in one transaction: all or none."""
        rows = [(kind, json.dumps(record.to_dict(), ensure_ascii=False)) for record in records]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO spool (kind, payload) VALUES (?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM spool").fetchone()[0]

    def dead(self) -> list[tuple[str, dict[str, Any], str]]:
        """``(kind, record as a dict, reason)`` of the records the backend refused for good."""
        with self._lock:
            rows = self._db.execute("SELECT kind, payload, error FROM dead ORDER BY id").fetchall()
        return [(kind, json.loads(payload), error) for kind, payload, error in rows]

    def _read(self, after: int, limit: int) -> list[tuple[int, str, str]]:
        with self._lock:
            return self._db.execute(
                "SELECT id, kind, payload FROM spool WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
            ).fetchall()

    def _remove(self, ids: Iterable[int]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM spool WHERE id = ?", [(i,) for i in ids])

    def _bury(self, dead: Sequence[tuple[int, BaseException]]) -> None:
        if not dead:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for row_id, error in dead:
                self._db.execute(
                    "INSERT OR REPLACE INTO dead (id, kind, payload, error) "
                    "SELECT id, kind, payload, ? FROM spool WHERE id = ?",
                    (f"{type(error).__name__}: {error}"[:2000], row_id),
                )
                self._db.execute("DELETE FROM spool WHERE id = ?", (row_id,))
            self._db.execute("COMMIT")

    def drain(self, send_kind: SendKind) -> int:
        """Deliver every queued record once, oldest first, through
        ``send_kind(kind, [(row id, record)])``; remove what was delivered,
        bury what is dead, keep what may succeed later. Returns how many
        records were delivered."""
        after, delivered = 0, 0
        while True:
            rows = self._read(after, DRAIN_BATCH)
            if not rows:
                return delivered
            after = rows[-1][0]
            by_kind: dict[str, list[tuple[int, Any]]] = {}
            undecodable: list[tuple[int, BaseException]] = []
            for row_id, kind, payload in rows:
                try:
                    record = _CLASSES[kind].from_dict(json.loads(payload))
                except (KeyError, ValueError, TypeError) as err:
                    logger.error("spooled record %d in %s does not decode: %s", row_id, self.path, err)
                    undecodable.append((row_id, err))
                    continue
                by_kind.setdefault(kind, []).append((row_id, record))
            self._bury(undecodable)
            for kind, entries in by_kind.items():
                outcome = send_kind(kind, entries)
                self._remove(outcome.delivered)
                self._bury(outcome.dead)
                delivered += len(outcome.delivered)

    def close(self) -> None:
        with self._lock:
            self._db.close()
