"""Shared fixtures. Nothing here imports Django: tests/sdk runs without it."""

from __future__ import annotations

import pytest

from personalize_sdk import Client
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.retry import RetryPolicy


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
