"""The OpenAPI schema of this API only (drf-spectacular), whatever else the
project serves with DRF."""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView


def only_personalize_endpoints(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: keep this package's views."""
    return [e for e in endpoints if getattr(getattr(e[3], "cls", None), "__module__", "").startswith(__package__)]


class PersonalizeSchemaView(SpectacularAPIView):
    """``GET schema/``: YAML by default, JSON with ``?format=json`` or ``Accept: application/vnd.oai.openapi+json``."""

    custom_settings = {
        "TITLE": "personalize-django API",
        "DESCRIPTION": "Recommendations, ranking and event recording for a Django shop.",
        "VERSION": "1",
        "PREPROCESSING_HOOKS": ["personalize_django.api.schema.only_personalize_endpoints"],
        "COMPONENT_SPLIT_REQUEST": True,
    }
