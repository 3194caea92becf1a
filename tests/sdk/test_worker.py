"""The background worker: bounded, never silent about drops, flushable, fork-safe."""

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from personalize_sdk import Client, Event
from personalize_sdk.backends.memory import MemoryBackend


class BlockingBackend(MemoryBackend):
    """Holds every put_events call until ``release`` is set."""

    def __init__(self):
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def put_events(self, events):
        self.entered.set()
        self.release.wait()
        super().put_events(events)


def view(item, session="s1"):
    return Event("View", session_id=session, item_id=item)


def test_a_full_queue_counts_and_reports_drops():
    backend = BlockingBackend()
    dropped = []
    client = Client(backend, max_queue_size=2, on_drop=lambda record, reason: dropped.append((record.item_id, reason)))
    assert client.record(view("1")) is True
    assert backend.entered.wait(10), "the worker never called the backend"
    # The worker holds event 1; the queue takes two more and drops the rest.
    results = [client.record(view(str(i))) for i in range(2, 6)]
    assert results == [True, True, False, False]
    assert dropped == [("4", "queue_full"), ("5", "queue_full")]
    assert client.stats["dropped"] == 2
    backend.release.set()
    assert client.flush(10)
    assert sorted(e.item_id for e in backend.events) == ["1", "2", "3"]
    client.close()


def test_flush_returns_when_the_timeout_passes_even_if_the_backend_hangs():
    backend = BlockingBackend()
    client = Client(backend)
    client.record(view("1"))
    assert backend.entered.wait(10)
    assert client.flush(timeout=0.05) is False
    backend.release.set()
    assert client.flush(timeout=10) is True
    assert client.stats["delivered"] == 1
    client.close()


def test_background_failures_go_to_on_error_and_are_counted():
    from personalize_sdk import BackendError
    from personalize_sdk.retry import RetryPolicy

    backend = MemoryBackend()
    backend.fail_next(BackendError("invalid", retryable=False))
    failures = []
    client = Client(backend, retry=RetryPolicy(max_attempts=1), on_error=lambda err, records: failures.append((str(err), len(records))))
    client.record(view("1"))
    assert client.flush(10)
    assert failures == [("invalid", 1)]
    assert client.stats == {"delivered": 0, "failed": 1, "dropped": 0, "retries": 0}
    client.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_after_fork_the_child_delivers_its_own_events():
    backend = MemoryBackend()
    client = Client(backend)
    client.record(view("parent"))
    assert client.flush(10)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_fd)
            client.record(view("child"))
            ok = client.flush(10)
            payload = json.dumps({"flushed": ok, "items": [e.item_id for e in backend.events]})
            os.write(write_fd, payload.encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        result = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert result == {"flushed": True, "items": ["parent", "child"]}
    assert [e.item_id for e in backend.events] == ["parent"]  # the parent is untouched
    client.close()


def test_events_recorded_before_exit_are_flushed_by_the_exit_hook(tmp_path):
    out = tmp_path / "delivered.txt"
    script = textwrap.dedent(
        f"""
        from personalize_sdk import Client, Event
        from personalize_sdk.backends.memory import MemoryBackend

        class FileBackend(MemoryBackend):
            def put_events(self, events):
                with open({str(out)!r}, "a") as f:
                    for e in events:
                        f.write(e.item_id + "\\n")

        client = Client(FileBackend())
        for i in range(25):
            client.record(Event("View", session_id="s", item_id=str(i)))
        # no flush, no close: the atexit hook must deliver
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert out.read_text().split() == [str(i) for i in range(25)]
