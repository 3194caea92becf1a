"""Statuses as AWS reports them, moved by one background worker.

A new resource is CREATE PENDING; the worker takes it (CREATE IN_PROGRESS),
runs its kind's work (an import, a training...) and marks it ACTIVE, or
CREATE FAILED with a ``failureReason`` naming the cause. A deleted resource
is DELETE PENDING, then DELETE IN_PROGRESS while the worker cleans up after
it, then gone. A
stopped recommender goes STOP PENDING, STOP IN_PROGRESS, INACTIVE; a started
one START PENDING, START IN_PROGRESS, ACTIVE.

An update (UpdateCampaign, UpdateRecommender, UpdateSolution, UpdateDataset)
moves the resource's latest-update summary (``latestCampaignUpdate``...)
through CREATE PENDING and CREATE IN_PROGRESS to ACTIVE, or CREATE FAILED;
the resource itself stays ACTIVE and keeps serving with its previous
settings until then, as on AWS. Only then are the summary's settings copied
onto the resource.

One worker, first come first served: a recommender created after an import
job is trained after that import, as a sample's polling loop expects. At
start-up, resources a stopped server left pending are taken up again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Callable, Mapping

from .context import Context

logger = logging.getLogger("personalize_sdk.server")

#: work(ctx, description) -> members to set on success (or None)
Work = Callable[[Context, dict], "Mapping[str, Any] | None"]
#: cleanup(ctx, description) before a deleted resource is removed
Cleanup = Callable[[Context, dict], None]
#: update(ctx, description, summary) checks an update can be applied (JobFailed if not)
UpdateWork = Callable[[Context, dict, dict], None]

#: the member of a kind's description summarizing its latest update
UPDATE_SUMMARIES = {
    "campaign": "latestCampaignUpdate",
    "recommender": "latestRecommenderUpdate",
    "solution": "latestSolutionUpdate",
    "dataset": "latestDatasetUpdate",
}
#: members of an update summary that are about the update, not settings it changes
SUMMARY_OWN = frozenset({"status", "failureReason", "creationDateTime", "lastUpdatedDateTime"})
#: statuses of an update (or a creation) still to be done
UNSETTLED = ("CREATE PENDING", "CREATE IN_PROGRESS")
#: StopRecommender and StartRecommender: status -> (status while it is done, status once done)
SWITCHES = {
    "STOP PENDING": ("STOP IN_PROGRESS", "INACTIVE"),
    "STOP IN_PROGRESS": ("STOP IN_PROGRESS", "INACTIVE"),
    "START PENDING": ("START IN_PROGRESS", "ACTIVE"),
    "START IN_PROGRESS": ("START IN_PROGRESS", "ACTIVE"),
}

_STOP = object()
#: the queue's marker of an update: (_UPDATE, arn)
_UPDATE = "update"


class JobFailed(Exception):
    """The work could not be done; the message becomes the ``failureReason``."""


class JobRunner:
    """Runs each resource's work in one background thread."""

    def __init__(
        self,
        ctx: Context,
        work: Mapping[str, Work],
        cleanup: Mapping[str, Cleanup],
        updates: Mapping[str, UpdateWork] | None = None,
    ) -> None:
        self.ctx = ctx
        self.work = dict(work)
        self.cleanup = dict(cleanup)
        self.updates = dict(updates or {})
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="personalize-control", daemon=True)
        self._thread.start()

    def submit(self, arn: str) -> None:
        """Take ``arn`` up: its creation if pending, its deletion if deleted."""
        self._queue.put(arn)

    def submit_update(self, arn: str) -> None:
        """Take up the pending update in ``arn``'s latest-update summary."""
        self._queue.put((_UPDATE, arn))

    def resume(self) -> int:
        """Queue what a previous run left pending (creations, deletions,
        switches and updates); return how many."""
        count = 0
        for kind, arn, record in self.ctx.store.all():
            status = record.get("status") or ""
            if status.endswith("PENDING") or status.endswith("IN_PROGRESS"):
                self.submit(arn)
                count += 1
            summary = record.get(UPDATE_SUMMARIES.get(kind, "")) or {}
            if summary.get("status") in UNSETTLED:
                self.submit_update(arn)
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
                if isinstance(arn, tuple):
                    self._update(arn[1])
                else:
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
            store.update(arn, {"status": "DELETE IN_PROGRESS"})
            cleanup = self.cleanup.get(kind)
            if cleanup is not None:
                cleanup(self.ctx, record)
            store.delete(arn)
            return
        if status in SWITCHES:
            moving, settled = SWITCHES[status]
            store.update(arn, {"status": moving})
            store.update(arn, {"status": settled})
            return
        if status not in UNSETTLED:
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

    def _update(self, arn: str) -> None:
        store = self.ctx.store
        kind = store.kind_of(arn)
        record = store.get(arn)
        key = UPDATE_SUMMARIES.get(kind or "")
        if record is None or key is None:
            return
        summary = dict(record.get(key) or {})
        if summary.get("status") not in UNSETTLED:
            return

        def mark(status: str, **more: Any) -> dict[str, Any]:
            summary.update(status=status, lastUpdatedDateTime=time.time(), **more)
            return dict(summary)

        record = store.update(arn, {key: mark("CREATE IN_PROGRESS")}, touch=False) or record
        work = self.updates.get(kind or "")
        try:
            if work is not None:
                work(self.ctx, record, dict(summary))
        except JobFailed as err:
            store.update(arn, {key: mark("CREATE FAILED", failureReason=str(err))})
            return
        except Exception as err:
            logger.exception("Updating %s failed", arn)
            store.update(arn, {key: mark("CREATE FAILED", failureReason=f"Internal error: {err}")})
            return
        settings = {member: value for member, value in summary.items() if member not in SUMMARY_OWN}
        store.update(arn, {**settings, key: mark("ACTIVE")})
