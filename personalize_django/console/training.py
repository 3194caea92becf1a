"""Training from the console: "train now", the last report and the history.

:func:`train_now` trains the backend (``can_train``), computes the offline
metrics (:mod:`.metrics`) and keeps an entry of the training. The history is
kept next to the local engine's data (``console-trainings.jsonl`` in its
``path``: it goes when the engine's folder goes), or in Django's cache when
the backend has no folder (an in-memory engine).

The page's button runs it through Celery when a worker runs tasks (the task
is :func:`personalize_django.console.tasks.train_model`), inline when tasks
run eagerly or Celery is not used (:func:`personalize_django.console.views.start_training`).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from personalize_sdk.backends import Backend, CapabilityError

from ..client import get_backend
from .metrics import offline_metrics

HISTORY_FILE = "console-trainings.jsonl"
CACHE_KEY = "personalize:console:trainings"
#: entries kept (the oldest go first)
HISTORY_LIMIT = 100
_lock = threading.Lock()


def _history_path(backend: Backend) -> Path | None:
    folder = backend.data_folder
    return Path(folder) / HISTORY_FILE if folder else None


def history(backend: Backend | None = None) -> list[dict[str, Any]]:
    """The trainings kept, newest first."""
    backend = backend or get_backend()
    path = _history_path(backend)
    if path is None:
        entries = list(cache.get(CACHE_KEY) or [])
    elif path.exists():
        with path.open(encoding="utf-8") as lines:
            entries = [json.loads(line) for line in lines if line.strip()]
    else:
        entries = []
    return list(reversed(entries[-HISTORY_LIMIT:]))


def keep(entry: dict[str, Any], backend: Backend | None = None) -> None:
    """Add ``entry`` to the history."""
    backend = backend or get_backend()
    path = _history_path(backend)
    with _lock:
        if path is None:
            entries = list(cache.get(CACHE_KEY) or [])[-(HISTORY_LIMIT - 1) :]
            cache.set(CACHE_KEY, [*entries, entry], None)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, sort_keys=True) + "\n")


def train_now(trigger: str = "console", user: str = "") -> dict[str, Any]:
    """Train the backend, measure the new model, keep and return the history entry.

    Raises :class:`~personalize_sdk.backends.CapabilityError` for a backend
    that cannot train."""
    backend = get_backend()
    if not backend.can_train:
        raise CapabilityError(backend.display_name, "can_train", "train a model")
    started = timezone.now()
    entry: dict[str, Any] = {"at": started.isoformat(), "trigger": trigger, "user": user}
    try:
        report = backend.train()
    except Exception as err:
        entry["error"] = f"{type(err).__name__}: {err}"
        keep(entry, backend)
        raise
    entry["report"] = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    entry["metrics"] = offline_metrics(backend).to_dict()
    keep(entry, backend)
    return entry
