"""Training without stopping the shop: the model holder and the trainer.

:class:`ModelHolder` owns the one reference to the current model. Training
builds a complete new :class:`~personalize_sdk.engine.model.Model` off to the
side and then replaces that reference in one assignment, so a request that
already holds the old model finishes with it and the next one gets the new
model; nobody waits and nobody sees half a model.

With a folder, the model is also saved (see :mod:`.persistence`: its arrays
as ``.npy`` files that every process maps into memory, so the gunicorn
workers and Celery processes of a machine share one copy; ``model.pickle``,
moved into place with ``os.replace``, which is atomic, names them), and
every process using the folder picks up a model trained by another process
(``manage.py personalize_train``, a Celery worker) within about a second,
loading it in the background. A model trained while the old one serves
costs the memory of its training only: the old one is mapped, and the
trainer's own copy is swapped for the mapped one once saved.

:class:`Trainer` runs training: now (``train()``), in a background thread
(``train(background=True)``), every ``retrain_interval`` seconds when new
events arrived, or after every ``retrain_every_events`` new events. One
training runs at a time; requests for more while one runs are merged into a
single follow-up run.
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from ._deps import np
from .model import Model, TrainingReport

logger = logging.getLogger("personalize_sdk.engine")

MODEL_FILENAME = "model.pickle"
#: the folder of the saved models' arrays, one sub-folder per saved model
ARRAYS_FOLDER = "models"
#: bumped when the saved layout changes; older files are ignored (and retrained)
FORMAT = 2
#: the first bytes of a saved model (an older ``model.pickle`` starts otherwise,
#: and is ignored without being unpickled)
MAGIC = b"personalize-model %d\n" % FORMAT
#: arrays smaller than this stay in the pickle (a file each would cost more than it shares)
MAPPED_MIN_BYTES = 1024
#: an unfinished save (its writer died) is removed after this many seconds
ABANDONED_AFTER = 3600.0


def model_path(folder: str) -> str:
    return os.path.join(folder, MODEL_FILENAME)


class _ArrayPickler(pickle.Pickler):
    """Pickles everything but numpy arrays, which go to ``.npy`` files: any
    array anywhere in the model (fields, dicts, nested dataclasses, the
    ``data``/``indices``/``indptr`` of a scipy sparse matrix) is found by
    pickle's own walk, so a field added to the model is mapped too."""

    def __init__(self, handle: Any, folder: str) -> None:
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.folder = folder
        self.count = 0

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, np.ndarray) or obj.dtype.hasobject or obj.nbytes < MAPPED_MIN_BYTES:
            return None
        name = f"{self.count}.npy"
        self.count += 1
        with open(os.path.join(self.folder, name), "wb") as handle:
            np.save(handle, obj, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        return name


class _ArrayUnpickler(pickle.Unpickler):
    def __init__(self, handle: Any, folder: str) -> None:
        super().__init__(handle)
        self.folder = folder

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, str) or os.sep in pid or "/" in pid or not pid.endswith(".npy"):
            raise pickle.UnpicklingError(f"unexpected array reference {pid!r}")
        # Read-only, shared by every process mapping the file; a plain ndarray
        # view (the mapping stays alive as its base) keeps arithmetic on it fast.
        return np.load(os.path.join(self.folder, pid), mmap_mode="r", allow_pickle=False).view(np.ndarray)


def save_model(model: Model, folder: str) -> None:
    """Save ``model`` under ``folder``: its arrays in a new sub-folder of
    ``models/``, then ``model.pickle`` (the rest, naming that sub-folder)
    moved into place with ``os.replace``. A reader sees the old model or the
    new one, never a mix; the other sub-folders are then removed (a process
    still serving from one keeps its mapped pages until it reloads, on POSIX;
    where a mapped file cannot be removed, a later save removes it)."""
    root = os.path.join(folder, ARRAYS_FOLDER)
    os.makedirs(root, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".saving-", dir=root)
    fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC)
            name = f"{time.time_ns():020d}-{model.version}"
            pickle.dump(name, handle, protocol=pickle.HIGHEST_PROTOCOL)
            _ArrayPickler(handle, work).dump(model)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(work, os.path.join(root, name))  # complete: only now does it look like a saved model
        os.replace(tmp, model_path(folder))
    except BaseException:
        for leftover in (tmp,):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
        shutil.rmtree(work, ignore_errors=True)
        raise
    _remove_others(root, keep=name)


