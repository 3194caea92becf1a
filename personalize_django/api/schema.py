"""The OpenAPI schema of this API only (drf-spectacular), whatever else the
project serves with DRF."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.views import SpectacularAPIView


def only_personalize_endpoints(
    endpoints: list[tuple[Any, ...]], **kwargs: Any
) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: keep this package's views (but the schema's own)."""
    kept = []
    for endpoint in endpoints:
        cls = getattr(endpoint[3], "cls", None)
        if (
            cls is not None
            and cls.__module__.startswith(__package__)
            and not issubclass(cls, SpectacularAPIView)
        ):
            kept.append(endpoint)
    return kept


class PersonalizeSchemaView(SpectacularAPIView):
    """``GET schema/``: YAML by default, JSON with ``?format=json`` or
    ``Accept: application/vnd.oai.openapi+json``."""

    custom_settings = {
        "TITLE": "personalize-django API",
        "DESCRIPTION": "Recommendations, ranking and event recording for a Django shop.",
        "VERSION": "1",
        "PREPROCESSING_HOOKS": ["personalize_django.api.schema.only_personalize_endpoints"],
        "COMPONENT_SPLIT_REQUEST": True,
    }


class CsrfSessionScheme(SessionScheme):
    """Documents :class:`~personalize_django.api.authentication.CsrfSessionAuthentication`
    as Django's session cookie (drf-spectacular knows DRF's own class only)."""

    target_class = "personalize_django.api.authentication.CsrfSessionAuthentication"
