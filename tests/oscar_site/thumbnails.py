"""A thumbnailer for the test site, which has no image library installed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from oscar.core.thumbnails import AbstractThumbnailer


class NoThumbnailer(AbstractThumbnailer):
    """Gives every image its own URL as its thumbnail."""

    def generate_thumbnail(self, source: Any, **opts: Any) -> Any:
        return SimpleNamespace(url=getattr(source, "url", ""))

    def delete_thumbnails(self, source: Any) -> None:
        return None
