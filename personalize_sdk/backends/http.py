"""The HTTP backend: talks to the REST API that ``personalize_django`` serves
(``path("api/personalize/", include("personalize_django.api.urls"))``), so a
second service, a worker or a script can use a shop's recommendations without
AWS credentials or the engine's files.

    backend = HttpBackend(base_url="https://shop.example.com/api/personalize/", token="...")

The wire format is written down in ``docs/backends/http.rst``; it is the
contract the Django REST API implements. One attempt per call: the
:class:`~personalize_sdk.client.Client` retries what this backend marks
retryable (429, 5xx, timeouts and connection errors).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import replace
from typing import Any, ClassVar, Mapping, Sequence
from urllib.parse import quote, urlsplit

from .. import __version__
from ..secrets import RedactedDict, Secret
from ..exceptions import (
    BackendError,
    ConfigurationError,
    ImproperlyInstalled,
    InvalidRequestError,
    NotReadyError,
    ThrottledError,
)
from ..records import Event, Item, User
from ..recommendations import RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest
from .base import Backend

try:
    import requests
except (
    ModuleNotFoundError
) as err:  # checked when an HttpBackend is built, so the module stays importable
    if err.name != "requests" and not (err.name or "").startswith("requests."):
        raise
    requests = None  # type: ignore[assignment]

#: (connect, read) seconds; the connect timeout sits just above a multiple of 3 s,
#: the TCP retransmission window, as the requests documentation advises
DEFAULT_TIMEOUT = (3.05, 10.0)
DEFAULT_MAX_PER_CALL = 100
#: query parameters of the recommendations endpoint that are not filter placeholders
RESERVED_QUERY_NAMES = frozenset({"user", "item", "limit", "filter"})
#: statuses worth retrying besides 5xx (429 is handled as throttling)
RETRYABLE_STATUSES = frozenset({408})
#: ``code`` in a 503 body meaning "this use case has no trained model yet"
NOT_READY_CODE = "not_ready"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an
    HTTP date), or ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_message(body: Any) -> str | None:
    """The server's words from an error body: ``{"detail": ...}``, an
    ``errors`` list, DRF's ``{"field": ["message"]}`` or a plain list."""
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        parts = [error_message(entry) or "" for entry in body]
        return "; ".join(p for p in parts if p) or None
    if not isinstance(body, Mapping):
        return None
    if "detail" in body:
        return error_message(body["detail"]) or str(body["detail"])
    if isinstance(body.get("errors"), list) and body["errors"]:
        return "; ".join(_describe_record_error(e) for e in body["errors"])
    if {"field", "rule"} <= set(body):
        return _describe_record_error(body)
    parts = []
    for key, value in body.items():
        if key in ("code", "status"):
            continue
        text = error_message(value)
        if text:
            parts.append(f"{key}: {text}")
    return "; ".join(parts) or None


