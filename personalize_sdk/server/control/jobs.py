"""Statuses as AWS reports them, moved by one background worker.

A new resource is CREATE PENDING; the worker takes it (CREATE IN_PROGRESS),
runs its kind's work (an import, a training...) and marks it ACTIVE, or
CREATE FAILED with a ``failureReason`` naming the cause. A deleted resource
is DELETE PENDING until the worker has cleaned up after it, then gone.

One worker, first come first served: a recommender created after an import
job is trained after that import, as a sample's polling loop expects. At
start-up, resources a stopped server left pending are taken up again.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable, Mapping

from .context import Context

logger = logging.getLogger("personalize_sdk.server")

#: work(ctx, description) -> members to set on success (or None)
Work = Callable[[Context, dict], "Mapping[str, Any] | None"]
#: cleanup(ctx, description) before a deleted resource is removed
Cleanup = Callable[[Context, dict], None]

_STOP = object()


class JobFailed(Exception):
    """The work could not be done; the message becomes the ``failureReason``."""


class JobRunner:
    """Runs each resource's work in one background thread."""

    def __init__(
        self, ctx: Context, work: Mapping[str, Work], cleanup: Mapping[str, Cleanup]
    ) -> None:
        self.ctx = ctx
        self.work = dict(work)
        self.cleanup = dict(cleanup)
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="personalize-control", daemon=True)
        self._thread.start()

    def submit(self, arn: str) -> None:
        """Take ``arn`` up: its creation if pending, its deletion if deleted."""
        self._queue.put(arn)

    def resume(self) -> int:
        """Queue what a previous run left pending; return how many."""
        count = 0
        for _, arn, record in self.ctx.store.all():
            status = record.get("status") or ""
            if status.endswith("PENDING") or status.endswith("IN_PROGRESS"):
                self.submit(arn)
                count += 1
        return count

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish the job at hand (queued ones resume at the next start)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # -- the worker --------------------------------------------------------
    def _run(self) -> None:
        while True:
            arn = self._queue.get()
            if arn is _STOP:
                return
            try:
                self._step(arn)
            except Exception:  # the worker must outlive any one resource
                logger.exception("Control-plane work on %s failed", arn)

    def _step(self, arn: str) -> None:
        store = self.ctx.store
        record = store.get(arn)
        kind = store.kind_of(arn)
        if record is None or kind is None:
            return
        status = record.get("status", "")
        if status.startswith("DELETE"):
            cleanup = self.cleanup.get(kind)
            if cleanup is not None:
                cleanup(self.ctx, record)
            store.delete(arn)
            return
        if status not in ("CREATE PENDING", "CREATE IN_PROGRESS"):
            return
        record = store.update(arn, {"status": "CREATE IN_PROGRESS"}) or record
        work = self.work.get(kind)
        try:
            changes = dict(work(self.ctx, record) or {}) if work else {}
        except JobFailed as err:
            store.update(arn, {"status": "CREATE FAILED", "failureReason": str(err)})
            return
        except Exception as err:
            logger.exception("Creating %s failed", arn)
            store.update(arn, {"status": "CREATE FAILED", "failureReason": f"Internal error: {err}"})
            return
        if (store.get(arn) or {}).get("status") == "CREATE STOPPING":
            changes["status"] = "CREATE STOPPED"  # StopSolutionVersionCreation came meanwhile
        changes.setdefault("status", "ACTIVE")
        store.update(arn, changes)
