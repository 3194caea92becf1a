"""The CSV columns of the shop's datasets, and so the schemas provisioned for them.

    formats = shop_formats()           # {"Interactions": DatasetFormat, "Items": ..., "Users": ...}

The columns follow the registrations (:mod:`personalize_django.registry`), so
that the export, the schemas ``personalize_provision`` creates and the
records the backend is sent always agree; a schema given in
``PROVISIONING["schemas"]`` wins over them. See ``docs/django/commands.rst``.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Mapping

from personalize_sdk.dataset import INTERACTIONS, ITEMS, USERS, Column, DatasetFormat
from personalize_sdk.dataset.csv_format import (
    MAX_METADATA_COLUMNS,
    RESERVED_COLUMNS,
    column_name,
    make_format,
)

from ..conf import personalize_settings
from ..registry import registry
from .records import iter_items, iter_users

#: items (or users) sampled to find the columns of a callable ``properties``
COLUMN_SAMPLE = 1000


def _registered_columns(reg: Any, sample: Callable[[], Iterable[Any]]) -> list[str]:
    """The columns a registration's ``properties`` produce, in their order."""
    spec = reg.properties
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        return [column_name(str(column)) for column in spec]
    # A callable: its keys are only known from what it returns.
    seen: dict[str, None] = {}
    for record in sample():
        for key in record.properties or {}:
            seen.setdefault(column_name(key), None)
    return list(seen)


def items_format() -> DatasetFormat | None:
    """The items CSV columns: the required ones, the registration's properties
    and ``AVAILABLE`` when it declares availability (``None``: no item model)."""
    reg = registry.item_registration()
    if reg is None:
        return None
    columns = _registered_columns(reg, lambda: _sample(iter_items))
    if reg.available is not None and "AVAILABLE" not in columns:
        columns.append("AVAILABLE")
    return make_format(ITEMS, columns)


def users_format() -> DatasetFormat | None:
    """The users CSV columns, or ``None`` when there is no user model or it has
    no properties (Personalize's Users dataset needs at least one metadata column)."""
    reg = registry.user_registration()
    if reg is None:
        return None
    columns = _registered_columns(reg, lambda: _sample(iter_users))
    if not columns:
        return None
    return make_format(USERS, columns)


def interactions_format(*, session_id: bool = False) -> DatasetFormat:
    """The interactions CSV columns: the required ones, ``EVENT_VALUE`` when an
    event registration has a value, ``IMPRESSION`` and ``RECOMMENDATION_ID``
    (recorded by personalize.js) and the registrations' event properties (at
    most 5 metadata columns, Personalize's limit). ``session_id=True`` adds a
    ``SESSION_ID`` column for the check (never for an import)."""
    regs = [reg for regs in registry.events.values() for reg in regs]
    columns: list[str | tuple[str, str]] = []
    if any(reg.value is not None for reg in regs):
        columns.append("EVENT_VALUE")
    columns += ["IMPRESSION", "RECOMMENDATION_ID"]
    metadata: list[str] = []
    for reg in regs:
        if isinstance(reg.properties, Mapping):
            for column in reg.properties:
                name = column_name(str(column))
                if name not in metadata and name not in RESERVED_COLUMNS[INTERACTIONS]:
                    metadata.append(name)
    columns += metadata[: MAX_METADATA_COLUMNS[INTERACTIONS]]
    return make_format(INTERACTIONS, columns, session_id=session_id)


def format_from_schema(dataset_type: str, schema: Any) -> DatasetFormat | None:
    """A :class:`DatasetFormat` from an Avro schema (dict or JSON text), a
    format, or ``{"name": ..., "schema": ...}``: the columns of a schema given
    in ``PROVISIONING["schemas"]``, so the export writes what it declares
    (``None`` when it leaves the schema to the default)."""
    if schema is None or schema is True:
        return None
    if isinstance(schema, DatasetFormat):
        return schema
    if isinstance(schema, Mapping) and "fields" not in schema:
        return format_from_schema(dataset_type, schema.get("schema"))
    if isinstance(schema, str):
        schema = json.loads(schema)
    columns = []
    for entry in schema["fields"]:
        kind = entry["type"]
        types = [kind] if isinstance(kind, str) else list(kind)
        concrete = [t for t in types if t != "null"]
        columns.append(
            Column(
                entry["name"],
                concrete[0] if concrete else "string",
                nullable="null" in types,
                categorical=bool(entry.get("categorical")),
                textual=bool(entry.get("textual")),
                reserved=entry["name"] in RESERVED_COLUMNS[dataset_type],
            )
        )
    return DatasetFormat(dataset_type, tuple(columns))


def shop_formats(*, session_id: bool = False) -> dict[str, DatasetFormat]:
    """The format of each dataset the shop has: a schema given in
    ``PROVISIONING["schemas"]`` wins, else the registrations decide."""
    formats: dict[str, DatasetFormat] = {INTERACTIONS: interactions_format(session_id=session_id)}
    for dataset_type, build in ((ITEMS, items_format), (USERS, users_format)):
        fmt = build()
        if fmt is not None:
            formats[dataset_type] = fmt
    schemas = (personalize_settings.PROVISIONING or {}).get("schemas") or {}
    for dataset_type, schema in schemas.items():
        fmt = format_from_schema(dataset_type, schema)
        if fmt is None:
            continue
        if dataset_type == INTERACTIONS and session_id:
            fmt = DatasetFormat(INTERACTIONS, fmt.columns + (Column("SESSION_ID"),))
        formats[dataset_type] = fmt
    return formats


def _sample(records: Callable[[], Iterator[Any]]) -> Iterable[Any]:
    return islice(records(), COLUMN_SAMPLE)


__all__ = [
    "COLUMN_SAMPLE",
    "format_from_schema",
    "interactions_format",
    "items_format",
    "shop_formats",
    "users_format",
]
