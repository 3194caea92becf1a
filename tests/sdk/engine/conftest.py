"""Fixtures for the engine tests: a small shop (see shop.py) in a LocalBackend."""

from __future__ import annotations

import pytest

from personalize_sdk import Client
from personalize_sdk.backends.local import LocalBackend
from personalize_sdk.retry import RetryPolicy

from . import shop

#: small-shop options: minimums scaled down, no automatic training (tests train explicitly)
OPTIONS = {"min_data_scale": 0.05, "auto_train": False, "exploration_weight": 0.0}


def make_backend(path=None, **options) -> LocalBackend:
    return LocalBackend(path, **{**OPTIONS, **options})


def make_client(backend: LocalBackend, filters=None) -> Client:
    return Client(backend, sync_mode=True, filters=filters, retry=RetryPolicy(max_attempts=1))


def fill(client: Client) -> None:
    client.put_items(shop.items())
    client.record_many(shop.events())


def trained(**options) -> tuple[LocalBackend, Client]:
    """A backend holding the small shop, trained, and a client over it."""
    backend = make_backend(**options)
    client = make_client(backend)
    fill(client)
    backend.train()
    return backend, client


@pytest.fixture
def backend():
    b = make_backend()
    yield b
    b.close()


@pytest.fixture
def client(backend):
    c = make_client(backend)
    fill(c)
    backend.train()
    yield c
    c.close()
