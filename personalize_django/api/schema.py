"""The OpenAPI schema of this API only (drf-spectacular), whatever else the
project serves with DRF, and its two readers: Swagger UI (``schema/swagger-ui/``)
and Redoc (``schema/redoc/``).

Both readers work offline: their scripts come from drf-spectacular-sidecar
(``pip install "personalize-django[drf]"`` installs it). With
``drf_spectacular_sidecar`` in ``INSTALLED_APPS`` they are served as static
files; without it, from ``schema/assets/`` by this package (only the few
files the two pages load).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.views.static import serve
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .permissions import IsTrustedService

TITLE = "personalize-django API"
#: the files of drf-spectacular-sidecar the two pages load (and their licences)
SIDECAR_ASSETS = frozenset(
    {
        "swagger-ui-dist/swagger-ui.css",
        "swagger-ui-dist/swagger-ui-bundle.js",
        "swagger-ui-dist/swagger-ui-standalone-preset.js",
        "swagger-ui-dist/favicon-32x32.png",
        "swagger-ui-dist/LICENSE",
        "redoc/bundles/redoc.standalone.js",
        "redoc/LICENSE",
    }
)
SIDECAR_APP = "drf_spectacular_sidecar"


def only_personalize_endpoints(
    endpoints: list[tuple[Any, ...]], **kwargs: Any
) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: keep this package's views (but the
    schema's own and its readers)."""
    kept = []
    for endpoint in endpoints:
        cls = getattr(endpoint[3], "cls", None)
        if (
            cls is not None
            and cls.__module__.startswith(__package__)
            and not issubclass(cls, (SpectacularAPIView, SpectacularSwaggerView, SpectacularRedocView))
        ):
            kept.append(endpoint)
    return kept


def close_records(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: an event, item or user takes no
    member but its own (the API refuses any other, naming it)."""
    from .serializers import CLOSED_COMPONENTS

    schemas = result.get("components", {}).get("schemas", {})
    for name in CLOSED_COMPONENTS:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result


class PersonalizeSchemaView(SpectacularAPIView):
    """``GET schema/``: YAML by default, JSON with ``?format=json`` or
    ``Accept: application/vnd.oai.openapi+json``."""

    custom_settings = {
        "TITLE": TITLE,
        "DESCRIPTION": "Recommendations, ranking and event recording for a Django shop.",
        "VERSION": "1",
        "PREPROCESSING_HOOKS": ["personalize_django.api.schema.only_personalize_endpoints"],
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "personalize_django.api.schema.close_records",
        ],
        "COMPONENT_SPLIT_REQUEST": True,
        # 3.1: JSON Schema itself (propertyNames, type lists), so the schema can
        # say what the API accepts
        "OAS_VERSION": "3.1.0",
    }


class CsrfSessionScheme(SessionScheme):
    """Documents :class:`~personalize_django.api.authentication.CsrfSessionAuthentication`
    as Django's session cookie (drf-spectacular knows DRF's own class only)."""

    target_class = "personalize_django.api.authentication.CsrfSessionAuthentication"


class PersonalizeAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, saying that the trusted-service endpoints
    (items/, users/) take token authentication only: a session cookie is
    never trusted (:func:`~personalize_django.api.authentication.is_trusted`)."""

    def get_auth(self) -> list[dict[str, list[Any]]]:
        auth = super().get_auth()
        if not any(isinstance(p, IsTrustedService) for p in self.view.get_permissions()):
            return auth
        tokens = [a for a in auth if a and "cookieAuth" not in a]
        return tokens or auth


def sidecar_folder() -> Path:
    spec = importlib.util.find_spec(SIDECAR_APP)
    if spec is None or not spec.submodule_search_locations:
        raise Http404("drf-spectacular-sidecar is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "static" / SIDECAR_APP


def asset_url(path: str) -> str:
    """Where a page loads a sidecar file from (static files when the app is installed)."""
    if apps.is_installed(SIDECAR_APP):
        return static(f"{SIDECAR_APP}/{path}")
    return reverse("personalize_api:schema-assets", kwargs={"path": path})


def schema_asset(request: HttpRequest, path: str) -> HttpResponse:
    """``GET schema/assets/<path>``: one of :data:`SIDECAR_ASSETS`."""
    if path not in SIDECAR_ASSETS:
        raise Http404(f"{path} is not an asset of the API's docs")
    response = serve(request, path, document_root=str(sidecar_folder()))
    response["Cache-Control"] = "public, max-age=86400"
    return response


class PersonalizeSwaggerView(SpectacularSwaggerView):
    """``GET schema/swagger-ui/``: the schema in Swagger UI (try the calls from the page)."""

    url_name = "personalize_api:schema"
    title = TITLE

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return asset_url(f"swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return asset_url("swagger-ui-dist/favicon-32x32.png")


#: Redoc's page without drf-spectacular's web fonts; the policy keeps the page
#: on this site (Redoc's own footer logo, from its CDN, is refused and hides itself)
REDOC_PAGE = """<!DOCTYPE html>
<html><head><title>{title}</title><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ margin: 0; padding: 0; }}</style></head>
<body><div id="redoc-container"></div><script src="{script}"></script>
<script>Redoc.init({schema}, {{}}, document.getElementById("redoc-container"))</script>
</body></html>"""
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:"
)


class PersonalizeRedocView(SpectacularRedocView):
    """``GET schema/redoc/``: the schema as a Redoc page."""

    url_name = "personalize_api:schema"
    title = TITLE

    @extend_schema(exclude=True)
    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        page = REDOC_PAGE.format(
            title=escape(self.title),
            script=escape(asset_url("redoc/bundles/redoc.standalone.js")),
            # a JavaScript string: JSON, with "<" escaped so no "</script>" can end the block
            schema=json.dumps(self._get_schema_url(request)).replace("<", "\\u003c"),
        )
        response = HttpResponse(page, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = DOCS_POLICY
        return response


class DocumentedFieldExtension(OpenApiSerializerFieldExtension):
    """The schema of a :class:`~personalize_django.api.serializers.DocumentedField`,
    computed from the settings of the moment (the configured filters, the batch cap)."""

    target_class = "personalize_django.api.serializers.DocumentedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        mapped = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return self.target.openapi(mapped)
