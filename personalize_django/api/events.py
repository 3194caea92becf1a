"""Reading posted events: a browser's (the user and the session come from the
request, only some event types are allowed) and a trusted service's
(:meth:`~personalize_sdk.Event.to_dict` form, users as sent). Each function
returns ``record_event`` keyword arguments or raises
:class:`~personalize_sdk.InvalidRecordError` naming the field and the rule.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from personalize_sdk import Event, InvalidRecordError
from personalize_sdk.records import new_event_id
from personalize_sdk.use_cases import USE_CASES

from ..conf import personalize_settings
from .serializers import PROPERTY_KEY_PATTERN

#: members of a browser event; user_id and session_id are accepted and ignored
BROWSER_EVENT_FIELDS = frozenset(
    {
        "event_type",
        "item_id",
        "recommendation_id",
        "impression",
        "event_value",
        "properties",
        "sent_at",
        "event_id",
        "use_case",
        "user_id",
        "session_id",
    }
)
#: how far a browser's ``sent_at`` may stray from the server's clock
BROWSER_MAX_AGE = timedelta(days=1)
BROWSER_MAX_AHEAD = timedelta(minutes=5)


#: members holding an id (or the event type), as JSON strings
ID_FIELDS = ("event_type", "item_id", "recommendation_id", "event_id", "user_id", "session_id")
#: what a property key is (a schema column: an Avro name)
PROPERTY_KEY = re.compile(PROPERTY_KEY_PATTERN)


def check_properties(value: Any) -> None:
    """``properties``, as the schema says: an object of schema columns (Avro
    names) to strings, numbers, booleans or null. The SDK checks the rest
    (reserved keys, NUL characters, the size of the JSON)."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidRecordError("properties", "must be a JSON object")
    for key, inner in value.items():
        if not PROPERTY_KEY.match(key):
            raise InvalidRecordError(
                f"properties[{key!r}]",
                "keys must be schema column names (a letter or _, then letters, digits or _)",
            )
        if inner is not None and not isinstance(inner, (str, int, float)):
            raise InvalidRecordError(
                f"properties[{key!r}]", "must be a string, a number, a boolean or null"
            )


def check_types(raw: dict[str, Any], ids: tuple[str, ...] = ID_FIELDS) -> None:
    """The JSON types of a record's members, as the schema says them: ids
    are strings (not numbers), ``impression`` a list of strings,
    ``event_value`` a finite number, ``sent_at`` a string."""
    for name in ids:
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidRecordError(name, "must be a string")
    impression = raw.get("impression")
    if impression is not None and (
        not isinstance(impression, list) or not all(isinstance(i, str) for i in impression)
    ):
        raise InvalidRecordError("impression", "must be a list of item ids (strings)")
    value = raw.get("event_value")
    if value is not None:
        try:
            finite = not isinstance(value, bool) and math.isfinite(value)
        except (TypeError, OverflowError):
            finite = False
        if not finite:
            raise InvalidRecordError("event_value", "must be a finite number")
    sent_at = raw.get("sent_at")
    if sent_at is not None and not isinstance(sent_at, str):
        raise InvalidRecordError("sent_at", "must be an ISO 8601 date-time")
    check_properties(raw.get("properties"))


def record_error(index: int, err: Exception) -> dict[str, Any]:
    field = getattr(err, "field", None) or "event"
    rule = getattr(err, "rule", None) or str(err)
    return {"index": index, "field": field, "rule": rule}


def _with_use_case(raw: dict[str, Any]) -> dict[str, Any]:
    """Move ``use_case`` into the event's properties (``USE_CASE_PROPERTY``)."""
    raw = dict(raw)
    use_case = raw.pop("use_case", None)
    if use_case is None:
        return raw
    if not isinstance(use_case, str) or use_case not in USE_CASES:
        raise InvalidRecordError("use_case", "must be one of " + ", ".join(sorted(USE_CASES)))
    properties = raw.get("properties")
    key = personalize_settings.USE_CASE_PROPERTY
    if key:
        raw["properties"] = {**(properties or {}), key: use_case}
    return raw


def _browser_sent_at(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidRecordError("sent_at", "must be an ISO 8601 date-time")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt_timezone.utc)
    now = timezone.now()
    if not now - BROWSER_MAX_AGE <= parsed <= now + BROWSER_MAX_AHEAD:
        raise InvalidRecordError(
            "sent_at", "must be within the last 24 hours (browser clocks are not trusted further)"
        )
    return parsed


def browser_event(raw: Any) -> dict[str, Any]:
    """``record_event`` keyword arguments from a browser's event (the user and
    the session come from the request)."""
    if not isinstance(raw, dict):
        raise InvalidRecordError("event", "must be a JSON object")
    unknown = sorted(set(raw) - BROWSER_EVENT_FIELDS)
    if unknown:
        raise InvalidRecordError(unknown[0], "is not a known event field")
    event_type = raw.get("event_type")
    if event_type is None:
        raise InvalidRecordError("event_type", "is required")
    check_types(raw)
    allowed = personalize_settings.API_BROWSER_EVENT_TYPES
    if allowed is not None and event_type not in allowed:
        raise InvalidRecordError("event_type", "browsers may post only " + ", ".join(allowed))
    raw = _with_use_case(raw)
    impression = raw.get("impression")
    return dict(
        event_type=event_type,
        item=raw.get("item_id"),
        value=raw.get("event_value"),
        properties=raw.get("properties"),
        recommendation_id=raw.get("recommendation_id"),
        impression=impression,
        sent_at=_browser_sent_at(raw.get("sent_at")),
        event_id=raw.get("event_id"),
    )


#: prefix of every event id a browser chose (the server's own ids are 32 hex digits)
BROWSER_ID_PREFIX = "web-"


def browser_event_id(session_id: str, chosen: Any) -> str | None:
    """The id stored for an event id a browser chose: its own namespace,
    ``web-`` and a digest of the session and the chosen id. A retry from the
    same session maps to the same id (and is recorded once); no browser can
    produce an id the server derives (an order line's Purchase), so none can
    squat one."""
    if chosen is None:
        return None
    digest = hashlib.sha256(f"{session_id}\x1f{chosen}".encode("utf-8", "surrogatepass"))
    return BROWSER_ID_PREFIX + digest.hexdigest()[:40]


def trusted_event(raw: Any) -> dict[str, Any]:
    """``record_event`` keyword arguments from a trusted service's event
    (:meth:`Event.to_dict` shape, ``user_id`` and ``session_id`` as sent)."""
    if not isinstance(raw, dict):
        raise InvalidRecordError("event", "must be a JSON object")
    check_types(raw)
    raw = _with_use_case(raw)
    if raw.get("session_id") is None and "event_type" in raw:
        # A service's event without a session: the user's, or one of its own.
        user_id = raw.get("user_id")
        raw["session_id"] = (
            "user-" + hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            if user_id
            else f"event-{new_event_id()}"
        )
    event = Event.from_dict(raw)
    return dict(
        event_type=event.event_type,
        item=event.item_id,
        user=event.user_id,
        session_id=event.session_id,
        value=event.event_value,
        properties=event.properties,
        recommendation_id=event.recommendation_id,
        impression=list(event.impression) if event.impression else None,
        sent_at=event.sent_at,
        event_id=event.event_id,
    )
