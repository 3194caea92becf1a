"""The data-quality check: does this data make a good Personalize data set?

    report = check_files("interactions.csv", items="items.csv", users="users.csv")
    report.ok            # no errors
    report.findings      # [Finding(code="W-TIMESTAMP-MILLISECONDS", count=12, ...), ...]
    print(report.to_json())

It reads each file once, streaming: items and users first (their ids are
needed to spot events on unknown items), then the interactions. Memory grows
with the number of distinct users, items and sessions, never with the number
of rows: duplicate events are found by hashing each row into one of 256
buckets spilled to a temporary directory and checking one bucket at a time.

It reports and never deletes: cleaning is a decision for a person, and
over-cleaning removes the variability the model learns from.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..records import Event, Item, User
from ._summary import category_findings, summarise
from ._scan import Collector, TableScan, classify_timestamp, read_csv
from .csv_format import INTERACTIONS, ITEMS, USERS, DatasetFormat, default_format, entity_row, event_row, make_format
from .findings import CheckReport
from .requirements import USE_CASE_EVENTS

MAX_EVENT_TYPES_TRACKED = 1000
PROGRESS_EVERY = 100_000

#: ``progress(dataset_type, rows_read)``
ProgressCallback = Callable[[str, int], None]
Rows = Iterator[tuple[int, list[str]]]


class _Duplicates:
    """Finds repeated rows with memory bounded by one bucket's share of the rows."""

    BUCKETS = 256
    BUFFER = 16 * 1024

    def __init__(self) -> None:
        self._buffers = [bytearray() for _ in range(self.BUCKETS)]
        self._dir: str | None = None

    def add(self, key: bytes, line: int) -> None:
        digest = hashlib.blake2b(key, digest_size=8).digest()
        buffer = self._buffers[digest[0]]
        buffer += digest
        buffer += line.to_bytes(8, "little")
        if len(buffer) >= self.BUFFER:
            self._spill(digest[0])

    def _spill(self, bucket: int) -> None:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="personalize-check-")
        with open(os.path.join(self._dir, str(bucket)), "ab") as stream:
            stream.write(self._buffers[bucket])
        self._buffers[bucket] = bytearray()

    def repeats(self) -> Iterator[tuple[int, int]]:
        """``(line, first_line)`` for every row that repeats an earlier one."""
        try:
            for bucket in range(self.BUCKETS):
                data = bytes(self._buffers[bucket])
                if self._dir and os.path.exists(os.path.join(self._dir, str(bucket))):
                    with open(os.path.join(self._dir, str(bucket)), "rb") as stream:
                        data = stream.read() + data
                seen: dict[bytes, int] = {}
                for offset in range(0, len(data), 16):
                    digest = data[offset : offset + 8]
                    line = int.from_bytes(data[offset + 8 : offset + 16], "little")
                    first = seen.setdefault(digest, line)
                    if first != line:
                        yield line, first
        finally:
            if self._dir:
                shutil.rmtree(self._dir, ignore_errors=True)


