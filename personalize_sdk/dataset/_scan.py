"""Row-level validation for the data-quality check: headers, cells, categories.

A :class:`TableScan` knows one file's columns and validates each row's cells
against the rules of reference section 4 (required values, id and value
lengths, numbers, timestamps); what it finds goes to a :class:`Collector`,
which keeps a count and a few examples per finding code, so memory never
grows with the number of rows.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Iterable, Iterator

from .csv_format import (
    ID_COLUMNS,
    INTERACTIONS,
    MAX_ID_LENGTH,
    MAX_METADATA_COLUMNS,
    MAX_TEXTUAL_LENGTH,
    MAX_VALUE_LENGTH,
    REQUIRED_COLUMNS,
    RESERVED_COLUMNS,
    USERS,
    Column,
    DatasetFormat,
    open_text,
)
from .findings import CODES, Finding

#: 2000-01-01T00:00:00Z
YEAR_2000 = 946_684_800
#: a timestamp at or above this (the year 5138 in seconds) is read as milliseconds
#: when it falls between 2000 and now once divided by 1,000
MILLISECONDS_FROM = 100_000_000_000
#: how far in the future a timestamp may be before it is reported (clock skew)
FUTURE_TOLERANCE = 86_400
#: distinct values tracked per categorical column; beyond that it is too fine anyway
MAX_TRACKED_VALUES = 100_000
_VALUE_PREVIEW = 60
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: string columns that are identifiers or lists of them, never categories
_NOT_CATEGORIES = frozenset(
    {"USER_ID", "ITEM_ID", "EVENT_TYPE", "SESSION_ID", "RECOMMENDATION_ID", "IMPRESSION", "EVENT_ATTRIBUTION_SOURCE"}
)

#: how row-level findings are summed up (``{count}`` is filled in)
ROW_MESSAGES = {
    "E-FILE-UNREADABLE": "{count} file(s) could not be read (or stopped reading) as UTF-8 CSV with a header.",
    "E-HEADER-MISSING-COLUMN": "{count} required column(s) are missing from a header.",
    "E-HEADER-INVALID": "{count} header column name(s) are invalid or repeated.",
    "E-TOO-MANY-COLUMNS": "{count} file(s) have more metadata columns than their dataset type allows.",
    "E-ROW-SHAPE": "{count} row(s) have a different number of cells than the header.",
    "E-REQUIRED-EMPTY": "{count} required value(s) are missing or empty.",
    "E-ID-TOO-LONG": f"{{count}} id(s) are longer than {MAX_ID_LENGTH} characters.",
    "E-VALUE-TOO-LONG": (
        f"{{count}} value(s) are longer than their column allows ({MAX_VALUE_LENGTH:,} characters, "
        f"{MAX_TEXTUAL_LENGTH:,} for textual columns); the import job would fail."
    ),
    "E-TIMESTAMP-INVALID": "{count} timestamp(s) are not whole numbers of Unix epoch seconds.",
    "E-VALUE-INVALID": "{count} value(s) do not parse as their column's type.",
    "W-TIMESTAMP-FUTURE": "{count} timestamp(s) lie in the future.",
    "W-TIMESTAMP-BEFORE-2000": "{count} timestamp(s) lie before 2000-01-01 (a zero or a default date?).",
    "W-TIMESTAMP-MILLISECONDS": (
        "{count} timestamp(s) look like milliseconds; Personalize reads epoch seconds, "
        "so these events would land thousands of years from now."
    ),
    "W-DUPLICATE-IDS": "{count} record(s) repeat an id seen earlier in the same file; the last one wins.",
}


def preview(value: str) -> str:
    return value if len(value) <= _VALUE_PREVIEW else value[:_VALUE_PREVIEW] + f"... ({len(value):,} characters)"


class Collector:
    """Counts findings by code and keeps the first ``max_examples`` examples of each."""

    def __init__(self, max_examples: int = 5) -> None:
        self.max_examples = max_examples
        self.counts: dict[str, int] = {}
        self.examples: dict[str, list[dict[str, Any]]] = {}
        self.messages: dict[str, str] = {}

    def row(self, code: str, file: str, line: int, column: str | None, rule: str, value: str | None = None) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1
        examples = self.examples.setdefault(code, [])
        if len(examples) < self.max_examples:
            where = f"{file}:{line}: " + (f"column {column}: " if column else "")
            message = where + rule + (f" (got {preview(value)!r})" if value is not None else "")
            examples.append({"file": file, "line": line, "column": column, "value": value, "message": message})

    def aggregate(self, code: str, count: int, message: str, examples: Iterable[dict[str, Any]] = ()) -> None:
        self.counts[code] = count
        self.messages[code] = message
        self.examples[code] = list(examples)[: self.max_examples]

    def findings(self) -> list[Finding]:
        found = []
        for code in CODES:
            if code not in self.counts:
                continue
            count = self.counts[code]
            message = self.messages.get(code) or ROW_MESSAGES[code].format(count=f"{count:,}")
            found.append(Finding(code, count, message, self.examples.get(code, [])))
        return found


def classify_timestamp(ts: int, now: float) -> str | None:
    """The warning code for an implausible epoch-seconds timestamp, or ``None``."""
    if ts >= MILLISECONDS_FROM and YEAR_2000 <= ts / 1000 <= now + FUTURE_TOLERANCE:
        return "W-TIMESTAMP-MILLISECONDS"
    if ts > now + FUTURE_TOLERANCE:
        return "W-TIMESTAMP-FUTURE"
    if ts < YEAR_2000:
        return "W-TIMESTAMP-BEFORE-2000"
    return None


def _kind(column: Column, typed: bool) -> str:
    if column.name in ("USER_ID", "ITEM_ID"):
        return "id"
    if column.name in ("TIMESTAMP", "CREATION_TIMESTAMP"):
        return "timestamp"
    if column.textual:
        return "textual"
    if column.type in ("float", "double"):
        return "float"
    if column.type in ("int", "long"):
        return "int"
    if column.type == "boolean":
        return "boolean"
    if column.reserved or typed or column.name in _NOT_CATEGORIES:
        return "category" if column.categorical and column.name not in _NOT_CATEGORIES else "string"
    return "infer"  # an unknown CSV column: a category unless every value is a number


class TableScan:
    """Validates the rows of one file (or record stream) of ``dataset_type``.

    ``fmt`` gives the column types when the rows come from records; for CSV
    files the header is read and unknown columns are inferred.
    """

    def __init__(
        self, label: str, dataset_type: str, collector: Collector, now: float, fmt: DatasetFormat | None = None
    ) -> None:
        self.label = label
        self.dataset_type = dataset_type
        self.collector = collector
        self.now = now
        self.fmt = fmt
        self.header: list[str] = []
        self.index: dict[str, int] = {}
        self._checks: list[tuple[int, str, str, bool, int]] = []
        #: categorical column -> value -> rows using it (bounded by MAX_TRACKED_VALUES)
        self.categories: dict[str, dict[str, int]] = {}
        #: inferred columns whose every value so far parsed as a number
        self.numeric: dict[str, bool] = {}
        self.rows_read = 0
        self.rows_valid = 0

    # -- header ------------------------------------------------------------
    def read_header(self, header: list[str]) -> bool:
        """Check the header; ``False`` when the file cannot be interpreted."""
        c = self.collector
        self.header = header
        usable = True
        seen: set[str] = set()
        for name in header:
            if not _COLUMN_NAME.match(name):
                c.row("E-HEADER-INVALID", self.label, 1, name or "(empty)",
                      "is not a valid column name (letters, digits and '_', not starting with a digit)")
            if name in seen:
                c.row("E-HEADER-INVALID", self.label, 1, name, "appears more than once")
                usable = False
            seen.add(name)
        for name in REQUIRED_COLUMNS[self.dataset_type]:
            if name not in seen:
                c.row("E-HEADER-MISSING-COLUMN", self.label, 1, name, f"is required in a {self.dataset_type} file")
                usable = False
        reserved = RESERVED_COLUMNS[self.dataset_type]
        metadata = [n for n in header if n not in reserved]
        if self.dataset_type == USERS and not metadata:
            c.row("E-HEADER-MISSING-COLUMN", self.label, 1, None,
                  "a Users file needs at least one metadata column besides USER_ID")
        limit = MAX_METADATA_COLUMNS[self.dataset_type]
        if len(metadata) > limit:
            c.row("E-TOO-MANY-COLUMNS", self.label, 1, None,
                  f"{len(metadata)} metadata columns ({', '.join(metadata)}); "
                  f"a {self.dataset_type} dataset takes at most {limit}")
        if not usable:
            return False
        self.index = {name: i for i, name in enumerate(header)}
        for i, name in enumerate(header):
            column = (self.fmt.column(name) if self.fmt else None) or reserved.get(name)
            column = column or Column(name, categorical=True)
            kind = _kind(column, typed=self.fmt is not None)
            required = not column.nullable
            limit = MAX_ID_LENGTH if kind == "id" else (column.max_length or MAX_VALUE_LENGTH)
            self._checks.append((i, name, kind, required, limit))
            if kind in ("category", "infer"):
                self.categories[name] = {}
            if kind == "infer":
                self.numeric[name] = True
        return True

    # -- rows ----------------------------------------------------------------
    def validate(self, line: int, cells: list[str]) -> bool:
        """Check one row's cells; ``True`` when it has no error (warnings allowed)."""
        self.rows_read += 1
        c = self.collector
        if len(cells) != len(self.header):
            c.row("E-ROW-SHAPE", self.label, line, None,
                  f"has {len(cells)} cells where the header has {len(self.header)}")
            return False
        ok = True
        for i, name, kind, required, limit in self._checks:
            cell = cells[i]
            if not cell:
                if required:
                    c.row("E-REQUIRED-EMPTY", self.label, line, name, "must not be empty")
                    ok = False
                continue
            if len(cell) > limit:
                code = "E-ID-TOO-LONG" if kind == "id" else "E-VALUE-TOO-LONG"
                c.row(code, self.label, line, name, f"must be at most {limit:,} characters (got {len(cell):,})")
                ok = False
                continue
            if kind == "id" or kind == "string" or kind == "textual":
                continue
            if kind == "timestamp":
                try:
                    ts = int(cell)
                except ValueError:
                    c.row("E-TIMESTAMP-INVALID", self.label, line, name,
                          "must be a whole number of Unix epoch seconds", cell)
                    ok = False
                    continue
                warning = classify_timestamp(ts, self.now)
                if warning:
                    c.row(warning, self.label, line, name, _TIMESTAMP_RULES[warning], cell)
            elif kind == "float" or kind == "int":
                try:
                    float(cell) if kind == "float" else int(cell)
                except ValueError:
                    c.row("E-VALUE-INVALID", self.label, line, name,
                          "must be a number" if kind == "float" else "must be a whole number", cell)
                    ok = False
            elif kind == "boolean":
                if cell not in ("true", "false"):
                    c.row("E-VALUE-INVALID", self.label, line, name, "must be true or false (lowercase)", cell)
                    ok = False
            else:  # category or infer
                if kind == "infer" and self.numeric[name]:
                    try:
                        float(cell)
                    except ValueError:
                        self.numeric[name] = False
                values = self.categories[name]
                for value in cell.split("|"):
                    if value in values:
                        values[value] += 1
                    elif len(values) < MAX_TRACKED_VALUES:
                        values[value] = 1
        if ok:
            self.rows_valid += 1
        return ok

    def category_columns(self) -> dict[str, dict[str, int]]:
        """The categorical columns and their value counts (inferred numeric columns left out)."""
        return {n: v for n, v in self.categories.items() if not self.numeric.get(n, False)}

    @property
    def id_index(self) -> int:
        return self.index[ID_COLUMNS[self.dataset_type]]


