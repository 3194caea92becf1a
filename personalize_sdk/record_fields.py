"""The rules of one field of a record: ids, property keys and values, the
``properties`` JSON, the schema spelling of a key. :mod:`personalize_sdk.records`
builds :class:`~personalize_sdk.records.Event`, ``Item`` and ``User`` from them.

Text a client can send is checked here, so that the rule holds for every
backend and entry point (the REST API, the outbox, plain ``Client`` use):

- ids (``event_id``, ``session_id``, ``user_id``, ``item_id``,
  ``recommendation_id``, each ``impression`` id) and ``event_type`` hold no
  NUL, no other C0 control character (U+0000 to U+001F), no DEL and no lone
  surrogate (U+D800 to U+DFFF): PostgreSQL's text and JSON refuse NUL and
  unpaired surrogates, and a control character in an id is never meant;
- property keys are printable (``str.isprintable``: no control, format or
  surrogate character) and at most ``MAX_PROPERTY_KEY_LENGTH`` characters;
- property values (strings anywhere inside them) hold no NUL and no lone
  surrogate; other text is the shop's own.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from .exceptions import InvalidRecordError

MAX_ID_LENGTH = 256
MAX_EVENT_TYPE_LENGTH = 256
MAX_RECOMMENDATION_ID_LENGTH = 40
MAX_IMPRESSIONS = 25
MAX_EVENT_PROPERTIES_LENGTH = 1024
MAX_ITEM_PROPERTIES_LENGTH = 32000
MAX_USER_PROPERTIES_LENGTH = 24000
MAX_EVENT_BYTES = 10 * 1024
MAX_PROPERTY_KEY_LENGTH = 256

#: what no id may hold: C0 controls (NUL among them), DEL, lone surrogates (a
#: Python string holds a surrogate code point only when it is unpaired)
_BAD_ID_CHARACTER = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
#: what no property value may hold: NUL and lone surrogates
_BAD_VALUE_CHARACTER = re.compile("[\x00\ud800-\udfff]")

#: Keys Personalize refuses inside an event's ``properties`` (compared case-insensitively),
#: because they collide with the event's own members.
RESERVED_EVENT_PROPERTY_KEYS = frozenset(
    k.lower() for k in ("userId", "sessionId", "eventType", "timestamp", "recommendationId", "impression")
)

#: Keys of an event's ``properties`` that are columns of the event itself, by
#: their schema spelling (see :func:`schema_key`): PutEvents' ``properties``
#: may carry them (AWS's own examples send ``{"itemId": ..., "eventValue": ...}``
#: there, and Segment's destination does too), so they are moved onto the event.
EVENT_COLUMN_PROPERTIES = {"ITEM_ID": "item_id", "EVENT_VALUE": "event_value"}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def schema_key(key: str) -> str:
    """A property key in the schema spelling: ``categoryL1`` and
    ``CATEGORY_L1`` both give ``CATEGORY_L1``; ``creationTimestamp`` gives
    ``CREATION_TIMESTAMP``. PutEvents and PutItems send camelCase, schemas,
    filters and request contexts use UPPER_SNAKE; this is the one place that
    reconciles them."""
    if key == key.upper():
        return key
    return _CAMEL_BOUNDARY.sub("_", key).upper()


def schema_properties(properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """``properties`` with every key in the schema spelling (:func:`schema_key`)."""
    return {schema_key(k): v for k, v in (properties or {}).items()}


def character_rule(char: str, position: int) -> str:
    """The rule a refused character breaks, naming it and where it is."""
    code = ord(char)
    if code == 0:
        return f"must not contain NUL (U+0000, at position {position})"
    if 0xD800 <= code <= 0xDFFF:
        return f"must not contain a lone surrogate (U+{code:04X}, at position {position})"
    return f"must not contain control characters (U+{code:04X}, at position {position})"


def check_id_text(value: str, field_name: str, record: str) -> str:
    """``value`` if it holds no NUL, C0 control, DEL or lone surrogate; else
    :class:`InvalidRecordError` naming ``field_name`` and the character."""
    bad = _BAD_ID_CHARACTER.search(value)
    if bad is not None:
        raise InvalidRecordError(field_name, character_rule(bad.group(), bad.start()), record=record)
    return value


def check_value_text(value: Any, field_name: str, record: str) -> None:
    """Refuse NUL and lone surrogates in every string inside a property value."""
    if isinstance(value, str):
        bad = _BAD_VALUE_CHARACTER.search(value)
        if bad is not None:
            raise InvalidRecordError(field_name, character_rule(bad.group(), bad.start()), record=record)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            check_value_text(key, field_name, record)
            check_value_text(inner, f"{field_name}[{key!r}]", record)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            check_value_text(inner, f"{field_name}[{index}]", record)


def check_property_key(key: Any, field_name: str, record: str) -> None:
    where = f"{field_name}[{key!r}]"
    if not isinstance(key, str) or not key:
        raise InvalidRecordError(where, "keys must be non-empty strings", record=record)
    if len(key) > MAX_PROPERTY_KEY_LENGTH:
        raise InvalidRecordError(
            where, f"keys must be at most {MAX_PROPERTY_KEY_LENGTH} characters (got {len(key)})", record=record
        )
    if not key.isprintable():
        bad = next(i for i, c in enumerate(key) if not c.isprintable())
        raise InvalidRecordError(
            where,
            f"keys must be printable (U+{ord(key[bad]):04X} at position {bad} is not: "
            "no control, format or surrogate characters)",
            record=record,
        )


def coerce_id(value: Any, field_name: str, record: str, *, max_length: int = MAX_ID_LENGTH) -> str:
    # Django primary keys are ints; Personalize ids are strings. Accept the former.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRecordError(field_name, f"must be a string, not {type(value).__name__}", record=record)
    if not value:
        raise InvalidRecordError(field_name, "must not be empty", record=record)
    if len(value) > max_length:
        raise InvalidRecordError(
            field_name, f"must be at most {max_length} characters (got {len(value)})", record=record
        )
    return check_id_text(value, field_name, record)


def optional_id(value: Any, field_name: str, record: str, *, max_length: int = MAX_ID_LENGTH) -> str | None:
    if value is None:
        return None
    return coerce_id(value, field_name, record, max_length=max_length)


def encode_properties(value: Any, field_name: str, record: str, max_length: int) -> str | None:
    """Validate ``properties`` and return it as the JSON string Personalize wants."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            raise InvalidRecordError(field_name, "must be a mapping or a JSON object string", record=record) from None
        value = decoded
    if not isinstance(value, Mapping):
        raise InvalidRecordError(field_name, f"must be a mapping, not {type(value).__name__}", record=record)
    for key in value:
        check_property_key(key, field_name, record)
    try:
        encoded = json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidRecordError(field_name, f"must be JSON-serialisable ({err})", record=record) from None
    if len(encoded) > max_length:
        raise InvalidRecordError(
            field_name,
            f"must encode to at most {max_length} characters of JSON (got {len(encoded)})",
            record=record,
        )
    # NUL is escaped in the JSON, a lone surrogate kept as is: a cheap test of
    # the encoding first, the walk that names the value only when it hits.
    if "\\u0000" in encoded or _BAD_VALUE_CHARACTER.search(encoded):
        for key, inner in value.items():
            check_value_text(inner, f"{field_name}[{key!r}]", record)
    if encoded == "{}":
        return None
    return encoded
