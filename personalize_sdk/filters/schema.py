"""Check a parsed filter against the dataset schemas.

Personalize refuses a filter on a field its schema does not have, and one whose
operator does not fit the field's type, when the filter is created. Checking
the same at configuration time means a typo in ``Items.CATEGROY_L1`` stops the
application from starting instead of failing every request.

Type rules (reference section 5.1/5.2):

- ``IN`` / ``NOT IN`` match strings: the field must be a string (categorical) field;
- ``<``, ``<=``, ``>``, ``>=`` compare numbers: the field must be numeric;
- ``=`` and ``!=`` compare numbers, except that a string field may be compared
  with a ``$PLACEHOLDER`` or ``CurrentItem.FIELD`` (the documentation's own
  ``IF CurrentUser.MEMBERSHIP = $PREMIUM``), never with a number literal;
- textual and boolean fields cannot be filtered at all.

Field names are matched ignoring case (the parser keeps them upper-cased;
``Items.genres`` finds a schema field ``GENRES`` or ``genres``), because
Personalize reads them that way (see docs/filters.rst).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Union

from ..exceptions import FilterSyntaxError
from .hints import suggest
from .tree import Comparison, CurrentItemField, Filter, Membership, Number
from .vocabulary import CURRENT_USER, INTERACTION_DATASETS

#: Field types a schema may give, as in Personalize's Avro schemas; "categorical"
#: is a string field with ``"categorical": true``.
NUMERIC_TYPES = frozenset({"int", "long", "float", "double"})
STRING_TYPES = frozenset({"string", "categorical"})
UNFILTERABLE_TYPES = frozenset({"textual", "boolean"})
FIELD_TYPES = NUMERIC_TYPES | STRING_TYPES | UNFILTERABLE_TYPES

FieldTypes = Mapping[str, str]


class Schema:
    """The field types of the Items, Users and Actions datasets, by field name.

    ``Schema(items={"PRICE": "float", "CATEGORY_L1": "categorical"})``. A
    dataset given as ``None`` is not checked. Use :meth:`from_avro` to build
    one from Personalize's Avro schema JSON.
    """

    def __init__(
        self,
        items: Optional[FieldTypes] = None,
        users: Optional[FieldTypes] = None,
        actions: Optional[FieldTypes] = None,
    ) -> None:
        self.datasets: Dict[str, Optional[Dict[str, str]]] = {
            "Items": self._checked("items", items),
            "Users": self._checked("users", users),
            "Actions": self._checked("actions", actions),
        }

    @staticmethod
    def _checked(name: str, fields: Optional[FieldTypes]) -> Optional[Dict[str, str]]:
        if fields is None:
            return None
        checked: Dict[str, str] = {}
        folded: Dict[str, str] = {}
        for field, kind in dict(fields).items():
            field, kind = str(field), str(kind).lower()
            if kind not in FIELD_TYPES:
                raise ValueError(
                    f"{name}[{field!r}]: unknown field type {kind!r}; use one of {', '.join(sorted(FIELD_TYPES))}"
                )
            other = folded.setdefault(field.casefold(), field)
            if other != field:
                raise ValueError(
                    f"{name}[{field!r}]: differs from {other!r} only in case; filter expressions "
                    "ignore the case of field names, so they could not tell the two apart"
                )
            checked[field] = kind
        return checked

    @classmethod
    def from_avro(
        cls,
        items: Union[str, Mapping[str, Any], None] = None,
        users: Union[str, Mapping[str, Any], None] = None,
        actions: Union[str, Mapping[str, Any], None] = None,
    ) -> "Schema":
        """Build a schema from Avro record schemas (dicts or JSON text), as
        given to Personalize's CreateSchema."""
        return cls(items=_avro_fields(items), users=_avro_fields(users), actions=_avro_fields(actions))

    def fields(self, dataset: str) -> Optional[Dict[str, str]]:
        """Field name to type for ``dataset`` (``"Items"``, ``"Users"``,
        ``"Actions"``), or None when it is not checked."""
        return self.datasets.get(dataset)

    def resolve(self, dataset: str, name: str) -> Optional[str]:
        """The schema's own spelling of field ``name`` of ``dataset``,
        matched ignoring case (``"genres"`` finds ``GENRES``), or None when
        the schema has no such field or the dataset is not checked."""
        fields = self.datasets.get(dataset) or {}
        if name in fields:
            return name
        folded = name.casefold()
        return next((field for field in fields if field.casefold() == folded), None)

    def __repr__(self) -> str:
        given = ", ".join(f"{k.lower()}={v!r}" for k, v in self.datasets.items() if v is not None)
        return f"Schema({given})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.datasets == other.datasets


