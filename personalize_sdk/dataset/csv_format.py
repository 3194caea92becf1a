"""Personalize's bulk-import CSV format for the ECOMMERCE domain, in one place.

A :class:`DatasetFormat` is an ordered tuple of :class:`Column`\\ s. The same
object renders the CSV header, the Avro schema (so that the header and the
schema's field order always agree, as the import job wants), and the row for a
record. Reserved columns (``USER_ID``, ``TIMESTAMP``, ``CATEGORY_L1``...) come
from the reference tables; any other column is a record property, mapped from
the SDK's camelCase property keys (``categoryL2``) to the schema's
UPPER_SNAKE column names (``CATEGORY_L2``) by :func:`column_name` and back by
:func:`property_key`. Nothing else in the project should spell that mapping.

Values are written as Personalize reads them: timestamps in epoch seconds,
multi-valued cells joined with ``|``, booleans of ``boolean`` columns as
``true``/``false``, and an empty cell for a missing value (the check reports
empty required values; the writer never drops them silently).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, Iterable, Mapping, Sequence

from ..records import Event, Item, User

INTERACTIONS = "Interactions"
ITEMS = "Items"
USERS = "Users"
#: the three dataset types this module knows, in the order an import wants them
DATASET_TYPES = (INTERACTIONS, ITEMS, USERS)

#: the file each dataset type is written to (``.gz`` is appended when compressed)
FILE_NAMES = {INTERACTIONS: "interactions.csv", ITEMS: "items.csv", USERS: "users.csv"}

#: the id column of each dataset type
ID_COLUMNS = {INTERACTIONS: "USER_ID", ITEMS: "ITEM_ID", USERS: "USER_ID"}

MAX_ID_LENGTH = 256
#: longest categorical or plain string cell (and IMPRESSION cell) the import job accepts
MAX_VALUE_LENGTH = 1000
#: longest textual cell (PRODUCT_DESCRIPTION); 7,000 for Chinese and Japanese text
MAX_TEXTUAL_LENGTH = 20000
#: metadata columns a dataset may have besides its reserved ones
MAX_METADATA_COLUMNS = {INTERACTIONS: 5, ITEMS: 100, USERS: 25}

AVRO_TYPES = frozenset({"string", "float", "double", "int", "long", "boolean"})
NUMERIC_TYPES = frozenset({"float", "double", "int", "long"})
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Column:
    """One schema field and CSV column."""

    name: str
    type: str = "string"
    #: may the cell be empty (an Avro ``["null", type]`` union)?
    nullable: bool = True
    categorical: bool = False
    textual: bool = False
    #: one of Personalize's reserved keywords, rather than a metadata column
    reserved: bool = False

    def __post_init__(self) -> None:
        if not _COLUMN_NAME.match(self.name):
            raise ValueError(f"column {self.name!r}: names are letters, digits and '_', not starting with a digit")
        if self.type not in AVRO_TYPES:
            raise ValueError(f"column {self.name!r}: type must be one of {sorted(AVRO_TYPES)}, not {self.type!r}")
        if (self.categorical or self.textual) and self.type != "string":
            raise ValueError(f"column {self.name!r}: only string columns can be categorical or textual")

    @property
    def max_length(self) -> int | None:
        """The longest cell Personalize accepts in this column (``None``: no limit known)."""
        if self.textual:
            return MAX_TEXTUAL_LENGTH
        if self.type == "string":
            return MAX_ID_LENGTH if self.name in ("USER_ID", "ITEM_ID") else MAX_VALUE_LENGTH
        return None

    def avro(self) -> dict[str, Any]:
        field: dict[str, Any] = {"name": self.name, "type": ["null", self.type] if self.nullable else self.type}
        if self.categorical:
            field["categorical"] = True
        if self.textual:
            field["textual"] = True
        return field


def _reserved(*columns: Column) -> dict[str, Column]:
    return {c.name: c for c in columns}


#: reserved keywords per dataset type (reference section 4.1), with their required types
RESERVED_COLUMNS: dict[str, dict[str, Column]] = {
    INTERACTIONS: _reserved(
        Column("USER_ID", nullable=False, reserved=True),
        Column("ITEM_ID", nullable=False, reserved=True),
        Column("EVENT_TYPE", nullable=False, reserved=True),
        Column("TIMESTAMP", "long", nullable=False, reserved=True),
        Column("EVENT_VALUE", "float", reserved=True),
        Column("IMPRESSION", reserved=True),
        Column("RECOMMENDATION_ID", reserved=True),
        Column("EVENT_ATTRIBUTION_SOURCE", reserved=True),
    ),
    ITEMS: _reserved(
        Column("ITEM_ID", nullable=False, reserved=True),
        Column("PRICE", "float", nullable=False, reserved=True),
        Column("CATEGORY_L1", nullable=False, categorical=True, reserved=True),
        Column("CATEGORY_L2", categorical=True, reserved=True),
        Column("CATEGORY_L3", categorical=True, reserved=True),
        Column("PRODUCT_DESCRIPTION", textual=True, reserved=True),
        # The docs disagree (long or float); epoch seconds fit a long.
        Column("CREATION_TIMESTAMP", "long", reserved=True),
        Column("AGE_GROUP", categorical=True, reserved=True),
        Column("ADULT", categorical=True, reserved=True),
        Column("GENDER", categorical=True, reserved=True),
    ),
    USERS: _reserved(Column("USER_ID", nullable=False, reserved=True)),
}

#: columns every file of a dataset type must have (reference 4.1)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    INTERACTIONS: ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"),
    ITEMS: ("ITEM_ID", "PRICE", "CATEGORY_L1"),
    USERS: ("USER_ID",),
}

# Not a Personalize keyword: a column this project may add so that the quality
# check can count sessions. A plain (non-categorical) string is ignored in training.
SESSION_ID = Column("SESSION_ID")


def column_name(key: str) -> str:
    """The schema column for a property key: ``categoryL1`` -> ``CATEGORY_L1``,
    ``numberOfRatings`` -> ``NUMBER_OF_RATINGS``; UPPER_SNAKE names stay as they are."""
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
        return key
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)
    snake = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", snake)
    return snake.upper()


def property_key(column: str) -> str:
    """The camelCase property key for a column: ``CATEGORY_L1`` -> ``categoryL1``."""
    head, *rest = column.lower().split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class DatasetFormat:
    """The columns of one dataset's CSV file, in file (and schema) order."""

    dataset_type: str
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        if self.dataset_type not in DATASET_TYPES:
            raise ValueError(f"dataset_type must be one of {DATASET_TYPES}, not {self.dataset_type!r}")
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{self.dataset_type}: column {duplicates[0]!r} appears twice")
        missing = [n for n in REQUIRED_COLUMNS[self.dataset_type] if n not in names]
        if missing:
            raise ValueError(f"{self.dataset_type}: required column {missing[0]!r} is missing")

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def avro_schema(self) -> dict[str, Any]:
        """The Avro schema (a dict) whose fields are these columns, in order."""
        return {
            "type": "record",
            "name": self.dataset_type,
            "namespace": "com.amazonaws.personalize.schema",
            "fields": [c.avro() for c in self.columns],
            "version": "1.0",
        }

    def schema_json(self) -> str:
        """:meth:`avro_schema` as the JSON string CreateSchema takes."""
        return json.dumps(self.avro_schema(), separators=(",", ":"))


