"""The Celery tasks and the dispatch after commit."""

from __future__ import annotations

import logging

import pytest

from personalize_django import dispatch
from personalize_django.client import get_backend
from personalize_django.models import OutboxEvent
from personalize_django.recording import record_event
from personalize_sdk import ThrottledError

pytestmark = pytest.mark.django_db


def test_auto_is_sync_without_a_celery_app():
    assert dispatch.delivery_mode() == "sync"


def test_auto_is_celery_with_an_app(celery_app):
    assert dispatch.delivery_mode() == "celery"


def test_commit_queues_the_task(celery_app, django_capture_on_commit_callbacks):
    backend = get_backend()
    with django_capture_on_commit_callbacks(execute=True):
        record_event("View", item="1", session_id="s")
    # task_always_eager: the task ran at once
    assert [e.item_id for e in backend.events] == ["1"]
    assert OutboxEvent.objects.get().state == "delivered"


def test_the_deliver_task_reports_and_does_not_recurse_when_eager(celery_app, settings):
    from personalize_django.tasks import deliver_outbox

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}
    backend = get_backend()
    record_event("View", item="1", session_id="s")
    backend.fail_next(ThrottledError())
    result = deliver_outbox.apply().get()
    assert (result["claimed"], result["deferred"]) == (1, 1)
    assert result["next_attempt_at"] is not None
    assert OutboxEvent.objects.get().state == "pending"


def test_the_sweep_prunes_and_delivers(celery_app, settings):
    from personalize_django.tasks import sweep_outbox

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual", "KEEP_DELIVERED": 0}
    record_event("View", item="1", session_id="s")
    result = sweep_outbox.apply().get()
    assert result["delivered"] == 1 and result["pruned"] == 0
    assert len(get_backend().events) == 1


def test_a_dead_broker_never_reaches_the_request(
    celery_app, settings, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    celery_app.conf.broker_transport_options = {"max_retries": 0}  # fail fast (as the docs advise)
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "celery"}
    with caplog.at_level(logging.WARNING, logger="personalize_django"):
        with django_capture_on_commit_callbacks(execute=True):
            assert record_event("View", item="1", session_id="s") is not None
        with django_capture_on_commit_callbacks(execute=True):
            assert record_event("View", item="2", session_id="s") is not None
    # one warning: after a failure the broker is left alone for a few seconds
    assert caplog.text.count("could not queue outbox delivery; the sweep will deliver later") == 1
    assert set(OutboxEvent.objects.values_list("state", flat=True)) == {
        "pending"
    }  # the sweep will find them
    monkeypatch.setattr(dispatch, "_broker_paused_until", 0.0)
