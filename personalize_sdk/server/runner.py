"""Serving the application with the standard library: a threaded
:mod:`wsgiref` server, and a thread that runs one for tests.

    with ServerThread(PersonalizeServer(backend)) as server:
        client = boto3.client("personalize-runtime", endpoint_url=server.url, ...)

:class:`ServerThread` binds before :meth:`~ServerThread.start` returns (port 0
picks a free port), so a client can connect at once: no sleep, no polling.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from typing import Any, Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

logger = logging.getLogger("personalize_sdk.server")


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per connection (botocore opens several)."""

    daemon_threads = True
    # Restarting on the same port right after a stop must not fail on TIME_WAIT.
    allow_reuse_address = True


class _LoggingHandler(WSGIRequestHandler):
    """Access log lines go to the ``personalize_sdk.server`` logger, not stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - wsgiref's signature
        logger.info("%s - %s", self.address_string(), format % args)


def make_wsgi_server(
    app: Callable[..., Any], host: str = "127.0.0.1", port: int = 8900
) -> WSGIServer:
    """A bound, threaded WSGI server for ``app`` (``port=0`` picks a free port)."""
    return make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=_LoggingHandler
    )


class ServerThread:
    """Runs ``app`` on ``host:port`` in a daemon thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    :attr:`url` is the ``endpoint_url`` for boto3.
    """

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The server is not started")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> "ServerThread":
        if self._server is not None:
            raise RuntimeError("The server is already started")
        self._server = make_wsgi_server(self.app, self.host, self.port)
        self.port = self._server.server_port  # the real port when 0 was asked
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick (shutdown waits for one poll).
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"personalize-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the serving thread; harmless twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
