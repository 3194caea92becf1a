"""The WSGI application: Amazon Personalize's three HTTP APIs in one.

    from personalize_sdk.server import PersonalizeServer
    app = PersonalizeServer()                       # LocalBackend in memory
    app = PersonalizeServer(path="var/personalize", s3_root="var/s3")  # on disk

``app`` is a plain WSGI callable: serve it with ``python -m
personalize_sdk.server``, with :class:`~personalize_sdk.server.runner.ServerThread`
in tests, or with any WSGI server (gunicorn, uWSGI, waitress).

One server answers the three APIs, told apart as botocore addresses them
when ``AWS_ENDPOINT_URL_PERSONALIZE``, ``..._PERSONALIZE_RUNTIME`` and
``..._PERSONALIZE_EVENTS`` all name it: the control plane (awsJson1_1) is
``POST /`` with ``X-Amz-Target: AmazonPersonalize.<Operation>``; events and
runtime (rest-json) have a path per operation.

Each request goes through the same steps, in the order AWS takes them:
authentication (when access keys are configured), routing, the fault
switch, the shape check, then the operation. Whatever fails answers as its
protocol's error: rest-json's status, ``x-amzn-ErrorType: <code>`` and
``{"message": "..."}``; awsJson1_1's ``{"__type": "<code>", "message": "..."}``.

Runtime and events requests that name a recommender, campaign, dataset or
tracking id created through the control plane are served by that dataset
group's engine; the rest by ``backend`` and the static configuration.
"""

from __future__ import annotations

import json
import logging
import uuid
from http import HTTPStatus
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote

from ..backends import load_backend
from ..backends.base import Backend
from ..exceptions import ConfigurationError, ImproperlyInstalled
from .config import ServerConfig
from .errors import (
    InternalFailure,
    InvalidInputException,
    RequestEntityTooLargeException,
    SerializationException,
    ServiceError,
    UnknownOperationException,
)
from .faults import FaultSwitch
from .operations import Operations, translate
from .shapes import SHAPES, validate

logger = logging.getLogger("personalize_sdk.server")

#: (method, path) -> (operation, handler name)
ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/events"): ("PutEvents", "put_events"),
    ("POST", "/items"): ("PutItems", "put_items"),
    ("POST", "/users"): ("PutUsers", "put_users"),
    ("POST", "/recommendations"): ("GetRecommendations", "get_recommendations"),
    ("POST", "/personalize-ranking"): ("GetPersonalizedRanking", "get_personalized_ranking"),
}
#: operations of the same APIs the local engine has no counterpart for: each
#: answers a modeled InvalidInputException saying so
UNSUPPORTED = {
    "/actions": "PutActions",
    "/action-interactions": "PutActionInteractions",
    "/action-recommendations": "GetActionRecommendations",
}
#: the control plane's content type (awsJson1_1)
JSON_11 = "application/x-amz-json-1.1"
#: the largest body read (ten items of 32,000 characters are about 330 KB)
MAX_BODY_BYTES = 5 * 1024 * 1024

StartResponse = Callable[..., Any]


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request headers, by lower-case name, from a WSGI environ."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _url(environ: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The URL as the client sent it (what its signature covers)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = (
        headers.get("host")
        or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")  # gunicorn, uWSGI keep it undecoded
    if not raw:
        raw = quote(
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/~!$&'()*+,;=:@"
        )
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
    return f"{scheme}://{host}{raw}"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status passed through from a backend's error, like 529
        return "Error"


