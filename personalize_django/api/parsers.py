"""Reading request bodies with bounds, before anything else reads them.

The CSRF check of a beacon post reads the token from the body, before
authentication has said who is calling: so the body an anonymous client sends
is parsed first, and the parser must hold against any bytes. A body larger
than ``API_MAX_BODY_BYTES`` is refused before it is read (413), and JSON
nested deeper than :data:`MAX_DEPTH` is refused with a clear rule (400)
instead of exhausting the interpreter's stack (a 500 from about 4 KB of
``[[[[``).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from ..conf import personalize_settings

#: how deep a body's objects and lists may nest (an event batch needs 4)
MAX_DEPTH = 32


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a size and a depth limit."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = int(personalize_settings.API_MAX_BODY_BYTES)
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise BodyTooLarge(f"body: must be at most {limit} bytes (got {int(declared)})")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(f"body: must be at most {limit} bytes")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding))
        except RecursionError:
            raise exceptions.ParseError(f"body: JSON must be nested at most {MAX_DEPTH} deep") from None
        except ValueError as err:
            raise exceptions.ParseError(f"body: JSON parse error - {err}") from None
        if _too_deep(data, MAX_DEPTH):
            raise exceptions.ParseError(f"body: JSON must be nested at most {MAX_DEPTH} deep")
        return data


class BeaconJSONParser(BoundedJSONParser):
    """JSON sent as ``text/plain``: what ``navigator.sendBeacon`` can send
    without a CORS preflight. CSRF is enforced on these posts all the same."""

    media_type = "text/plain"
