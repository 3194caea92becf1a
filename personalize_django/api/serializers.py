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

from django.utils.module_loading import import_string
from rest_framework import serializers

from personalize_sdk.use_cases import MAX_NUM_RESULTS, MAX_RANKING_INPUT, USE_CASES

from ..conf import personalize_settings


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

    item = serializers.CharField(required=False, max_length=256)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_NUM_RESULTS, default=10
    )
    filter = serializers.CharField(required=False, max_length=256)
    user = serializers.CharField(
        required=False, max_length=256, help_text="trusted callers only; ignored for browsers"
    )
    exclude = serializers.ListField(
        child=serializers.CharField(max_length=256),
        required=False,
        help_text="item ids to leave out: repeat the parameter, or separate ids by commas",
    )


class RankingSerializer(serializers.Serializer):
    user_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=256,
        help_text="trusted callers only; ignored for browsers",
    )
    item_ids = serializers.ListField(
        child=serializers.CharField(max_length=256), min_length=1, max_length=MAX_RANKING_INPUT
    )
    filter = serializers.CharField(required=False, allow_null=True, max_length=256)
    filter_values = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=1000)), required=False
    )
    context = serializers.DictField(child=serializers.CharField(max_length=1000), required=False)


# -- events, items, users --------------------------------------------------------
class EventSerializer(serializers.Serializer):
    """One event (documentation: the view checks each event itself)."""

    event_type = serializers.CharField(max_length=256)
    item_id = serializers.CharField(required=False, max_length=256)
    recommendation_id = serializers.CharField(required=False, max_length=40)
    impression = serializers.ListField(
        child=serializers.CharField(max_length=256), required=False, max_length=25
    )
    event_value = serializers.FloatField(required=False)
    properties = serializers.DictField(required=False)
    sent_at = serializers.DateTimeField(required=False)
    event_id = serializers.CharField(required=False, max_length=256)
    use_case = serializers.ChoiceField(
        choices=sorted(USE_CASES),
        required=False,
        help_text="the recommendation block's use case (browsers)",
    )
    user_id = serializers.CharField(
        required=False, max_length=256, help_text="trusted callers only"
    )
    session_id = serializers.CharField(
        required=False, max_length=256, help_text="trusted callers (required there)"
    )


class EventBatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    csrf_token = serializers.CharField(
        required=False, help_text="CSRF token of a beacon post (no header possible)"
    )


class ItemRecordSerializer(serializers.Serializer):
    item_id = serializers.CharField(max_length=256)
    properties = serializers.DictField(required=False)


class ItemBatchSerializer(serializers.Serializer):
    items = ItemRecordSerializer(many=True)


class UserRecordSerializer(serializers.Serializer):
    user_id = serializers.CharField(max_length=256)
    properties = serializers.DictField(required=False)


class UserBatchSerializer(serializers.Serializer):
    users = UserRecordSerializer(many=True)


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
