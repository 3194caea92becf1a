"""The API's base view and its read endpoints (recommendations, ranking);
the write endpoints are in :mod:`personalize_django.api.writes`. The URLs
and shapes are a public contract: see ``docs/django/rest-api.rst`` and
``docs/backends/http.rst``.

Browsers (session cookie, logged in or guest) are recorded and served as
*themselves*: the user and the session come from the request, and any
``user_id`` / ``session_id`` / ``user`` in the body or query is ignored.
Trusted services (:func:`~personalize_django.api.authentication.is_trusted`)
act for the users they name.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from personalize_sdk.exceptions import InvalidRequestError
from personalize_sdk.recommendations import RecommendationList
from personalize_sdk.use_cases import USE_CASES

from .. import pages
from ..registry import registry
from . import serializers as s
from .authentication import authentication_classes, is_trusted
from .errors import error_body, error_response, exception_handler
from .parsers import BoundedJSONParser
from .schema import PersonalizeAutoSchema
from .query import (
    COMMON_PARAMETERS,
    CONTEXT_PREFIX,
    RECOMMENDATION_NAMES,
    check_known,
    check_recommendation_query,
    exclude_ids,
)
from .throttling import ReadsThrottle, TrustedThrottle


def documented(**kwargs: Any) -> Any:
    """``extend_schema`` over drf-spectacular's AutoSchema, whatever
    ``DEFAULT_SCHEMA_CLASS`` the project's REST_FRAMEWORK setting names."""

    def decorator(method: Any) -> Any:
        method.schema = PersonalizeAutoSchema  # extend_schema builds on the method's schema class
        return extend_schema(**kwargs)(method)

    return decorator


#: what each error status of the API means (every one answers the ``Error`` shape)
ERROR_STATUSES = {
    400: "a parameter or member breaks a rule (field and rule name it)",
    401: "the token is unknown, or the endpoint needs one",
    403: "no valid CSRF token (browsers), or not a trusted service",
    404: "an unknown use case",
    409: "a conflict with what is recorded",
    406: "the Accept header asks for something other than JSON",
    413: "the body is too large, or holds too many records",
    415: "the body is not JSON",
    429: "throttled (see Retry-After)",
}


def error_responses(*codes: int, **described: str) -> dict[int, Any]:
    """The schema's error answers of an operation: ``codes`` with their
    usual meaning, ``described`` (``_400="..."``) with one of their own."""
    answers: dict[int, Any] = {}
    for code in sorted({*codes, *(int(k.lstrip("_")) for k in described)}):
        description = described.get(f"_{code}", ERROR_STATUSES[code])
        answers[code] = OpenApiResponse(s.ErrorSerializer, description=description)
    return answers


#: the error answers every operation may give
COMMON_ERRORS = (400, 401, 406, 429)
#: and every POST
POST_ERRORS = (*COMMON_ERRORS, 403, 413, 415)


class PersonalizeAPIView(APIView):
    """Base: our authentication (token, then CSRF-checked session), open
    permissions (guests are shoppers too) and drf-spectacular's schema."""

    schema = PersonalizeAutoSchema()
    permission_classes = [AllowAny]
    # bounded: the CSRF check of a beacon reads the body before authentication
    parser_classes = [BoundedJSONParser]
    # JSON only, as the schema says (an Accept header that refuses it: 406)
    renderer_classes = [JSONRenderer]

    def get_authenticators(self) -> list:
        return [cls() for cls in authentication_classes()]

    def get_exception_handler(self) -> Any:
        return exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.check_query(request)

    def check_query(self, request: Request) -> None:
        """Refuse unknown query parameters (the POST endpoints take none but ``format``)."""
        try:
            check_known(request.query_params, COMMON_PARAMETERS)
        except InvalidRequestError as err:
            raise ValidationError({err.field: [err.rule]}, code="unknown_parameter") from err

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