def _property_column(dataset_type: str, spec: str | Column | tuple[str, str]) -> Column:
    if isinstance(spec, Column):
        return spec
    kind = None
    if isinstance(spec, tuple):
        spec, kind = spec
    name = column_name(spec)
    reserved = RESERVED_COLUMNS[dataset_type].get(name)
    if reserved is not None and kind is None:
        return reserved
    if kind in (None, "categorical"):
        return Column(name, categorical=True)
    if kind == "textual":
        return Column(name, textual=True)
    return Column(name, kind)  # "string" (plain), a numeric type or "boolean"


def make_format(
    dataset_type: str, properties: Sequence[str | Column | tuple[str, str]] = (), *, session_id: bool = False
) -> DatasetFormat:
    """A format with the required columns of ``dataset_type`` followed by ``properties``.

    Each property is a key (``"categoryL2"`` or ``"CATEGORY_L2"``: a reserved
    keyword takes its reserved type, any other name becomes a nullable
    categorical string), a ``(key, kind)`` pair where kind is ``"categorical"``,
    ``"textual"``, ``"string"``, ``"boolean"`` or a numeric Avro type, or a
    :class:`Column`. For interactions, ``EVENT_VALUE``, ``IMPRESSION`` and
    ``RECOMMENDATION_ID`` are taken from the event's own fields, not from its
    properties. ``session_id=True`` adds a ``SESSION_ID`` column (interactions only).
    """
    required = [RESERVED_COLUMNS[dataset_type][n] for n in REQUIRED_COLUMNS[dataset_type]]
    extra = [_property_column(dataset_type, p) for p in properties]
    columns = required + [c for c in extra if c.name not in REQUIRED_COLUMNS[dataset_type]]
    if session_id:
        if dataset_type != INTERACTIONS:
            raise ValueError("session_id=True is for the interactions format only")
        columns.append(SESSION_ID)
    return DatasetFormat(dataset_type, tuple(columns))