def _avro_fields(schema: Union[str, Mapping[str, Any], None]) -> Optional[Dict[str, str]]:
    if schema is None:
        return None
    if isinstance(schema, str):
        schema = json.loads(schema)
    if not isinstance(schema, Mapping):
        raise TypeError(f"an Avro schema is a dict or JSON text, not {type(schema).__name__}")
    fields: Dict[str, str] = {}
    for entry in schema.get("fields", ()):
        kind = entry["type"]
        if isinstance(kind, list):
            members = [k for k in kind if k != "null"]
            if len(members) != 1:
                raise ValueError(f"field {entry['name']!r}: unsupported union type {kind!r}")
            kind = members[0]
        if kind == "string" and entry.get("categorical"):
            kind = "categorical"
        elif kind == "string" and entry.get("textual"):
            kind = "textual"
        fields[entry["name"]] = kind
    return fields


def validate(tree: Filter, schema: Schema) -> Filter:
    """Check every field and operator of ``tree`` against ``schema``.

    Returns ``tree``; raises :class:`FilterSyntaxError` pointing at the
    offending field.
    """
    for expression in tree.expressions:
        for condition in expression.conditions():
            _check(condition, schema, tree.source)
    return tree


def _fail(message: str, source: str, position: int) -> FilterSyntaxError:
    return FilterSyntaxError(message, source, position if source and position >= 0 else None)


def _lookup(dataset: str, name: str, label: str, schema: Schema, source: str, position: int) -> Optional[str]:
    fields = schema.fields(dataset)
    if fields is None:
        return None
    found = schema.resolve(dataset, name)
    if found is None:
        hint = suggest(name, list(fields))
        if not hint and len(fields) <= 12:
            hint = f" (its fields are {', '.join(sorted(fields))})"
        raise _fail(f"the {dataset} schema has no field {name!r}{hint}", source, position)
    kind = fields[found]
    if kind == "textual":
        raise _fail(f"{label} is a textual field; Personalize cannot filter on textual fields", source, position)
    if kind == "boolean":
        raise _fail(
            f'{label} is a boolean field, which filters cannot use; store it as a string ("True"/"False") '
            "or a number (0/1)",
            source,
            position,
        )
    return kind


def _check(condition: Union[Membership, Comparison], schema: Schema, source: str) -> None:
    ref = condition.field
    dataset = "Users" if ref.dataset == CURRENT_USER else ref.dataset
    if dataset in INTERACTION_DATASETS:
        return
    label = str(ref)
    kind = _lookup(dataset, ref.name, label, schema, source, ref.position)
    value = condition.values if isinstance(condition, Membership) else condition.value
    current = value if isinstance(value, CurrentItemField) else None
    current_kind = None
    if current is not None:
        current_kind = _lookup("Items", current.name, f"CurrentItem.{current.name}", schema, source, current.position)

    if isinstance(condition, Membership):
        keyword = "NOT IN" if condition.negated else "IN"
        if kind in NUMERIC_TYPES:
            raise _fail(
                f"{label} is a number ({kind}): {keyword} matches strings; compare numbers with "
                "=, !=, <, <=, > or >=",
                source,
                ref.position,
            )
        if current is not None and current_kind in NUMERIC_TYPES:
            raise _fail(
                f"CurrentItem.{current.name} is a number ({current_kind}): {keyword} needs a string field",
                source,
                current.position,
            )
        return

    op = condition.operator
    if kind in STRING_TYPES:
        if op not in ("=", "!="):
            raise _fail(
                f'{label} is a string field: {op} compares numbers (match strings with IN ("..."))',
                source,
                ref.position,
            )
        if isinstance(value, Number):
            raise _fail(
                f'{label} is a string field and cannot be compared with a number; write IN ("{value.value}")',
                source,
                ref.position,
            )
    if current is None or current_kind is None:
        return
    if kind is not None and (kind in NUMERIC_TYPES) != (current_kind in NUMERIC_TYPES):
        raise _fail(
            f"{label} ({kind}) and CurrentItem.{current.name} ({current_kind}) cannot be compared",
            source,
            current.position,
        )
    if current_kind in STRING_TYPES and op not in ("=", "!="):
        raise _fail(f"CurrentItem.{current.name} is a string field: {op} compares numbers", source, current.position)
