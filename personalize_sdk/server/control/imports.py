"""Dataset import and export jobs, over the local S3 mapping.

An import reads the CSV files at ``dataSource.dataLocation`` twice, one row
at a time (memory stays flat whatever the size): first every row is checked
against the dataset's schema (the header against its fields, each cell
against its Avro type, nullability and Personalize's length limits, and
the distinct event types with the optional fields against the quota of 10),
so a bad file imports nothing and the job's failureReason names the first
rows at fault; then the rows go into the dataset group's engine in large batches:
interactions through the engine's bulk path (``Engine.import_events``:
chunks of 50,000 events in transactions of about 500,000, stored by a second
thread while the next are built, each chunk ordered by user so that the
store's user indexes are written in runs), items and users in batches of
``BATCH_ROWS`` in the same way.

Interactions carry no session id in Personalize's bulk format: a
``SESSION_ID`` column is used when present, else the user id, so a user's
history is one basket for the co-occurrence models. Each row's event id is
made of the file (its name, size and modification time, hashed) and the
line, so importing the same file twice in INCREMENTAL mode adds nothing.
An import in FULL mode (the default) first deletes what earlier imports
brought into the dataset (the events with those ids; the items or users
marked as imported) and keeps what was sent one by one, as Personalize does.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import queue
import threading
from functools import partial
from itertools import islice
from typing import Any, Callable, Iterator, Mapping

from ...dataset.csv_format import RESERVED_COLUMNS, Column, DatasetFormat, make_format, open_text, property_key
from ...dataset.export import CsvExporter
from ...exceptions import InvalidRecordError
from ...records import Event, Item, User
from ..errors import InvalidInputException
from .context import Context
from .jobs import JobFailed
from .schemas import parse_schema

#: rows per transaction into the engine
BATCH_ROWS = 100_000
#: problems named in a failureReason before "and N more"
MAX_PROBLEMS = 5
#: distinct event types plus optional metadata fields of an interactions
#: dataset (Personalize's quota; reference 4.1)
MAX_EVENT_TYPES_AND_FIELDS = 10

Converter = Callable[[str], Any]


def _converter(column: Column) -> Converter:
    """The function turning a cell of ``column`` into its value (``None`` for
    a null) or raising ValueError naming the rule broken."""
    limit = column.max_length
    name = column.name

    def null() -> None:
        if not column.nullable:
            raise ValueError(f"{name} is required (the schema has no null for it)")
        return None

    if column.type == "string":
        def convert(cell: str) -> Any:
            if not cell:
                return null()
            if limit is not None and len(cell) > limit:
                raise ValueError(f"{name} is {len(cell)} characters; the limit is {limit}")
            return cell
    elif column.type in ("int", "long"):
        def convert(cell: str) -> Any:
            if not cell:
                return null()
            try:
                return int(cell)
            except ValueError:
                raise ValueError(f"{name} {cell[:40]!r} is not {_article(column.type)}") from None
    elif column.type in ("float", "double"):
        def convert(cell: str) -> Any:
            if not cell:
                return null()
            try:
                value = float(cell)
            except ValueError:
                raise ValueError(f"{name} {cell[:40]!r} is not a {column.type}") from None
            if not math.isfinite(value):
                raise ValueError(f"{name} {cell!r} is not a finite number")
            return value
    else:  # boolean: Personalize wants lower-case true/false
        def convert(cell: str) -> Any:
            if not cell:
                return null()
            if cell not in ("true", "false"):
                raise ValueError(f"{name} {cell[:40]!r} is not true or false (lower case)")
            return cell == "true"
    return convert


def _article(avro_type: str) -> str:
    return ("an " if avro_type[0] in "aeiou" else "a ") + avro_type


class CsvSource:
    """The CSV files of one import, read against one dataset's schema."""

    def __init__(self, ctx: Context, job: Mapping[str, Any]) -> None:
        dataset = ctx.store.get(job["datasetArn"])
        if dataset is None:
            raise JobFailed(f"Dataset {job['datasetArn']} does not exist any more.")
        self.kind: str = dataset["_type"]
        self.columns = parse_schema(ctx.store.get(dataset["schemaArn"])["schema"])
        try:
            self.files = ctx.s3.files(job["dataSource"]["dataLocation"], "dataSource.dataLocation")
        except (FileNotFoundError, InvalidInputException) as err:
            raise JobFailed(str(err)) from None

    def _header(self, path: str, header: list[str]) -> list[tuple[int, Column, Converter]]:
        by_name = {c.name.upper(): c for c in self.columns}
        label = os.path.basename(path)
        unknown = [h for h in header if h.strip().upper() not in by_name]
        if unknown:
            raise JobFailed(
                f"{label}: column {unknown[0]} is not a field of the schema "
                f"({', '.join(c.name for c in self.columns)})."
            )
        present = {h.strip().upper() for h in header}
        missing = [c.name for c in self.columns if c.name.upper() not in present and not c.nullable]
        if missing:
            raise JobFailed(
                f"{label}: the schema field {missing[0]} is missing from the data "
                f"(the header has {', '.join(header)})."
            )
        return [(i, by_name[h.strip().upper()], _converter(by_name[h.strip().upper()])) for i, h in enumerate(header)]

    def rows(self) -> Iterator[tuple[str, int, dict[str, Any] | None, str | None]]:
        """``(file, line, values, problem)`` for every data row, streamed
        (``file`` is a key naming the file's version: see :func:`file_key`)."""
        for path in self.files:
            label = file_key(path)
            with open_text(path) as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None:
                    raise JobFailed(f"{_name(label)}: the file is empty (a header row is needed).")
                columns = self._header(path, header)
                width = len(header)
                for line, row in enumerate(reader, start=2):
                    if not row:
                        continue
                    if len(row) != width:
                        yield label, line, None, f"has {len(row)} cells; the header has {width}"
                        continue
                    try:
                        yield label, line, {c.name: convert(row[i]) for i, c, convert in columns}, None
                    except ValueError as err:
                        yield label, line, None, str(err)

    def check(self) -> int:
        """Count the rows, or fail naming the first bad ones (and, for
        interactions, too many event types for the schema's fields)."""
        problems: list[str] = []
        bad = rows = 0
        counted = counted_fields(self.columns) if self.kind == "Interactions" else ()
        event_types: set[str] = set()
        for label, line, values, problem in self.rows():
            rows += 1
            if problem is not None:
                bad += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"{_name(label)} line {line}: {problem}")
            elif counted and len(event_types) <= MAX_EVENT_TYPES_AND_FIELDS and values.get("EVENT_TYPE"):  # type: ignore[union-attr]
                event_types.add(values["EVENT_TYPE"])  # type: ignore[index]
        if bad:
            more = f" (and {bad - len(problems)} more rows)" if bad > len(problems) else ""
            raise JobFailed(f"{bad} of {rows} rows break the schema: " + "; ".join(problems) + more)
        if len(event_types) + len(counted) > MAX_EVENT_TYPES_AND_FIELDS:
            many = f"more than {len(event_types) - 1}" if len(event_types) > MAX_EVENT_TYPES_AND_FIELDS else str(len(event_types))
            raise JobFailed(
                f"The interactions have {many} distinct event types and the schema {len(counted)} "
                f"optional metadata fields ({', '.join(counted)}): together they may be at most "
                f"{MAX_EVENT_TYPES_AND_FIELDS}."
            )
        return rows


