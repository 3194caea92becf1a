"""A background thread that delivers what :class:`~personalize_sdk.client.Client`
queues, in the style of sentry-python's and Segment's workers.

The queue is bounded. :meth:`BackgroundWorker.submit` is fire-and-forget:
when the queue is full the record is dropped, counted and reported through
``on_drop``, never silently. :meth:`BackgroundWorker.put` applies
backpressure instead: it waits for room, and raises :class:`QueueFullError`
when none came within its timeout. The thread is a named daemon
started on first use and started again in a forked child (the child delivers
its own records; what the parent had queued stays the parent's). ``flush``
waits at most ``timeout`` seconds, whatever the backend does.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import weakref
from typing import Any, Callable

from .exceptions import PersonalizeError

logger = logging.getLogger("personalize_sdk")

Job = tuple[str, Any]
_STOP = object()


class QueueFullError(PersonalizeError):
    """The queue stayed full longer than the write's timeout: the backend is
    slower than the writes, or down. ``queued`` of the ``total`` records were
    queued (they will be delivered); the rest were not, and are the caller's
    to write again."""

    def __init__(self, timeout: float, queued: int, total: int) -> None:
        self.timeout = timeout
        self.queued = queued
        self.total = total
        super().__init__(
            f"the delivery queue stayed full for {timeout:g} s: {queued} of {total} record(s) "
            f"were queued, the other {total - queued} were not (write them again later)"
        )


class BackgroundWorker:
    """Runs ``process(jobs)`` on batches of queued jobs in a daemon thread."""

    def __init__(
        self,
        process: Callable[[list[Job]], None],
        *,
        max_queue_size: int = 10_000,
        max_batch: int = 100,
        on_drop: Callable[[Job, str], None] | None = None,
        name: str = "personalize-sdk-worker",
    ) -> None:
        if max_queue_size < 1:
            raise ValueError("max_queue_size must be at least 1")
        self._process = process
        self._max_queue_size = max_queue_size
        self._max_batch = max_batch
        self._on_drop = on_drop
        self._name = name
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue(max_queue_size)
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        #: records dropped because the queue was full
        self.dropped = 0
        ref = weakref.ref(self)

        def _after_fork() -> None:
            worker = ref()
            if worker is not None:
                worker._reset_after_fork()

        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork)

    def _reset_after_fork(self) -> None:
        # The parent's thread does not exist in the child, and its lock may be held.
        self._lock = threading.Lock()
        self._queue = queue.Queue(self._max_queue_size)
        self._thread = None
        self._pid = os.getpid()

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Jobs queued or being processed."""
        return self._queue.unfinished_tasks

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():
            self._reset_after_fork()
        if self.is_alive:
            return
        with self._lock:
            if self.is_alive:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def submit(self, job: Job) -> bool:
        """Queue ``job``; ``False`` when the queue is full and it was dropped."""
        self._ensure_thread()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            with self._lock:
                self.dropped += 1
            logger.warning("personalize_sdk queue is full (%d); dropped a %s", self._max_queue_size, job[0])
            if self._on_drop is not None:
                try:
                    self._on_drop(job, "queue_full")
                except Exception:  # a faulty callback must not break the caller
                    logger.exception("on_drop callback failed")
            return False
        return True

    def put(self, job: Job, timeout: float | None) -> bool:
        """Queue ``job``, waiting at most ``timeout`` seconds (``None``: for
        ever) for room; ``False`` if none came (nothing is dropped or counted:
        the caller decides)."""
        self._ensure_thread()
        try:
            self._queue.put(job, timeout=timeout)
        except queue.Full:
            return False
        return True

    def nudge(self, job: Job) -> None:
        """Queue ``job`` unless the queue is full: for jobs that only wake the
        thread (a full queue of them wakes it anyway)."""
        self._ensure_thread()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            pass

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job queued so far is processed; ``False`` if
        ``timeout`` seconds passed first."""
        if self._pid != os.getpid() or not self.is_alive:
            return self._queue.unfinished_tasks == 0
        deadline = None if timeout is None else time.monotonic() + timeout
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def kill(self, timeout: float | None = 1.0) -> None:
        """Stop the thread after what is queued now; wait at most ``timeout``."""
        if not self.is_alive or self._pid != os.getpid():
            return
        try:
            self._queue.put(("__stop__", _STOP), timeout=timeout)
        except queue.Full:
            return
        assert self._thread is not None
        self._thread.join(timeout)

    def _run(self) -> None:
        q = self._queue
        while True:
            first = q.get()
            jobs = [first]
            while len(jobs) < self._max_batch:
                try:
                    jobs.append(q.get_nowait())
                except queue.Empty:
                    break
            stop = any(job[1] is _STOP for job in jobs)
            work = [job for job in jobs if job[1] is not _STOP]
            try:
                if work:
                    self._process(work)
            except Exception:
                logger.exception("personalize_sdk worker failed to process %d job(s)", len(work))
            finally:
                for _ in jobs:
                    q.task_done()
            if stop:
                return
