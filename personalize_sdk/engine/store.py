"""Durable storage of events, items, users and served recommendations, in SQLite.

One database file (``engine.sqlite3`` under the engine's folder) holds
everything the engine learns from; trained models are derived from it and can
always be rebuilt. Several processes may share the file (a web server reading,
a Celery worker writing), so it runs in WAL mode: readers never block the
writer, and every process sees each committed write at its next query.

Durability: :meth:`Store.add_events` returns only after its transaction has
committed. With ``synchronous=NORMAL`` in WAL mode the commit has reached the
operating system when it returns, so it survives a crash of the *process*
(kill -9, an exception, an OOM kill); only a power loss or kernel crash can
lose the last transactions, which ``synchronous="FULL"`` (an fsync per
commit, several times slower) also guards against.

An event whose ``event_id`` is already stored is ignored, as Personalize
ignores a repeated ``eventId``, so a retried delivery never counts twice.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
from contextlib import contextmanager
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..records import Event, Item, User

DB_FILENAME = "engine.sqlite3"
#: events per write (one ``executemany``) of :meth:`Store.import_events`
IMPORT_CHUNK = 50_000
#: events per transaction of :meth:`Store.import_events`: a commit writes every
#: index page the transaction touched, and random event ids touch most of them,
#: so at 4M stored events committing every 500,000 rather than every 50,000
#: nearly halves the time of an import
IMPORT_COMMIT = 500_000
#: each connection's page cache, in KiB (allocated as pages are read)
CACHE_KIB = 64 * 1024
#: the import's page cache, in KiB: the indexes' pages a chunk touches
IMPORT_CACHE_KIB = 512 * 1024
#: pages of write-ahead log between automatic checkpoints (SQLite's default: 1000)
WAL_CHECKPOINT_PAGES = 10_000

_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (event_id, event_type, session_id, user_id, item_id, ts,"
    " event_value, recommendation_id, impression, properties) VALUES (?,?,?,?,?,?,?,?,?,?)"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    session_id TEXT NOT NULL,
    user_id TEXT,
    item_id TEXT,
    ts REAL NOT NULL,
    event_value REAL,
    recommendation_id TEXT,
    impression TEXT,
    properties TEXT
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, ts);
-- (events_session, on (session_id, ts), served no query: a fourth index to
-- write at every insert.)
DROP INDEX IF EXISTS events_session;
-- Two jobs: the sessions a user's events came from (a login joins a guest
-- session to the user), read from the index alone; and a guest session's
-- anonymous events, (NULL, session_id), without walking the user's own events
-- in that session.
CREATE INDEX IF NOT EXISTS events_user_session ON events (user_id, session_id);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    properties TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    properties TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS served (
    recommendation_id TEXT PRIMARY KEY,
    use_case TEXT NOT NULL,
    user_id TEXT,
    item_ids TEXT NOT NULL,
    ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS served_ts ON served (ts);
-- Items and users that came in bulk (a dataset import), not one by one: an
-- import in FULL mode replaces these and keeps the others, as Personalize does.
CREATE TABLE IF NOT EXISTS imported (
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (kind, record_id)
) WITHOUT ROWID;
"""


