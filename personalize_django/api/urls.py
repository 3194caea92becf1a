"""Mount the API with one include::

    path("api/personalize/", include("personalize_django.api.urls")),

URL names live in the ``personalize_api`` namespace (``personalize_api:events``...).
"""

from __future__ import annotations

from django.urls import path

from . import views
from . import writes
from .schema import (
    PersonalizeRedocView,
    PersonalizeSchemaView,
    PersonalizeSwaggerView,
    schema_asset,
)

app_name = "personalize_api"

urlpatterns = [
    path(
        "recommendations/<str:use_case>/",
        views.RecommendationsView.as_view(),
        name="recommendations",
    ),
    path("ranking/", views.RankingView.as_view(), name="ranking"),
    path("events/", writes.EventsView.as_view(), name="events"),
    path("items/", writes.ItemsView.as_view(), name="items"),
    path("users/", writes.UsersView.as_view(), name="users"),
    path("schema/", PersonalizeSchemaView.as_view(), name="schema"),
    path("schema/swagger-ui/", PersonalizeSwaggerView.as_view(), name="swagger-ui"),
    path("schema/redoc/", PersonalizeRedocView.as_view(), name="redoc"),
    path("schema/assets/<path:path>", schema_asset, name="schema-assets"),
]
