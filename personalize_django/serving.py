"""Deprecated alias of :mod:`personalize_django.pages` (renamed in 0.1)."""

import warnings

from .pages import *  # noqa: F401,F403
from .pages import (  # noqa: F401
    Identity,
    Recommendations,
    fetch,
    fetch_ranking,
    identity_for,
    rank,
    recommend,
)

warnings.warn(
    "personalize_django.serving is now personalize_django.pages",
    DeprecationWarning,
    stacklevel=2,
)
