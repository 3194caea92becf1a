"""Fixtures of the Oscar site's tests, a run of their own (Oscar needs its
apps and URLconf)::

    pytest --ds=tests.oscar_site.settings --no-migrations tests/oscar_site

Under the other tests' settings this folder is skipped, so ``pytest`` alone
still runs everything else.
"""

from __future__ import annotations

import os

import pytest

from tests.django.conftest import _fresh_client, backend  # noqa: F401  (the same fixtures)

SETTINGS = "tests.oscar_site.settings"

if os.environ.get("DJANGO_SETTINGS_MODULE") != SETTINGS:
    collect_ignore_glob = ["test_*.py"]


def pytest_configure(config):
    # Oscar 4.2 itself still calls treebeard's deprecated class methods, and
    # Haystack's simple backend (no index: it searches the database) warns
    # on every product save.
    for line in (
        "ignore::DeprecationWarning:oscar.*",
        "ignore::PendingDeprecationWarning:oscar.*",
        "ignore:Using Category.",
        "ignore:update is not implemented in this backend:UserWarning",
        "ignore:remove is not implemented in this backend:UserWarning",
    ):
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture
def catalogue(db):
    from tests.oscar_site.catalogue import build

    return build()


def backend_items(memory) -> dict[str, dict]:
    """The memory backend's last record of each item: {item id: properties}."""
    return {item.item_id: dict(item.properties or {}) for item in memory.iter_items()}


def outbox(kind: str = "event") -> list[dict]:
    from personalize_django.models import OutboxEvent

    return [row.payload for row in OutboxEvent.objects.filter(kind=kind).order_by("id")]