class _Check:
    def __init__(
        self, use_cases: Sequence[str], now: float | None, max_examples: int, progress: ProgressCallback | None
    ) -> None:
        unknown = sorted(set(use_cases) - set(USE_CASE_EVENTS))
        if unknown:
            raise ValueError(f"unknown use case {unknown[0]!r}; known use cases: {', '.join(USE_CASE_EVENTS)}")
        self.use_cases = tuple(use_cases)
        self.now = time.time() if now is None else now
        self.collector = Collector(max_examples)
        self.progress = progress
        self.summary: dict[str, Any] = {"files": {}}
        self.scans: dict[str, TableScan] = {}
        #: catalogue item id -> line; ``None`` when no items data was given or readable
        self.catalogue: dict[str, int] | None = None
        self.known_users: set[str] | None = None

    # -- items and users -------------------------------------------------------
    def entities(
        self, dataset_type: str, label: str, header: list[str], rows: Rows, fmt: DatasetFormat | None
    ) -> None:
        scan = TableScan(label, dataset_type, self.collector, self.now, fmt)
        self.scans[dataset_type] = scan
        self.summary["files"][dataset_type] = {"file": label, "columns": header}
        if not scan.read_header(header):
            return
        ids: dict[str, int] = {}
        id_index = scan.id_index
        for line, cells in rows:
            scan.validate(line, cells)
            if len(cells) == len(header) and cells[id_index]:
                record_id = cells[id_index]
                if record_id in ids:
                    self.collector.row("W-DUPLICATE-IDS", label, line, header[id_index],
                                       f"repeats the id of line {ids[record_id]}", record_id)
                else:
                    ids[record_id] = line
            self._tick(dataset_type, scan.rows_read)
        self.summary["files"][dataset_type].update(
            rows=scan.rows_read, valid_rows=scan.rows_valid, distinct_ids=len(ids)
        )
        if dataset_type == ITEMS:
            self.catalogue = ids
        else:
            self.known_users = set(ids)

    # -- interactions ------------------------------------------------------------
    def interactions(self, label: str, header: list[str], rows: Rows, fmt: DatasetFormat | None) -> None:
        scan = TableScan(label, INTERACTIONS, self.collector, self.now, fmt)
        self.scans[INTERACTIONS] = scan
        self.summary["files"][INTERACTIONS] = {"file": label, "columns": header}
        if not scan.read_header(header):
            return
        iu, ii, iet, its = (scan.index[n] for n in ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"))
        isession = scan.index.get("SESSION_ID")
        users: dict[str, int] = {}
        items: dict[str, int] = {}
        event_types: dict[str, int] = {}
        sessions: set[str] | None = set() if isession is not None else None
        days: dict[int, int] = {}
        catalogue = self.catalogue
        known_users = self.known_users
        unjoined_events = 0
        unjoined_items: set[str] = set()
        unjoined_users: set[str] = set()
        duplicates = _Duplicates()
        now = self.now
        for line, cells in rows:
            self._tick(INTERACTIONS, scan.rows_read + 1)
            if not scan.validate(line, cells):
                continue
            user, item, event_type = cells[iu], cells[ii], cells[iet]
            users[user] = users.get(user, 0) + 1
            items[item] = items.get(item, 0) + 1
            if event_type in event_types:
                event_types[event_type] += 1
            elif len(event_types) < MAX_EVENT_TYPES_TRACKED:
                event_types[event_type] = 1
            else:
                event_types["(other)"] = event_types.get("(other)", 0) + 1
            if sessions is not None and cells[isession]:
                sessions.add(cells[isession])
            ts = int(cells[its])
            if classify_timestamp(ts, now) is None:
                day = ts // 86400
                days[day] = days.get(day, 0) + 1
            if catalogue is not None and item not in catalogue:
                unjoined_events += 1
                unjoined_items.add(item)
                self.collector.row("W-UNJOINED-ITEMS", label, line, "ITEM_ID", "is not in the items data", item)
            if known_users is not None and user not in known_users and user not in unjoined_users:
                unjoined_users.add(user)
            duplicates.add("\x1f".join(cells).encode("utf-8", "surrogatepass"), line)
        repeated = 0
        for line, first in duplicates.repeats():
            repeated += 1
            self.collector.row("W-DUPLICATE-EVENTS", label, line, None, f"repeats line {first} exactly")
        if repeated:
            self.collector.counts["W-DUPLICATE-EVENTS"] = repeated
            self.collector.messages["W-DUPLICATE-EVENTS"] = (
                f"{repeated:,} interaction row(s) repeat an earlier row in every column; Personalize keeps one "
                "of each. They usually come from double tracking (a page tracked twice, a retried request "
                "without an event id). Nothing was removed."
            )
        if unjoined_events:
            self.collector.counts["W-UNJOINED-ITEMS"] = unjoined_events
            self.collector.messages["W-UNJOINED-ITEMS"] = (
                f"{unjoined_events:,} event(s) on {len(unjoined_items):,} item(s) missing from the items data: "
                "metadata-aware recipes and item filters know nothing about them."
            )
        if unjoined_users:
            examples = [
                {"message": f"user {u!r} has events but no row in the users data"}
                for u in sorted(unjoined_users)[: self.collector.max_examples]
            ]
            self.collector.aggregate(
                "I-UNJOINED-USERS", len(unjoined_users),
                f"{len(unjoined_users):,} user(s) with events have no row in the users data "
                "(normal for guests; user metadata helps cold start).", examples,
            )
        self.summary["files"][INTERACTIONS].update(rows=scan.rows_read, valid_rows=scan.rows_valid)
        self._summarise(users, items, event_types, sessions, days, repeated)

    def _tick(self, dataset_type: str, rows: int) -> None:
        if self.progress is not None and rows % PROGRESS_EVERY == 0:
            self.progress(dataset_type, rows)

    def _summarise(self, users, items, event_types, sessions, days, repeated) -> None:  # type: ignore[no-untyped-def]
        summarise(self, users, items, event_types, sessions, days, repeated)

    def report(self) -> CheckReport:
        category_findings(self)
        return CheckReport(self.collector.findings(), self.summary)


def check_files(
    interactions: str,
    items: str | None = None,
    users: str | None = None,
    *,
    use_cases: Sequence[str] = tuple(USE_CASE_EVENTS),
    now: float | None = None,
    max_examples: int = 5,
    progress: ProgressCallback | None = None,
) -> CheckReport:
    """Check bulk-import CSV files (plain or gzip). ``use_cases`` are the use
    cases whose event requirements must be met (an error otherwise); ``now``
    (epoch seconds) is when "the future" begins."""
    check = _Check(use_cases, now, max_examples, progress)
    for dataset_type, path in ((ITEMS, items), (USERS, users)):
        if path is not None:
            label = os.path.basename(path)
            opened = read_csv(path, label, check.collector)
            if opened is not None:
                check.entities(dataset_type, label, opened[0], opened[1], None)
    label = os.path.basename(interactions)
    opened = read_csv(interactions, label, check.collector)
    if opened is not None:
        check.interactions(label, opened[0], opened[1], None)
    return check.report()


def _numbered(rows: Iterable[list[str]]) -> Rows:
    # Line numbers as if the rows were a CSV file with a header on line 1.
    return ((n, cells) for n, cells in enumerate(rows, start=2))


def check_records(
    events: Iterable[Event],
    items: Iterable[Item] | None = None,
    users: Iterable[User] | None = None,
    *,
    interactions_format: DatasetFormat | None = None,
    items_format: DatasetFormat | None = None,
    users_format: DatasetFormat | None = None,
    anonymous: str = "session",
    use_cases: Sequence[str] = tuple(USE_CASE_EVENTS),
    now: float | None = None,
    max_examples: int = 5,
    progress: ProgressCallback | None = None,
) -> CheckReport:
    """Check records as they would be exported (same columns, same rules),
    without writing files. Events without an item id are left out, as the
    export leaves them out; anonymous events use their session id as USER_ID
    unless ``anonymous="skip"``. The default interactions format adds a
    ``SESSION_ID`` column so that sessions are counted. Examples name
    ``events``, ``items`` or ``users`` and the record's position plus one."""
    check = _Check(use_cases, now, max_examples, progress)
    if items is not None:
        fmt = items_format or default_format(ITEMS)
        check.entities(ITEMS, "items", fmt.header, _numbered(entity_row(i, fmt) for i in items), fmt)
    if users is not None:
        fmt = users_format or default_format(USERS)
        check.entities(USERS, "users", fmt.header, _numbered(entity_row(u, fmt) for u in users), fmt)
    fmt = interactions_format or make_format(INTERACTIONS, session_id=True)
    skipped = {"no_item_id": 0, "anonymous": 0}

    def rows() -> Iterator[list[str]]:
        for event in events:
            if event.item_id is None:
                skipped["no_item_id"] += 1
                continue
            if event.user_id is None and anonymous == "skip":
                skipped["anonymous"] += 1
                continue
            yield event_row(event, fmt, user_id=event.user_id or event.session_id)

    check.interactions("events", fmt.header, _numbered(rows()), fmt)
    check.summary["skipped_events"] = skipped
    return check.report()


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")

