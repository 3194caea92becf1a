"""``TrackItemViewMixin``: record a View for the object a class-based view shows.

::

    class ProductDetail(TrackItemViewMixin, DetailView):
        model = Product

The mixin uses ``self.object`` (set by ``DetailView.get``), so it costs no
query; override :meth:`get_tracked_item` for views that show something else.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from .context import set_session_cookie
from .decorators import is_success, track_view


class TrackItemViewMixin:
    """Put it before the view class: ``class V(TrackItemViewMixin, DetailView)``."""

    #: the event type recorded (``None``: the ``VIEW_EVENT_TYPE`` setting)
    personalize_event_type: str | None = None
    #: write the View once the response has been sent (``None``: the
    #: ``RECORD_VIEWS_AFTER_RESPONSE`` setting)
    personalize_write_after_response: bool | None = None

    def get_tracked_item(self) -> Any:
        """The item shown: ``self.object`` (an instance or an id), or ``None`` to record nothing."""
        return getattr(self, "object", None)

    def get_tracked_properties(self) -> dict[str, Any] | None:
        """Event properties to record with the view (none by default)."""
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if is_success(request, response):
            track_view(
                request,
                self.get_tracked_item(),
                response=response,
                event_type=self.personalize_event_type,
                properties=self.get_tracked_properties(),
                write_after_response=self.personalize_write_after_response,
            )
            set_session_cookie(request, response)
        return response
