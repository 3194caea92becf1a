"""The API's views. The URLs and shapes are a public contract: see
``docs/django/rest-api.rst`` and ``docs/backends/http.rst``.

Browsers (session cookie, logged in or guest) are recorded and served as
*themselves*: the user and the session come from the request, and any
``user_id`` / ``session_id`` / ``user`` in the body or query is ignored.
Trusted services (:func:`~personalize_django.api.authentication.is_trusted`)
act for the users they name.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from personalize_sdk import InvalidRecordError, Item, User
from personalize_sdk.exceptions import InvalidRequestError
from personalize_sdk.recommendations import RecommendationList
from personalize_sdk.use_cases import USE_CASES

from .. import hydration, pages
from ..conf import personalize_settings
from ..recording import outbox_db, queue_items, queue_users, record_event
from ..registry import registry
from . import serializers as s
from .authentication import authentication_classes, is_trusted
from .events import browser_event, record_error, trusted_event
from .permissions import IsTrustedService
from .throttling import EventsThrottle, ReadsThrottle, TrustedThrottle

#: query names of the recommendations endpoint that are not filter placeholders
RESERVED_QUERY_NAMES = frozenset({"user", "item", "limit", "filter", "format"})


def documented(**kwargs: Any) -> Any:
    """``extend_schema`` over drf-spectacular's AutoSchema, whatever
    ``DEFAULT_SCHEMA_CLASS`` the project's REST_FRAMEWORK setting names."""

    def decorator(method: Any) -> Any:
        method.schema = AutoSchema  # extend_schema builds on the method's schema class first
        return extend_schema(**kwargs)(method)

    return decorator


class BeaconJSONParser(JSONParser):
    """JSON sent as ``text/plain``: what ``navigator.sendBeacon`` can send
    without a CORS preflight. CSRF is enforced on these posts all the same."""

    media_type = "text/plain"


def error_response(
    err: InvalidRequestError | InvalidRecordError, status_code: int = 400, **extra: Any
) -> Response:
    return Response(
        {"detail": str(err), "field": err.field, "rule": err.rule, **extra}, status=status_code
    )


class PersonalizeAPIView(APIView):
    """Base: our authentication (token, then CSRF-checked session), open
    permissions (guests are shoppers too) and drf-spectacular's schema."""

    schema = AutoSchema()
    permission_classes = [AllowAny]

    def get_authenticators(self) -> list:
        return [cls() for cls in authentication_classes()]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers are personal: no shared cache may keep one for somebody else.
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ("Cookie", "Authorization"))
        return response

    def identity(self, request: Request, user_id: Any) -> pages.Identity:
        if is_trusted(request):
            return pages.Identity(user_id=str(user_id) if user_id else None)
        # A browser is itself, whatever it claims; reading the CSRF token here
        # also sets the CSRF cookie an SPA needs for its later posts.
        get_token(request._request)
        return pages.identity_for(request._request)


def items_payload(recs: Any, request: Request) -> list[dict[str, Any]]:
    """Each served item: ``item_id`` and ``score`` plus ``ITEM_SERIALIZER``'s keys."""
    if isinstance(recs, RecommendationList):  # no item model registered: ids only
        return [rec.to_dict() for rec in recs]
    extra = s.item_serializer_class()(list(recs), many=True, context={"request": request}).data
    return [
        {**dict(data), "item_id": obj.personalize_item_id, "score": obj.personalize_score}
        for obj, data in zip(recs, extra)
    ]


def list_payload(recs: Any, use_case: str | None, request: Request) -> dict[str, Any]:
    return {
        "use_case": use_case,
        "recommendation_id": recs.recommendation_id,
        "source": recs.source,
        "reason": recs.reason,
        "items": items_payload(recs, request),
    }


