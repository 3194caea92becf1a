"""Every event the backend acknowledged survives a kill -9 of the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .conftest import make_backend

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[3]


def test_acknowledged_events_survive_kill_9_mid_ingest(tmp_path):
    folder = str(tmp_path / "engine")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, str(CHILD), folder], stdout=subprocess.PIPE, env=env, text=True)
    acknowledged = []
    try:
        for line in child.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) == 40:
                os.kill(child.pid, signal.SIGKILL)  # mid-ingest: the next batch is being written
                break
        # Lines the child printed before it died are acknowledgements too.
        acknowledged += [int(line) for line in child.stdout.read().split()]
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    backend = make_backend(folder)
    stored = {event.event_id for event in backend.iter_events()}
    expected = {f"e{batch}-{k}" for batch in acknowledged for k in range(50)}
    assert expected <= stored
    # batches are transactions: nothing half-written
    assert len(stored) % 50 == 0
    backend.close()
