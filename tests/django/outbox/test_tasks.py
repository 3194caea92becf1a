"""The Celery tasks and waking the deliverer after commit."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from personalize_django.outbox import publisher as publisher_module
from personalize_django.outbox import waking as dispatch
from personalize_django.client import get_backend
from personalize_django.models import OutboxEvent
from personalize_django.outbox.publisher import publisher
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
    monkeypatch.setattr(publisher_module, "_paused_until", 0.0)
    with caplog.at_level(logging.WARNING, logger="personalize_django"):
        for item in ("1", "2"):
            with django_capture_on_commit_callbacks(execute=True):
                assert record_event("View", item=item, session_id="s") is not None
            assert publisher.flush(timeout=30)
    # one warning: after a failure this process leaves the broker alone for a while
    warning = "could not queue outbox delivery; the sweep will deliver later"
    assert caplog.text.count(warning) == 1
    # the sweep will find them
    assert set(OutboxEvent.objects.values_list("state", flat=True)) == {"pending"}
    monkeypatch.setattr(publisher_module, "_paused_until", 0.0)


def held_publish(monkeypatch):
    """Replace publish() by one that records its calls and, once started, waits
    for ``release``: returns (started, release, calls)."""
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_publish(using):
        calls.append(using)
        started.set()
        assert release.wait(timeout=30)
        return True

    monkeypatch.setattr(publisher_module, "publish", slow_publish)
    return started, release, calls


def test_the_publisher_coalesces_kicks_into_few_publishes(monkeypatch):
    started, release, calls = held_publish(monkeypatch)
    local = publisher_module.Publisher()
    local.kick("default")
    assert started.wait(timeout=30)  # the first publish is under way...
    for _ in range(5):
        local.kick("default")  # ...these return at once and wait for the next one
    release.set()
    assert local.flush(timeout=30)
    assert calls == ["default", "default"]


def test_the_publisher_restarts_its_thread_after_a_fork(monkeypatch):
    monkeypatch.setattr(publisher_module, "publish", lambda using: True)
    local = publisher_module.Publisher()
    local.kick(None)
    first = local._thread
    local._pid = -1  # as seen from a forked child
    local.kick(None)
    assert local._thread is not first and local._thread.is_alive()
    assert local.flush(timeout=30)


def test_a_kick_while_a_publish_is_due_returns_at_once(monkeypatch):
    started, release, calls = held_publish(monkeypatch)
    local = publisher_module.Publisher()
    assert not local.covers("default")
    local.kick("default")
    assert started.wait(timeout=30)  # the first publish took the pending set
    assert not local.covers("default")  # ...so a commit now needs a new publish
    local.kick("default")
    assert local.covers("default") and not local.covers("other")
    local._pid = -1  # as seen from a forked child: nothing is covered there
    assert not local.covers("default")
    local._pid = os.getpid()
    release.set()
    assert local.flush(timeout=30)
    assert calls == ["default", "default"]


def test_a_covered_commit_does_not_read_celerys_configuration(settings, monkeypatch):
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "celery"}
    kicked = []
    monkeypatch.setattr(publisher, "covers", lambda using: True)
    monkeypatch.setattr(publisher, "kick", kicked.append)

    def no_celery():
        raise AssertionError("Celery's configuration was read")

    monkeypatch.setattr(dispatch, "_current_celery_app", no_celery)
    dispatch.schedule_delivery("default")
    assert kicked == []


class _Request:
    is_eager = False


class _Task:
    request = _Request()


def _report(**fields):
    from personalize_django.outbox.delivery import DeliveryReport

    return DeliveryReport(**fields)


def test_deferred_rows_never_queue_a_countdown_task(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from personalize_django.outbox import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver_outbox, "apply_async", lambda **kw: queued.append(kw))
    tasks._follow_up(_Task(), _report(deferred=3, next_attempt_at=timezone.now() + timedelta(seconds=30)), None)
    assert queued == []  # the periodic sweep delivers them once due


def test_a_run_out_of_time_is_followed_at_once_without_countdown_or_eta(monkeypatch, settings):
    from personalize_django.outbox import tasks

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual", "CELERY_QUEUE": "personalize"}
    queued = []
    monkeypatch.setattr(tasks.deliver_outbox, "apply_async", lambda **kw: queued.append(kw))
    tasks._follow_up(_Task(), _report(out_of_time=True), "default")
    assert queued == [{"kwargs": {"using": "default"}, "queue": "personalize"}]
    assert not {"countdown", "eta"} & set(queued[0])
