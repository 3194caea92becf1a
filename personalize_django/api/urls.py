"""Mount the API with one include::

    path("api/personalize/", include("personalize_django.api.urls")),

URL names live in the ``personalize_api`` namespace (``personalize_api:events``...).
"""

from __future__ import annotations

from django.urls import path

from . import views
from .schema import PersonalizeSchemaView

app_name = "personalize_api"

urlpatterns = [
    path(
        "recommendations/<str:use_case>/",
        views.RecommendationsView.as_view(),
        name="recommendations",
    ),
    path("ranking/", views.RankingView.as_view(), name="ranking"),
    path("events/", views.EventsView.as_view(), name="events"),
    path("items/", views.ItemsView.as_view(), name="items"),
    path("users/", views.UsersView.as_view(), name="users"),
    path("schema/", PersonalizeSchemaView.as_view(), name="schema"),
]
