"""Fixtures for the Django tests (SQLite, the memory backend, in-process delivery)."""

from __future__ import annotations

import pytest

from personalize_django.client import get_backend, reset_client


@pytest.fixture(autouse=True)
def _fresh_client():
    """Every test starts with a new process-wide client (so a new MemoryBackend)."""
    reset_client()
    yield
    reset_client()


@pytest.fixture
def backend():
    """The MemoryBackend the outbox delivers to (tests.django.settings)."""
    return get_backend()


@pytest.fixture
def shop(db):
    """Three products in two categories."""
    from tests.django.testapp.models import Category, Product

    shoes = Category.objects.create(name="Shoes")
    hats = Category.objects.create(name="Hats")
    return {
        "boot": Product.objects.create(category=shoes, name="Boot", slug="boot", price="79.90"),
        "sandal": Product.objects.create(
            category=shoes, name="Sandal", slug="sandal", price="25.00", stock=0
        ),
        "cap": Product.objects.create(category=hats, name="Cap", slug="cap", price="12.50"),
    }


def outbox_payloads(kind: str = "event") -> list[dict]:
    from personalize_django.models import OutboxEvent

    return [row.payload for row in OutboxEvent.objects.filter(kind=kind).order_by("id")]


@pytest.fixture
def saved_registry():
    """Let a test change the registrations; the test app's come back afterwards."""
    from personalize_django import receivers
    from personalize_django.registry import registry

    items, users = dict(registry.items), dict(registry.users)
    events = {model: list(regs) for model, regs in registry.events.items()}
    yield registry
    registry.reset()
    registry.items.update(items)
    registry.users.update(users)
    registry.events.update(events)
    for model in registry.models():
        receivers.connect(model)


@pytest.fixture
def celery_app():
    """A Celery app made current and default for the test (and undone after),
    with tasks run eagerly."""
    from celery import Celery, _state

    previous_default, previous_current = _state.default_app, _state._tls.current_app
    app = Celery("personalize-tests", set_as_current=True)
    app.conf.task_always_eager = True
    app.conf.broker_url = "memory://"
    app.set_default()
    import personalize_django.tasks  # noqa: F401  (registers the shared tasks on the app)

    app.finalize()
    yield app
    _state.set_default_app(previous_default)
    _state._set_current_app(previous_current)
    app.close()
