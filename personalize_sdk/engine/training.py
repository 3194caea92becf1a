"""Training without stopping the shop: the model holder and the trainer.

:class:`ModelHolder` owns the one reference to the current model. Training
builds a complete new :class:`~personalize_sdk.engine.model.Model` off to the
side and then replaces that reference in one assignment, so a request that
already holds the old model finishes with it and the next one gets the new
model; nobody waits and nobody sees half a model.

With a folder, the model is also saved as ``model.pickle`` (written to a
temporary file, then moved into place with ``os.replace``, which is atomic),
and every process using the folder picks up a model trained by another
process (``manage.py personalize_train``, a Celery worker) within about a
second, loading it in the background.

:class:`Trainer` runs training: now (``train()``), in a background thread
(``train(background=True)``), every ``retrain_interval`` seconds when new
events arrived, or after every ``retrain_every_events`` new events. One
training runs at a time; requests for more while one runs are merged into a
single follow-up run.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import threading
import time
from concurrent.futures import Future
from typing import Callable

from .model import Model, TrainingReport

logger = logging.getLogger("personalize_sdk.engine")

MODEL_FILENAME = "model.pickle"
#: bumped when the pickled layout changes; older files are ignored (and retrained)
FORMAT = 1


class ModelHolder:
    """The current model, swapped atomically, persisted under ``folder``."""

    def __init__(self, initial: Model, folder: str | None = None, *, reload_check: float = 1.0) -> None:
        self._model = initial
        self.folder = folder
        self.reload_check = reload_check
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._next_check = 0.0
        self._loading = False
        if folder is not None:
            self._load_from_disk()

    @property
    def path(self) -> str | None:
        return os.path.join(self.folder, MODEL_FILENAME) if self.folder else None

    def get(self) -> Model:
        """The current model (checking, at most once per ``reload_check`` seconds,
        whether another process saved a newer one)."""
        if self.folder is not None and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.reload_check
            self._maybe_reload()
        return self._model

    def swap(self, model: Model) -> None:
        """Make ``model`` current (and save it when there is a folder)."""
        if self.folder is not None:
            self._save(model)
        self._model = model

    def swap_if_untrained(self, model: Model) -> None:
        """Replace a placeholder model (never saved), unless training got there first."""
        with self._lock:
            if self._model.version == "untrained":
                self._model = model

    def refresh(self) -> bool:
        """Load a model saved by another process now, in the calling thread;
        ``True`` if a newer one was loaded."""
        if self.folder is None or self._file_stamp() in (None, self._stamp):
            return False
        return self._load_from_disk()

    # -- persistence -----------------------------------------------------
    def _file_stamp(self) -> int | None:
        try:
            return os.stat(self.path).st_mtime_ns  # type: ignore[arg-type]
        except FileNotFoundError:
            return None

    def _save(self, model: Model) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((FORMAT, model), handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)  # type: ignore[arg-type]
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        with self._lock:
            self._stamp = self._file_stamp()

    def _load_from_disk(self) -> bool:
        stamp = self._file_stamp()
        if stamp is None:
            return False
        try:
            # The file is written only by this engine, in the shop's own data folder.
            with open(self.path, "rb") as handle:  # type: ignore[arg-type]
                fmt, model = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError) as err:
            logger.warning("ignoring the saved model %s: %s", self.path, err)
            return False
        if fmt != FORMAT or not isinstance(model, Model):
            logger.warning("ignoring the saved model %s: written by another version", self.path)
            return False
        with self._lock:
            self._stamp = stamp
            self._model = model
        return True

    def _maybe_reload(self) -> None:
        stamp = self._file_stamp()
        with self._lock:
            if stamp is None or stamp == self._stamp or self._loading:
                return
            self._loading = True

        def load() -> None:
            try:
                self._load_from_disk()
            finally:
                self._loading = False

        threading.Thread(target=load, name="personalize-model-load", daemon=True).start()


class Trainer:
    """Runs ``build()`` and swaps its result into ``holder``, one run at a time."""

    def __init__(
        self,
        build: Callable[[], Model],
        holder: ModelHolder,
        *,
        retrain_every_events: int | None = None,
        retrain_interval: float | None = None,
        has_new_events: Callable[[], bool] = lambda: True,
    ) -> None:
        self._build = build
        self.holder = holder
        self.retrain_every_events = retrain_every_events
        self.retrain_interval = retrain_interval
        self._has_new_events = has_new_events
        self._run_lock = threading.Lock()      # one training at a time
        self._state_lock = threading.Lock()
        self._pending: Future | None = None     # the follow-up run promised to waiting callers
        #: the future of the latest background run that was asked for
        self.last_future: Future | None = None
        self._running = False
        self._since_training = 0
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        if retrain_interval:
            self._timer = threading.Thread(target=self._tick, name="personalize-retrain-timer", daemon=True)
            self._timer.start()

    def train(self) -> TrainingReport:
        """Train now, in the calling thread; other requests keep being served."""
        with self._run_lock:
            with self._state_lock:
                self._since_training = 0
            model = self._build()
            self.holder.swap(model)
            logger.info("trained the local engine: %s", model.report)
            return model.report

    def train_in_background(self) -> "Future[TrainingReport]":
        """Start a training thread (or join the one about to start); return its future."""
        with self._state_lock:
            if self._pending is not None:
                return self._pending
            future: Future = Future()
            self._pending = self.last_future = future
            start = not self._running
            self._running = True
        if start:
            threading.Thread(target=self._background_loop, name="personalize-train", daemon=True).start()
        return future

    def _background_loop(self) -> None:
        while True:
            with self._state_lock:
                future, self._pending = self._pending, None
                if future is None:
                    self._running = False
                    return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self.train())
            except BaseException as err:  # reported through the future, logged for background callers
                logger.exception("background training of the local engine failed")
                future.set_exception(err)

    def note_events(self, count: int) -> None:
        """Count newly stored events; start a background run every ``retrain_every_events``."""
        if not self.retrain_every_events or count <= 0:
            return
        with self._state_lock:
            self._since_training += count
            due = self._since_training >= self.retrain_every_events
            if due:
                self._since_training = 0
        if due:
            self.train_in_background()

    def _tick(self) -> None:
        while not self._stop.wait(self.retrain_interval):
            try:
                if self._has_new_events():
                    self.train_in_background()
            except Exception:
                logger.exception("the local engine's retraining timer failed")

    def close(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout)
        # Wait for a training in progress, so the store is not closed under it.
        if self._run_lock.acquire(timeout=-1 if timeout is None else timeout):
            self._run_lock.release()
