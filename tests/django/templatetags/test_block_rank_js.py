"""{% recommendation_block %}, {% rank %} and {% personalize_js %}."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from personalize_sdk import BackendError

from .conftest import pid


@pytest.mark.django_db
def test_block_carries_the_data_attributes_of_the_contract(
    catalogue, backend, make_request, render
):
    backend.set_recommendations(
        "best_sellers",
        [pid(catalogue["cap"]), pid(catalogue["boot"]), pid(catalogue["wool"])],
        recommendation_id="RID-7",
    )
    html = render(
        '{% recommendation_block "best_sellers" limit=2 title="Popular" %}', make_request()
    )
    block = re.search(r"<section [^>]*>", html).group(0)
    assert 'data-personalize-use-case="best_sellers"' in block
    assert 'data-personalize-recommendation-id="RID-7"' in block
    assert re.findall(r'data-personalize-item-id="(\d+)"', html) == [
        pid(catalogue["cap"]),
        pid(catalogue["boot"]),
    ]
    assert "<h2" in html and "Popular" in html


def test_a_block_is_named_by_its_page_or_by_the_shop(catalogue, backend, make_request, render):
    from django.urls import resolve

    backend.set_recommendations("best_sellers", [pid(catalogue["cap"])])
    request = make_request()
    assert "data-personalize-block" not in render(  # no resolved URL: no name
        '{% recommendation_block "best_sellers" %}', request
    )
    request.resolver_match = resolve("/checkout/")
    html = render('{% recommendation_block "best_sellers" distinct=False %}', request)
    assert 'data-personalize-block="checkout"' in html
    tag = '{% recommendation_block "best_sellers" block="sidebar" distinct=False %}'
    html = render(tag, request)
    assert 'data-personalize-block="sidebar"' in html


@pytest.mark.django_db
def test_an_empty_block_renders_nothing(backend, make_request, render):
    # No products at all: nothing to show, not even the fallback.
    from tests.django.testapp.models import Product

    Product.objects.all().delete()
    assert render('{% recommendation_block "best_sellers" limit=2 %}', make_request()).strip() == ""


@pytest.mark.django_db
def test_a_shop_overrides_the_block_template_per_use_case(
    catalogue, backend, make_request, render, tmp_path
):
    (tmp_path / "personalize" / "blocks").mkdir(parents=True)
    (tmp_path / "personalize" / "blocks" / "best_sellers.html").write_text(
        "<ol data-personalize-use-case='{{ use_case }}'>{% for p in recommendations %}<li>{{ p.slug }}</li>{% endfor %}</ol>"
    )
    backend.set_recommendations("best_sellers", [pid(catalogue["cap"])])
    from django.conf import settings

    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    with override_settings(TEMPLATES=templates):
        html = render('{% recommendation_block "best_sellers" limit=1 %}', make_request())
        other = render('{% recommendation_block "most_viewed" limit=1 %}', make_request())
    assert html == "<ol data-personalize-use-case='best_sellers'><li>cap</li></ol>"
    assert "<section" in other  # the default template for the others


@pytest.mark.django_db
def test_rank_reorders_a_queryset_with_one_query(
    catalogue, users, backend, make_request, render, django_assert_num_queries
):
    from tests.django.testapp.models import Product

    ann, _ = users
    order = [pid(catalogue[n]) for n in ("wool", "boot", "cap")]
    backend.set_recommendations("recommended_for_you", order, user_id=str(ann.pk))
    products = Product.objects.filter(
        pk__in=[catalogue[n].pk for n in ("boot", "cap", "wool")]
    ).order_by("pk")
    with django_assert_num_queries(1):
        out = render(
            "{% rank products as ranked %}{% for p in ranked %}{{ p.name }},{% endfor %}{{ ranked.source }}",
            make_request(ann),
            products=products,
        )
    assert out == "Wool,Boot,Cap,model"
    assert backend.requests[-1].user_id == str(ann.pk)


@pytest.mark.django_db
def test_rank_keeps_the_given_order_when_the_backend_fails(
    catalogue, users, backend, make_request, render
):
    ann, _ = users
    backend.fail_next(BackendError("down"), times=2, method="rank")
    items = [catalogue["cap"], catalogue["boot"]]
    out = render(
        "{% rank items as ranked %}{% for p in ranked %}{{ p.name }},{% endfor %}{{ ranked.source }}",
        make_request(ann),
        items=items,
    )
    assert out == "Cap,Boot,fallback"


class SearchResult:
    """What a search listing holds (Haystack's SearchResult): the instance in .object."""

    def __init__(self, obj):
        self.object = obj


@pytest.mark.django_db
def test_rank_takes_search_results_and_gives_their_instances(
    catalogue, users, backend, make_request, render
):
    ann, _ = users
    order = [pid(catalogue[n]) for n in ("wool", "boot", "cap")]
    backend.set_recommendations("recommended_for_you", order, user_id=str(ann.pk))
    results = [SearchResult(catalogue[n]) for n in ("boot", "cap", "wool")]
    out = render(
        "{% rank results as ranked %}{% for p in ranked %}{{ p.name }},{% endfor %}",
        make_request(ann),
        results=results,
    )
    assert out == "Wool,Boot,Cap,"


@pytest.mark.django_db
def test_rank_raises_in_debug_on_what_it_cannot_map_and_logs_it_otherwise(
    catalogue, users, backend, make_request, render, caplog
):
    ann, _ = users
    template = "{% rank things as ranked %}{% for p in ranked %}{{ p.name }},{% endfor %}"
    things = [catalogue["cap"], {"name": "a dict"}]
    with override_settings(DEBUG=True), pytest.raises(Exception, match="cannot rank dict"):
        render(template, make_request(ann), things=things)
    with override_settings(DEBUG=False):
        assert render(template, make_request(ann), things=things) == "Cap,"
    assert "cannot rank dict objects" in caplog.text


@pytest.mark.django_db
def test_personalize_js_renders_the_script_with_events_url_and_csrf_token(make_request, render):
    request = make_request()
    html = render("{% personalize_js %}", request)
    assert 'src="/static/personalize/personalize.js"' in html
    assert 'data-personalize-events-url="/api/personalize/events/"' in html
    assert 'data-personalize-impression-type="Impression"' in html
    assert 'data-personalize-click-type="Click"' in html
    token = re.search(r'data-personalize-csrf-token="([^"]+)"', html).group(1)
    assert len(token) == 64
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # Django will set the cookie
