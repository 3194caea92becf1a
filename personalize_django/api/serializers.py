"""Serializers: the shapes of the API (they also make the OpenAPI schema).

Each recommended item is answered as ``{"item_id", "score", ...}`` plus the
keys of ``ITEM_SERIALIZER`` (default :class:`ItemSerializer`: ``title`` and
``url``). Swap it for your own serializer class (a dotted path in settings)
to add prices, images or anything else; it receives the model instance and
the request in its context.

Event bodies are checked one event at a time by the view (so one bad event
does not refuse the batch); :class:`EventSerializer` documents them.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils.module_loading import import_string
from rest_framework import serializers

from personalize_sdk.record_fields import (
    MAX_EVENT_PROPERTIES_LENGTH,
    MAX_ID_LENGTH,
    MAX_IMPRESSIONS,
    MAX_ITEM_PROPERTIES_LENGTH,
    MAX_PROPERTY_KEY_LENGTH,
    MAX_RECOMMENDATION_ID_LENGTH,
    MAX_USER_PROPERTIES_LENGTH,
    RESERVED_EVENT_PROPERTY_KEYS,
)
from personalize_sdk.filters.values import (
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTER_VALUE_NAME_LENGTH,
    MAX_FILTER_VALUES,
)
from personalize_sdk.use_cases import (
    MAX_CONTEXT_ENTRIES,
    MAX_CONTEXT_KEY_LENGTH,
    MAX_CONTEXT_VALUE_LENGTH,
    MAX_NUM_RESULTS,
    MAX_RANKING_INPUT,
    USE_CASES,
)

from ..conf import personalize_settings

#: what an id may not hold (the SDK's rule: no C0 control character, no DEL)
ID_PATTERN = RegexValidator(r"^[^\x00-\x1f\x7f]*$", "must not contain control characters")


class StringField(serializers.CharField):
    """A JSON string, and only that (DRF's CharField takes numbers and turns
    them into strings, which the schema would not say)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def id_field(max_length: int = MAX_ID_LENGTH, **kwargs: Any) -> serializers.CharField:
    """An id (or an event type): 1 to ``max_length`` characters, no control character."""
    return StringField(max_length=max_length, validators=[ID_PATTERN], **kwargs)


