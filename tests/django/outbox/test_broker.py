"""The guard that keeps a worker alive when its Redis broker dies.

These tests replay, on a private ``redis-server`` they start and kill, the
teardown Celery's consumer runs after a lost connection: ``collect()`` the
connection, then ``close()`` it, each through ``kombu.common.ignore_errors``
(which swallows connection errors only). Unguarded, the second step raises
``AttributeError`` from inside kombu and the worker exits "Unrecoverable".
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from personalize_django.outbox import broker
from tests import services
from tests.django.integration.harness import free_port, wait_for

kombu = pytest.importorskip("kombu")
pytest.importorskip("redis")


@pytest.fixture
def redis_server(tmp_path: Path):
    """A private redis-server: the test kills it, never the machine's own."""
    binary = shutil.which("redis-server")
    if binary is None:
        services.unavailable("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: services.port_open("127.0.0.1", port, 0.2), "redis-server to listen", 20)
    yield process, port
    if process.poll() is None:
        process.kill()
    process.wait(timeout=20)


def _connection_lost_while_waiting(process: subprocess.Popen, port: int):
    """A connection in the state of a worker's when Redis dies: a message
    reserved and not acknowledged, the remote-control fanout queue consumed,
    a BRPOP in flight."""
    from kombu import Connection, Exchange, Queue

    connection = Connection(f"redis://127.0.0.1:{port}/0")
    tasks = Queue("tasks", Exchange("tasks"), "tasks")
    control = Queue(f"control.{port}", Exchange("control", type="fanout"), auto_delete=True)
    with connection.Producer() as producer:
        producer.publish({"task": 1}, exchange=tasks.exchange, routing_key="tasks", declare=[tasks])
    reserved: list = []
    consumer = connection.Consumer([tasks, control], callbacks=[lambda body, message: reserved.append(message)],
                                   prefetch_count=1)
    consumer.consume()
    connection.drain_events(timeout=5)
    channel = connection.default_channel
    assert reserved and channel.qos._delivered  # held, unacknowledged
    channel._brpop_start()  # waiting for the next message
    process.kill()
    process.wait(timeout=20)
    return connection


def _celery_teardown(connection) -> None:
    from kombu.common import ignore_errors

    ignore_errors(connection, connection.collect, socket_timeout=2)
    ignore_errors(connection, connection.close)


def test_a_connection_lost_while_holding_messages_is_torn_down_without_an_error(redis_server):
    assert broker.guard_redis_transport()
    connection = _connection_lost_while_waiting(*redis_server)
    channel = connection.default_channel

    _celery_teardown(connection)  # raised AttributeError ('hostname') before the guard

    assert channel.closed


def test_the_guard_raises_a_connection_error_kombu_knows(redis_server):
    assert broker.guard_redis_transport()
    connection = _connection_lost_while_waiting(*redis_server)
    channel = connection.default_channel
    connection.collect(socket_timeout=2)  # detaches the transport, the channel stays open

    with pytest.raises(ConnectionError) as raised:
        channel.close()

    assert isinstance(raised.value, tuple(channel.connection_errors))
    assert "already closed" in str(raised.value)


def test_the_guard_is_installed_once_and_leaves_a_live_connection_alone(redis_server):
    from kombu import Connection
    from kombu.transport import redis as kombu_redis

    assert broker.guard_redis_transport()
    guarded = kombu_redis.Channel._connparams
    assert broker.guard_redis_transport()
    assert kombu_redis.Channel._connparams is guarded

    _process, port = redis_server
    with Connection(f"redis://127.0.0.1:{port}/0") as connection:
        queue = connection.SimpleQueue("guarded")
        queue.put({"ok": True})
        assert queue.get(timeout=5).payload == {"ok": True}
        queue.close()


def test_importing_the_tasks_installs_the_guard():
    from kombu.transport import redis as kombu_redis

    import personalize_django.outbox.tasks  # noqa: F401

    assert getattr(kombu_redis.Channel._connparams, "_personalize_guarded", False)
