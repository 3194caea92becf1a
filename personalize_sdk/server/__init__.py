"""A local, Personalize-compatible HTTP endpoint over any backend.

It answers Amazon Personalize's three APIs: the control plane (personalize:
schemas, dataset groups, imports, solutions, recommenders, campaigns, batch
jobs...), personalize-events (PutEvents, PutItems, PutUsers) and
personalize-runtime (GetRecommendations, GetPersonalizedRanking), with the
request and response shapes, limits, status codes and error bodies of the
real services, so that boto3 code runs unchanged against it::

    python -m personalize_sdk.server --path var/personalize --s3-root var/s3 --port 8900

    local = dict(endpoint_url="http://127.0.0.1:8900", region_name="us-east-1",
                 aws_access_key_id="local", aws_secret_access_key="local")
    personalize = boto3.client("personalize", **local)
    runtime = boto3.client("personalize-runtime", **local)

The data plane needs only the standard library; the control plane and SigV4
authentication need botocore (its service model is the control plane's
spec). See ``docs/local-personalize.rst`` and ``docs/personalize-offline.rst``.
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
