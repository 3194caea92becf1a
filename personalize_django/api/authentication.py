"""Who is calling: a browser (session cookie) or a trusted service (token).

Browser calls are authenticated by :class:`CsrfSessionAuthentication`, which
enforces CSRF on every unsafe request, for logged-in users *and* guests (a
guest's events are recorded against their session, so a forged post could
still write into it). ``navigator.sendBeacon`` cannot set headers, so the
token may also come as a ``csrf_token`` member of the JSON body; it is read
only when the ``X-CSRFToken`` header is absent, and checked exactly like the
header (cookie, Origin and Referer checks included).

Trusted services authenticate with a token (DRF's ``TokenAuthentication`` by
default) and hold ``API_TRUSTED_PERMISSION``: see :func:`is_trusted`.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from ..conf import personalize_settings

#: body member carrying the CSRF token of a beacon post
BODY_CSRF_FIELD = "csrf_token"


class CsrfSessionAuthentication(SessionAuthentication):
    """Django session authentication that enforces CSRF on unsafe methods for
    every caller, logged in or not (DRF's own does so for logged-in users only)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if request.method not in SAFE_METHODS:
            self._token_from_body(request)
            self.enforce_csrf(request)
        if not user or not user.is_active or not user.is_authenticated:
            return None
        return (user, None)

    @staticmethod
    def _token_from_body(request: Request) -> None:
        meta = request._request.META
        if settings.CSRF_HEADER_NAME in meta:
            return
        data = request.data
        token = data.get(BODY_CSRF_FIELD) if isinstance(data, dict) else None
        if isinstance(token, str) and token:
            meta[settings.CSRF_HEADER_NAME] = token


def default_authentication_classes() -> list[type[BaseAuthentication]]:
    """Token authentication first (when ``rest_framework.authtoken`` is
    installed: a service's POST has no CSRF cookie), then the session."""
    classes: list[type[BaseAuthentication]] = []
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authentication import TokenAuthentication

        classes.append(TokenAuthentication)
    classes.append(CsrfSessionAuthentication)
    return classes


def authentication_classes() -> list[type[BaseAuthentication]]:
    configured = personalize_settings.API_AUTHENTICATION_CLASSES
    if configured is None:
        return default_authentication_classes()
    return [import_string(c) if isinstance(c, str) else c for c in configured]


def is_trusted(request: Request) -> bool:
    """Whether the caller may act for any user: authenticated by something
    other than a session cookie (a browser is never trusted, even a superuser's)
    and holding ``API_TRUSTED_PERMISSION``."""
    cached = getattr(request, "_personalize_trusted", None)
    if cached is not None:
        return cached
    authenticator = request.successful_authenticator
    user = request.user
    trusted = bool(
        authenticator is not None
        and not isinstance(authenticator, SessionAuthentication)
        and user is not None
        and user.is_authenticated
        and user.has_perm(personalize_settings.API_TRUSTED_PERMISSION)
    )
    request._personalize_trusted = trusted  # type: ignore[attr-defined]
    return trusted
