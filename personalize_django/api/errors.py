"""One error shape for every 4xx answer of the API::

    {"detail": "limit: must be an integer between 1 and 100",
     "code": "invalid", "field": "limit", "rule": "must be an integer between 1 and 100"}

``detail`` is always there (a sentence for people), ``code`` a stable word
for programs; ``field`` and ``rule`` name the parameter or body member at
fault, as the client sent it (``item``, not the SDK's ``item_id``). Batch
posts that refuse every record answer the same shape with ``accepted`` and
the per-record ``errors`` (index, field, rule).

DRF's own errors (a serializer's ``{"field": ["message"]}``, authentication,
permission, throttling, parsing) are turned into this shape by
:func:`exception_handler`, which the API's views use whatever the project's
``EXCEPTION_HANDLER`` is.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from personalize_sdk import InvalidRecordError
from personalize_sdk.exceptions import InvalidRequestError


def error_body(
    detail: str, code: str, field: str | None = None, rule: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if field is not None:
        body["field"] = field
    if rule is not None:
        body["rule"] = rule
    body.update(extra)
    return body


def client_name(field: str | None, names: Mapping[str, str] | None = None) -> str | None:
    """``field`` as the client spells it: ``names`` maps the SDK's names to
    the endpoint's; with ``names``, a filter value (the SDK's
    ``filter_values['CATEGORY'][0]``) is named by its placeholder, ``CATEGORY``,
    which is the query parameter that carried it."""
    if field is None or not names:
        return field
    placeholder = re.match(r"filter_values\['([^']+)'\]", field)
    if placeholder:
        return placeholder.group(1)
    return names.get(field, field)


def error_response(
    err: InvalidRequestError | InvalidRecordError,
    status_code: int = status.HTTP_400_BAD_REQUEST,
    *,
    code: str = "invalid",
    names: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The answer to a request the SDK (or the view) refused, naming the field."""
    field = client_name(err.field, names)
    return Response(
        error_body(f"{field}: {err.rule}", code, field, err.rule, **extra), status=status_code
    )


def _first_error(detail: Any, path: str = "") -> tuple[str | None, str, str]:
    """(field path, message, code) of the first message in a ValidationError's detail."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key == "non_field_errors":
                return _first_error(value, path)
            if isinstance(key, int):  # a list's entry (DRF's ListField)
                return _first_error(value, f"{path}[{key}]")
            return _first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(detail, list) and detail:
        head = detail[0]
        if isinstance(head, (Mapping, list)):
            for index, entry in enumerate(detail):
                if entry:
                    return _first_error(entry, f"{path}[{index}]")
        return _first_error(head, path)
    return (path or None, str(detail), getattr(detail, "code", None) or "invalid")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, then its body rewritten to the one shape (headers such
    as ``Retry-After`` and ``WWW-Authenticate`` are kept)."""
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        field, message, code = _first_error(exc.detail)
        detail = f"{field}: {message}" if field else message
        response.data = error_body(detail, str(code), field, message)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(str(exc.detail), str(code))
    return response
