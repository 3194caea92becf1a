"""The console's URLs, hooked into an admin site.

    from personalize_django.console.urls import install
    install(my_admin_site)   # personalize_django.admin does it for admin.site

puts the pages at ``<admin>/personalize/console/overview/``, ``preview/``,
``training/`` and ``performance/`` (URL names ``admin:personalize_console_<page>``)
and lists them under the app in the admin's index.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse

from . import views
from .views import PAGES

#: the app label the pages sit under (the outbox's)
APP_LABEL = "personalize"


def console_urls(site: AdminSite) -> list[URLPattern]:
    """The console's URL patterns, each view wrapped by ``site.admin_view``
    (staff only, the login page otherwise)."""
    page_views = {
        "overview": views.OverviewView,
        "preview": views.PreviewView,
        "training": views.TrainingView,
        "performance": views.PerformanceView,
    }
    return [
        path(
            f"{APP_LABEL}/console/{page}/",
            site.admin_view(page_views[page].as_view(admin_site=site)),
            name=f"personalize_console_{page}",
        )
        for page, _title in PAGES
    ]


def console_links(site: AdminSite, request: HttpRequest) -> list[dict[str, Any]]:
    """The pages as entries of the admin's app list (shown to those who may see them)."""
    if not views.may_view(request.user):
        return []
    return [
        {
            "name": f"Console: {title.lower()}",
            "object_name": f"Console{title}",
            "perms": {"view": True},
            "admin_url": reverse(f"{site.name}:personalize_console_{page}"),
            "add_url": None,
            "view_only": True,
        }
        for page, title in PAGES
    ]


def install(site: AdminSite) -> None:
    """Serve the console under ``site`` and list its pages in the app list.
    Installing twice changes nothing."""
    if getattr(site, "_personalize_console", False):
        return
    site._personalize_console = True  # type: ignore[attr-defined]
    get_urls = site.get_urls
    get_app_list = site.get_app_list

    def urls_with_console() -> list[Any]:
        # First: the admin's own patterns end in a catch-all.
        return console_urls(site) + get_urls()

    def app_list_with_console(request: HttpRequest, app_label: str | None = None) -> list:
        app_list = get_app_list(request, app_label)
        links = console_links(site, request)
        for app in app_list:
            if app["app_label"] == APP_LABEL and links:
                app["models"] = links + list(app["models"])
        return app_list

    site.get_urls = urls_with_console  # type: ignore[method-assign]
    site.get_app_list = app_list_with_console  # type: ignore[method-assign]
