"""The embedded local engine as a backend: no cloud account, no server.

    from personalize_sdk import Client
    client = Client("local", options={"path": "var/personalize", "min_data_scale": 0.05})
    client.backend.train()

Options (keyword arguments):

* ``path``: folder for the database and the trained model (``None``: in memory);
* ``synchronous``: SQLite's ``NORMAL`` (default: an acknowledged event
  survives a crash of the process) or ``FULL`` (also a power loss);
* ``auto_train`` (``True``), ``retrain_every_events`` (``None``),
  ``retrain_interval`` (seconds, ``None``): training in the background;
* every field of :class:`~personalize_sdk.engine.config.EngineConfig`
  (``exploration_weight``, ``event_weights``, ``min_data_scale``...).

numpy and scipy are needed (``pip install "personalize-django[local]"``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, Callable, ClassVar, Iterable, Iterator, Mapping, Sequence

from ..exceptions import BackendError, ConfigurationError, InvalidRequestError
from ..records import Event, Item, User
from ..recommendations import RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest
from .base import Backend

_BACKEND_OPTIONS = ("synchronous", "auto_train", "retrain_every_events", "retrain_interval")


class LocalBackend(Backend):
    """Stores events, items and users under ``path`` and serves the five use
    cases and ranking from the embedded engine (see the module docstring)."""

    name: ClassVar[str] = "local"
    # One SQLite transaction per call: big calls are cheap, and sessions may mix.
    max_events_per_call: ClassVar[int] = 500
    one_session_per_call: ClassVar[bool] = False
    max_records_per_call: ClassVar[int] = 500
    can_train: ClassVar[bool] = True
    can_forget_users: ClassVar[bool] = True
    can_iterate_data: ClassVar[bool] = True
    can_import_events: ClassVar[bool] = True
    is_local_engine: ClassVar[bool] = True

    def __init__(self, path: str | None = None, **options: Any) -> None:
        from ..engine import Engine, EngineConfig  # numpy/scipy: ImproperlyInstalled when missing

        engine_options = {k: options.pop(k) for k in _BACKEND_OPTIONS if k in options}
        config = EngineConfig.from_options(options, owner=self.name)
        super().__init__()
        if path is not None and not isinstance(path, str):
            path = str(path)  # a pathlib.Path from settings
        try:
            self.engine = Engine(path, config, **engine_options)
        except sqlite3.Error as err:
            raise ConfigurationError(f"The local backend cannot open its database under {path!r}: {err}") from err
        except ValueError as err:
            raise ConfigurationError(f"Bad option for the local backend: {err}") from err
        self.path = path

    @property
    def data_folder(self) -> str | None:
        return self.path

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except sqlite3.OperationalError as err:
            # "database is locked" after busy_timeout, a full disk: worth another try.
            raise BackendError(str(err), retryable=True, backend=self.name) from err
        except sqlite3.Error as err:
            raise BackendError(str(err), retryable=False, backend=self.name) from err

    # -- Backend ---------------------------------------------------------
    def configure_filters(self, filters: Mapping[str, Any]) -> None:
        super().configure_filters(filters)
        self.engine.configure_filters(filters)

    def put_events(self, events: Sequence[Event]) -> None:
        events = list(events)
        if len(events) > self.max_events_per_call:
            raise BackendError(
                f"put_events got {len(events)} events; the limit is {self.max_events_per_call}", backend=self.name
            )
        if events:
            self._call(self.engine.put_events, events)

    def import_events(
        self, events: Iterable[Event], *, progress: Callable[[int, int], Any] | None = None
    ) -> int:
        """Store a history of any length, faster than :meth:`put_events`:
        ``events`` is read once, in chunks of 50,000, each stored in one
        transaction while the next is read, so a generator keeps memory flat.
        An event whose ``event_id`` is already stored is skipped, as
        :meth:`put_events` skips it. Return how many events were new.

        ``progress(read, added)``, when given, is called as chunks are stored
        with the running counts of events stored and of the new among them,
        and once at the end. A failure raises :class:`BackendError` and
        keeps the chunks stored before it (importing again skips them)."""
        return self._call(lambda: self.engine.import_events(events, progress=progress))

    def put_items(self, items: Sequence[Item]) -> None:
        items = list(items)
        if items:
            self._call(self.engine.put_items, items)

    def put_users(self, users: Sequence[User]) -> None:
        users = list(users)
        if users:
            self._call(self.engine.put_users, users)

    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        return self._call(self.engine.recommend, request)

    def rank(self, request: RankingRequest) -> RecommendationList:
        return self._call(self.engine.rank, request)

    def close(self) -> None:
        if getattr(self, "engine", None) is not None:
            self.engine.close()

    # -- the engine's own -------------------------------------------------
    def train(self, background: bool = False) -> Any:
        """Train now and return the :class:`~personalize_sdk.engine.TrainingReport`
        (counts, seconds, each use case ready or not and why); with
        ``background=True`` return a Future of it at once."""
        try:
            return self.engine.train(background=background)
        except sqlite3.Error as err:
            raise BackendError(str(err), retryable=True, backend=self.name) from err

    def report(self) -> Any:
        """The current model's training report."""
        return self.engine.model.report

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete a user's events, the anonymous events of the guest sessions
        joined to them (a ``Login`` event carrying the session id joins it),
        their profile and the lists served to them or to those sessions;
        return the counts (``events``, ``guest_events``, ``sessions``,
        ``users``, ``served``). Another user's events in a shared session stay."""
        if not isinstance(user_id, str) or not user_id:
            raise InvalidRequestError("user_id", "forget_user needs a non-empty string")
        return self._call(self.engine.forget_user, user_id)

    def iter_events(self, *, since: datetime | None = None) -> Iterator[Event]:
        """Every stored event, oldest first (sent at or after ``since`` if given)."""
        return self.engine.iter_events(since=None if since is None else since.timestamp())

    def iter_items(self) -> Iterator[Item]:
        """Every stored item."""
        return self.engine.iter_items()

    def iter_users(self) -> Iterator[User]:
        """Every stored user."""
        return self.engine.iter_users()


__all__ = ["LocalBackend"]