_TIMESTAMP_RULES = {
    "W-TIMESTAMP-MILLISECONDS": "looks like milliseconds; Personalize wants epoch seconds",
    "W-TIMESTAMP-FUTURE": "lies in the future",
    "W-TIMESTAMP-BEFORE-2000": "lies before 2000-01-01",
}


def read_csv(path: str, label: str, collector: Collector) -> tuple[list[str], Iterator[tuple[int, list[str]]]] | None:
    """Open ``path`` and return its header and an iterator of ``(line, cells)``;
    ``None`` (with E-FILE-UNREADABLE recorded) when it cannot be read."""
    try:
        stream = open_text(path)
        reader = csv.reader(stream, strict=True)
        header = next(reader)
    except StopIteration:
        collector.row("E-FILE-UNREADABLE", label, 1, None, "is empty (a header row is required)")
        stream.close()
        return None
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as err:
        collector.row("E-FILE-UNREADABLE", label, 1, None, f"cannot be read: {err}")
        return None

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        try:
            for cells in reader:
                if cells:  # blank lines (a trailing newline) carry nothing
                    yield start, cells
                start = reader.line_num + 1
        except (UnicodeDecodeError, csv.Error, OSError, EOFError) as err:
            collector.row("E-FILE-UNREADABLE", label, start, None, f"reading stopped here: {err}")
        finally:
            stream.close()

    return [h.strip() for h in header], rows()
