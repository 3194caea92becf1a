"""Swagger UI and Redoc in a real browser, with no network but this site's."""

from __future__ import annotations

import pytest

pytest.importorskip("drf_spectacular_sidecar")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def local_only(page, live_server):
    """Refuse every request that is not to the test server (a CDN would fail)."""
    outside = []

    def route(route_):
        if route_.request.url.startswith(live_server.url):
            route_.continue_()
        else:
            outside.append(route_.request.url)
            route_.abort()

    page.route("**/*", route)
    return outside


def test_swagger_ui_lists_the_operations(page, live_server, local_only):
    page.goto(live_server.url + "/api/personalize/schema/swagger-ui/")
    page.locator(".opblock").first.wait_for()
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/personalize/recommendations/{use_case}/" in summaries
    assert "/api/personalize/items/" in summaries
    assert local_only == []


def test_redoc_renders_the_schema(page, live_server, local_only):
    page.goto(live_server.url + "/api/personalize/schema/redoc/")
    page.get_by_text("personalize-django API").first.wait_for()
    assert page.locator("[data-section-id]").count() > 0
    assert local_only == []
