"""Shared fixtures. Nothing here imports Django: tests/sdk runs without it."""

from __future__ import annotations

import pytest

from personalize_sdk import Client
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.retry import RetryPolicy


def isolate_from_real_aws(
    monkeypatch, tmp_path, *, key_id: str | None = None, secret: str | None = None
) -> None:
    """Keep boto3 away from this machine's AWS settings and credentials (and from
    instance metadata); with ``key_id``/``secret``, give it these dummy keys instead."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_SESSION_TOKEN"
    ):
        monkeypatch.delenv(name, raising=False)
    if key_id is not None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret or "")


class FakeSleep:
    """Stands in for ``time.sleep`` in retry tests: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def memory_backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def sync_client(memory_backend: MemoryBackend):
    client = Client(memory_backend, sync_mode=True, retry=RetryPolicy(max_attempts=3, base_delay=0, max_delay=0))
    yield client
    client.close()