class PersonalizeServer:
    """A WSGI application answering personalize-events and personalize-runtime.

    ``backend`` is any :class:`~personalize_sdk.backends.base.Backend` (an
    instance, a class, a dotted path or an alias, with ``backend_options``);
    by default the embedded :class:`~personalize_sdk.backends.local.LocalBackend`
    keeping its data under ``path`` (in memory when ``None``). ``config`` is a
    :class:`ServerConfig` or a mapping of its fields.

    The control plane keeps its resources under ``path`` too (each dataset
    group's engine in ``<path>/dataset-groups/<name>/``), reads and writes
    ``s3://`` locations under ``s3_root`` and gives ``group_options`` (by
    default the local backend's ``backend_options``) to each group's engine.
    ``control_plane``: ``None`` serves it when botocore (whose model is its
    spec) is installed, ``True`` requires it, ``False`` turns it off.
    """

    def __init__(
        self,
        backend: Any = None,
        config: ServerConfig | Mapping[str, Any] | None = None,
        *,
        path: str | None = None,
        backend_options: Mapping[str, Any] | None = None,
        s3_root: str | None = None,
        group_options: Mapping[str, Any] | None = None,
        control_plane: bool | None = None,
    ) -> None:
        if config is None:
            config = ServerConfig()
        elif not isinstance(config, ServerConfig):
            config = ServerConfig.from_mapping(config)
        self.config = config
        local = backend is None or backend == "local"
        if backend is None:
            options = dict(backend_options or {})
            if path is not None:
                options["path"] = path
            backend = load_backend("local", options)
        elif path is not None:
            raise ConfigurationError(
                "'path' is an option of the default local backend; pass it to your backend instead"
            )
        elif not isinstance(backend, Backend):
            backend = load_backend(backend, backend_options)
        self.backend: Backend = backend
        if group_options is None:
            # The local backend's options suit the groups' engines; another backend's would not.
            group_options = {k: v for k, v in (backend_options or {}).items() if k != "path" and local}
        self.control: Any = None
        self.control_error: str | None = None
        if control_plane is not False:
            control_path = path or (backend_options or {}).get("path")
            try:
                from .control import ControlPlane  # optional: needs botocore and the local engine

                self.control = ControlPlane(
                    config, path=control_path, s3_root=s3_root, engine_options=group_options
                )
            except ImproperlyInstalled as err:
                if control_plane:
                    raise
                self.control_error = str(err)
                logger.warning("The control plane is off: %s", err)
        if config.filters:
            self.backend.configure_filters(self._parse_filters(config.filters))
        self.operations = Operations(self.backend, config)
        self.verifier = None
        if config.access_keys:
            from .auth import SigV4Verifier  # needs botocore: only when authentication is on

            self.verifier = SigV4Verifier(config.access_keys)
        self.faults = FaultSwitch(
            config.fault_rate, seed=config.fault_seed, kinds=config.fault_kinds
        )

    @staticmethod
    def _parse_filters(filters: Mapping[str, str]) -> dict[str, Any]:
        # Parsed once here, as the Client does, so a typo fails at start-up.
        from .. import filters as filters_module

        parse = getattr(filters_module, "parse", None)
        parsed: dict[str, Any] = {}
        for name, expression in filters.items():
            if parse is not None:
                try:
                    parsed[name] = parse(expression)
                except ValueError as err:
                    raise ConfigurationError(
                        f"Server filter {name!r} does not parse: {err}"
                    ) from err
            else:
                parsed[name] = expression
        return parsed

    # -- WSGI ------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = str(uuid.uuid4())
        json_11 = "HTTP_X_AMZ_TARGET" in environ
        content_type = JSON_11 if json_11 else "application/json"
        try:
            status, body = self.handle(environ)
            headers = [("Content-Type", content_type)]
        except ServiceError as err:
            if json_11:
                status, body = err.json_status, err.json_body()
            else:
                status, body = err.status, err.body()
            headers = [("Content-Type", content_type), ("x-amzn-ErrorType", err.code)]
        headers += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(body)))]
        start_response(f"{status} {_phrase(status)}", headers)
        return [body]

    def handle(self, environ: Mapping[str, Any]) -> tuple[int, bytes]:
        """Answer one request: ``(status, body)`` or raise :class:`ServiceError`."""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        headers = _headers(environ)
        body = self._read_body(environ)
        if self.verifier is not None:
            self.verifier.verify(method, _url(environ, headers), headers, body)
        target = headers.get("x-amz-target")
        if target is not None:
            return self._control(method, path, target, body)
        route = ROUTES.get((method, path.rstrip("/") or "/"))
        if route is None:
            if method == "POST" and path.rstrip("/") in UNSUPPORTED:
                # An operation of the model: a modeled error botocore raises as
                # client.exceptions.InvalidInputException, not a 404.
                raise InvalidInputException(
                    f"{UNSUPPORTED[path.rstrip('/')]} is not available in the local Personalize "
                    "(the local engine has no actions)."
                )
            raise UnknownOperationException(f"No operation is served at {method} {path}.")
        operation, handler = route
        fault = self.faults.draw(operation)
        if fault is not None:
            raise fault
        payload = self._parse(body)
        validate(SHAPES[operation], payload)
        operations = self.operations
        try:
            served = self.control.serving(payload) if self.control is not None else None
            if served is not None:
                operations = Operations(*served)
            result = getattr(operations, handler)(payload)
        except Exception as err:  # every failure answers as AWS would, never as a traceback
            raise translate(err) from err
        if result is None:
            return 200, b""
        return 200, json.dumps(result, separators=(",", ":")).encode("utf-8")

    def _control(self, method: str, path: str, target: str, body: bytes) -> tuple[int, bytes]:
        """An awsJson1_1 request: ``POST /`` with ``X-Amz-Target``."""
        prefix, _, operation = target.partition(".")
        if method != "POST" or (path.rstrip("/") or "/") != "/":
            raise UnknownOperationException(f"No operation is served at {method} {path}.")
        if self.control is None:
            if self.control_error:
                raise InternalFailure(self.control_error)
            raise UnknownOperationException("The control plane is turned off on this server.")
        if prefix != self.control.target_prefix or not operation:
            raise UnknownOperationException(f"X-Amz-Target {target!r} names no operation served here.")
        fault = self.faults.draw(operation)
        if fault is not None:
            raise fault
        payload = self._parse(body)
        try:
            result = self.control.handle(operation, payload)
        except Exception as err:  # every failure answers as AWS would, never as a traceback
            raise translate(err) from err
        return 200, json.dumps(result, separators=(",", ":")).encode("utf-8")

    @staticmethod
    def _read_body(environ: Mapping[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise SerializationException("Content-Length is not a number.") from None
        if length > MAX_BODY_BYTES:
            raise RequestEntityTooLargeException(
                f"Request body is larger than {MAX_BODY_BYTES} bytes."
            )
        if length <= 0:
            return b""
        return environ["wsgi.input"].read(length)

    @staticmethod
    def _parse(body: bytes) -> Any:
        if not body.strip():
            return {}
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise SerializationException(f"The request body is not valid JSON: {err}") from None

    def close(self) -> None:
        """Stop the control plane's worker and close every backend."""
        if self.control is not None:
            self.control.close()
        self.backend.close()
