"""The engine's third-party imports, in one place, so a missing package is
reported as ``pip install "personalize-django[local]"`` rather than a bare
ImportError from deep inside a module."""

from __future__ import annotations

from ..exceptions import ImproperlyInstalled

try:
    import numpy as np
except ModuleNotFoundError as err:  # pragma: no cover - depends on the environment
    raise ImproperlyInstalled("numpy", "local", feature="the local engine") from err
try:
    import scipy.sparse as sp
except ModuleNotFoundError as err:  # pragma: no cover
    raise ImproperlyInstalled("scipy", "local", feature="the local engine") from err

__all__ = ["np", "sp"]
