"""The one object applications use: :class:`Client`."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from typing import Any, Callable, Iterable, Mapping, Sequence

from .backends import load_backend
from .backends.base import Backend
from .exceptions import ConfigurationError, InvalidRecordError, PersonalizeError
from .filters import parse as parse_filter
from .records import Event, Item, User
from .recommendations import RecommendationList
from .retry import RetryPolicy
from .secrets import redact_options
from .sending import SendOutcome, send
from .spool import Spool
from .filters.values import FilterValue
from .use_cases import RankingRequest, RecommendationRequest
from .worker import BackgroundWorker, Job, QueueFullError

logger = logging.getLogger("personalize_sdk")

#: Reads are on a page's critical path: one quick retry at most.
DEFAULT_READ_RETRY = RetryPolicy(max_attempts=2, base_delay=0.05, max_delay=0.2, deadline=2.0)

#: the job that wakes the worker to drain the spool
_SPOOL_JOB: Job = ("spool", None)

ErrorCallback = Callable[[BaseException, Sequence[Any]], None]
DropCallback = Callable[[Any, str], None]


class Client:
    """Records events, items and users, and asks for recommendations.

    ``backend`` is a :class:`~personalize_sdk.backends.base.Backend` instance,
    class or dotted path (``None``: the embedded local engine); ``options`` go
    to its constructor. ``filters`` names filter expressions
    (``{"not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'}``).

    By default, writes are queued and delivered by a background thread
    (``record`` returns at once; ``flush`` waits). With ``sync_mode=True``
    every write is delivered before the call returns and failures raise:
    the mode for scripts, tests and Celery tasks. Either way, calls are
    batched to the backend's limits and retried per ``retry``.

    ``on_error(error, records)`` is called for records that could not be
    delivered in the background; ``on_drop(record, reason)`` for records
    dropped because the queue was full. Both are also logged to the
    ``personalize_sdk`` logger: nothing is lost silently.

    Only ``record()`` drops when the queue is full (fire-and-forget, counted
    in ``stats["dropped"]``). ``record_many``, ``put_items`` and
    ``put_users`` apply backpressure: they wait for room in the queue, and
    raise :class:`~personalize_sdk.worker.QueueFullError` when none came for
    ``block_timeout`` seconds. ``spool`` (a file path) keeps the queue in a
    SQLite database instead of memory (:mod:`personalize_sdk.spool`): a
    record is on disk before the call returns, survives a crash, and is
    delivered by the next ``Client(spool=...)``; nothing is ever dropped.
    """

    def __init__(
        self,
        backend: Backend | type[Backend] | str | None = None,
        *,
        options: Mapping[str, Any] | None = None,
        filters: Mapping[str, Any] | None = None,
        sync_mode: bool = False,
        max_queue_size: int = 10_000,
        retry: RetryPolicy | None = None,
        read_retry: RetryPolicy | None = None,
        on_error: ErrorCallback | None = None,
        on_drop: DropCallback | None = None,
        flush_at_exit: bool = True,
        exit_timeout: float = 2.0,
        block_timeout: float | None = 30.0,
        spool: str | os.PathLike[str] | None = None,
    ) -> None:
        # Rebound before anything can fail, so that a traceback's locals (a
        # debug page, an error tracker) show the secrets redacted.
        options = redact_options(options)
        if spool is not None and sync_mode:
            raise ConfigurationError("The client's 'spool' and 'sync_mode' options exclude each other")
        self.backend = load_backend(backend, options)
        self.filters = self._parse_filters(filters or {})
        self.backend.configure_filters(self.filters)
        self.sync_mode = sync_mode
        self.retry = retry or RetryPolicy()
        self.read_retry = read_retry or DEFAULT_READ_RETRY
        self.on_error = on_error
        self.on_drop = on_drop
        self._stats_lock = threading.Lock()
        self._stats = {"delivered": 0, "failed": 0, "dropped": 0, "retries": 0}
        self.block_timeout = block_timeout
        self._worker: BackgroundWorker | None = None
        self._spool = Spool(spool) if spool is not None else None
        if not sync_mode:
            self._worker = BackgroundWorker(self._process_jobs, max_queue_size=max_queue_size, on_drop=self._dropped)
        if self._spool is not None and len(self._spool):
            self._worker.nudge(_SPOOL_JOB)  # what a previous process left behind
        self._closed = False
        if flush_at_exit and not sync_mode:
            ref = weakref.ref(self)

            def _at_exit() -> None:
                client = ref()
                if client is not None and not client._closed:
                    client.close(timeout=exit_timeout)

            atexit.register(_at_exit)

    @staticmethod
    def _parse_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
        """Parse each named expression once, so a typo fails at start-up;
        already-parsed trees pass through."""
        parsed: dict[str, Any] = {}
        for name, expression in filters.items():
            if not isinstance(name, str) or not name:
                raise ConfigurationError(f"Filter names must be non-empty strings, not {name!r}")
            if isinstance(expression, str):
                try:
                    expression = parse_filter(expression)
                except ValueError as err:
                    raise ConfigurationError(f"Filter {name!r} does not parse: {err}") from err
            parsed[name] = expression
        return parsed

    # -- statistics ------------------------------------------------------
    @property
    def stats(self) -> dict[str, int]:
        """Counts of records delivered, failed (after retries) and dropped
        (queue full), and of retries made."""
        with self._stats_lock:
            return dict(self._stats)

    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self._stats[key] += n

    def _dropped(self, job: Job, reason: str) -> None:
        self._count("dropped")
        if self.on_drop is not None:
            self.on_drop(job[1], reason)

    # -- writes ----------------------------------------------------------
    def record(self, event: Event) -> bool:
        """Record one event, fire-and-forget. Returns ``False`` if it was
        dropped because the queue was full (counted in ``stats["dropped"]``,
        reported to ``on_drop``); never with a ``spool``."""
        return self._write("events", [event], Event, block=False)

    def record_many(self, events: Iterable[Event]) -> bool:
        """Record several events, waiting for room in the queue (see the class
        docstring); raises :class:`~personalize_sdk.worker.QueueFullError`
        when the queue stayed full for ``block_timeout`` seconds."""
        return self._write("events", events, Event, block=True)

    def put_items(self, items: Iterable[Item]) -> bool:
        """Create or replace catalogue items (with backpressure, as :meth:`record_many`)."""
        return self._write("items", items, Item, block=True)

    def put_users(self, users: Iterable[User]) -> bool:
        """Create or replace users (with backpressure, as :meth:`record_many`)."""
        return self._write("users", users, User, block=True)

    def _write(self, kind: str, records: Iterable[Any], cls: type, *, block: bool) -> bool:
        if self._closed:
            raise PersonalizeError("This client is closed")
        records = list(records)
        for index, record in enumerate(records):
            if not isinstance(record, cls):
                raise InvalidRecordError(
                    f"{kind}[{index}]", f"must be a {cls.__name__}, not {type(record).__name__}"
                )
        if not records:
            return True
        if self.sync_mode:
            self._deliver(kind, records, raise_errors=True)
            return True
        assert self._worker is not None
        if self._spool is not None:
            self._spool.append(kind, records)
            self._worker.nudge(_SPOOL_JOB)
            return True
        if not block:
            ok = True
            for record in records:
                ok = self._worker.submit((kind, record)) and ok
            return ok
        for index, record in enumerate(records):
            if not self._worker.put((kind, record), self.block_timeout):
                raise QueueFullError(self.block_timeout or 0.0, index, len(records))
        return True

    def _process_jobs(self, jobs: list[Job]) -> None:
        if self._spool is not None:
            self._spool.drain(self._send_spooled)
            return
        # Jobs arrive in queue order; keep each kind's order and deliver kind by kind.
        by_kind: dict[str, list[Any]] = {}
        for kind, record in jobs:
            by_kind.setdefault(kind, []).append(record)
        for kind, records in by_kind.items():
            self._deliver(kind, records, raise_errors=False)

    def _deliver(self, kind: str, records: list[Any], *, raise_errors: bool) -> None:
        self._send([(record, record) for record in records], kind, raise_errors=raise_errors)

    def _send_spooled(self, kind: str, entries: list[tuple[int, Any]]) -> SendOutcome[int]:
        return self._send(entries, kind, raise_errors=False)

    def _send(self, entries: list[tuple[Any, Any]], kind: str, *, raise_errors: bool) -> SendOutcome[Any]:
        outcome = send(
            self.backend,
            kind,
            entries,
            policy=self.retry,
            on_retry=lambda *_: self._count("retries"),
        )
        self._count("delivered", len(outcome.delivered))
        failed = outcome.failed
        if outcome.config_error is not None:
            failed = failed + [(key, outcome.config_error) for key in outcome.held]
        if not failed:
            return outcome
        self._count("failed", len(failed))
        if raise_errors:
            raise outcome.config_error or failed[0][1]
        records = dict(entries) if self._spool is not None else None
        by_error: dict[int, tuple[BaseException, list[Any]]] = {}
        for key, error in failed:
            record = records[key] if records is not None else key
            by_error.setdefault(id(error), (error, []))[1].append(record)
        for error, batch in by_error.values():
            self._report_failure(error, batch)
        return outcome

    def _report_failure(self, error: BaseException, batch: list[Any]) -> None:
        logger.error("could not deliver %d record(s) to the %s backend: %s", len(batch), self.backend.display_name, error)
        if self.on_error is not None:
            try:
                self.on_error(error, batch)
            except Exception:
                logger.exception("on_error callback failed")

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything recorded so far is delivered or has failed.
        Returns ``False`` if ``timeout`` seconds passed first."""
        if self._worker is None:
            return True
        return self._worker.flush(timeout)

    def close(self, timeout: float | None = 2.0) -> bool:
        """Flush (at most ``timeout`` seconds), stop the worker and close the backend."""
        if self._closed:
            return True
        flushed = self.flush(timeout)
        if self._worker is not None:
            self._worker.kill(timeout=0.5)
        self._closed = True
        self.backend.close()
        if self._spool is not None and not (self._worker is not None and self._worker.is_alive):
            # A worker still sending (a slow backend) keeps the connection; what
            # it has not delivered stays on disk for the next client.
            self._spool.close()
        return flushed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -----------------------------------------------------------
    def recommend(
        self,
        use_case: str | RecommendationRequest,
        *,
        user_id: str | None = None,
        item_id: str | None = None,
        num_results: int = 10,
        filter: str | None = None,
        filter_values: Mapping[str, FilterValue] | None = None,
        context: Mapping[str, str] | None = None,
    ) -> RecommendationList:
        """Recommendations for ``use_case`` (see :data:`~personalize_sdk.use_cases.USE_CASES`),
        or for a :class:`~personalize_sdk.use_cases.RecommendationRequest`
        built beforehand (then no other argument is given).

        Raises :class:`~personalize_sdk.exceptions.InvalidRequestError` for an
        unknown use case or a missing id, :class:`BackendError` when the
        backend fails and :class:`~personalize_sdk.exceptions.NotReadyError`
        when it cannot serve the use case yet.
        """
        if isinstance(use_case, RecommendationRequest):
            _only_request("recommend", user_id, item_id, num_results != 10, filter, filter_values, context)
            request = use_case
        else:
            request = RecommendationRequest(
                use_case=use_case,
                user_id=user_id,
                item_id=item_id,
                num_results=num_results,
                filter=filter,
                filter_values=filter_values or {},
                context=context or {},
            )
        return self._read(lambda: self.backend.recommend(request))

    def rank(
        self,
        user_id: str | RankingRequest,
        item_ids: Sequence[str] | None = None,
        *,
        filter: str | None = None,
        filter_values: Mapping[str, FilterValue] | None = None,
        context: Mapping[str, str] | None = None,
    ) -> RecommendationList:
        """``item_ids`` reordered for ``user_id``, best first; or the answer
        to a :class:`~personalize_sdk.use_cases.RankingRequest` built beforehand."""
        if isinstance(user_id, RankingRequest):
            _only_request("rank", item_ids, filter, filter_values, context)
            request = user_id
        else:
            request = RankingRequest(
                user_id=user_id,
                item_ids=tuple(item_ids or ()),
                filter=filter,
                filter_values=filter_values or {},
                context=context or {},
            )
        return self._read(lambda: self.backend.rank(request))

    def _read(self, call: Callable[[], RecommendationList]) -> RecommendationList:
        return self.read_retry.call(call, on_retry=lambda *_: self._count("retries"))


def _only_request(method: str, *others: Any) -> None:
    if any(value not in (None, False) for value in others):
        raise TypeError(f"Client.{method}() takes a request object alone, or keyword arguments, not both")