class DocumentedField:
    """A field whose schema is computed when the schema is (from the settings
    of the moment): :meth:`openapi` returns it, given drf-spectacular's
    mapping of the field as a start
    (:class:`~personalize_django.api.schema.DocumentedFieldExtension`)."""

    def openapi(self, mapped: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement openapi()")


class FilterField(DocumentedField, serializers.CharField):
    """A filter name: one of ``PERSONALIZE["FILTERS"]`` (the view checks it)."""

    def openapi(self, mapped: dict[str, Any]) -> dict[str, Any]:
        from ..client import get_client

        names = sorted(get_client().filters)
        schema = {k: v for k, v in mapped.items() if k not in ("minLength", "maxLength")}
        schema["enum"] = [*names, None] if self.allow_null else names
        return schema


class BatchField(DocumentedField, serializers.ListField):
    """The records of a batch post: 1 to ``API_MAX_BATCH`` (more: 413)."""

    def openapi(self, mapped: dict[str, Any]) -> dict[str, Any]:
        return {**mapped, "minItems": 1, "maxItems": int(personalize_settings.API_MAX_BATCH)}


class NamesField(DocumentedField, serializers.DictField):
    """``context`` and ``filter_values``: names (``[A-Za-z0-9_]+``, at most
    ``max_name`` characters, at most ``max_entries``) to values."""

    def __init__(
        self, *, max_name: int, max_entries: int, value_pattern: str = "", **kwargs: Any
    ) -> None:
        self.max_name = max_name
        self.max_entries = max_entries
        self.value_pattern = value_pattern
        super().__init__(**kwargs)

    def openapi(self, mapped: dict[str, Any]) -> dict[str, Any]:
        schema = {
            **mapped,
            "propertyNames": {
                "type": "string",
                "maxLength": self.max_name,
                "pattern": NAME_PATTERN,
            },
            "maxProperties": self.max_entries,
        }
        if self.value_pattern:  # the values of filter_values: lists of strings
            schema["additionalProperties"]["items"]["pattern"] = self.value_pattern
        return schema


#: names of context keys and filter placeholders
NAME_PATTERN = r"^[A-Za-z0-9_]+$"
#: a filter value: no double quote, backslash or control character (Personalize's
#: wire form; the SDK checks it, naming the placeholder)
FILTER_VALUE_PATTERN = '^[^"\\\\\\u0000-\\u001f\\u007f]*$'

#: keys an event's properties may not hold (Personalize's, compared without case)
RESERVED_EVENT_PROPERTIES = tuple(sorted(RESERVED_EVENT_PROPERTY_KEYS))
#: property keys: schema column names (Avro names), as Personalize's schemas take them
PROPERTY_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class PropertiesField(DocumentedField, serializers.DictField):
    """``properties``: an object of schema columns (keys are Avro names) to
    strings (without NUL), numbers, booleans or null; ``reserved`` keys (compared
    without case) are refused. The size of its JSON is bounded too (the rule
    in :mod:`personalize_sdk.record_fields`), which JSON Schema cannot say."""

    def __init__(self, *, reserved: tuple[str, ...] = (), max_json: int = 0, **kwargs: Any) -> None:
        self.reserved = reserved
        self.max_json = max_json
        super().__init__(**kwargs)

    def openapi(self, mapped: dict[str, Any]) -> dict[str, Any]:
        names: dict[str, Any] = {
            "type": "string",
            "maxLength": MAX_PROPERTY_KEY_LENGTH,
            "pattern": PROPERTY_KEY_PATTERN,
        }
        if self.reserved:
            # no inline (?i) in ECMA patterns: each letter in both cases
            spelled = "|".join(
                "".join(f"[{c.upper()}{c.lower()}]" for c in key) for key in self.reserved
            )
            names = {"allOf": [names, {"not": {"pattern": f"^(?:{spelled})$"}}]}
        return {
            "type": ["object", "null"],
            "propertyNames": names,
            "additionalProperties": {
                "type": ["string", "number", "boolean", "null"],
                "pattern": "^[^\\u0000]*$",
            },
            "description": (
                f"schema columns to values; its JSON at most {self.max_json} characters"
                + (f"; reserved keys: {', '.join(self.reserved)}" if self.reserved else "")
            ),
        }


class ItemSerializer(serializers.Serializer):
    """The default extra keys of a recommended item: its ``str()`` and, when
    the model has ``get_absolute_url``, its URL. Nothing else is exposed
    unless the shop says so (a cost price must never leak through here)."""

    title = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_title(self, obj: Any) -> str:
        return str(obj)

    def get_url(self, obj: Any) -> str | None:
        get_url = getattr(obj, "get_absolute_url", None)
        return get_url() if callable(get_url) else None


def item_serializer_class() -> type[serializers.BaseSerializer]:
    value = personalize_settings.ITEM_SERIALIZER
    return import_string(value) if isinstance(value, str) else value


# -- recommendations -----------------------------------------------------------
class RecommendedItemSerializer(serializers.Serializer):
    item_id = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    promotion_name = serializers.CharField(required=False)
    reason = serializers.ListField(child=serializers.CharField(), required=False)
    title = serializers.CharField(required=False, help_text="added by the default ITEM_SERIALIZER")
    url = serializers.CharField(
        required=False, allow_null=True, help_text="added by the default ITEM_SERIALIZER"
    )


class RecommendationListSerializer(serializers.Serializer):
    use_case = serializers.ChoiceField(choices=sorted(USE_CASES), allow_null=True)
    recommendation_id = serializers.CharField(allow_null=True, help_text="send it back with clicks")
    source = serializers.ChoiceField(choices=["model", "fallback"])
    reason = serializers.CharField(
        allow_null=True, help_text="why the list is a fallback, or why it is shorter than asked"
    )
    partial = serializers.BooleanField(help_text="fewer items than asked for (see reason)")
    items = RecommendedItemSerializer(many=True)


class RecommendationQuerySerializer(serializers.Serializer):
    """The query string of ``GET recommendations/<use_case>/`` (besides filter values)."""

    item = id_field(required=False)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_NUM_RESULTS, default=10
    )
    filter = FilterField(required=False, help_text="a filter of PERSONALIZE['FILTERS']")
    user = id_field(required=False, help_text="trusted callers only; ignored for browsers")
    exclude = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="item ids to leave out: repeat the parameter, or separate ids by commas",
    )


