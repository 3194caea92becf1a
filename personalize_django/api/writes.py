"""The write endpoints: ``POST events/`` (browsers and trusted services),
``POST items/`` and ``POST users/`` (trusted services). Each record is checked
alone: the good ones are kept, each refused one is answered with its index,
field and rule; a batch of which none is kept is answered 400 in the API's
one error shape (:mod:`personalize_django.api.errors`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from personalize_sdk import InvalidRecordError, Item, User
from personalize_sdk.exceptions import InvalidRequestError

from .. import hydration
from ..conf import personalize_settings
from ..context import get_session_id
from ..recording import EventIdConflictError, outbox_db, queue_items, queue_users, record_event
from . import serializers as s
from .authentication import BODY_CSRF_FIELD, is_trusted
from .errors import error_body, error_response
from .events import browser_event, browser_event_id, check_types, record_error, trusted_event
from .parsers import BeaconJSONParser, BoundedJSONParser
from .permissions import IsTrustedService
from .throttling import EventsThrottle, TrustedThrottle
from .views import POST_ERRORS, PersonalizeAPIView, documented, error_responses

#: the answers of a batch post that kept records
ACCEPTED_RESPONSES = {
    200: OpenApiResponse(s.AcceptedSerializer, description="every record accepted"),
    207: OpenApiResponse(
        s.AcceptedSerializer, description="some records accepted, each refused one in errors"
    ),
}


class RecordsView(PersonalizeAPIView):
    """Shared batch handling: the envelope, the size cap and the answer."""

    key = ""

    def batch(self, request: Request) -> list | Response:
        data = request.data
        if isinstance(data, dict) and not isinstance(data.get(BODY_CSRF_FIELD, ""), str):
            return error_response(InvalidRequestError(BODY_CSRF_FIELD, "must be a string"))
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

    def answer(
        self, accepted: int, errors: list[dict[str, Any]], conflicts: int = 0
    ) -> Response:
        """200 when every record was accepted, 207 when some were (the others
        named in ``errors``); else 400, or 409 when every refusal was a conflict
        with what is recorded (an event id taken by another event)."""
        if errors and not accepted:
            first = errors[0]
            field = f"{self.key}[{first['index']}].{first['field']}"
            conflict = conflicts == len(errors)
            body = error_body(
                f"No record accepted; {field}: {first['rule']}",
                "conflict" if conflict else "rejected",
                field,
                first["rule"],
                accepted=0,
                errors=errors,
            )
            code = status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
            return Response(body, status=code)
        # Some kept, some refused: 207, each refusal named in errors.
        code = status.HTTP_207_MULTI_STATUS if errors else status.HTTP_200_OK
        return Response({"accepted": accepted, "errors": errors}, status=code)


class EventsView(RecordsView):
    key = "events"
    throttle_classes = [EventsThrottle, TrustedThrottle]
    parser_classes = [BoundedJSONParser, BeaconJSONParser]

    @documented(
        operation_id="personalize_events",
        request=s.EventBatchSerializer,
        responses={
            **ACCEPTED_RESPONSES,
            **error_responses(
                *POST_ERRORS,
                _400="no event accepted (see errors), or a malformed body",
                _409="no event accepted: each one's event_id is recorded for another event",
            ),
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
        accepted = conflicts = 0
        http_request = None if trusted else request._request
        if http_request is not None and any(kw["event_id"] is not None for _, kw in parsed):
            # Ids a browser chose live in a namespace of the session's own.
            session_id = get_session_id(http_request)
            for _, kw in parsed:
                kw["event_id"] = browser_event_id(session_id, kw["event_id"])
        with transaction.atomic(using=outbox_db()):
            for index, kw in parsed:
                try:
                    with transaction.atomic(using=outbox_db()):
                        record_event(request=http_request, **kw)
                except (InvalidRecordError, TypeError, ValueError) as err:
                    conflicts += isinstance(err, EventIdConflictError)
                    errors.append(record_error(index, err))
                else:
                    # recorded, or dropped on purpose (consent, a pre_record receiver, a repeat)
                    accepted += 1
        errors.sort(key=lambda e: e["index"])
        return self.answer(accepted, errors, conflicts)


class _EntitiesView(RecordsView):
    """``POST items/`` and ``POST users/``: trusted services only."""

    record_class: Any = None
    queue: Any = None
    permission_classes = [IsTrustedService]
    throttle_classes = [TrustedThrottle]

    def get_authenticators(self) -> list:
        # A session is never trusted: without a token the answer is 401 (with
        # WWW-Authenticate), never a CSRF failure.
        return [a for a in super().get_authenticators() if not isinstance(a, SessionAuthentication)]

    def post(self, request: Request) -> Response:
        records = self.batch(request)
        if isinstance(records, Response):
            return records
        good, errors = [], []
        for index, raw in enumerate(records):
            try:
                if isinstance(raw, dict):
                    check_types(raw, ids=(f"{self.key[:-1]}_id",))
                good.append(self.record_class.from_dict(raw))
            except (InvalidRecordError, TypeError, ValueError) as err:
                errors.append(record_error(index, err))
        if good:
            self.queue(good)
        return self.answer(len(good), errors)


#: the answers of the trusted-service write endpoints (items, users)
TRUSTED_WRITE_RESPONSES = {
    **ACCEPTED_RESPONSES,
    **error_responses(
        *POST_ERRORS,
        _400="no record accepted (see errors), or a malformed body",
        _401="no token, or an unknown one",
        _403="the token's user is not a trusted service",
    ),
}


def _documented_post(**kwargs: Any) -> Any:
    """A ``post`` of its own for each entities view (the schema is kept per function)."""

    def post(self: _EntitiesView, request: Request) -> Response:
        return _EntitiesView.post(self, request)

    return documented(responses=TRUSTED_WRITE_RESPONSES, **kwargs)(post)


class ItemsView(_EntitiesView):
    key = "items"
    record_class = Item
    queue = staticmethod(queue_items)
    post = _documented_post(
        operation_id="personalize_items",
        request=s.ItemBatchSerializer,
        description="Create or replace catalogue items (trusted services).",
    )


class UsersView(_EntitiesView):
    key = "users"
    record_class = User
    queue = staticmethod(queue_users)
    post = _documented_post(
        operation_id="personalize_users",
        request=s.UserBatchSerializer,
        description="Create or replace users (trusted services).",
    )