def counted_fields(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """The interactions fields that count with the distinct event types
    towards Personalize's quota of 10: EVENT_TYPE, EVENT_VALUE and every
    field that is not reserved."""
    reserved = RESERVED_COLUMNS["Interactions"]
    return tuple(c.name for c in columns if c.name in ("EVENT_TYPE", "EVENT_VALUE") or c.name not in reserved)


def file_key(path: str) -> str:
    """``<file name>#<hash of its name, size and modification time>``."""
    stat = os.stat(path)
    name = os.path.basename(path)
    digest = hashlib.blake2b(f"{name}|{stat.st_size}|{stat.st_mtime_ns}".encode(), digest_size=6).hexdigest()
    return f"{name}#{digest}"


def _name(label: str) -> str:
    return label.rsplit("#", 1)[0]


_EVENT_COLUMNS = {"USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP", "EVENT_VALUE", "IMPRESSION",
                  "RECOMMENDATION_ID", "SESSION_ID", "EVENT_ATTRIBUTION_SOURCE"}
#: the start of every imported event's id (what an import in FULL mode replaces)
IMPORTED_EVENT_PREFIX = "import-"
#: the event type of interactions whose schema has no EVENT_TYPE (custom groups)
DEFAULT_EVENT_TYPE = "Interaction"


def _event(values: dict[str, Any], label: str, line: int) -> Event:
    user_id = values["USER_ID"]
    impression = values.get("IMPRESSION")
    properties = {property_key(k): v for k, v in values.items() if k not in _EVENT_COLUMNS and v is not None}
    return Event(
        event_type=values.get("EVENT_TYPE") or DEFAULT_EVENT_TYPE,
        session_id=values.get("SESSION_ID") or user_id,
        item_id=values.get("ITEM_ID"),
        user_id=user_id,
        sent_at=values["TIMESTAMP"],
        event_value=values.get("EVENT_VALUE"),
        impression=impression.split("|") if impression else None,
        recommendation_id=values.get("RECOMMENDATION_ID"),
        properties=properties or None,
        event_id=f"{IMPORTED_EVENT_PREFIX}{label.rsplit('#', 1)[1]}-{line:010d}",
    )


def _entity(kind: str) -> Callable[[dict[str, Any]], Any]:
    id_column, record = ("ITEM_ID", Item) if kind == "Items" else ("USER_ID", User)

    def build(values: dict[str, Any], label: str, line: int) -> Any:
        properties = {property_key(k): v for k, v in values.items() if k != id_column and v is not None}
        return record(values[id_column], properties=properties or None)

    return build


def import_dataset(ctx: Context, job: dict) -> dict[str, Any]:
    """The work of a dataset import job."""
    source = CsvSource(ctx, job)
    source.check()
    dataset = ctx.store.get(job["datasetArn"])
    engine = ctx.groups.backend(dataset["datasetGroupArn"]).engine
    # FULL (the default) replaces what earlier imports brought, and keeps
    # what came one by one (PutEvents, PutItems, PutUsers); INCREMENTAL adds.
    full = (job.get("importMode") or "FULL") == "FULL"
    if source.kind == "Interactions":
        if full:
            engine.delete_events_by_id_prefix(IMPORTED_EVENT_PREFIX)
        engine.import_events(_records(source, _event))
    else:
        if full:
            engine.delete_imported(source.kind.lower())
        put = partial(engine.put_items if source.kind == "Items" else engine.put_users, imported=True)
        with Inserter(put) as inserter:
            for batch in _batches(_records(source, _entity(source.kind)), BATCH_ROWS):
                inserter.put(batch)
    if any(r.get("status") == "ACTIVE" for _, r in ctx.store.list("recommender", dataset["datasetGroupArn"])):
        # Recommenders keep themselves up to date on AWS; campaigns wait for a new solution version.
        ctx.groups.backend(dataset["datasetGroupArn"]).train(background=True)
    return {}


def _records(source: CsvSource, build: Callable[[dict[str, Any], str, int], Any]) -> Iterator[Any]:
    """The records of ``source``'s rows (already checked against the schema)."""
    for label, line, values, _ in source.rows():
        try:
            yield build(values, label, line)  # type: ignore[arg-type]
        except InvalidRecordError as err:
            raise JobFailed(f"{_name(label)} line {line}: {err} (rows before it were imported)") from None


def _batches(records: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(islice(records, size)):
        yield batch


class Inserter:
    """Runs ``put(batch)`` in a thread of its own, one batch behind the
    caller (SQLite works without the GIL while Python builds the next).
    (Interactions need none: the engine's ``import_events`` does the same.)"""
    def __init__(self, put: Callable[[list[Any]], Any]) -> None:
        self._put = put
        self._queue: "queue.Queue[list[Any] | None]" = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="personalize-import", daemon=True)

    def __enter__(self) -> "Inserter":
        self._thread.start()
        return self

    def put(self, batch: list[Any]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self._error is None:
                try:
                    self._put(batch)
                except BaseException as err:  # handed to the caller's thread
                    self._error = err

    def __exit__(self, *exc_info: Any) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error


def export_dataset(ctx: Context, job: dict) -> dict[str, Any]:
    """The work of a dataset export job: the dataset's rows as one CSV file
    in the job's output folder (``<path>/<jobName>/<type>.csv``)."""
    dataset = ctx.store.get(job["datasetArn"])
    if dataset is None:
        raise JobFailed(f"Dataset {job['datasetArn']} does not exist any more.")
    kind = dataset["_type"]
    columns = parse_schema(ctx.store.get(dataset["schemaArn"])["schema"])
    try:
        fmt = DatasetFormat(kind, columns)
    except ValueError:  # a custom dataset may lack the domain's required columns
        fmt = make_format(kind, list(columns))
    url = job["jobOutput"]["s3DataDestination"]["path"]
    try:
        folder = os.path.join(ctx.s3.path(url, "jobOutput.s3DataDestination.path"), job["jobName"])
    except InvalidInputException as err:
        raise JobFailed(str(err)) from None
    os.makedirs(folder, exist_ok=True)
    backend = ctx.groups.backend(dataset["datasetGroupArn"])
    exporter = CsvExporter(folder, **{f"{kind.lower()}_format": fmt})
    records = {"events": None, "items": None, "users": None}
    records[{"Interactions": "events", "Items": "items", "Users": "users"}[kind]] = {
        "Interactions": backend.iter_events, "Items": backend.iter_items, "Users": backend.iter_users
    }[kind]()
    exporter.export(**records)
    return {}


def check_import_request(ctx: Context, body: Mapping[str, Any]) -> None:
    """What CreateDatasetImportJob checks before it answers."""
    ctx.resources.active(body["datasetArn"], "dataset", "datasetArn")
    ctx.s3.path(body["dataSource"].get("dataLocation") or "", "dataSource.dataLocation")