def _describe_record_error(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return str(entry)
    where = f"[{entry['index']}]" if "index" in entry else ""
    field = f".{entry['field']}" if entry.get("field") else ""
    rule = entry.get("rule") or entry.get("message") or entry.get("detail") or ""
    return f"{where}{field}: {rule}".lstrip(".")


class HttpBackend(Backend):
    """A client of personalize_django's REST API. See ``docs/backends/http.rst``.

    It has none of the optional capabilities: the API neither trains, forgets
    nor gives data back, and the shop behind it evaluates filters by name."""

    name: ClassVar[str] = "http"
    #: the server takes mixed batches; it splits them per session itself
    one_session_per_call: ClassVar[bool] = False

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: Any = None,
        headers: Mapping[str, str] | None = None,
        max_events_per_call: int = DEFAULT_MAX_PER_CALL,
        max_records_per_call: int = DEFAULT_MAX_PER_CALL,
        verify: bool | str | None = None,
        **unknown: Any,
    ) -> None:
        # Rebound at once: a traceback's locals show them masked (see personalize_sdk.secrets).
        token = Secret(token) if isinstance(token, str) else token
        headers = RedactedDict(headers) if isinstance(headers, Mapping) else headers
        super().__init__(**unknown)  # raises ConfigurationError naming unknown options
        if requests is None:
            raise ImproperlyInstalled("requests", "http", feature="The http backend")
        self.base_url = self._check_base_url(base_url)
        self.timeout = self._check_timeout(timeout)
        for option, value in (
            ("max_events_per_call", max_events_per_call),
            ("max_records_per_call", max_records_per_call),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(
                    f"The http backend's {option!r} option must be a positive integer"
                )
        # Instance attributes shadow the class defaults: the server decides its batch size.
        self.max_events_per_call = max_events_per_call  # type: ignore[misc]
        self.max_records_per_call = max_records_per_call  # type: ignore[misc]
        self.verify = verify
        #: sent with every request; its repr masks the Authorization value
        self.headers = RedactedDict({
            "User-Agent": f"personalize-sdk/{__version__} ({self.name})",
            "Accept": "application/json",
        })
        if token is not None:
            if (
                not isinstance(token, Secret)
                or not token
                or any(c in token.reveal() for c in "\r\n")
            ):
                raise ConfigurationError(
                    "The http backend's 'token' option must be a non-empty single-line string"
                )
            self.headers["Authorization"] = f"Token {token.reveal()}"
        if headers:
            self.headers.update(headers)
        # An injected session is the caller's: we pass our headers per request
        # instead of changing it, and leave closing it to them.
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()

    @staticmethod
    def _check_base_url(base_url: Any) -> str:
        if not isinstance(base_url, str) or not base_url:
            raise ConfigurationError(
                "The http backend needs its 'base_url' option, "
                "e.g. 'https://shop.example.com/api/personalize/'"
            )
        parts = urlsplit(base_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            raise ConfigurationError(
                "The http backend's 'base_url' option must be an http(s) URL "
                f"without query or fragment, not {base_url!r}"
            )
        return base_url if base_url.endswith("/") else base_url + "/"

    @staticmethod
    def _check_timeout(timeout: Any) -> float | tuple[float, float]:
        def positive(value: Any) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0

        if positive(timeout):
            return float(timeout)
        if (
            isinstance(timeout, (tuple, list))
            and len(timeout) == 2
            and all(positive(v) for v in timeout)
        ):
            return (float(timeout[0]), float(timeout[1]))
        # None would let a hung server hold a worker (or a page) forever.
        raise ConfigurationError(
            "The http backend's 'timeout' option must be a positive number of seconds "
            "or a (connect, read) pair"
        )

    # -- plumbing --------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        read: bool = False,
        use_case: str | None = None,
    ) -> Any:
        """Make one request; return the decoded JSON body (``None`` when empty)."""
        url = self.base_url + path
        kwargs: dict[str, Any] = {"headers": self.headers, "timeout": self.timeout}
        if self.verify is not None:
            kwargs["verify"] = self.verify
        operation = f"{method} {path}"
        try:
            response = self.session.request(method, url, json=json, params=params, **kwargs)
        except requests.Timeout as err:
            # A write that timed out may have arrived: retrying is still safe, because
            # every event carries its event_id and repeats are left out of training.
            raise BackendError(
                f"{operation}: timed out ({err})", retryable=True, backend=self.name, code="timeout"
            ) from err
        except requests.ConnectionError as err:
            raise BackendError(
                f"{operation}: cannot connect ({err})",
                retryable=True,
                backend=self.name,
                code="connection_error",
            ) from err
        except requests.RequestException as err:
            raise BackendError(
                f"{operation}: {err}", backend=self.name, code="request_error"
            ) from err
        body = self._decode(response)
        if response.status_code >= 400:
            raise self._error(response, body, operation, read=read, use_case=use_case)
        return body

    @staticmethod
    def _decode(response: Any) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def _error(
        self, response: Any, body: Any, operation: str, *, read: bool, use_case: str | None
    ) -> Exception:
        status = response.status_code
        message = f"{operation}: {error_message(body) or response.reason or 'HTTP error'}"
        code = (
            body.get("code")
            if isinstance(body, Mapping) and isinstance(body.get("code"), str)
            else None
        )
        kwargs = dict(backend=self.name, status_code=status, payload=body)
        if status == 429:
            error = ThrottledError(message, code=code or "throttled", **kwargs)
            #: seconds the server asked us to wait (``Retry-After``), or None
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            error.retry_after = retry_after  # type: ignore[attr-defined]
            return error
        if status == 503 and code == NOT_READY_CODE and read:
            # Reads only: the caller serves a fallback. A write refused as not ready is
            # simply retried later like any other 503.
            return NotReadyError(message, use_case=use_case)
        retryable = status >= 500 or status in RETRYABLE_STATUSES
        return BackendError(message, retryable=retryable, code=code, **kwargs)

    def _post_records(self, path: str, key: str, records: Sequence[Any], limit: int) -> None:
        if not records:
            raise InvalidRequestError(key, "must hold at least one record")
        if len(records) > limit:
            raise InvalidRequestError(key, f"at most {limit} per call (got {len(records)})")
        body = self._request("POST", path, json={key: [record.to_dict() for record in records]})
        errors = body.get("errors") if isinstance(body, Mapping) else None
        if errors:
            # The server stored the rest. Those it refused would be refused again: not retryable
            # (and a retry of the whole batch is harmless anyway, thanks to the event ids).
            accepted = body.get("accepted")
            raise BackendError(
                f"POST {path}: the server accepted {accepted} of {len(records)} {key}; "
                f"refused: {error_message({'errors': errors})}",
                retryable=False,
                backend=self.name,
                code="rejected",
                payload=body,
            )

    # -- Backend ---------------------------------------------------------
    def put_events(self, events: Sequence[Event]) -> None:
        self._post_records("events/", "events", list(events), self.max_events_per_call)

    def put_items(self, items: Sequence[Item]) -> None:
        self._post_records("items/", "items", list(items), self.max_records_per_call)

    def put_users(self, users: Sequence[User]) -> None:
        self._post_records("users/", "users", list(users), self.max_records_per_call)

    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        params: list[tuple[str, str]] = []
        if request.user_id is not None:
            params.append(("user", request.user_id))
        if request.item_id is not None:
            params.append(("item", request.item_id))
        params.append(("limit", str(request.num_results)))
        if request.filter is not None:
            params.append(("filter", request.filter))
        for name, values in request.filter_values.items():
            if name in RESERVED_QUERY_NAMES:
                raise InvalidRequestError(
                    f"filter_values[{name!r}]",
                    f"the http backend cannot send a placeholder named like a query parameter "
                    f"({', '.join(sorted(RESERVED_QUERY_NAMES))})",
                )
            params.extend((name, value) for value in values)
        # Context keys match [A-Za-z0-9_]+, so the dot keeps them apart from placeholders.
        params.extend((f"context.{key}", value) for key, value in request.context.items())
        path = f"recommendations/{quote(request.use_case, safe='')}/"
        body = self._request("GET", path, params=params, read=True, use_case=request.use_case)
        return self._to_list(body, f"GET {path}", use_case=request.use_case)

    def rank(self, request: RankingRequest) -> RecommendationList:
        payload = {
            "user_id": request.user_id,
            "item_ids": list(request.item_ids),
            "filter": request.filter,
            "filter_values": {name: list(values) for name, values in request.filter_values.items()},
            "context": dict(request.context),
        }
        body = self._request("POST", "ranking/", json=payload, read=True)
        return self._to_list(body, "POST ranking/", use_case=None)

    def _to_list(self, body: Any, operation: str, *, use_case: str | None) -> RecommendationList:
        try:
            if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
                raise ValueError("expected a JSON object with an 'items' list")
            result = RecommendationList.from_dict(dict(body))
        except (ValueError, KeyError, TypeError) as err:
            raise BackendError(
                f"{operation}: unreadable response ({err})",
                backend=self.name,
                code="bad_response",
                payload=body,
            ) from None
        # Keys the server adds at the top level are kept in ``extra``.
        known = {"use_case", "recommendation_id", "source", "reason", "items"}
        return replace(
            result,
            use_case=result.use_case or use_case,
            extra={k: v for k, v in body.items() if k not in known},
        )

    def close(self) -> None:
        if self._owns_session and self.session is not None:
            self.session.close()