class RecommendationsView(PersonalizeAPIView):
    throttle_classes = [ReadsThrottle, TrustedThrottle]

    @documented(
        operation_id="personalize_recommendations",
        parameters=[
            s.RecommendationQuerySerializer,
            OpenApiParameter(
                "use_case", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(USE_CASES)
            ),
        ],
        responses={
            200: s.RecommendationListSerializer,
            400: s.ErrorSerializer,
            404: s.ErrorSerializer,
            429: s.ErrorSerializer,
        },
        description=(
            "Recommendations for a use case. "
            "Other query parameters are filter values by placeholder name "
            "(repeat one for a list); `context.<KEY>` parameters are context values."
        ),
    )
    def get(self, request: Request, use_case: str) -> Response:
        if use_case not in USE_CASES:
            rule = "must be one of " + ", ".join(sorted(USE_CASES))
            return Response(
                {
                    "detail": f"Unknown use case {use_case!r}.",
                    "code": "unknown_use_case",
                    "field": "use_case",
                    "rule": rule,
                },
                status=status.HTTP_404_NOT_FOUND,
            )
        query = request.query_params
        params = s.RecommendationQuerySerializer(
            data={k: query.get(k) for k in ("item", "limit", "filter", "user") if k in query}
        )
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filter_values = {
            name: query.getlist(name)
            for name in query
            if name not in RESERVED_QUERY_NAMES and not name.startswith("context.")
        }
        context = {
            name[len("context.") :]: query.get(name)
            for name in query
            if name.startswith("context.")
        }
        identity = self.identity(request, data.get("user"))
        options = dict(
            item_id=data.get("item"),
            filter=data.get("filter"),
            filter_values=filter_values,
            context=context,
            strict=True,
        )
        try:
            if registry.item_registration() is None:
                recs: Any = pages.fetch(use_case, identity, num_results=data["limit"], **options)
            else:
                options["item"] = options.pop("item_id")
                recs = pages.recommend(
                    use_case,
                    request=request._request,
                    identity=identity,
                    limit=data["limit"],
                    **options,
                )
        except InvalidRequestError as err:
            return error_response(err)
        return Response(list_payload(recs, use_case, request))


class RankingView(PersonalizeAPIView):
    throttle_classes = [ReadsThrottle, TrustedThrottle]

    @documented(
        operation_id="personalize_ranking",
        request=s.RankingRequestSerializer,
        responses={
            200: s.RecommendationListSerializer,
            400: s.ErrorSerializer,
            403: s.ErrorSerializer,
            429: s.ErrorSerializer,
        },
        description=(
            "The posted item ids, reordered for the user "
            "(browsers: the user or guest of the request)."
        ),
    )
    def post(self, request: Request) -> Response:
        body = s.RankingRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        identity = self.identity(request, data.get("user_id"))
        options = dict(
            filter=data.get("filter"),
            filter_values=data.get("filter_values"),
            context=data.get("context"),
            strict=True,
        )
        try:
            if registry.item_registration() is None:
                recs: Any = pages.fetch_ranking(data["item_ids"], identity, **options)
            else:
                recs = pages.rank(
                    data["item_ids"], request=request._request, identity=identity, **options
                )
        except InvalidRequestError as err:
            return error_response(err)
        return Response(list_payload(recs, None, request))


class RecordsView(PersonalizeAPIView):
    """Shared batch handling: the envelope, the size cap and the answer."""

    key = ""

    def batch(self, request: Request) -> list | Response:
        data = request.data
        records = data.get(self.key) if isinstance(data, dict) else None
        if not isinstance(records, list):
            return error_response(InvalidRequestError(self.key, f"must be a list of {self.key}"))
        if not records:
            return error_response(InvalidRequestError(self.key, "must hold at least one record"))
        cap = personalize_settings.API_MAX_BATCH
        if len(records) > cap:
            return error_response(
                InvalidRequestError(
                    self.key, f"must hold at most {cap} records (got {len(records)})"
                ),
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                code="batch_too_large",
            )
        return records

    @staticmethod
    def answer(accepted: int, errors: list[dict[str, Any]]) -> Response:
        code = status.HTTP_400_BAD_REQUEST if errors and not accepted else status.HTTP_200_OK
        return Response({"accepted": accepted, "errors": errors}, status=code)