def _remove_others(root: str, keep: str) -> None:
    for entry in os.listdir(root):
        path = os.path.join(root, entry)
        if entry == keep:
            continue
        if entry.startswith(".saving-"):
            # Another process may be saving right now; only an old one was abandoned.
            try:
                if time.time() - os.stat(path).st_mtime < ABANDONED_AFTER:
                    continue
            except FileNotFoundError:
                continue
        shutil.rmtree(path, ignore_errors=True)


def load_model(folder: str) -> Model | None:
    """The model saved under ``folder``, its arrays memory-mapped (read-only);
    ``None`` for a file of another format (an older version's ``model.pickle``).
    Raises :class:`FileNotFoundError` when there is none, or when its arrays
    were removed by a newer save between the reads."""
    with open(model_path(folder), "rb") as handle:
        # The file is written only by this engine, in the shop's own data folder.
        if handle.read(len(MAGIC)) != MAGIC:
            return None
        name = pickle.load(handle)
        arrays = os.path.join(folder, ARRAYS_FOLDER, name)
        if not os.path.isdir(arrays):
            raise FileNotFoundError(arrays)
        model = _ArrayUnpickler(handle, arrays).load()
    return model if isinstance(model, Model) else None


def is_mapped(array: Any) -> bool:
    """Whether ``array``'s memory is a file mapping (a saved model's array)."""
    while array is not None:
        if isinstance(array, mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False


class ModelHolder:
    """The current model, swapped atomically, persisted under ``folder``."""

    def __init__(self, initial: Model, folder: str | None = None, *, reload_check: float = 1.0) -> None:
        self._model = initial
        self.folder = folder
        self.reload_check = reload_check
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._next_check = 0.0
        self._loading = False
        if folder is not None:
            self._load_from_disk()

    @property
    def path(self) -> str | None:
        return model_path(self.folder) if self.folder else None

    def get(self) -> Model:
        """The current model (checking, at most once per ``reload_check`` seconds,
        whether another process saved a newer one)."""
        if self.folder is not None and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.reload_check
            self._maybe_reload()
        return self._model

    def swap(self, model: Model) -> None:
        """Make ``model`` current (and save it when there is a folder).

        Saved, the model is read back memory-mapped: this process then serves
        from the same pages as every other process of the machine, and the
        arrays built in memory are freed once the caller drops ``model``."""
        if self.folder is not None:
            self._save(model)
            try:
                mapped = load_model(self.folder)
            except (OSError, EOFError, pickle.UnpicklingError, ValueError) as err:  # serve the built one
                logger.warning("could not map the model just saved in %s: %s", self.folder, err)
                mapped = None
            if mapped is not None and mapped.version == model.version:
                model = mapped
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
    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            # os.replace gives the file a new inode: a new model, however close in time.
            info = os.stat(self.path)  # type: ignore[arg-type]
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def _save(self, model: Model) -> None:
        save_model(model, self.folder)  # type: ignore[arg-type]
        with self._lock:
            self._stamp = self._file_stamp()

    def _load_from_disk(self) -> bool:
        for attempt in range(3):
            stamp = self._file_stamp()
            if stamp is None:
                return False
            try:
                model = load_model(self.folder)  # type: ignore[arg-type]
            except FileNotFoundError:
                # Another process saved a newer model and removed this one's
                # arrays between our two reads: read the new one.
                if attempt < 2:
                    continue
                logger.warning("ignoring the saved model %s: its arrays were removed", self.path)
                return False
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError) as err:
                return self._ignore(stamp, str(err))
            if model is None:
                return self._ignore(stamp, "written by another version")
            with self._lock:
                self._stamp = stamp
                self._model = model
            return True
        return False

    def _ignore(self, stamp: tuple[int, int, int], why: str) -> bool:
        # Remember the file, so that it is not read (nor reported) again every second.
        logger.warning("ignoring the saved model %s: %s", self.path, why)
        with self._lock:
            self._stamp = stamp
        return False

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
