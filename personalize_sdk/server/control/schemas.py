"""Avro schemas as Personalize takes them, and the rules of each dataset type.

A schema (CreateSchema) must be a flat Avro record whose fields have the
supported types (``string``, ``int``, ``long``, ``float``, ``double``,
``boolean``, each possibly in a union with ``null``). Which fields a dataset
needs is checked when the dataset is created, once its type is known:
the domain's required fields for a domain dataset group, the custom ones
otherwise, and the reserved fields' types in both (reference 4.1).
"""

from __future__ import annotations

import json
from typing import Any

from ...dataset.csv_format import (
    AVRO_TYPES,
    MAX_METADATA_COLUMNS,
    REQUIRED_COLUMNS,
    RESERVED_COLUMNS,
    Column,
)
from ..errors import InvalidInputException

#: the dataset types the local engine stores, as the ARN spells them, by
#: the name the csv_format module uses
DATASET_TYPES = {"INTERACTIONS": "Interactions", "ITEMS": "Items", "USERS": "Users"}
#: custom (non-domain) dataset groups need fewer fields (reference 4.1)
CUSTOM_REQUIRED = {
    "Interactions": ("USER_ID", "ITEM_ID", "TIMESTAMP"),
    "Items": ("ITEM_ID",),
    "Users": ("USER_ID",),
}


def parse_schema(text: str) -> tuple[Column, ...]:
    """The fields of an Avro schema, in order; InvalidInputException naming
    the rule a schema breaks."""
    try:
        schema = json.loads(text)
    except ValueError as err:
        raise InvalidInputException(f"schema: not valid JSON ({err}).") from None
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise InvalidInputException('schema: must be an Avro record ({"type": "record", ...}).')
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        raise InvalidInputException("schema: must have a non-empty list of fields.")
    columns: list[Column] = []
    seen: set[str] = set()
    for index, field in enumerate(fields, start=1):
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            raise InvalidInputException(f"schema: field {index} has no name.")
        name = field["name"]
        key = name.replace("_", "").upper()  # GENRES_1 and GENRES1 collide on AWS
        if key in seen:
            raise InvalidInputException(f"schema: field {name} duplicates another field's name.")
        seen.add(key)
        avro_type, nullable = _type(field.get("type"), name)
        try:
            columns.append(
                Column(
                    name,
                    avro_type,
                    nullable=nullable,
                    categorical=bool(field.get("categorical")),
                    textual=bool(field.get("textual")),
                )
            )
        except ValueError as err:
            raise InvalidInputException(f"schema: {err}.") from None
    return tuple(columns)


def _type(spec: Any, name: str) -> tuple[str, bool]:
    types = spec if isinstance(spec, list) else [spec]
    nullable = "null" in types
    others = [t for t in types if t != "null"]
    if len(others) != 1 or not isinstance(others[0], str) or others[0] not in AVRO_TYPES:
        raise InvalidInputException(
            f"schema: field {name} has type {json.dumps(spec)}; fields are flat, of type "
            f"{', '.join(sorted(AVRO_TYPES))}, optionally in a union with null."
        )
    return others[0], nullable


def dataset_type(value: str) -> str:
    """The csv_format name (``Interactions``) of a CreateDataset ``datasetType``
    (any case: the samples write both INTERACTIONS and Interactions)."""
    upper = value.upper()
    if upper not in DATASET_TYPES:
        raise InvalidInputException(
            f"datasetType: {value!r} is not available in the local Personalize "
            f"(use {', '.join(DATASET_TYPES.values())})."
        )
    return DATASET_TYPES[upper]


def check_dataset(columns: tuple[Column, ...], kind: str, domain: str | None) -> None:
    """The rules a schema must follow to be the ``kind`` dataset of a
    dataset group of ``domain`` (``None``: custom)."""
    names = {c.name: c for c in columns}
    required = REQUIRED_COLUMNS[kind] if domain else CUSTOM_REQUIRED[kind]
    missing = [n for n in required if n not in names]
    if missing:
        where = f"the {domain} domain" if domain else "a custom dataset group"
        raise InvalidInputException(
            f"schemaArn: a {kind} dataset of {where} needs the field {missing[0]}; "
            f"the schema has {', '.join(names)}."
        )
    for name, column in names.items():
        reserved = RESERVED_COLUMNS[kind].get(name)
        if reserved is not None and reserved.type != column.type and not (
            reserved.type in ("float", "double") and column.type in ("float", "double")
        ) and not (reserved.type == "long" and column.type in ("int", "long")):
            raise InvalidInputException(
                f"schemaArn: the reserved field {name} must be of type {reserved.type}, "
                f"not {column.type}."
            )
    textual = [c.name for c in columns if c.textual]
    if len(textual) > 1:
        raise InvalidInputException(
            f"schemaArn: a dataset has at most one textual field, not {len(textual)} ({', '.join(textual)})."
        )
    metadata = [c for n, c in names.items() if n not in RESERVED_COLUMNS[kind]]
    if len(metadata) > MAX_METADATA_COLUMNS[kind]:
        raise InvalidInputException(
            f"schemaArn: a {kind} dataset has at most {MAX_METADATA_COLUMNS[kind]} metadata "
            f"fields, not {len(metadata)}."
        )
    if kind in ("Items", "Users") and not metadata and not domain:
        if not any(n not in required for n in names):
            raise InvalidInputException(
                f"schemaArn: a {kind} dataset needs at least one metadata field besides "
                f"{required[0]}."
            )