class EventsView(RecordsView):
    key = "events"
    throttle_classes = [EventsThrottle, TrustedThrottle]
    parser_classes = [JSONParser, BeaconJSONParser]

    @documented(
        operation_id="personalize_events",
        request=s.EventsRequestSerializer,
        responses={
            200: s.AcceptedSerializer,
            400: OpenApiResponse(
                s.AcceptedSerializer, description="no event accepted, or a malformed body"
            ),
            403: s.ErrorSerializer,
            413: s.ErrorSerializer,
            429: s.ErrorSerializer,
        },
        description=(
            "Record events. Each refused event is answered with its index, field and rule; "
            "the others are kept. "
            "Browsers: the user and the session come from the request."
        ),
    )
    def post(self, request: Request) -> Response:
        records = self.batch(request)
        if isinstance(records, Response):
            return records
        trusted = is_trusted(request)
        parsed: list[tuple[int, dict[str, Any]]] = []
        errors: list[dict[str, Any]] = []
        for index, raw in enumerate(records):
            try:
                parsed.append((index, trusted_event(raw) if trusted else browser_event(raw)))
            except (InvalidRecordError, TypeError, ValueError) as err:
                errors.append(record_error(index, err))
        if not trusted:
            # A browser may only talk about items that exist (one query for the batch).
            known = hydration.known_item_ids(
                str(kw["item"]) for _, kw in parsed if kw["item"] is not None
            )
            for index, kw in list(parsed):
                if kw["item"] is not None and str(kw["item"]) not in known:
                    errors.append(
                        {"index": index, "field": "item_id", "rule": "is not a known item"}
                    )
                    parsed.remove((index, kw))
        accepted = 0
        http_request = None if trusted else request._request
        with transaction.atomic(using=outbox_db()):
            for index, kw in parsed:
                try:
                    with transaction.atomic(using=outbox_db()):
                        record_event(request=http_request, **kw)
                except (InvalidRecordError, TypeError, ValueError) as err:
                    errors.append(record_error(index, err))
                else:
                    # recorded, or dropped on purpose (consent, a pre_record receiver, a repeat)
                    accepted += 1
        errors.sort(key=lambda e: e["index"])
        return self.answer(accepted, errors)


class _EntitiesView(RecordsView):
    """``POST items/`` and ``POST users/``: trusted services only."""

    record_class: Any = None
    queue: Any = None
    permission_classes = [IsTrustedService]
    throttle_classes = [TrustedThrottle]

    def post(self, request: Request) -> Response:
        records = self.batch(request)
        if isinstance(records, Response):
            return records
        good, errors = [], []
        for index, raw in enumerate(records):
            try:
                good.append(self.record_class.from_dict(raw))
            except (InvalidRecordError, TypeError, ValueError) as err:
                errors.append(record_error(index, err))
        if good:
            self.queue(good)
        return self.answer(len(good), errors)


#: the answers of the trusted-service write endpoints (items, users)
TRUSTED_WRITE_RESPONSES = {
    200: s.AcceptedSerializer,
    400: s.AcceptedSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    413: s.ErrorSerializer,
}


class ItemsView(_EntitiesView):
    key = "items"
    record_class = Item
    queue = staticmethod(queue_items)

    @documented(
        operation_id="personalize_items",
        request=s.ItemsRequestSerializer,
        responses=TRUSTED_WRITE_RESPONSES,
        description="Create or replace catalogue items (trusted services).",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class UsersView(_EntitiesView):
    key = "users"
    record_class = User
    queue = staticmethod(queue_users)

    @documented(
        operation_id="personalize_users",
        request=s.UsersRequestSerializer,
        responses=TRUSTED_WRITE_RESPONSES,
        description="Create or replace users (trusted services).",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
