"""personalize_django: the Django app over personalize_sdk.

Add ``"personalize_django"`` to ``INSTALLED_APPS`` and configure ``PERSONALIZE``
in settings; see the docs for the rest. Importing the package touches neither
models nor settings: the names below are imported on first use::

    import personalize_django as personalize
    personalize.register_item(Product, properties={"PRICE": "price"})
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "register_item": "registry",
    "register_user": "registry",
    "register_event": "registry",
    "unregister": "registry",
    "resync": "receivers",
    "record_event": "recording",
    "track_item_view": "decorators",
    "TrackItemViewMixin": "mixins",
    "get_client": "client",
    "personalize_settings": "conf",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
