"""No loss in the SDK alone: backpressure in ``record_many`` and bulk writes,
and ``Client(spool=path)``, a durable queue that outlives a killed process."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap

import pytest

from personalize_sdk import BackendError, Client, ConfigurationError, Event, Item
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.retry import RetryPolicy
from personalize_sdk.spool import Spool
from personalize_sdk.worker import QueueFullError

from .test_worker import BlockingBackend

NO_WAIT = RetryPolicy(max_attempts=1, base_delay=0, max_delay=0, deadline=None)


def view(i, session="s1"):
    return Event("View", session_id=session, item_id=str(i), event_id=f"e{i}")


def test_99000_events_through_record_many_all_arrive():
    backend = MemoryBackend()
    client = Client(backend)  # the default queue holds 10,000
    events = [view(i, session=f"s{i % 7}") for i in range(99_000)]
    assert client.record_many(events) is True
    assert client.flush(timeout=300)
    assert len(backend.events) == 99_000
    assert {e.event_id for e in backend.events} == {e.event_id for e in events}
    assert client.stats["dropped"] == 0 and client.stats["delivered"] == 99_000
    client.close()


def test_record_many_waits_for_room_and_raises_after_its_timeout_naming_what_was_queued():
    backend = BlockingBackend()
    client = Client(backend, max_queue_size=2, block_timeout=0.2)
    client.record(view(1))
    assert backend.entered.wait(10), "the worker never called the backend"
    with pytest.raises(QueueFullError) as info:
        client.record_many([view(2), view(3), view(4), view(5)])
    assert (info.value.queued, info.value.total) == (2, 4)
    assert "2 of 4 record(s) were queued" in str(info.value)
    assert client.stats["dropped"] == 0  # nothing was dropped: the caller has the rest
    backend.release.set()
    assert client.flush(10)
    assert sorted(e.item_id for e in backend.events) == ["1", "2", "3"]
    client.close()


def test_put_items_applies_backpressure_too():
    backend = MemoryBackend()
    client = Client(backend, max_queue_size=5)
    assert client.put_items([Item(str(i)) for i in range(500)]) is True
    assert client.flush(60) and len(backend.items) == 500
    client.close()


def test_record_stays_fire_and_forget_with_its_drop_counter():
    backend = BlockingBackend()
    client = Client(backend, max_queue_size=1)
    client.record(view(1))
    assert backend.entered.wait(10)
    assert [client.record(view(i)) for i in (2, 3)] == [True, False]
    assert client.stats["dropped"] == 1
    backend.release.set()
    assert client.flush(10)
    client.close()


def test_a_spool_delivers_and_empties(tmp_path):
    backend = MemoryBackend()
    client = Client(backend, spool=tmp_path / "spool.sqlite3")
    client.record_many([view(i) for i in range(25)])
    client.record(view(25))
    assert client.flush(30)
    assert [e.event_id for e in backend.events] == [f"e{i}" for i in range(26)]
    assert len(Spool(tmp_path / "spool.sqlite3")) == 0
    client.close()


def test_a_spooled_record_the_backend_refuses_is_kept_as_dead_and_reported(tmp_path):
    backend = MemoryBackend()
    errors = []
    client = Client(backend, spool=tmp_path / "s.sqlite3", retry=NO_WAIT,
                    on_error=lambda error, records: errors.append((error, records)))
    backend.fail_next(BackendError("bad record", retryable=False), times=2)  # the batch, then e0 alone
    client.record_many([view(0), view(1)])
    assert client.flush(30)
    assert [e.event_id for e in backend.events] == ["e1"]
    assert [records[0].event_id for _, records in errors] == ["e0"]
    client.close()
    spool = Spool(tmp_path / "s.sqlite3")
    assert len(spool) == 0
    assert [(kind, record["event_id"]) for kind, record, _ in spool.dead()] == [("events", "e0")]
    assert "bad record" in spool.dead()[0][2]


def test_a_retryable_failure_leaves_the_record_in_the_spool_for_the_next_client(tmp_path):
    path = tmp_path / "s.sqlite3"
    first = MemoryBackend()
    first.fail_next(BackendError("unavailable", retryable=True, status_code=503), times=1)
    client = Client(first, spool=path, retry=NO_WAIT)
    client.record(view(0))
    assert client.flush(30)
    client.close()
    assert first.events == [] and len(Spool(path)) == 1
    second = MemoryBackend()
    client = Client(second, spool=path)
    assert client.flush(30)
    assert [e.event_id for e in second.events] == ["e0"]
    client.close()


def test_a_spool_excludes_sync_mode(tmp_path):
    with pytest.raises(ConfigurationError, match="'spool' and 'sync_mode'"):
        Client(MemoryBackend(), spool=tmp_path / "s.sqlite3", sync_mode=True)


def test_a_spool_in_a_missing_folder_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        Client(MemoryBackend(), spool=tmp_path / "missing" / "s.sqlite3")


CHILD = textwrap.dedent(
    """
    import sys, threading
    from personalize_sdk import Client, Event
    from personalize_sdk.backends.memory import MemoryBackend

    class Unreachable(MemoryBackend):
        # A backend that never answers: everything stays in the spool.
        def put_events(self, events):
            threading.Event().wait()

    client = Client(Unreachable(), spool=sys.argv[1], flush_at_exit=False)
    for batch in range(1000):
        client.record_many(
            [Event("View", session_id="s1", item_id=str(i), event_id=f"e{i}")
             for i in range(batch * 50, batch * 50 + 50)]
        )
        print(batch, flush=True)
    """
)


def _read_line(stream, timeout):
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def test_a_spool_written_by_a_process_killed_mid_way_is_delivered_by_the_next_client(tmp_path):
    path = tmp_path / "spool.sqlite3"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    committed = -1
    try:
        while committed < 5:  # at least 6 batches of 50 on disk, then kill it while it writes
            line = _read_line(child.stdout, 60)
            assert line, "the child process stopped writing"
            committed = int(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    backend = MemoryBackend()
    client = Client(backend, spool=path)
    assert client.flush(60)
    delivered = [e.event_id for e in backend.events]
    assert len(delivered) >= 50 * (committed + 1) and len(delivered) % 50 == 0  # whole batches only
    assert delivered == [f"e{i}" for i in range(len(delivered))]  # in order, none twice
    assert len(Spool(path)) == 0
    client.close()