def list_payload(
    recs: Any, use_case: str | None, request: Request, limit: int | None = None
) -> dict[str, Any]:
    items = items_payload(recs, request)
    # Shorter than asked: the filter, the catalogue or the exclusions left no more.
    partial = bool(getattr(recs, "partial", False)) or (limit is not None and len(items) < limit)
    reason = recs.reason
    if partial and not reason:
        reason = f"{len(items)} of the {limit} items asked for: no more matched"
    return {
        "use_case": use_case,
        "recommendation_id": recs.recommendation_id,
        "source": recs.source,
        "reason": reason,
        "partial": partial,
        "items": items,
    }


class RecommendationsView(PersonalizeAPIView):
    throttle_classes = [ReadsThrottle, TrustedThrottle]

    def check_query(self, request: Request) -> None:
        pass  # get() checks, once it knows the filter's placeholders

    @documented(
        operation_id="personalize_recommendations",
        parameters=[
            s.RecommendationQuerySerializer,
            OpenApiParameter(
                "use_case", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(USE_CASES)
            ),
        ],
        responses={200: s.RecommendationListSerializer, **error_responses(*COMMON_ERRORS, 404)},
        description=(
            "Recommendations for a use case. "
            "Other query parameters are filter values by placeholder name "
            "(repeat one for a list); `context.<KEY>` parameters are context values. "
            "An unknown parameter is answered 400, naming the known ones."
        ),
    )
    def get(self, request: Request, use_case: str) -> Response:
        if use_case not in USE_CASES:
            rule = "must be one of " + ", ".join(sorted(USE_CASES))
            body = error_body(f"Unknown use case {use_case!r}.", "unknown_use_case", "use_case", rule)
            return Response(body, status=status.HTTP_404_NOT_FOUND)
        query = request.query_params
        params = s.RecommendationQuerySerializer(
            data={k: query.get(k) for k in ("item", "limit", "filter", "user") if k in query}
        )
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            placeholders = check_recommendation_query(query)
            exclude = exclude_ids(query)
        except InvalidRequestError as err:
            return error_response(err, code="unknown_parameter" if "known" in err.rule else "invalid")
        filter_values = {name: query.getlist(name) for name in placeholders if name in query}
        context = {
            name[len(CONTEXT_PREFIX) :]: query.get(name)
            for name in query
            if name.startswith(CONTEXT_PREFIX)
        }
        identity = self.identity(request, data.get("user"))
        options = dict(
            item_id=data.get("item"),
            filter=data.get("filter"),
            filter_values=filter_values,
            context=context,
            strict=True,
        )
        limit = data["limit"]
        try:
            if registry.item_registration() is None:
                recs: Any = without_ids(
                    pages.fetch(use_case, identity, num_results=limit + len(exclude), **options),
                    exclude,
                    limit,
                )
            else:
                options["item"] = options.pop("item_id")
                recs = pages.recommend(
                    use_case,
                    request=request._request,
                    identity=identity,
                    limit=limit,
                    exclude=exclude,
                    **options,
                )
        except InvalidRequestError as err:
            return error_response(err, names=RECOMMENDATION_NAMES)
        return Response(list_payload(recs, use_case, request, limit))


def without_ids(recs: RecommendationList, exclude: list[str], limit: int) -> RecommendationList:
    """``recs`` without the ``exclude`` ids, at most ``limit`` long."""
    if not exclude:
        return recs
    dropped = set(exclude)
    kept = tuple(rec for rec in recs if rec.item_id not in dropped)[:limit]
    return replace(recs, items=kept)


class RankingView(PersonalizeAPIView):
    throttle_classes = [ReadsThrottle, TrustedThrottle]

    @documented(
        operation_id="personalize_ranking",
        request=s.RankingSerializer,
        responses={200: s.RecommendationListSerializer, **error_responses(*POST_ERRORS)},
        description=(
            "The posted item ids, reordered for the user "
            "(browsers: the user or guest of the request)."
        ),
    )
    def post(self, request: Request) -> Response:
        body = s.RankingSerializer(data=request.data)
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
