"""The product page with its recommendation blocks, as Oscar's product
cards, costs a bounded number of queries whatever the number of cards."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

pytestmark = pytest.mark.django_db

#: the product page's queries with both blocks showing four cards: Oscar's
#: page alone makes 19 here (the product, its images, stock, reviews, the
#: category menu, the View's outbox row); each block adds 5 (the products,
#: their stock records, images, public variants and the variants' stock
#: records), however many cards it shows
PRODUCT_PAGE_QUERIES = 29

LISTS = {
    "also_viewed": ("atlas", "scarf", "poem", "shirt"),
    "bought_together": ("mug", "pen", "hat", "sock"),
}


def script(backend, catalogue, cards: int) -> list[str]:
    """Both blocks answer with ``cards`` products each; returns their ids."""
    novel, shown = catalogue["novel"], []
    for use_case, names in LISTS.items():
        ids = [str(catalogue[n].pk) for n in names[:cards]]
        backend.set_recommendations(use_case, ids, item_id=str(novel.pk))
        shown += ids
    return shown


def product_page(client, catalogue) -> tuple[int, str]:
    url = catalogue["novel"].get_absolute_url()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_blocks_render_as_oscar_product_cards(client, catalogue, backend):
    shown = script(backend, catalogue, 4)
    _, html = product_page(client, catalogue)
    sections = re.findall(r'<section class="personalize-block.*?</section>', html, re.S)
    use_cases = [re.search(r'data-personalize-use-case="(\w+)"', s).group(1) for s in sections]
    assert use_cases == list(LISTS)
    assert re.findall(r'data-personalize-item-id="(\d+)"', "".join(sections)) == shown
    assert "".join(sections).count('class="product_pod"') == 8  # Oscar's card


def test_product_page_queries_do_not_grow_with_the_cards(client, catalogue, backend):
    client.get(catalogue["novel"].get_absolute_url())  # the session and basket exist from here on
    script(backend, catalogue, 1)
    one_card_each, _ = product_page(client, catalogue)
    script(backend, catalogue, 4)
    four_cards_each, _ = product_page(client, catalogue)
    assert four_cards_each == one_card_each


def test_product_page_query_count(client, catalogue, backend, django_assert_num_queries):
    client.get(catalogue["novel"].get_absolute_url())
    script(backend, catalogue, 4)
    with django_assert_num_queries(PRODUCT_PAGE_QUERIES):
        client.get(catalogue["novel"].get_absolute_url())


def test_the_catalogue_lists_every_product_once_with_best_sellers_first(client, catalogue, backend):
    # The listing holds Haystack SearchResults (tests.oscar_site.search), ranked by {% rank %}.
    backend.set_recommendations("best_sellers", [str(catalogue["scarf"].pk)])
    html = client.get("/catalogue/").content.decode()
    blocks = re.findall(r'<section class="personalize-block.*?</section>', html, re.S)
    assert [re.search(r'data-personalize-use-case="(\w+)"', b).group(1) for b in blocks] == [
        "best_sellers"
    ]
    titles = listing_titles(html)
    browsable = get_model("catalogue", "Product").objects.browsable()
    assert sorted(titles) == sorted(p.get_title() for p in browsable)


def test_a_variants_page_shows_its_parents_blocks(client, catalogue, backend):
    shirt, scarf = catalogue["shirt"], catalogue["scarf"]
    backend.set_recommendations("also_viewed", [str(scarf.pk)], item_id=str(shirt.pk))
    html = client.get(catalogue["shirt_small"].get_absolute_url()).content.decode()
    [block] = re.findall(r'<section class="personalize-block.*?</section>', html, re.S)
    shown = re.findall(r'data-personalize-item-id="(\d+)"', block)
    assert shown[0] == str(scarf.pk)  # the parent's list, topped up
    assert str(shirt.pk) not in shown


def listing_titles(html: str) -> list[str]:
    listing = html[html.index('<ol class="row list-unstyled ml-0 pl-0">'):]  # Oscar's results
    return re.findall(r'<h3 class="mt-3">\s*<a href="[^"]*" title="([^"]+)"', listing)


def test_the_listing_is_ranked_for_the_shopper_and_keeps_what_is_out_of_stock(
    client, catalogue, backend
):
    record = catalogue["novel"].stockrecords.get()
    record.num_in_stock = 0  # unavailable, still listed by Oscar
    record.save()
    ranked = ("sock", "novel", "mug")  # the memory backend ranks by this list
    backend.set_recommendations("recommended_for_you", [str(catalogue[n].pk) for n in ranked])
    titles = listing_titles(client.get("/catalogue/").content.decode())
    assert titles[:3] == [catalogue[n].get_title() for n in ranked]
    browsable = get_model("catalogue", "Product").objects.browsable()
    assert sorted(titles) == sorted(p.get_title() for p in browsable)


def test_signed_in_shoppers_get_recommended_for_you_first(client, catalogue, backend):
    from django.contrib.auth import get_user_model

    ann = get_user_model().objects.create_user("ann", "ann@example.com", "pw")
    backend.set_recommendations("recommended_for_you", [str(catalogue["hat"].pk)])
    client.force_login(ann)
    html = client.get("/catalogue/").content.decode()
    blocks = re.findall(r'<section class="personalize-block.*?</section>', html, re.S)
    assert [re.search(r'data-personalize-use-case="(\w+)"', b).group(1) for b in blocks] == [
        "recommended_for_you", "best_sellers",
    ]
    first = re.findall(r'data-personalize-item-id="(\d+)"', blocks[0])[0]
    assert first == str(catalogue["hat"].pk)


def test_recommendations_ask_the_shoppers_strategy(client, catalogue, backend, monkeypatch):
    # A shop's own strategy may decide availability per request (a market, a trade account).
    from oscar.apps.partner import availability, strategy

    scarf = catalogue["scarf"]

    class MarketStrategy(strategy.Default):
        def availability_policy(self, product, stockrecord):
            market = self.request.GET.get("market") if self.request is not None else None
            if product.pk == scarf.pk and market == "eu":
                return availability.Unavailable()
            return super().availability_policy(product, stockrecord)

    def select(self, request=None, user=None, **kwargs):
        return MarketStrategy(request)

    monkeypatch.setattr(strategy.Selector, "strategy", select)
    backend.set_recommendations("best_sellers", [str(scarf.pk), str(catalogue["mug"].pk)])

    def best_sellers(url: str) -> list[str]:
        html = client.get(url).content.decode()
        [block] = re.findall(r'<section class="personalize-block.*?</section>', html, re.S)
        return re.findall(r'data-personalize-item-id="(\d+)"', block)

    assert best_sellers("/catalogue/")[:2] == [str(scarf.pk), str(catalogue["mug"].pk)]
    assert best_sellers("/catalogue/?market=eu")[0] == str(catalogue["mug"].pk)
    assert str(scarf.pk) not in best_sellers("/catalogue/?market=eu")