class Store:
    """Thread-safe access to the engine's SQLite database.

    ``folder=None`` keeps everything in memory (one connection shared under a
    lock, gone with the object). With a folder, connections come from a small
    pool, one per concurrent caller, so readers run in parallel; writes are
    serialised by a lock within the process and by SQLite across processes
    (``busy_timeout`` makes concurrent writers wait rather than fail).
    """

    def __init__(self, folder: str | None = None, *, synchronous: str = "NORMAL", busy_timeout: float = 30.0):
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, not {synchronous!r}")
        self.folder = folder
        self.synchronous = synchronous.upper()
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()          # writes (and everything in memory mode)
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._shared: sqlite3.Connection | None = None
        if folder is None:
            self._shared = self._open(":memory:")
        else:
            os.makedirs(folder, exist_ok=True)
            self.path = os.path.join(folder, DB_FILENAME)
            with self._lock, self._connection() as conn:  # create the schema once
                conn.executescript(_SCHEMA)

    # -- connections -----------------------------------------------------
    def _open(self, target: str) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=self.busy_timeout, check_same_thread=False, isolation_level=None)
        if target != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        # Deleted rows are overwritten, not just unlinked: a forgotten user's
        # ids must not linger in free pages (some SQLite builds default to it,
        # this one is not left to chance).
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        if target != ":memory:":
            # A checkpoint writes the log's pages back at random places of the
            # database (and syncs it): every 40 MB of log rather than every 4,
            # a batch of events costs half as much once the indexes are big.
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        if target == ":memory:":
            conn.executescript(_SCHEMA)
        with self._pool_lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection for the duration of the block (the pool grows to
        the number of concurrent callers and no further: a web server's
        short-lived request threads reuse connections instead of leaking them)."""
        if self._closed:
            raise RuntimeError("the engine's store is closed")
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._open(self.path)
        try:
            yield conn
        finally:
            with self._pool_lock:
                if self._closed:
                    conn.close()
                else:
                    self._idle.append(conn)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the engine's store is closed")
                yield self._shared
        else:
            with self._connection() as conn:
                yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._read() as conn, self._transaction(conn):
            yield conn

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
        # BEGIN IMMEDIATE takes the write lock up front, so a transaction never
        # fails half-way on a lock upgrade when another process writes too.
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # never hand a connection mid-transaction back to the pool
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock, self._pool_lock:
            if self._closed:
                return
            self._closed = True
            for conn in self._connections:
                if conn in self._idle or conn is self._shared:
                    conn.close()
            # connections in use are closed when their block ends
            self._idle.clear()
            self._connections.clear()

    # -- writes ----------------------------------------------------------
    def add_events(self, events: Sequence[Event]) -> int:
        """Store ``events`` in one transaction; return how many were new
        (events whose ``event_id`` is already stored are skipped)."""
        rows = [_event_row(e) for e in events]
        with self._write() as conn:
            return _insert_events(conn, rows)

    def import_events(
        self,
        events: Iterable[Event],
        *,
        chunk_size: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> int:
        """Store every event of ``events`` (any iterable, read once, a chunk
        at a time: memory stays flat) by :meth:`add_events`'s rule (an
        ``event_id`` already stored is skipped, and of two with one id the
        first wins); return how many were new.

        Each chunk of ``chunk_size`` events is written by a thread of its own
        while the next chunk is read (SQLite works without the GIL while
        Python builds events), its rows ordered by user (a stable sort: the
        user indexes are written in runs rather than at random), in
        transactions of about ``IMPORT_COMMIT`` events, with a page cache large
        enough for the indexes while the import runs, given back at the end.
        A failure of ``events`` keeps what was written before it; a failure to
        write keeps the transactions committed before it. ``progress(read,
        added)`` is called in the caller's thread as chunks are written, with
        the running counts of events written and of events new among them, and
        once at the end."""
        if chunk_size is None:
            chunk_size = IMPORT_CHUNK
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        iterator = iter(events)
        with self._lock, self._read() as conn:
            conn.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
            try:
                with _ChunkWriter(conn, progress) as writer:
                    while True:
                        unique: dict[str, tuple] = {}
                        count = 0
                        for event in islice(iterator, chunk_size):
                            row = _event_row(event)
                            unique.setdefault(row[0], row)
                            count += 1
                        if not count:
                            break
                        writer.put(sorted(unique.values(), key=_row_user), count)
            finally:
                conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
                conn.execute("PRAGMA shrink_memory")
        return writer.added

    def put_items(self, items: Sequence[Item], *, imported: bool = False) -> None:
        """Store ``items`` (``imported``: they come from a bulk import, which a
        later import in FULL mode replaces; otherwise one by one, which it keeps)."""
        now = time.time()
        with self._write() as conn:
            conn.executemany(
                # An upsert, not a replace: an updated item keeps its place in the catalogue.
                "INSERT INTO items (item_id, properties, updated) VALUES (?,?,?) ON CONFLICT (item_id)"
                " DO UPDATE SET properties = excluded.properties, updated = excluded.updated",
                [(i.item_id, i.properties_json, now) for i in items],
            )
            _mark_imported(conn, "items", [i.item_id for i in items], imported)

    def put_users(self, users: Sequence[User], *, imported: bool = False) -> None:
        """Store ``users`` (``imported`` as for :meth:`put_items`)."""
        now = time.time()
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO users (user_id, properties, updated) VALUES (?,?,?)",
                [(u.user_id, u.properties_json, now) for u in users],
            )
            _mark_imported(conn, "users", [u.user_id for u in users], imported)

    def delete_imported(self, kind: str) -> int:
        """Delete the items or users (``kind``) stored by a bulk import; those
        put one by one stay. Return how many were deleted."""
        if kind not in ("items", "users"):
            raise ValueError(f"kind must be 'items' or 'users', not {kind!r}")
        key = "item_id" if kind == "items" else "user_id"
        with self._write() as conn:
            deleted = conn.execute(
                f"DELETE FROM {kind} WHERE {key} IN (SELECT record_id FROM imported WHERE kind = ?)", (kind,)
            ).rowcount
            conn.execute("DELETE FROM imported WHERE kind = ?", (kind,))
        return deleted

    def delete_events_by_seq(self, seqs: Sequence[int]) -> int:
        """Delete the events stored at ``seqs`` (positions from
        :meth:`iter_event_rows`); return how many were deleted."""
        deleted = 0
        with self._write() as conn:
            for part in _parts(list(seqs)):
                deleted += conn.execute(
                    f"DELETE FROM events WHERE seq IN ({','.join('?' * len(part))})", part
                ).rowcount
        return deleted

    def snapshot(self, folder: str) -> None:
        """A consistent copy of everything stored, as the store of ``folder``
        (SQLite's online backup: writers may go on meanwhile)."""
        os.makedirs(folder, exist_ok=True)
        target = sqlite3.connect(os.path.join(folder, DB_FILENAME))
        try:
            with self._read() as conn:
                conn.backup(target)
        finally:
            target.close()

    def delete_events_by_id_prefix(self, prefix: str) -> int:
        """Delete the events whose id starts with ``prefix`` (a bulk import's
        events, by the ids it gave them); return how many were deleted."""
        if not prefix:
            raise ValueError("prefix must not be empty")
        # A range of the unique index on event_id (LIKE would not use it).
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM events WHERE event_id >= ? AND event_id < ?", (prefix, upper)
            ).rowcount

    def record_served(self, recommendation_id: str, use_case: str, user_id: str | None, item_ids: Sequence[str]) -> None:
        """Remember what a recommendation id showed (for implicit impressions)."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO served (recommendation_id, use_case, user_id, item_ids, ts) VALUES (?,?,?,?,?)",
                (recommendation_id, use_case, user_id, json.dumps(list(item_ids)), time.time()),
            )

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete a user's events, the anonymous events of the sessions joined
        to them (every session one of their events carries: a guest's history
        joined at login is theirs), their profile, and the served lists asked
        for with their id or one of those session ids; return the counts
        deleted. Events of *another* user in a shared session stay."""
        with self._write() as conn:
            sessions = _joined_sessions(conn, user_id)
            events = conn.execute("DELETE FROM events WHERE user_id = ?", (user_id,)).rowcount
            guest_events = 0
            for part in _parts(sorted(sessions)):
                guest_events += conn.execute(
                    "DELETE FROM events INDEXED BY events_user_session WHERE user_id IS NULL"
                    f" AND session_id IN ({','.join('?' * len(part))})", part
                ).rowcount
            users = conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,)).rowcount
            conn.execute("DELETE FROM imported WHERE kind = 'users' AND record_id = ?", (user_id,))
            # A guest's lists were asked for with the session id as the user id.
            # (No index on served.user_id: forgetting is rare, serving is not.)
            served = 0
            for part in _parts(sorted(sessions | {user_id})):
                served += conn.execute(
                    f"DELETE FROM served WHERE user_id IN ({','.join('?' * len(part))})", part
                ).rowcount
        self._checkpoint()
        return {"events": events, "guest_events": guest_events, "sessions": len(sessions),
                "users": users, "served": served}

    def _checkpoint(self) -> None:
        """Fold the write-ahead log into the database and truncate it, so the
        frames written before a forget (which still hold the user's rows) are
        gone from disk too. A reader in the middle of a transaction makes the
        checkpoint busy: it is tried again until ``busy_timeout`` runs out."""
        if self.folder is None:
            return  # in memory: no file to leave anything in
        deadline = time.monotonic() + self.busy_timeout
        with self._lock, self._read() as conn:
            while True:
                busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy or time.monotonic() >= deadline:
                    return
                time.sleep(0.05)  # let the reader finish its transaction

    # -- reads -----------------------------------------------------------
    def history(self, user_id: str, limit: int) -> list[tuple[str, str, float]]:
        """The user's latest ``limit`` item events as ``(item_id, event_type, ts)``,
        most recent first. Anonymous events count too when their session is
        joined to the user (one of the user's events carries that session id,
        as the ``Login`` event does: the guest's views are theirs from the next
        request on), or when the session id *is* ``user_id`` (Personalize: a
        guest is asked for by passing the session id as the user id)."""
        with self._read() as conn:
            # Each part comes through an index and is cut at ``limit`` before
            # the merge, so a long history costs no more than ``limit`` rows
            # (a guest session's rows are few; they are sorted, not walked).
            rows = conn.execute(
                "SELECT item_id, event_type, ts, seq FROM events WHERE user_id = ? AND item_id IS NOT NULL"
                " ORDER BY ts DESC, seq DESC LIMIT ?",
                (user_id, limit),
            ).fetchall()
            sessions = _joined_sessions(conn, user_id)
            sessions.add(user_id)
            for part in _parts(sorted(sessions)):
                rows += conn.execute(
                    "SELECT item_id, event_type, ts, seq FROM events INDEXED BY events_user_session"
                    f" WHERE user_id IS NULL AND session_id IN ({','.join('?' * len(part))})"
                    " AND item_id IS NOT NULL ORDER BY ts DESC, seq DESC LIMIT ?",
                    (*part, limit),
                ).fetchall()
        rows.sort(key=lambda row: (-row[2], -row[3]))
        return [row[:3] for row in rows[:limit]]

    def user_properties(self, user_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute("SELECT properties FROM users WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            return None
        return json.loads(row[0]) if row[0] else {}

    def count_events(self, upto_seq: int | None = None) -> int:
        with self._read() as conn:
            if upto_seq is None:
                return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            return conn.execute("SELECT COUNT(*) FROM events WHERE seq <= ?", (upto_seq,)).fetchone()[0]

    def prune_served(self, older_than: float) -> int:
        """Delete served lists recorded before epoch ``older_than``; return how many."""
        with self._write() as conn:
            return conn.execute("DELETE FROM served WHERE ts < ?", (older_than,)).rowcount

    def max_seq(self) -> int:
        with self._read() as conn:
            return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def has_event(self, event_id: str) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,)).fetchone() is not None

    def _chunks(
        self, sql: str, key_index: int, chunk: int = 50_000, *, condition: str = "", params: tuple = ()
    ) -> Iterator[list[tuple]]:
        # Keyset pagination keeps the lock (in memory mode) short and memory flat.
        # ``condition`` (with ``params``) narrows the rows, beside the keyset's own.
        last: Any = None
        while True:
            conditions = [c for c in (condition, last is not None and f"{_KEYS[key_index]} > ?") if c]
            where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
            values = (*params, *(() if last is None else (last,)), chunk)
            with self._read() as conn:
                rows = conn.execute(sql.format(where=where), values).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]
            if len(rows) < chunk:
                return

    def iter_event_rows(self, *, item_events_only: bool = False, upto_seq: int | None = None) -> Iterator[list[tuple]]:
        """Chunks of ``(seq, event_type, session_id, user_id, item_id, ts, recommendation_id, impression)``
        in storage order: what training needs, without building Event objects."""
        for rows in self._chunks(
            "SELECT seq, event_type, session_id, user_id, item_id, ts, recommendation_id, impression"
            " FROM events {where} ORDER BY seq LIMIT ?",
            0,
        ):
            if upto_seq is not None:
                rows = [r for r in rows if r[0] <= upto_seq]
                if not rows:
                    return
            if item_events_only:
                rows = [r for r in rows if r[4] is not None]
            yield rows

    def event_property_counts(self, *, upto_seq: int | None = None) -> list[tuple[str, str, int]]:
        """``(item_id, properties JSON, count)`` over the item events that have
        properties (their metadata columns: the context they happened in),
        counted by SQLite so that Python sees each distinct pair once."""
        with self._read() as conn:
            return conn.execute(
                "SELECT item_id, properties, COUNT(*) FROM events WHERE seq <= ? AND item_id IS NOT NULL"
                " AND properties IS NOT NULL GROUP BY item_id, properties",
                (upto_seq if upto_seq is not None else 2**62,),
            ).fetchall()

    def item_counts_since(self, seq: int) -> tuple[int, list[tuple[str, str, int]]]:
        """The last stored ``seq``, and ``(item_id, event_type, count)`` of the
        item events stored after ``seq`` (a range of the primary key: cheap
        when few events are new)."""
        with self._read() as conn:
            last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
            rows = conn.execute(
                "SELECT item_id, event_type, COUNT(*) FROM events WHERE seq > ? AND seq <= ?"
                " AND item_id IS NOT NULL GROUP BY item_id, event_type",
                (seq, last),
            ).fetchall()
        return last, rows

    def iter_events(self, *, since: float | None = None) -> Iterator[Event]:
        """Every stored event, oldest first (for export); with ``since`` (epoch
        seconds), only those sent at or after it. SQLite skips the others
        (a scan without an index on the time: no other write pays for it),
        so a recent window costs what its own events cost."""
        sql = (
            "SELECT seq, event_id, event_type, session_id, user_id, item_id, ts, event_value,"
            " recommendation_id, impression, properties FROM events {where} ORDER BY seq LIMIT ?"
        )
        narrowed = {} if since is None else {"condition": "ts >= ?", "params": (float(since),)}
        for rows in self._chunks(sql, 0, **narrowed):
            for r in rows:
                # Validated when stored: read back without checking every field again.
                yield Event.restored(r[1], r[2], r[3], r[5], r[4], r[6], r[7], r[8],
                                     json.loads(r[9]) if r[9] else None, r[10])

    def iter_items(self) -> Iterator[Item]:
        for rows in self._chunks("SELECT item_id, properties FROM items {where} ORDER BY item_id LIMIT ?", 1):
            for item_id, props in rows:
                yield Item(item_id, props)

    def iter_users(self) -> Iterator[User]:
        for rows in self._chunks("SELECT user_id, properties FROM users {where} ORDER BY user_id LIMIT ?", 2):
            for user_id, props in rows:
                yield User(user_id, props)

    def item_rows(self) -> list[tuple[str, str | None]]:
        """All ``(item_id, properties JSON)`` pairs, in the order they were put
        (the catalogue's order, where ties fall: never ids sorted as strings,
        which would put "100" before "11")."""
        return [row[1:] for rows in self._chunks(
            "SELECT rowid, item_id, properties FROM items {where} ORDER BY rowid LIMIT ?", 3) for row in rows]

    def served_item_counts(self) -> list[tuple[str, int]]:
        """``(item_id, times shown)`` over every remembered served list."""
        with self._read() as conn:
            try:
                return conn.execute(
                    "SELECT shown.value, COUNT(*) FROM served, json_each(served.item_ids) AS shown"
                    " GROUP BY shown.value").fetchall()
            except sqlite3.OperationalError:  # an SQLite built without JSON: count here
                rows = conn.execute("SELECT item_ids FROM served").fetchall()
        counts: dict[str, int] = {}
        for (item_ids,) in rows:
            for item_id in json.loads(item_ids):
                counts[item_id] = counts.get(item_id, 0) + 1
        return list(counts.items())

    def served_lists(self, recommendation_ids: Sequence[str]) -> dict[str, list[str]]:
        """What each of ``recommendation_ids`` showed, for those that are known."""
        found: dict[str, list[str]] = {}
        ids = list(dict.fromkeys(recommendation_ids))
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            with self._read() as conn:
                rows = conn.execute(
                    f"SELECT recommendation_id, item_ids FROM served WHERE recommendation_id IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
            for rid, item_ids in rows:
                found[rid] = json.loads(item_ids)
        return found


def _event_row(e: Event) -> tuple:
    """The ``events`` row of ``e`` (in the columns of ``_INSERT_EVENT``)."""
    return (
        e.event_id, e.event_type, e.session_id, e.user_id, e.item_id, e.sent_at_epoch, e.event_value,
        e.recommendation_id, json.dumps(list(e.impression)) if e.impression else None, e.properties_json,
    )


def _mark_imported(conn: sqlite3.Connection, kind: str, ids: list[str], imported: bool) -> None:
    if imported:
        conn.executemany("INSERT OR IGNORE INTO imported (kind, record_id) VALUES (?,?)", [(kind, i) for i in ids])
    else:  # put one by one from now on: a FULL import keeps it
        conn.executemany("DELETE FROM imported WHERE kind = ? AND record_id = ?", [(kind, i) for i in ids])


def _row_user(row: tuple) -> str:
    return row[3] or ""


def _insert_events(conn: sqlite3.Connection, rows: list[tuple]) -> int:
    """Insert ``rows`` (in a transaction the caller holds); return how many were new."""
    before = conn.total_changes
    conn.executemany(_INSERT_EVENT, rows)
    return conn.total_changes - before


class _ChunkWriter:
    """Writes chunks of rows in a thread of its own, one chunk behind the
    caller, in transactions of about ``IMPORT_COMMIT`` events (the last one
    committed at the end, whatever stopped the caller); the caller sees the
    writer's errors at the next ``put`` or at the end."""

    def __init__(self, conn: sqlite3.Connection, progress: Callable | None) -> None:
        self._conn, self._progress = conn, progress
        self._queue: "queue.Queue[tuple[list[tuple], int] | None]" = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self.read = self.added = 0
        self._committed = (0, 0)
        self._reported = 0
        self._thread = threading.Thread(target=self._run, name="personalize-import", daemon=True)

    def __enter__(self) -> "_ChunkWriter":
        self._thread.start()
        return self

    def put(self, rows: list[tuple], read: int) -> None:
        """Commit ``rows``, the new ones of ``read`` events."""
        self._raise_and_report()
        self._queue.put((rows, read))

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:  # else drain: the caller stops at its next put
                self._guarded(self._write, *chunk)
        if self._error is None and self._conn.in_transaction:
            self._guarded(self._commit)

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except BaseException as err:  # handed to the caller's thread
            self._error = err
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self.read, self.added = self._committed

    def _write(self, rows: list[tuple], read: int) -> None:
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")  # the write lock up front (see Store._transaction)
        self.added += _insert_events(self._conn, rows)
        self.read += read
        if self.read - self._committed[0] >= IMPORT_COMMIT:
            self._commit()

    def _commit(self) -> None:
        self._conn.execute("COMMIT")
        self._committed = (self.read, self.added)

    def _raise_and_report(self, final: bool = False) -> None:
        if self._error is not None:
            raise self._error
        read = self.read
        if self._progress is not None and (final or read != self._reported):
            self._reported = read
            self._progress(read, self.added)

    def __exit__(self, *exc_info: Any) -> None:
        self._queue.put(None)
        self._thread.join()
        if exc_info[0] is None:
            self._raise_and_report(final=True)


# The keyset column of each paginated query, by key_index.
_KEYS = ("seq", "item_id", "user_id", "rowid")


def _joined_sessions(conn: sqlite3.Connection, user_id: str) -> set[str]:
    """The session ids of ``user_id``'s events (from the covering index)."""
    return {row[0] for row in conn.execute(
        "SELECT DISTINCT session_id FROM events WHERE user_id = ?", (user_id,))}


def _parts(values: Any, size: int = 500) -> Iterator[list[str]]:
    """``values`` in lists of at most ``size`` (SQLite's limit on bound parameters)."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]