def default_format(dataset_type: str) -> DatasetFormat:
    """The default ECOMMERCE schemas of reference section 4.2."""
    if dataset_type == USERS:
        membership = Column("MEMBERSHIP_STATUS", nullable=False, categorical=True)
        return DatasetFormat(USERS, (RESERVED_COLUMNS[USERS]["USER_ID"], membership))
    return make_format(dataset_type)


def format_value(value: Any, column: Column) -> str:
    """One cell: ``""`` for a missing value, ``|``-joined lists, epoch seconds for datetimes."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return "|".join(format_value(v, column) for v in value)
    if isinstance(value, datetime):
        return str(int(value.timestamp()))
    if isinstance(value, bool):
        if column.type == "boolean":
            return "true" if value else "false"
        return str(int(value)) if column.type in NUMERIC_TYPES else str(value)
    if column.type in ("int", "long") and isinstance(value, (float, Decimal)) and value == int(value):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _property(properties: Mapping[str, Any] | None, column: Column) -> Any:
    if not properties:
        return None
    value = properties.get(property_key(column.name))
    if value is None:
        value = properties.get(column.name)
    return value


def event_row(event: Event, fmt: DatasetFormat, *, user_id: str) -> list[str]:
    """The interactions row of ``event`` (``user_id`` given by the caller, who
    decides what an anonymous event's USER_ID is)."""
    own = {
        "USER_ID": user_id,
        "ITEM_ID": event.item_id,
        "EVENT_TYPE": event.event_type,
        "TIMESTAMP": int(event.sent_at_epoch),
        "EVENT_VALUE": event.event_value,
        "IMPRESSION": event.impression,
        "RECOMMENDATION_ID": event.recommendation_id,
        "SESSION_ID": event.session_id,
    }
    return [
        format_value(own[c.name] if c.name in own else _property(event.properties, c), c) for c in fmt.columns
    ]


def entity_row(record: Item | User, fmt: DatasetFormat) -> list[str]:
    """The items or users row of ``record``."""
    record_id = record.item_id if isinstance(record, Item) else record.user_id
    id_column = ID_COLUMNS[fmt.dataset_type]
    return [
        record_id if c.name == id_column else format_value(_property(record.properties, c), c) for c in fmt.columns
    ]


def open_text(path: str, mode: str = "r") -> IO[str]:
    """Open a CSV file for reading or writing text, gzip-compressed when the
    name ends in ``.gz`` (writing) or the file starts with gzip's magic bytes (reading)."""
    if "w" in mode:
        if str(path).endswith(".gz"):
            return gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=6)
        return open(path, "w", encoding="utf-8", newline="")
    raw = open(path, "rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", newline="")
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


def iter_values(cell: str) -> Iterable[str]:
    """The values of a possibly multi-valued (``|``-joined) cell."""
    return (v for v in cell.split("|") if v) if cell else ()
