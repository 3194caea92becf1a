"""Deprecated alias of :mod:`personalize_django.dataset.records` and
:mod:`personalize_django.dataset.skipped` (moved in 0.1)."""

import warnings

from .dataset.records import *  # noqa: F401,F403
from .dataset.skipped import *  # noqa: F401,F403

warnings.warn(
    "personalize_django.datasets is now personalize_django.dataset.records "
    "(Skipped and merge_findings: personalize_django.dataset.skipped)",
    DeprecationWarning,
    stacklevel=2,
)
