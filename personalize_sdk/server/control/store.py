"""The control plane's resources, kept in one SQLite file.

Each resource is a row: its ARN, its kind (``schema``, ``dataset-group``...),
its name, the ARN of the resource it belongs to (a dataset's dataset group, a
solution version's solution), a creation sequence (the order Lists answer
in) and its description as JSON, in the members of the model's shapes.
Members whose name starts with ``_`` are the server's own (tags, the use case
a recipe maps to...) and never reach an answer.

Under the server's ``--path`` the file is ``control.sqlite3``, so a restart
keeps every resource; without a path it lives in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Any, Iterator, Mapping

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    parent TEXT,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_kind ON resources (kind, seq);
CREATE INDEX IF NOT EXISTS resources_parent ON resources (parent, kind);
"""

FILE_NAME = "control.sqlite3"


class ResourceStore:
    """Thread-safe storage of resource descriptions (dicts), by ARN."""

    def __init__(self, folder: str | None = None) -> None:
        if folder is None:
            target = ":memory:"
        else:
            os.makedirs(folder, exist_ok=True)
            target = os.path.join(folder, FILE_NAME)
        # One connection behind a lock: control-plane calls are few and small.
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL" if folder else "PRAGMA journal_mode=MEMORY")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- writes ----------------------------------------------------------
    def add(
        self, kind: str, arn: str, name: str, data: Mapping[str, Any], parent: str | None = None
    ) -> dict[str, Any]:
        """Store a new resource; stamps ``creationDateTime`` and
        ``lastUpdatedDateTime`` unless given. Raises ``sqlite3.IntegrityError``
        when the ARN exists."""
        now = time.time()
        record = {"creationDateTime": now, "lastUpdatedDateTime": now, **data}
        with self._lock:
            seq = self._conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM resources").fetchone()[0]
            self._conn.execute(
                "INSERT INTO resources (arn, kind, name, parent, seq, data) VALUES (?,?,?,?,?,?)",
                (arn, kind, name, parent, seq, json.dumps(record)),
            )
        return record

    def update(self, arn: str, changes: Mapping[str, Any], *, touch: bool = True) -> dict[str, Any] | None:
        """Merge ``changes`` into the resource (``None`` values remove a member);
        return the new description, or ``None`` when it is gone."""
        with self._lock:
            record = self.get(arn)
            if record is None:
                return None
            for key, value in changes.items():
                if value is None:
                    record.pop(key, None)
                else:
                    record[key] = value
            if touch:
                record["lastUpdatedDateTime"] = time.time()
            self._conn.execute(
                "UPDATE resources SET data = ? WHERE arn = ?", (json.dumps(record), arn)
            )
            return record

    def delete(self, arn: str) -> None:
        """Delete ``arn`` and whatever belongs to it (a solution's versions,
        their batch jobs, a dataset's import jobs...)."""
        with self._lock:
            for (child,) in self._conn.execute("SELECT arn FROM resources WHERE parent = ?", (arn,)).fetchall():
                self.delete(child)
            self._conn.execute("DELETE FROM resources WHERE arn = ?", (arn,))

    # -- reads -----------------------------------------------------------
    def get(self, arn: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT data FROM resources WHERE arn = ?", (arn,)).fetchone()
        return json.loads(row[0]) if row else None

    def kind_of(self, arn: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT kind FROM resources WHERE arn = ?", (arn,)).fetchone()
        return row[0] if row else None

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        """The ``kind`` resource called ``name``, if any."""
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM resources WHERE kind = ? AND name = ?", (kind, name)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def list(
        self, kind: str, parent: str | None = None, *, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, dict[str, Any]]]:
        """``(seq, description)`` of the ``kind`` resources (of ``parent`` when
        given), newest first, with ``seq`` below ``after`` when it is set."""
        sql = "SELECT seq, data FROM resources WHERE kind = ?"
        args: list[Any] = [kind]
        if parent is not None:
            sql += " AND parent = ?"
            args.append(parent)
        if after:
            sql += " AND seq < ?"
            args.append(after)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [(seq, json.loads(data)) for seq, data in rows]

    def children(self, parent: str) -> list[tuple[str, str]]:
        """``(kind, arn)`` of every resource belonging to ``parent``."""
        with self._lock:
            return self._conn.execute(
                "SELECT kind, arn FROM resources WHERE parent = ?", (parent,)
            ).fetchall()

    def all(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """``(kind, arn, description)`` of every resource, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT kind, arn, data FROM resources ORDER BY seq").fetchall()
        for kind, arn, data in rows:
            yield kind, arn, json.loads(data)
