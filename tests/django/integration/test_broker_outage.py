"""A broker killed under a running worker: events recorded while it is down
are delivered once it is back, by the same worker, still alive: no restart,
no "Unrecoverable error" in its log (kombu's Redis transport used to exit the
worker in about one run in four here; see personalize_django.outbox.broker).

The worker's backend throttles 30% of its calls, so rows are deferred while
Redis dies: the moment when a worker used to hold delayed (countdown) task
messages unacknowledged, and could exit restoring them.
"""

from __future__ import annotations

import pytest

from .harness import Stack, wait_for
from .test_outbox_integration import pg, stack, wait_delivered, wait_recorded  # noqa: F401

pytestmark = pytest.mark.integration

RESILIENT = "tests.django.integration.settings_resilient"


def _kill_redis(it: Stack) -> None:
    from tests import services

    assert it.redis is not None
    it.redis.kill()  # SIGKILL: no shutdown, connections reset
    wait_for(lambda: not services.port_open("127.0.0.1", it.redis_port, 0.2), "redis-server to die", 20)


def _worker_saw_the_broker_go(worker) -> bool:
    text = worker.log_path.read_text(errors="replace")
    return "Connection to broker lost" in text or "Cannot connect to redis" in text


def test_events_recorded_while_the_broker_is_dead_are_delivered_and_the_worker_lives(
    pg, stack  # noqa: F811
):
    db, products = pg
    it = stack(throttle="0.3")
    it.env["DJANGO_SETTINGS_MODULE"] = RESILIENT
    it.start_redis()
    worker = it.start_worker()
    it.start_web()

    assert it.views(products, 200).count(200) == 200
    assert wait_recorded(db, 200) == 200
    wait_for(
        lambda: db.value("SELECT count(*) FROM personalize_outboxevent WHERE attempts > 0"),
        "the worker to be delivering",
        60,
    )

    _kill_redis(it)
    wait_for(lambda: _worker_saw_the_broker_go(worker), "the worker to notice the broker is gone", 60)
    statuses = it.views(products, 200)
    assert statuses.count(200) == 200  # the requests never noticed
    assert wait_recorded(db, 400) == 400
    assert worker.alive(), f"the worker exited while the broker was down:\n{worker.tail()}"

    it.start_redis()  # a new, empty Redis: whatever was queued in the old one is gone
    wait_delivered(it, db, 400, timeout=180)
    assert it.ledger.distinct() == 400
    assert worker.alive()
    assert it.workers_started == 1
    log = worker.log_path.read_text(errors="replace")
    assert "Unrecoverable error" not in log
    assert "restore_unacked" not in log
