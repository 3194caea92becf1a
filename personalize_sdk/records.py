"""Events, items and users, validated on construction against Personalize's limits.

The limits come from the personalize-events API model (PutEvents, PutItems,
PutUsers): ids of 1 to 256 characters, properties sent as a JSON string of at
most 1,024 (event), 32,000 (item) or 24,000 (user) characters, at most 25
impression ids, a recommendation id of at most 40 characters, and events of at
most 10 KB. A record that breaks one raises :class:`InvalidRecordError` naming
the field and the rule, so bad data never reaches a queue.

Text a client can send (ids, property keys and values) is checked too, by
the rules of :mod:`personalize_sdk.record_fields`, so that they hold for
every backend and entry point.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from .exceptions import InvalidRecordError
from .record_fields import (  # noqa: F401  (re-exported: records.* names of old)
    EVENT_COLUMN_PROPERTIES,
    MAX_EVENT_BYTES,
    MAX_EVENT_PROPERTIES_LENGTH,
    MAX_EVENT_TYPE_LENGTH,
    MAX_ID_LENGTH,
    MAX_IMPRESSIONS,
    MAX_ITEM_PROPERTIES_LENGTH,
    MAX_RECOMMENDATION_ID_LENGTH,
    MAX_USER_PROPERTIES_LENGTH,
    RESERVED_EVENT_PROPERTY_KEYS,
    check_id_text,
    coerce_id,
    encode_properties,
    optional_id,
    schema_key,
    schema_properties,
)


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
            set_(self, "event_type", coerce_id(self.event_type, "event_type", rec, max_length=MAX_EVENT_TYPE_LENGTH))
            set_(self, "session_id", coerce_id(self.session_id, "session_id", rec))
        else:
            check_id_text(self.event_type, "event_type", rec)
            check_id_text(self.session_id, "session_id", rec)
        if self.item_id is not None:
            set_(self, "item_id", coerce_id(self.item_id, "item_id", rec))
        if self.user_id is not None:
            set_(self, "user_id", coerce_id(self.user_id, "user_id", rec))
        if self.event_id is None:
            set_(self, "event_id", new_event_id())
        else:
            set_(self, "event_id", coerce_id(self.event_id, "event_id", rec))
        if self.recommendation_id is not None:
            set_(
                self,
                "recommendation_id",
                optional_id(self.recommendation_id, "recommendation_id", rec, max_length=MAX_RECOMMENDATION_ID_LENGTH),
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
        props = encode_properties(self.properties, "properties", "Event", MAX_EVENT_PROPERTIES_LENGTH)
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
            props = encode_properties(decoded, "properties", "Event", MAX_EVENT_PROPERTIES_LENGTH)
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
                value = coerce_id(value, f"properties[{key!r}]", "Event")
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
        return tuple(coerce_id(v, f"impression[{i}]", "Event") for i, v in enumerate(value))

    @classmethod
    def restored(
        cls,
        event_id: str,
        event_type: str,
        session_id: str,
        item_id: str | None,
        user_id: str | None,
        sent_at: float,
        event_value: float | None,
        recommendation_id: str | None,
        impression: Sequence[str] | None,
        properties_json: str | None,
    ) -> "Event":
        """An event read back from a store that validated it when it was
        written (the local engine's), built without checking it again.

        Reading a shop's history back (exports, offline metrics, the console)
        would otherwise spend most of its time re-validating every field;
        never use this for input from a client: build an :class:`Event`."""
        event = object.__new__(cls)
        set_ = object.__setattr__
        set_(event, "event_type", event_type)
        set_(event, "session_id", session_id)
        set_(event, "item_id", item_id)
        set_(event, "user_id", user_id)
        set_(event, "sent_at", datetime.fromtimestamp(sent_at, tz=timezone.utc))
        set_(event, "event_value", event_value)
        set_(event, "properties", json.loads(properties_json) if properties_json else None)
        set_(event, "impression", tuple(impression) if impression else None)
        set_(event, "recommendation_id", recommendation_id)
        set_(event, "event_id", event_id)
        set_(event, "properties_json", properties_json or None)
        return event

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
        set_(self, self._id_field, coerce_id(getattr(self, self._id_field), self._id_field, record))
        props = encode_properties(self.properties, "properties", record, self._max_properties)  # type: ignore[attr-defined]
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
