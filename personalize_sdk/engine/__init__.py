"""The embedded local engine: storage, training and serving of the five use
cases and ranking, with filters, exploration and real-time personalization.

Importing this package needs numpy and scipy (``pip install
"personalize-django[local]"``); ``personalize_sdk`` itself does not import it.
See ``docs/engine.rst`` for how it works.
"""

from __future__ import annotations

from . import _deps  # noqa: F401  (raises ImproperlyInstalled when numpy/scipy are missing)
from .config import DEFAULT_EVENT_WEIGHTS, EngineConfig
from .engine import Engine
from .model import Model, TrainingReport, UseCaseStatus

__all__ = ["DEFAULT_EVENT_WEIGHTS", "Engine", "EngineConfig", "Model", "TrainingReport", "UseCaseStatus"]
