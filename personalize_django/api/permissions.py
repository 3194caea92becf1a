"""Permissions of the API's endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..conf import personalize_settings
from .authentication import is_trusted


class IsTrustedService(BasePermission):
    """Token-authenticated callers holding ``API_TRUSTED_PERMISSION``
    (``personalize.add_outboxevent`` by default): catalogue and user writes."""

    @property
    def message(self) -> str:  # type: ignore[override]
        return (
            "Only trusted services may call this endpoint: "
            "authenticate with a token whose user has "
            f"the {personalize_settings.API_TRUSTED_PERMISSION!r} permission."
        )

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_trusted(request)
