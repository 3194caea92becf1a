"""Fixtures for the local Personalize server: a server per test module, in a
thread on a free loopback port, and real boto3 clients pointed at it."""

from __future__ import annotations

from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

from personalize_sdk.backends.memory import MemoryBackend  # noqa: E402
from personalize_sdk.server import PersonalizeServer, ServerConfig, ServerThread  # noqa: E402
from tests.conftest import isolate_from_real_aws  # noqa: E402

REGION = "us-east-1"
KEY_ID = "AKIDLOCALTEST"
SECRET = "local-secret"
FILTERS = {
    "in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    "not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
}


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch, tmp_path):
    """No test here may read this machine's AWS settings or credentials."""
    isolate_from_real_aws(monkeypatch, tmp_path)


def make_client(service: str, url: str, *, key: str = KEY_ID, secret: str = SECRET, **config: Any):
    """A real boto3 client for ``service`` at ``url``; botocore's retries are
    off unless ``config`` says otherwise, so each call is one request."""
    config.setdefault("retries", {"mode": "standard", "total_max_attempts": 1})
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(**config),
    )


class Served:
    """A running server with its app, backend, config and clients."""

    def __init__(self, app: PersonalizeServer, thread: ServerThread) -> None:
        self.app = app
        self.thread = thread
        self.url = thread.url
        self.config: ServerConfig = app.config
        self.backend = app.backend
        self.events = make_client("personalize-events", self.url)
        self.runtime = make_client("personalize-runtime", self.url)

    def client(self, service: str, **kwargs: Any):
        return make_client(service, self.url, **kwargs)


def start(backend: Any, **config: Any):
    """Start a server over ``backend``; the caller stops it."""
    app = PersonalizeServer(backend, ServerConfig(**config))
    thread = ServerThread(app).start()
    return Served(app, thread)


@pytest.fixture(scope="module")
def memory_server():
    """A server over a MemoryBackend, with the default ARNs and two filters."""
    served = start(MemoryBackend(), filters=FILTERS)
    yield served
    served.thread.stop()
    served.app.close()


@pytest.fixture
def memory(memory_server) -> MemoryBackend:
    """The memory server's backend, emptied for each test."""
    memory_server.backend.reset()
    return memory_server.backend