class RankingSerializer(serializers.Serializer):
    user_id = id_field(
        required=False, help_text="required for trusted callers; ignored for browsers"
    )
    item_ids = serializers.ListField(child=id_field(), min_length=1, max_length=MAX_RANKING_INPUT)
    filter = FilterField(required=False, allow_null=True)
    filter_values = NamesField(
        child=serializers.ListField(child=StringField(max_length=MAX_FILTER_VALUE_LENGTH - 2)),
        required=False,
        value_pattern=FILTER_VALUE_PATTERN,
        max_name=MAX_FILTER_VALUE_NAME_LENGTH,
        max_entries=MAX_FILTER_VALUES,
        help_text=(
            "values by placeholder of the filter; a placeholder's values, quoted and "
            f"comma-joined, at most {MAX_FILTER_VALUE_LENGTH} characters"
        ),
    )
    context = NamesField(
        child=StringField(max_length=MAX_CONTEXT_VALUE_LENGTH, allow_blank=True),
        required=False,
        max_name=MAX_CONTEXT_KEY_LENGTH,
        max_entries=MAX_CONTEXT_ENTRIES,
    )


# -- events, items, users --------------------------------------------------------
class EventSerializer(serializers.Serializer):
    """One event (documentation: the view checks each event itself, by the
    rules of :mod:`personalize_django.api.events`). A member given as null
    is taken as absent."""

    event_type = id_field()
    item_id = id_field(required=False, allow_null=True)
    recommendation_id = id_field(MAX_RECOMMENDATION_ID_LENGTH, required=False, allow_null=True)
    impression = serializers.ListField(
        child=id_field(),
        required=False,
        allow_null=True,
        min_length=1,
        max_length=MAX_IMPRESSIONS,
    )
    event_value = serializers.FloatField(
        required=False, allow_null=True, help_text="a finite number"
    )
    properties = PropertiesField(
        required=False,
        reserved=RESERVED_EVENT_PROPERTIES,
        max_json=MAX_EVENT_PROPERTIES_LENGTH,
    )
    sent_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="from browsers: within the last 24 hours"
    )
    event_id = id_field(required=False, allow_null=True)
    use_case = serializers.ChoiceField(
        choices=sorted(USE_CASES),
        required=False,
        allow_null=True,
        help_text="the recommendation block's use case (browsers)",
    )
    user_id = id_field(required=False, allow_null=True, help_text="trusted callers only")
    session_id = id_field(
        required=False,
        allow_null=True,
        help_text=(
            "trusted callers only (browsers: the request's session); without it, "
            "the session of the user_id, or a session of the event's own"
        ),
    )


#: the request components whose objects take no member but theirs
CLOSED_COMPONENTS = ("EventRequest", "ItemRecordRequest", "UserRecordRequest")


class EventBatchSerializer(serializers.Serializer):
    events = BatchField(child=EventSerializer())
    csrf_token = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="CSRF token of a beacon post (no header possible); ignored when empty",
    )


class ItemRecordSerializer(serializers.Serializer):
    item_id = id_field()
    properties = PropertiesField(required=False, max_json=MAX_ITEM_PROPERTIES_LENGTH)


class ItemBatchSerializer(serializers.Serializer):
    items = BatchField(child=ItemRecordSerializer())


class UserRecordSerializer(serializers.Serializer):
    user_id = id_field()
    properties = PropertiesField(required=False, max_json=MAX_USER_PROPERTIES_LENGTH)


class UserBatchSerializer(serializers.Serializer):
    users = BatchField(child=UserRecordSerializer())


class RecordErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="position of the record in the request")
    field = serializers.CharField()
    rule = serializers.CharField()


class AcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    errors = RecordErrorSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    """The one shape of every 4xx answer (:mod:`personalize_django.api.errors`)."""

    detail = serializers.CharField(help_text="what went wrong, for people")
    code = serializers.CharField(help_text="a stable word for programs")
    field = serializers.CharField(
        required=False, help_text="the parameter or member at fault, as the client sent it"
    )
    rule = serializers.CharField(required=False, help_text="the rule it broke")
    accepted = serializers.IntegerField(
        required=False, help_text="batch posts: records kept (0 in an error)"
    )
    errors = RecordErrorSerializer(
        many=True, required=False, help_text="batch posts: each refused record"
    )
