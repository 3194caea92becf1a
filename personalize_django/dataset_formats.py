"""Deprecated alias of :mod:`personalize_django.dataset.formats` (moved in 0.1)."""

import warnings

from .dataset.formats import *  # noqa: F401,F403

warnings.warn(
    "personalize_django.dataset_formats is now personalize_django.dataset.formats",
    DeprecationWarning,
    stacklevel=2,
)
