"""Events, items and users, validated on construction against Personalize's limits.

The limits come from the personalize-events API model (PutEvents, PutItems,
PutUsers): ids of 1 to 256 characters, properties sent as a JSON string of at
most 1,024 (event), 32,000 (item) or 24,000 (user) characters, at most 25
impression ids, a recommendation id of at most 40 characters, and events of at
most 10 KB. A record that breaks one raises :class:`InvalidRecordError` naming
the field and the rule, so bad data never reaches a queue.

Text a client can send is checked here too, so that the rule holds for every
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
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

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


class EventType:
    """The event types the ECOMMERCE use cases understand. Any other string of
    1 to 256 characters is allowed too."""

    #: a product page was shown
    VIEW = "View"
    #: a product was put in the cart
    ADD_TO_CART = "AddToCart"
    #: a product was bought (one event per order line)
    PURCHASE = "Purchase"
    #: a recommendation was clicked
    CLICK = "Click"


def _character_rule(char: str, position: int) -> str:
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
        raise InvalidRecordError(field_name, _character_rule(bad.group(), bad.start()), record=record)
    return value


def _check_value_text(value: Any, field_name: str, record: str) -> None:
    """Refuse NUL and lone surrogates in every string inside a property value."""
    if isinstance(value, str):
        bad = _BAD_VALUE_CHARACTER.search(value)
        if bad is not None:
            raise InvalidRecordError(field_name, _character_rule(bad.group(), bad.start()), record=record)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _check_value_text(key, field_name, record)
            _check_value_text(inner, f"{field_name}[{key!r}]", record)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            _check_value_text(inner, f"{field_name}[{index}]", record)


def _check_property_key(key: Any, field_name: str, record: str) -> None:
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


def _coerce_id(value: Any, field_name: str, record: str, *, max_length: int = MAX_ID_LENGTH) -> str:
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


def _optional_id(value: Any, field_name: str, record: str, *, max_length: int = MAX_ID_LENGTH) -> str | None:
    if value is None:
        return None
    return _coerce_id(value, field_name, record, max_length=max_length)


def _encode_properties(value: Any, field_name: str, record: str, max_length: int) -> str | None:
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
        _check_property_key(key, field_name, record)
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
            _check_value_text(inner, f"{field_name}[{key!r}]", record)
    if encoded == "{}":
        return None
    return encoded


def _now() -> datetime:
    return datetime.now(timezone.utc)


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_event_id() -> str:
    """A new random event id: a version 4 UUID as 32 hex digits (what
    ``uuid.uuid4().hex`` gives, without building a ``UUID`` per event)."""
    # os.urandom, as uuid4 uses: unlike a seeded generator (random), its
    # sequence is not copied into forked workers, nor reset by random.seed().
    return f"{int.from_bytes(os.urandom(16), 'big') & _UUID4_CLEAR | _UUID4_SET:032x}"


@dataclass(frozen=True)
class Event:
    """One user-item interaction, as Personalize's PutEvents takes it.

    ``event_id`` is fixed at creation (a random UUID unless given) and sent as
    ``eventId``: a delivery retried after a crash carries the same id, and
    Personalize (like the local engine) leaves repeated ids out of training.
    """

    event_type: str
    session_id: str
    item_id: str | None = None
    user_id: str | None = None
    sent_at: datetime | None = None
    event_value: float | None = None
    properties: Mapping[str, Any] | str | None = None
    impression: Sequence[str] | None = None
    recommendation_id: str | None = None
    event_id: str | None = None
    #: the properties as the JSON string sent on the wire (``None`` when empty)
    properties_json: str | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        rec = "Event"
        set_ = object.__setattr__
        # Nearly every event has string ids within the limits: one test for
        # the two required ones, the field-by-field checks only when it fails.
        if not (
            type(self.event_type) is str
            and type(self.session_id) is str
            and 0 < len(self.event_type) <= MAX_EVENT_TYPE_LENGTH
            and 0 < len(self.session_id) <= MAX_ID_LENGTH
        ):
            set_(self, "event_type", _coerce_id(self.event_type, "event_type", rec, max_length=MAX_EVENT_TYPE_LENGTH))
            set_(self, "session_id", _coerce_id(self.session_id, "session_id", rec))
        else:
            check_id_text(self.event_type, "event_type", rec)
            check_id_text(self.session_id, "session_id", rec)
        if self.item_id is not None:
            set_(self, "item_id", _coerce_id(self.item_id, "item_id", rec))
        if self.user_id is not None:
            set_(self, "user_id", _coerce_id(self.user_id, "user_id", rec))
        if self.event_id is None:
            set_(self, "event_id", new_event_id())
        else:
            set_(self, "event_id", _coerce_id(self.event_id, "event_id", rec))
        if self.recommendation_id is not None:
            set_(
                self,
                "recommendation_id",
                _optional_id(self.recommendation_id, "recommendation_id", rec, max_length=MAX_RECOMMENDATION_ID_LENGTH),
            )
        set_(self, "sent_at", self._check_sent_at(self.sent_at))
        if self.event_value is not None:
            set_(self, "event_value", self._check_event_value(self.event_value))
        if self.impression is not None:
            set_(self, "impression", self._check_impression(self.impression))
        if self.properties is not None:
            self._set_properties()
        # The exact size needs the event encoded; most events are far below the
        # limit, which a bound from their lengths alone shows (events are recorded
        # on the request path, so this matters).
        if self._size_bound() > MAX_EVENT_BYTES:
            size = len(json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8"))
            if size > MAX_EVENT_BYTES:
                raise InvalidRecordError("event", f"must be at most {MAX_EVENT_BYTES} bytes (got {size})", record=rec)

    def _set_properties(self) -> None:
        props = _encode_properties(self.properties, "properties", "Event", MAX_EVENT_PROPERTIES_LENGTH)
        decoded = json.loads(props) if props is not None else None
        for key in decoded or ():
            if key.lower() in RESERVED_EVENT_PROPERTY_KEYS:
                raise InvalidRecordError(
                    f"properties[{key!r}]",
                    "is reserved by Personalize (userId, sessionId, eventType, timestamp, "
                    "recommendationId and impression are event members, not properties)",
                    record="Event",
                )
        if decoded and any(schema_key(key) in EVENT_COLUMN_PROPERTIES for key in decoded):
            decoded = self._take_columns(decoded)
            props = _encode_properties(decoded, "properties", "Event", MAX_EVENT_PROPERTIES_LENGTH)
            decoded = json.loads(props) if props is not None else None
        object.__setattr__(self, "properties", decoded)
        object.__setattr__(self, "properties_json", props)

    def _take_columns(self, properties: dict[str, Any]) -> dict[str, Any]:
        """Move ``itemId`` and ``eventValue`` out of ``properties`` onto the
        event; return the properties left (the event's metadata columns)."""
        rest = {}
        for key, value in properties.items():
            name = EVENT_COLUMN_PROPERTIES.get(schema_key(key))
            if name is None:
                rest[key] = value
                continue
            if name == "item_id":
                value = _coerce_id(value, f"properties[{key!r}]", "Event")
            else:
                try:
                    value = self._check_event_value(value)
                except InvalidRecordError:
                    raise InvalidRecordError(f"properties[{key!r}]", "must be a number", record="Event") from None
            given = getattr(self, name)
            if given is not None and given != value:
                raise InvalidRecordError(
                    f"properties[{key!r}]",
                    f"is {value!r} but {name} is {given!r}: an event has one {name}, "
                    "given as the field or in properties (or the same in both)",
                    record="Event",
                )
            object.__setattr__(self, name, value)
        return rest

    def _size_bound(self) -> int:
        """An upper bound of the bytes of :meth:`to_dict` as JSON: a character
        takes at most 12 bytes there (one outside the Basic Multilingual Plane
        becomes two ``\\uXXXX`` escapes), and everything else (keys, quotes,
        separators, the time, the value) at most 512 bytes, 3 more per impression."""
        chars = len(self.event_type) + len(self.session_id) + len(self.event_id)  # type: ignore[arg-type]
        for text in (self.item_id, self.user_id, self.recommendation_id, self.properties_json):
            if text:
                chars += len(text)
        for item_id in self.impression or ():
            chars += len(item_id) + 3
        return 12 * chars + 512

    @staticmethod
    def _check_sent_at(value: Any) -> datetime:
        if value is None:
            return _now()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value) or value < 0:
                raise InvalidRecordError("sent_at", "must be a non-negative epoch time in seconds", record="Event")
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if not isinstance(value, datetime):
            raise InvalidRecordError(
                "sent_at", f"must be a timezone-aware datetime, not {type(value).__name__}", record="Event"
            )
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise InvalidRecordError("sent_at", "must be timezone-aware (naive datetimes are ambiguous)", record="Event")
        return value

    @staticmethod
    def _check_event_value(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)  # Decimal prices from Django
            except (TypeError, ValueError):
                raise InvalidRecordError("event_value", "must be a number", record="Event") from None
        value = float(value)
        if not math.isfinite(value):
            raise InvalidRecordError("event_value", "must be a finite number", record="Event")
        return value

    @staticmethod
    def _check_impression(value: Any) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise InvalidRecordError("impression", "must be a list of item ids", record="Event")
        if not value:
            raise InvalidRecordError("impression", "must hold at least 1 item id when given", record="Event")
        if len(value) > MAX_IMPRESSIONS:
            raise InvalidRecordError(
                "impression", f"must hold at most {MAX_IMPRESSIONS} item ids (got {len(value)})", record="Event"
            )
        return tuple(_coerce_id(v, f"impression[{i}]", "Event") for i, v in enumerate(value))

    @property
    def sent_at_epoch(self) -> float:
        """``sent_at`` as Unix epoch seconds."""
        assert self.sent_at is not None
        return self.sent_at.timestamp()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (snake_case keys, ``sent_at`` in ISO 8601) that
        :meth:`from_dict` reads back; the shape of the REST API and the outbox."""
        data: dict[str, Any] = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "session_id": self.session_id,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }
        for name in ("user_id", "item_id", "event_value", "recommendation_id"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.properties:
            data["properties"] = dict(self.properties)
        if self.impression:
            data["impression"] = list(self.impression)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Event":
        """Build an event from :meth:`to_dict`'s shape; unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise InvalidRecordError("event", "must be a JSON object", record="Event")
        allowed = {
            "event_id", "event_type", "session_id", "sent_at", "user_id", "item_id",
            "event_value", "recommendation_id", "properties", "impression",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise InvalidRecordError(unknown[0], "is not a known event field", record="Event")
        for required in ("event_type", "session_id"):
            if required not in data or data[required] is None:
                raise InvalidRecordError(required, "is required", record="Event")
        kwargs = dict(data)
        sent_at = kwargs.get("sent_at")
        if isinstance(sent_at, str):
            try:
                kwargs["sent_at"] = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
            except ValueError:
                raise InvalidRecordError("sent_at", "must be an ISO 8601 date-time", record="Event") from None
        return cls(**kwargs)

    def to_personalize(self) -> dict[str, Any]:
        """The ``eventList`` entry for PutEvents (camelCase; ``sentAt`` a datetime, as boto3 takes it)."""
        data: dict[str, Any] = {"eventId": self.event_id, "eventType": self.event_type, "sentAt": self.sent_at}
        if self.item_id is not None:
            data["itemId"] = self.item_id
        if self.event_value is not None:
            data["eventValue"] = self.event_value
        if self.properties_json:
            data["properties"] = self.properties_json
        if self.impression:
            data["impression"] = list(self.impression)
        if self.recommendation_id:
            data["recommendationId"] = self.recommendation_id
        return data


@dataclass(frozen=True)
class _Entity:
    _id_field = ""
    _max_properties = 0

    def _validate(self, record: str) -> None:
        set_ = object.__setattr__
        set_(self, self._id_field, _coerce_id(getattr(self, self._id_field), self._id_field, record))
        props = _encode_properties(self.properties, "properties", record, self._max_properties)  # type: ignore[attr-defined]
        set_(self, "properties", json.loads(props) if props else None)
        set_(self, "properties_json", props)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {self._id_field: getattr(self, self._id_field)}
        if self.properties:  # type: ignore[attr-defined]
            data["properties"] = dict(self.properties)  # type: ignore[attr-defined]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):  # type: ignore[no-untyped-def]
        record = cls.__name__
        if not isinstance(data, Mapping):
            raise InvalidRecordError(record.lower(), "must be a JSON object", record=record)
        unknown = sorted(set(data) - {cls._id_field, "properties"})
        if unknown:
            raise InvalidRecordError(unknown[0], f"is not a known {record.lower()} field", record=record)
        if data.get(cls._id_field) is None:
            raise InvalidRecordError(cls._id_field, "is required", record=record)
        return cls(**data)

    def to_personalize(self) -> dict[str, Any]:
        camel = "itemId" if self._id_field == "item_id" else "userId"
        data: dict[str, Any] = {camel: getattr(self, self._id_field)}
        if self.properties_json:  # type: ignore[attr-defined]
            data["properties"] = self.properties_json  # type: ignore[attr-defined]
        return data


@dataclass(frozen=True)
class Item(_Entity):
    """A catalogue item for PutItems. ``properties`` hold the Items schema
    columns, camelCased as Personalize wants (``categoryL1``, ``price``)."""

    item_id: str
    properties: Mapping[str, Any] | str | None = None
    properties_json: str | None = field(init=False, repr=False, compare=False, default=None)

    _id_field = "item_id"
    _max_properties = MAX_ITEM_PROPERTIES_LENGTH

    def __post_init__(self) -> None:
        self._validate("Item")


@dataclass(frozen=True)
class User(_Entity):
    """A user for PutUsers; ``properties`` hold the Users schema columns."""

    user_id: str
    properties: Mapping[str, Any] | str | None = None
    properties_json: str | None = field(init=False, repr=False, compare=False, default=None)

    _id_field = "user_id"
    _max_properties = MAX_USER_PROPERTIES_LENGTH

    def __post_init__(self) -> None:
        self._validate("User")
