"""``PersonalizeMiddleware`` (optional): makes the request known to model
events recorded while it is served, so a Purchase created at checkout carries
the shopper's session id (the one their Views carried), and sets the
session-id cookie for sites without Django sessions.

Add it after ``AuthenticationMiddleware``::

    MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                  "personalize_django.middleware.PersonalizeMiddleware", ...]
"""

from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponseBase

from .context import reset_current_request, set_current_request, set_session_cookie


class PersonalizeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = set_current_request(request)
        try:
            response = self.get_response(request)
        finally:
            reset_current_request(token)
        set_session_cookie(request, response)
        return response
