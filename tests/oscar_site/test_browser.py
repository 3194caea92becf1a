"""One shopper's journey through the Oscar site in headless Chromium: the
catalogue with its best sellers as Oscar's cards, a product page with its
also-viewed block, the basket; the events share the browser's session."""

from __future__ import annotations

import re

import pytest

from tests.django.browser.conftest import chromium, page  # noqa: F401  (the fixtures)
from tests.oscar_site.conftest import outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline(page):  # noqa: F811
    """Oscar's base template loads jQuery from a CDN; the machine has no
    internet, so outside requests are refused at once instead of timing out."""
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), lambda route: route.abort())
    return page


@pytest.fixture
def views_on_the_request_path(settings):
    """Views written before the response, so the page the browser has shows
    they are in the outbox (no waiting on the server's after-response work)."""
    settings.PERSONALIZE = {**settings.PERSONALIZE, "RECORD_VIEWS_AFTER_RESPONSE": False}


def test_catalogue_product_page_and_basket(
    views_on_the_request_path, live_server, offline, catalogue, backend
):  # the setting first: changing PERSONALIZE makes a new client, so a new backend
    novel, scarf = catalogue["novel"], catalogue["scarf"]
    best_sellers = [str(catalogue[n].pk) for n in ("novel", "atlas", "poem", "mug")]
    backend.set_recommendations("best_sellers", best_sellers)
    backend.set_recommendations("also_viewed", [str(scarf.pk)], item_id=str(novel.pk))

    offline.goto(live_server.url + "/catalogue/", wait_until="domcontentloaded")
    best = offline.locator('[data-personalize-use-case="best_sellers"]')
    assert best.locator("[data-personalize-item-id]").evaluate_all(
        "els => els.map(e => e.dataset.personalizeItemId)"
    ) == best_sellers
    assert best.locator(".product_pod").count() == 4  # Oscar's product card

    best.locator(f'[data-personalize-item-id="{novel.pk}"] h3 a').click()
    offline.wait_for_url(re.compile(re.escape(novel.get_absolute_url()) + "$"))
    also = offline.locator('[data-personalize-use-case="also_viewed"]')
    assert also.locator(".product_pod h3 a").first.get_attribute("title") == scarf.title

    offline.locator("#add_to_basket_form button[type=submit]").click()
    offline.locator(".alert-success").first.wait_for()  # Oscar's "added to your basket"
    events = outbox()
    # Oscar shows the product page again after adding: a second View
    assert [(e["event_type"], e["item_id"]) for e in events] == [
        ("View", str(novel.pk)), ("AddToCart", str(novel.pk)), ("View", str(novel.pk)),
    ]
    assert len({e["session_id"] for e in events}) == 1
