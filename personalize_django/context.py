"""Who is behind a request: the user id, the session id and consent, resolved
in one place for the decorator, the mixin, model events, tags and the API.

The session id is our own, not Django's ``session_key``: ``login()`` cycles
the session key, but the session's *data* survives ``cycle_key()``, so an id
kept in ``request.session`` stays the same across login and a guest's events
and the user's share it (Personalize joins them through an event carrying
both the session id and the user id; see ``LOGIN_EVENT_TYPE``). Without
Django sessions the id lives in a signed cookie that the decorator, the mixin
and the middleware set on the response.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponseBase

from .conf import personalize_settings
from .registry import registry

logger = logging.getLogger("personalize_django")

_COOKIE_SALT = "personalize_django.session"
_VALID_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
#: session flag: events were recorded for this session while nobody was logged in
GUEST_FLAG_SUFFIX = "_guest"

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "personalize_current_request", default=None
)


def current_request() -> HttpRequest | None:
    """The request being served (set by
    :class:`~personalize_django.middleware.PersonalizeMiddleware`)."""
    return _current_request.get()


def set_current_request(request: HttpRequest | None) -> contextvars.Token:
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token) -> None:
    _current_request.reset(token)


def get_user_id(request: HttpRequest) -> str | None:
    """The id of the logged-in user (through the user registration), or ``None``."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return registry.user_id_for(user)


def get_session_id(request: HttpRequest) -> str:
    """The personalize session id of ``request``, created on first use."""
    cached = getattr(request, "_personalize_session_id", None)
    if cached:
        return cached
    session = getattr(request, "session", None)
    key = personalize_settings.SESSION_KEY
    if session is not None:
        session_id = session.get(key)
        if not (isinstance(session_id, str) and _VALID_ID.fullmatch(session_id)):
            session_id = uuid.uuid4().hex
            session[key] = session_id
    else:
        session_id = _cookie_session_id(request)
    request._personalize_session_id = session_id  # type: ignore[attr-defined]
    return session_id


def peek_session_id(request: HttpRequest) -> str | None:
    """The personalize session id of ``request`` if it has one already;
    ``None`` otherwise (unlike :func:`get_session_id`, never creates one, so
    reading it touches neither the session nor the cookies)."""
    cached = getattr(request, "_personalize_session_id", None)
    if cached:
        return cached
    session = getattr(request, "session", None)
    if session is not None:
        value = session.get(personalize_settings.SESSION_KEY)
    else:
        try:
            value = request.get_signed_cookie(
                personalize_settings.SESSION_COOKIE_NAME, default=None, salt=_COOKIE_SALT
            )
        except signing.BadSignature:
            value = None
    return value if isinstance(value, str) and _VALID_ID.fullmatch(value) else None


def _cookie_session_id(request: HttpRequest) -> str:
    name = personalize_settings.SESSION_COOKIE_NAME
    try:
        value = request.get_signed_cookie(name, default=None, salt=_COOKIE_SALT)
    except signing.BadSignature:
        value = None
    if isinstance(value, str) and _VALID_ID.fullmatch(value):
        return value
    value = uuid.uuid4().hex
    request._personalize_new_cookie = value  # type: ignore[attr-defined]
    return value


def mark_guest_activity(request: HttpRequest) -> None:
    """Remember that this session recorded events as a guest (so login joins them)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    flag = personalize_settings.SESSION_KEY + GUEST_FLAG_SUFFIX
    if not session.get(flag):
        session[flag] = True


def pop_guest_activity(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    if session is None:
        return False
    return bool(session.pop(personalize_settings.SESSION_KEY + GUEST_FLAG_SUFFIX, False))


def set_session_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Set the signed session-id cookie on ``response`` if this request created one."""
    value = getattr(request, "_personalize_new_cookie", None)
    if value and personalize_settings.SESSION_COOKIE_NAME not in response.cookies:
        response.set_signed_cookie(
            personalize_settings.SESSION_COOKIE_NAME,
            value,
            salt=_COOKIE_SALT,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )


def has_consent(request: HttpRequest | None) -> bool:
    """Whether ``CONSENT`` allows recording for ``request`` (``True`` without a request)."""
    if request is None:
        return True
    consent: Any = personalize_settings.CONSENT
    if consent is None:
        return True
    return bool(consent(request))
