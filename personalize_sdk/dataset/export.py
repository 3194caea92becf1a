"""Streaming export of events, items and users to Personalize's bulk CSV files.

    exporter = CsvExporter("export/", items_format=make_format("Items", ["categoryL2"]))
    result = exporter.export(events=iter_events(), items=iter_items())
    result.paths["Interactions"]  # 'export/interactions.csv'

Records are written as they come, one row at a time, through a buffered file:
memory stays flat however many rows there are, provided the iterables are
lazy (a Django ``QuerySet.iterator(chunk_size=...)``, a generator). The
``progress`` callback is called every ``chunk_size`` rows and at the end of
each file.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from ..exceptions import ConfigurationError
from ..records import Event, Item, User
from .csv_format import (
    FILE_NAMES,
    INTERACTIONS,
    ITEMS,
    USERS,
    DatasetFormat,
    default_format,
    entity_row,
    event_row,
    open_text,
)

#: ``progress(dataset_type, rows_written)``
ProgressCallback = Callable[[str, int], None]

#: what to do with an event that has no user id: use its session id as
#: USER_ID (Personalize's advice for anonymous shoppers), or leave it out
ANONYMOUS_POLICIES = ("session", "skip")


@dataclass
class FileResult:
    """What was written to one file."""

    dataset_type: str
    path: str
    rows: int = 0
    #: records left out, by reason (``"no_item_id"``, ``"anonymous"``, ``"outside_date_range"``)
    skipped: dict[str, int] = field(default_factory=dict)
    bytes: int = 0

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


@dataclass
class ExportResult:
    """The files of one export, by dataset type."""

    files: dict[str, FileResult] = field(default_factory=dict)

    @property
    def paths(self) -> dict[str, str]:
        return {t: f.path for t, f in self.files.items()}

    @property
    def rows(self) -> dict[str, int]:
        return {t: f.rows for t, f in self.files.items()}


class CsvExporter:
    """Writes Interactions, Items and Users CSV files into ``directory``.

    ``since`` and ``until`` (timezone-aware datetimes; ``until`` excluded)
    keep only events in that range; callers that can filter at the source (a
    database query) should do so as well, to avoid reading what is dropped.
    ``gzip=True`` writes ``.csv.gz`` files. Whether an import job reads gzip
    files is not documented: upload plain CSV for imports.
    """

    def __init__(
        self,
        directory: str,
        *,
        interactions_format: DatasetFormat | None = None,
        items_format: DatasetFormat | None = None,
        users_format: DatasetFormat | None = None,
        gzip: bool = False,
        chunk_size: int = 10_000,
        progress: ProgressCallback | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        anonymous: str = "session",
    ) -> None:
        if anonymous not in ANONYMOUS_POLICIES:
            raise ConfigurationError(f"anonymous must be one of {ANONYMOUS_POLICIES}, not {anonymous!r}")
        if chunk_size < 1:
            raise ConfigurationError("chunk_size must be at least 1")
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise ConfigurationError(f"{name} must be a timezone-aware datetime")
        self.directory = directory
        self.formats = {
            INTERACTIONS: interactions_format or default_format(INTERACTIONS),
            ITEMS: items_format or default_format(ITEMS),
            USERS: users_format or default_format(USERS),
        }
        for dataset_type, fmt in self.formats.items():
            if fmt.dataset_type != dataset_type:
                raise ConfigurationError(f"the {dataset_type} format describes {fmt.dataset_type}")
        self.gzip = gzip
        self.chunk_size = chunk_size
        self.progress = progress
        self.since = since
        self.until = until
        self.anonymous = anonymous

    def path(self, dataset_type: str) -> str:
        name = FILE_NAMES[dataset_type] + (".gz" if self.gzip else "")
        return os.path.join(self.directory, name)

    def export(
        self,
        *,
        events: Iterable[Event] | None = None,
        items: Iterable[Item] | None = None,
        users: Iterable[User] | None = None,
    ) -> ExportResult:
        """Write a file for each iterable given (``None``: no file)."""
        result = ExportResult()
        if events is not None:
            result.files[INTERACTIONS] = self.write_interactions(events)
        if items is not None:
            result.files[ITEMS] = self.write_items(items)
        if users is not None:
            result.files[USERS] = self.write_users(users)
        return result

    def write_interactions(self, events: Iterable[Event]) -> FileResult:
        fmt = self.formats[INTERACTIONS]
        since = self.since.timestamp() if self.since else None
        until = self.until.timestamp() if self.until else None

        def rows(result: FileResult) -> Iterable[list[str]]:
            for event in events:
                moment = event.sent_at_epoch
                if (since is not None and moment < since) or (until is not None and moment >= until):
                    result._skip("outside_date_range")
                    continue
                if event.item_id is None:
                    # ITEM_ID is required in every interactions file; such events
                    # (a search, a cart view) still reach Personalize through PutEvents.
                    result._skip("no_item_id")
                    continue
                user_id = event.user_id
                if user_id is None:
                    if self.anonymous == "skip":
                        result._skip("anonymous")
                        continue
                    user_id = event.session_id
                yield event_row(event, fmt, user_id=user_id)

        return self._write(INTERACTIONS, rows)

    def write_items(self, items: Iterable[Item]) -> FileResult:
        fmt = self.formats[ITEMS]
        return self._write(ITEMS, lambda result: (entity_row(item, fmt) for item in items))

    def write_users(self, users: Iterable[User]) -> FileResult:
        fmt = self.formats[USERS]
        return self._write(USERS, lambda result: (entity_row(user, fmt) for user in users))

    def _write(self, dataset_type: str, make_rows: Callable[[FileResult], Iterable[list[str]]]) -> FileResult:
        os.makedirs(self.directory, exist_ok=True)
        path = self.path(dataset_type)
        result = FileResult(dataset_type, path)
        # Written under a temporary name and renamed at the end, so that an
        # interrupted export never leaves a truncated file that looks complete.
        partial = path + ".partial" + (".gz" if self.gzip else "")
        try:
            with open_text(partial, "w") as stream:
                writer = csv.writer(stream, lineterminator="\n")
                writer.writerow(self.formats[dataset_type].header)
                chunk = self.chunk_size
                for row in make_rows(result):
                    writer.writerow(row)
                    result.rows += 1
                    if self.progress is not None and result.rows % chunk == 0:
                        self.progress(dataset_type, result.rows)
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        result.bytes = os.path.getsize(path)
        if self.progress is not None:
            self.progress(dataset_type, result.rows)
        return result
