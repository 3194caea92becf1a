"""A local, Personalize-compatible HTTP endpoint over any backend.

It answers the data-plane APIs of Amazon Personalize, personalize-events
(PutEvents, PutItems, PutUsers) and personalize-runtime (GetRecommendations,
GetPersonalizedRanking), with the request and response shapes, limits, status
codes and error bodies of the real services, so that boto3 code runs
unchanged against it::

    python -m personalize_sdk.server --path var/personalize --port 8900

    events = boto3.client("personalize-events", endpoint_url="http://127.0.0.1:8900")
    runtime = boto3.client("personalize-runtime", endpoint_url="http://127.0.0.1:8900")

Only the standard library is needed, except botocore when SigV4
authentication is on. See ``docs/local-personalize.rst``.
"""

from __future__ import annotations

from .app import PersonalizeServer
from .config import FAULT_KINDS, RANKING, ServerConfig
from .errors import ServiceError
from .runner import ServerThread, ThreadingWSGIServer, make_wsgi_server

__all__ = [
    "FAULT_KINDS",
    "PersonalizeServer",
    "RANKING",
    "ServerConfig",
    "ServerThread",
    "ServiceError",
    "ThreadingWSGIServer",
    "make_wsgi_server",
]
