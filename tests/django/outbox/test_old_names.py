"""The outbox's modules of old (delivery, dispatch, publisher) still import,
warn with the new home, and hand out the very objects of the outbox."""

from __future__ import annotations

import importlib
import sys

import pytest

from personalize_django.outbox import delivery, publisher, waking

OLD_NAMES = {
    "personalize_django.delivery": (
        delivery,
        "DeliveryReport backoff_delay claim deliver_pending deliver_rows worker_name",
    ),
    "personalize_django.dispatch": (
        waking,
        "celery_app_configured celery_installed delivery_mode schedule_delivery",
    ),
    "personalize_django.publisher": (publisher, "BROKER_PAUSE LINGER Publisher publish publisher"),
}


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_an_outbox_module_of_old_warns_and_hands_out_the_outbox_objects(monkeypatch, old):
    home, names = OLD_NAMES[old]
    monkeypatch.delitem(sys.modules, old, raising=False)  # importing it runs it again
    with pytest.warns(DeprecationWarning) as caught:
        alias = importlib.import_module(old)
    (message,) = {str(w.message) for w in caught if w.category is DeprecationWarning}
    assert message.startswith(f"{old} is now personalize_django.outbox")
    assert [name for name in names.split() if getattr(alias, name) is not getattr(home, name)] == []
