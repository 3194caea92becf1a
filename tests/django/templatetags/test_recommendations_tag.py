"""{% recommendations %}: order, one query, availability, top-up, fallbacks, errors."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from personalize_sdk import BackendError, NotReadyError
from personalize_sdk.exceptions import InvalidRequestError

from .conftest import pid

LIST = (
    "{% recommendations use_case item=product limit=limit as recs %}"
    "{% for p in recs %}{{ p.name }}={{ p.personalize_score|default_if_none:'-' }};{% endfor %}"
    "|{{ recs.recommendation_id }}|{{ recs.source }}"
)


def names(output: str) -> list[str]:
    return [entry.split("=")[0] for entry in output.split("|")[0].split(";") if entry]


@pytest.mark.django_db
def test_instances_in_recommended_order_with_scores_and_one_query(
    catalogue, backend, make_request, render, django_assert_num_queries
):
    boot, cap, wool = catalogue["boot"], catalogue["cap"], catalogue["wool"]
    backend.set_recommendations(
        "also_viewed",
        [(pid(wool), 0.9), (pid(cap), 0.5), (pid(catalogue["silk"]), 0.25)],
        item_id=pid(boot),
        recommendation_id="RID-1",
    )
    request = make_request()
    with django_assert_num_queries(1):
        out = render(LIST, request, use_case="also_viewed", product=boot, limit=2)
    assert out == "Wool=0.9;Cap=0.5;|RID-1|model"
    sent = backend.requests[0]
    assert (sent.use_case, sent.item_id, sent.user_id) == ("also_viewed", pid(boot), "guest-1")
    assert sent.num_results == 4  # a margin for unavailable items
    # The availability filter is applied by default, since the item registration declares availability.
    assert sent.filter == "available"


@pytest.mark.django_db
def test_unavailable_and_deleted_items_are_dropped_and_the_list_topped_up(
    catalogue, backend, make_request, render, django_assert_num_queries
):
    sandal = catalogue["sandal"]  # out of stock
    gone = catalogue["linen"]
    gone_id = pid(gone)
    gone.delete()
    backend.set_recommendations(
        "also_viewed",
        [pid(sandal), gone_id, pid(catalogue["wool"])],
        item_id=pid(catalogue["boot"]),
    )
    backend.set_recommendations(
        "best_sellers", [pid(catalogue["wool"]), pid(catalogue["cap"]), pid(catalogue["silk"])]
    )
    # The backend had fewer ids than asked for, so the top-up ids are fetched
    # first and one query loads everything.
    with django_assert_num_queries(1):
        out = render(
            LIST, make_request(), use_case="also_viewed", product=catalogue["boot"], limit=3
        )
    assert names(out) == ["Wool", "Cap", "Silk"]
    assert out.endswith("|model")


@pytest.mark.django_db
def test_a_second_query_only_when_more_items_are_unavailable_than_the_margin(
    catalogue, backend, make_request, render, django_assert_num_queries
):
    from tests.django.testapp.models import Product

    Product.objects.filter(
        pk__in=[catalogue["wool"].pk, catalogue["cotton"].pk, catalogue["silk"].pk]
    ).update(stock=0)
    # limit 2 asks for 4 ids; all four come back and three of them are out of stock.
    ids = [pid(catalogue[n]) for n in ("wool", "cotton", "silk", "cap")]
    backend.set_recommendations("best_sellers", ids)
    backend.set_recommendations("most_viewed", [pid(catalogue["boot"])])
    with django_assert_num_queries(2):
        out = render(LIST, make_request(), use_case="best_sellers", product=None, limit=2)
    assert names(out) == ["Cap", "Boot"]


@pytest.mark.django_db
def test_the_page_item_itself_is_never_recommended(catalogue, backend, make_request, render):
    boot = catalogue["boot"]
    backend.set_recommendations(
        "also_viewed", [pid(boot), pid(catalogue["cap"])], item_id=pid(boot)
    )
    out = render(LIST, make_request(), use_case="also_viewed", product=boot, limit=1)
    assert names(out) == ["Cap"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        BackendError("boom", retryable=False, backend="memory"),
        NotReadyError("not trained", use_case="also_viewed"),
    ],
)
def test_backend_failure_is_logged_and_the_fallback_rendered(
    catalogue, backend, make_request, render, caplog, error
):
    backend.fail_next(error, method="recommend")
    backend.set_recommendations(
        "best_sellers", [pid(catalogue["cap"]), pid(catalogue["wool"])], recommendation_id="RID-B"
    )
    with caplog.at_level(logging.INFO, logger="personalize_django"):
        out = render(
            LIST, make_request(), use_case="also_viewed", product=catalogue["boot"], limit=2
        )
    assert out == "Cap=-;Wool=-;|RID-B|fallback"
    assert any("also_viewed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_when_every_use_case_fails_the_fallback_queryset_serves(
    catalogue, backend, make_request, render, caplog
):
    backend.fail_next(BackendError("down", retryable=False), times=3, method="recommend")
    with caplog.at_level(logging.WARNING, logger="personalize_django"):
        out = render(
            LIST, make_request(), use_case="also_viewed", product=catalogue["boot"], limit=3
        )
    # Newest first, available only, never the page's own item.
    assert names(out) == ["Linen", "Silk", "Cotton"]
    assert out.endswith("|fallback")
    assert "down" in caplog.text


@pytest.mark.django_db
def test_fallback_queryset_setting(catalogue, backend, make_request, render):
    backend.fail_next(BackendError("down"), times=6, method="recommend")
    with override_settings(
        PERSONALIZE={
            "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
            "FALLBACK_QUERYSET": "tests.django.templatetags.test_recommendations_tag.cheapest_first",
        }
    ):
        from personalize_django.client import get_backend

        get_backend().fail_next(BackendError("down"), times=6, method="recommend")
        out = render(LIST, make_request(), use_case="best_sellers", product=None, limit=2)
    assert names(out) == ["Wool", "Cotton"]


def cheapest_first(request):
    from tests.django.testapp.models import Product

    return Product.objects.order_by("price", "pk")


@pytest.mark.django_db
def test_configuration_error_raises_in_debug(catalogue, make_request, render):
    with override_settings(DEBUG=True):
        with pytest.raises(InvalidRequestError) as info:
            render(LIST, make_request(), use_case="also_viewed", product=None, limit=3)
    assert info.value.field == "item_id"
    with override_settings(DEBUG=True), pytest.raises(
        InvalidRequestError, match="unknown use case"
    ):
        render(LIST, make_request(), use_case="viewed_together", product=None, limit=3)


@pytest.mark.django_db
def test_configuration_error_is_logged_outside_debug_and_nothing_breaks_the_filter(
    catalogue, backend, make_request, render, caplog
):
    # A filter that cannot be applied is still a promise: no unfiltered
    # fallback is shown in its place, the list is empty and says so.
    backend.set_recommendations("best_sellers", [pid(catalogue["cap"])])
    with caplog.at_level(logging.ERROR, logger="personalize_django"):
        out = render(
            "{% recommendations 'also_viewed' filter='no_such_filter' item=product limit=1 as recs %}"
            "{% for p in recs %}{{ p.name }}{% endfor %}|{{ recs.source }}|{{ recs.partial }}",
            make_request(),
            product=catalogue["boot"],
        )
    assert out == "|fallback|True"
    assert "no_such_filter" in caplog.text


@pytest.mark.django_db
def test_a_bad_request_without_a_filter_still_gets_the_fallback(
    catalogue, backend, make_request, render, caplog
):
    backend.set_recommendations("best_sellers", [pid(catalogue["cap"])])
    with caplog.at_level(logging.ERROR, logger="personalize_django"):
        out = render(
            "{% recommendations 'also_viewed' item=product limit=1 as recs %}"
            "{% for p in recs %}{{ p.name }}{% endfor %}|{{ recs.source }}",
            make_request(),
            product="",  # an item use case without an item: a bad request
        )
    assert out == "Cap|fallback"


@pytest.mark.django_db
def test_filter_and_filter_values_reach_the_backend(catalogue, make_request, render):
    config = {
        "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    }
    with override_settings(PERSONALIZE=config):
        from personalize_django.client import get_backend

        backend = get_backend()
        backend.set_recommendations("best_sellers", [pid(catalogue["wool"])])
        render(
            "{% recommendations 'best_sellers' filter='in_category' CATEGORY=cats limit=1 as recs %}",
            make_request(),
            cats=["Shoes", "Socks"],
        )
        sent = backend.requests[0]
    assert sent.filter == "in_category"
    assert dict(sent.filter_values) == {"CATEGORY": ("Shoes", "Socks")}


@pytest.mark.django_db
def test_logged_in_user_is_asked_by_user_id(
    catalogue, users, backend, make_request, render, django_assert_num_queries
):
    ann, _ = users
    backend.set_recommendations(
        "recommended_for_you", [pid(catalogue["silk"])], user_id=str(ann.pk)
    )
    with django_assert_num_queries(1):
        out = render(
            "{% recommendations 'recommended_for_you' limit=1 as recs %}{% for p in recs %}{{ p.name }}{% endfor %}",
            make_request(ann),
        )
    assert out == "Silk"
    assert backend.requests[-1].user_id == str(ann.pk)


@pytest.mark.django_db
def test_recommendations_served_signal(catalogue, backend, make_request, render):
    from personalize_django.signals import recommendations_served

    seen = []

    def receiver(sender, request, use_case, recommendations, **kwargs):
        seen.append((request, use_case, list(recommendations), recommendations.recommendation_id))

    backend.set_recommendations("best_sellers", [pid(catalogue["cap"])], recommendation_id="RID-S")
    recommendations_served.connect(receiver)
    try:
        request = make_request()
        render("{% recommendations 'best_sellers' limit=1 as recs %}", request)
    finally:
        recommendations_served.disconnect(receiver)
    assert seen == [(request, "best_sellers", [catalogue["cap"]], "RID-S")]
