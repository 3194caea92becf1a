from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # personalize_django's REST API: recommendations, ranking and browser events.
    path("api/personalize/", include("personalize_django.api.urls")),
    path("", include("catalog.urls")),
]
