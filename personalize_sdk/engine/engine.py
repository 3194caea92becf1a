"""The engine as one object: storage, the current model, training and serving.

:class:`~personalize_sdk.backends.local.LocalBackend` is a thin adapter over
:class:`Engine`; scripts and the bench may use the engine directly.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ..records import Event, Item, User
from ..recommendations import RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest
from . import model as model_module
from .config import EngineConfig
from .filtering import FilterSet
from .model import Model, TrainingReport
from .popularity import StoredCounts
from .scoring import Scorer
from .store import Store
from .training import ModelHolder, Trainer


class Engine:
    """The embedded recommender.

    ``path`` is a folder for the database and the saved model (``None``: in
    memory). ``config`` holds the model settings (see
    :class:`~personalize_sdk.engine.config.EngineConfig`).

    ``auto_train`` (default ``True``) lets the engine train by itself: once in
    the background when it is asked for recommendations, holds events and has
    never trained; then every ``retrain_every_events`` new events and every
    ``retrain_interval`` seconds (when new events arrived), if those are set.
    """

    def __init__(
        self,
        path: str | None = None,
        config: EngineConfig | None = None,
        *,
        synchronous: str = "NORMAL",
        auto_train: bool = True,
        retrain_every_events: int | None = None,
        retrain_interval: float | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.store = Store(path, synchronous=synchronous)
        self.filters = FilterSet()
        self.stored_counts = StoredCounts(self.store, self.config)
        self.scorer = Scorer(self.store, self.config, self.filters, self.stored_counts)
        self.holder = ModelHolder(model_module.untrained(self.store, self.config), path)
        self.auto_train = auto_train
        self._trained_seq = self.store.max_seq() if self.holder.get().version != "untrained" else 0
        self._first_train_started = False
        self._catalogue_changed = False
        self._lock = threading.Lock()
        self.trainer = Trainer(
            self._build,
            self.holder,
            retrain_every_events=retrain_every_events if auto_train else None,
            retrain_interval=retrain_interval if auto_train else None,
            has_new_events=lambda: self.store.max_seq() > self._trained_seq,
        )

    # -- data ------------------------------------------------------------
    def put_events(self, events: Sequence[Event]) -> int:
        """Store ``events`` durably; return how many were new (repeated ids are ignored)."""
        added = self.store.add_events(events)
        self.trainer.note_events(added)
        return added

    def import_events(
        self, events: Iterable[Event], *, progress: Callable[[int, int], Any] | None = None
    ) -> int:
        """Store a history of any length in large transactions (see
        :meth:`Store.import_events`); return how many events were new."""
        added = self.store.import_events(events, progress=progress)
        self.trainer.note_events(added)
        return added

    def put_items(self, items: Sequence[Item], *, imported: bool = False) -> None:
        """Store ``items`` (``imported``: from a bulk import; see :meth:`Store.put_items`)."""
        self.store.put_items(items, imported=imported)
        self._catalogue_changed = True

    def put_users(self, users: Sequence[User], *, imported: bool = False) -> None:
        self.store.put_users(users, imported=imported)

    def delete_imported(self, kind: str) -> int:
        """Delete the items or users a bulk import stored (before an import
        in FULL mode replaces them); those put one by one stay."""
        deleted = self.store.delete_imported(kind)
        if kind == "items":
            self._catalogue_changed = True
        return deleted

    def delete_events_by_id_prefix(self, prefix: str) -> int:
        """Delete the events whose id starts with ``prefix`` (a bulk import's,
        before an import in FULL mode replaces them); the model forgets them
        at the next training."""
        deleted = self.store.delete_events_by_id_prefix(prefix)
        self.stored_counts.reset()
        return deleted

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete the user's events, the guest events of the sessions joined to
        them, their profile and served lists (the model forgets them at the
        next training); return the counts deleted (see :meth:`Store.forget_user`)."""
        deleted = self.store.forget_user(user_id)
        self.stored_counts.reset()
        return deleted

    def iter_events(self, *, since: float | None = None) -> Iterator[Event]:
        return self.store.iter_events(since=since)

    def iter_items(self) -> Iterator[Item]:
        return self.store.iter_items()

    def iter_users(self) -> Iterator[User]:
        return self.store.iter_users()

    def configure_filters(self, filters: Mapping[str, Any]) -> None:
        self.filters.configure(filters)

    # -- model -----------------------------------------------------------
    @property
    def model(self) -> Model:
        return self.holder.get()

    def _build(self) -> Model:
        upto = self.store.max_seq()
        built = model_module.build(self.store, self.config, upto_seq=upto)
        self._trained_seq = max(self._trained_seq, upto)
        return built

    def train(self, background: bool = False) -> TrainingReport | "Future[TrainingReport]":
        """Train on everything stored so far. With ``background=True`` return a
        :class:`~concurrent.futures.Future` at once; requests are served from
        the previous model until the new one is swapped in."""
        if background:
            return self.trainer.train_in_background()
        return self.trainer.train()

    def _current(self) -> Model:
        model = self.holder.get()
        if model.version == "untrained":
            # Before the first training, fallbacks show the popular items of the
            # events stored so far, out of the catalogue and every item of an event.
            new_items = self.stored_counts.refresh()
            if self._catalogue_changed or new_items:
                self._catalogue_changed = False
                model = model_module.untrained(self.store, self.config, self.stored_counts.item_ids())
                self.holder.swap_if_untrained(model)
                model = self.holder.get()
        self._maybe_first_training(model)
        return model

    def _maybe_first_training(self, model: Model) -> None:
        if not self.auto_train or model.version != "untrained" or self._first_train_started:
            return
        with self._lock:
            if self._first_train_started:
                return
            self._first_train_started = True
        if self.store.max_seq() > 0:
            self.trainer.train_in_background()

    # -- serving ---------------------------------------------------------
    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        return self.scorer.recommend(self._current(), request)

    def rank(self, request: RankingRequest) -> RecommendationList:
        return self.scorer.rank(self._current(), request)

    def close(self) -> None:
        self.trainer.close()
        self.store.close()
