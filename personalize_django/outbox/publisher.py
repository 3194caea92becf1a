"""Queuing the delivery task without making the request wait for the broker.

After a commit, :func:`kick` only sets a flag (microseconds). A daemon thread
per process wakes up, lingers :data:`LINGER` seconds, and publishes one
``deliver_outbox`` task for all the commits that happened since its last
publish: every commit is followed by at least one publish that starts after
it, so no row waits for the sweep while the broker is up, and a busy process
sends a handful of tasks instead of one per request (each task drains every
due row anyway).

If the broker is down, the failed publish is logged and the thread leaves the
broker alone for :data:`BROKER_PAUSE` seconds; the rows wait in the outbox for
the periodic sweep. If the process exits before the thread publishes, the
sweep delivers the rows too. The thread is started lazily and again after a
fork (``os.getpid()`` changed), so pre-forking servers are safe.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from ..conf import personalize_settings

logger = logging.getLogger("personalize_django")

#: seconds during which a process does not try the broker again after a failed publish
BROKER_PAUSE = 5.0
#: seconds the thread waits after a kick for more commits to share one publish.
#: A publish costs about a millisecond of CPU, taken from the process that serves
#: pages (and its GIL); this caps them near 4 a second per process, while an event
#: still reaches the broker within a quarter of a second.
LINGER = 0.25


def publish(using: str | None) -> bool:
    """Queue one ``deliver_outbox`` task now; ``False`` (logged) if the broker
    refused or was paused after a recent failure."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        # Imported here, not at the top: it imports Celery, which only
        # Celery delivery needs (this module is imported on every commit).
        from .tasks import deliver_outbox

        options: dict = {"retry": False}  # never wait on kombu's publish retries
        if personalize_settings.CELERY_QUEUE:
            options["queue"] = personalize_settings.CELERY_QUEUE
        deliver_outbox.apply_async(kwargs={"using": using}, **options)
    except Exception:  # broker down, serialisation, anything: the sweep will catch up
        _paused_until = time.monotonic() + BROKER_PAUSE
        logger.warning(
            "could not queue outbox delivery; the sweep will deliver later", exc_info=True
        )
        return False
    _paused_until = 0.0
    return True


_paused_until = 0.0


class Publisher:
    """The per-process publishing thread (one module-level instance: :data:`publisher`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: set[str | None] = set()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._pid = 0

    def covers(self, using: str | None) -> bool:
        """Whether a publish for ``using`` is already due and has not started:
        it will start after anything committed before this call, so a kick
        would add nothing. Read without the lock (the thread swaps the pending
        set under it before publishing, so a set still holding ``using`` has
        not been published yet); ``False`` in a forked child until it kicks."""
        return using in self._pending and self._pid == os.getpid()

    def kick(self, using: str | None) -> None:
        """Ask for a publish for database ``using`` (returns at once)."""
        if self.covers(using):
            return
        with self._lock:
            self._pending.add(using)
            self._ensure_thread()
            self._wake.notify()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        self._pid = os.getpid()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="personalize-publisher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            # Never leave a pending set behind a dead thread: covers() would
            # keep answering True and no kick would start a new thread.
            with self._lock:
                self._pending = set()
                self._busy = False
                self._wake.notify_all()

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._wake.wait()
            time.sleep(LINGER)  # let the commits of the next few requests join this publish
            with self._lock:
                usings, self._pending = self._pending, set()
                self._busy = True
            try:
                for using in usings:
                    publish(using)
            finally:
                with self._lock:
                    self._busy = False
                    self._wake.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every kick so far was published (or failed); for tests
        and for scripts that exit right after recording."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.wait(remaining)
        return True


#: the process's publisher
publisher = Publisher()
