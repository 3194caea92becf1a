"""Throttling, on by default: browsers per scope (``events`` for event posts,
``reads`` for recommendations and ranking), trusted services in their own
``trusted`` scope. Rates come from ``API_THROTTLE_RATES`` (DRF rate strings
such as ``"120/min"``; ``None`` turns a scope off). A throttled call is
answered ``429`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ..conf import personalize_settings
from .authentication import is_trusted


class PersonalizeThrottle(SimpleRateThrottle):
    """A scope of ``API_THROTTLE_RATES``, keyed by user (or client address for
    guests: see :meth:`get_ident`)."""

    scope = ""
    #: True: applies to trusted callers only; False: to browsers only
    trusted = False

    def get_rate(self) -> str | None:
        rates = personalize_settings.API_THROTTLE_RATES or {}
        return rates.get(self.scope)

    def get_ident(self, request: Request) -> str:
        """The guest's address: the socket's (``REMOTE_ADDR``) unless
        ``API_TRUSTED_PROXIES`` says how many proxies append to
        ``X-Forwarded-For``; then the address that many hops from its right.
        (DRF's own reads the header whole when ``NUM_PROXIES`` is unset, so a
        client could name itself anything and escape the throttle.)"""
        remote = request.META.get("REMOTE_ADDR", "")
        proxies = int(personalize_settings.API_TRUSTED_PROXIES or 0)
        if proxies <= 0:
            return remote
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) < proxies:
            return remote  # fewer hops than the proxies configured: not through them
        return forwarded[-proxies]

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if is_trusted(request) != self.trusted:
            return None
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"personalize:throttle:{self.scope}:{ident}"


class EventsThrottle(PersonalizeThrottle):
    scope = "events"


class ReadsThrottle(PersonalizeThrottle):
    scope = "reads"


class TrustedThrottle(PersonalizeThrottle):
    scope = "trusted"
    trusted = True
