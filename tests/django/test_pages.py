"""What a page shows (personalize_django.pages): a filter holds on every link of
the fallback chain, one page shows an item once, and a short list says so.

The filter tests run on the embedded local engine, which evaluates filters
itself, for each use case and each path a list can take: the model's answer,
a top-up past what matches, no data at all, and a failing backend.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from personalize_django import pages
from personalize_django.client import get_backend
from personalize_django.outbox import deliver_pending
from personalize_django.recording import record_event
from personalize_sdk import BackendError
from personalize_sdk.use_cases import USE_CASES

pytestmark = pytest.mark.django_db

FILTERS = {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"}
BOOKS = {"CATEGORY": "Books"}


@pytest.fixture
def local(settings, tmp_path):
    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(tmp_path / "engine"), "auto_train": False, "min_data_scale": 0.001},
        "DELIVERY": "sync",
        "FILTERS": FILTERS,
        "CACHE_TIMEOUT": 0,
    }
    return settings


@pytest.fixture
def two_shelves(local):
    """Six books and twelve tools, in stock."""
    from tests.django.testapp.models import Category, Product

    books, tools = Category.objects.create(name="Books"), Category.objects.create(name="Tools")
    made = {"Books": [], "Tools": []}
    for shelf, category, count in (("Books", books, 6), ("Tools", tools, 12)):
        for i in range(count):
            made[shelf].append(
                Product.objects.create(
                    category=category, name=f"{shelf} {i}", slug=f"{shelf}-{i}", price="5.00"
                )
            )
    return made


def history(shelves, sessions=40):
    """Shoppers who view and buy across both shelves (the tools most)."""
    products = shelves["Books"] + shelves["Tools"]
    for s in range(sessions):
        picks = [products[(s + k * 5) % len(products)] for k in range(4)]
        for product in picks:
            record_event("View", item=product, session_id=f"s{s}", user=f"u{s}")
        record_event("Purchase", item=picks[0], session_id=f"s{s}", user=f"u{s}")
        record_event("Purchase", item=picks[1], session_id=f"s{s}", user=f"u{s}")
    deliver_pending(time_limit=float("inf"))  # the test's transaction never commits


def shown_categories(recs):
    return {obj.category.name for obj in recs}


def ask(use_case, shelves, limit, request=None):
    item = shelves["Books"][0] if USE_CASES[use_case] == "item_id" else None
    return pages.recommend(
        use_case,
        user="u1",
        item=item,
        limit=limit,
        filter="in_category",
        filter_values=BOOKS,
        request=request,
        strict=True,
    )


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_the_model_answer_holds_the_filter(two_shelves, use_case):
    history(two_shelves)
    get_backend().train()
    recs = ask(use_case, two_shelves, limit=3)
    assert shown_categories(recs) <= {"Books"}


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_a_list_topped_up_past_what_matches_is_short_and_says_so(two_shelves, use_case):
    history(two_shelves)
    get_backend().train()
    recs = ask(use_case, two_shelves, limit=12)
    assert shown_categories(recs) <= {"Books"}
    assert len(recs) <= 6 and recs.partial is True
    assert "match the 'in_category' filter" in recs.reason


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_with_no_data_the_fallback_holds_the_filter(two_shelves, use_case):
    recs = ask(use_case, two_shelves, limit=10)
    assert shown_categories(recs) <= {"Books"}
    assert recs.partial is True


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_a_failing_backend_shows_only_what_it_admits_from_the_queryset(
    two_shelves, use_case, monkeypatch
):
    history(two_shelves)
    get_backend().train()
    backend = get_backend()

    def down(request):
        raise BackendError("service unavailable", retryable=True, status_code=503)

    monkeypatch.setattr(backend, "recommend", down)
    recs = ask(use_case, two_shelves, limit=10)
    # Everything comes from FALLBACK_QUERYSET (newest first), checked by a ranking request.
    assert recs and shown_categories(recs) == {"Books"}
    assert recs.partial is True


def test_items_the_backend_cannot_check_are_never_shown(two_shelves, monkeypatch):
    backend = get_backend()

    def down(request):
        raise BackendError("service unavailable", retryable=True, status_code=503)

    monkeypatch.setattr(backend, "recommend", down)
    monkeypatch.setattr(backend, "rank", down)
    recs = ask("best_sellers", two_shelves, limit=5)
    assert list(recs) == [] and recs.partial is True


def test_a_backend_that_does_not_evaluate_filters_shows_no_unchecked_item(two_shelves, settings):
    settings.PERSONALIZE = {**settings.PERSONALIZE, "BACKEND": "memory", "OPTIONS": {}}
    recs = ask("best_sellers", two_shelves, limit=5)
    assert list(recs) == [] and recs.partial is True


def test_the_fallback_queryset_is_handed_the_filter_and_its_values(
    two_shelves, settings, monkeypatch
):
    seen = []

    def books_first(request, *, filter, filter_values):
        from tests.django.testapp.models import Product

        seen.append((filter, filter_values))
        return Product.objects.filter(category__name__in=filter_values.get("CATEGORY", ()))

    settings.PERSONALIZE = {**settings.PERSONALIZE, "FALLBACK_QUERYSET": books_first}
    history(two_shelves)
    get_backend().train()

    def down(request):
        raise BackendError("service unavailable", retryable=True, status_code=503)

    monkeypatch.setattr(get_backend(), "recommend", down)
    recs = ask("best_sellers", two_shelves, limit=4)
    assert seen == [("in_category", {"CATEGORY": ("Books",)})]
    assert len(recs) == 4 and shown_categories(recs) == {"Books"}


def test_an_old_style_fallback_queryset_still_works(two_shelves, settings):
    from tests.django.testapp.models import Product

    settings.PERSONALIZE = {
        **settings.PERSONALIZE,
        "FALLBACK_QUERYSET": lambda request: Product.objects.order_by("pk"),
    }
    recs = pages.recommend("best_sellers", user="u1", limit=3)
    assert len(recs) == 3 and recs.partial is False


def test_blocks_of_one_page_never_repeat_an_item(two_shelves):
    history(two_shelves)
    get_backend().train()
    request = RequestFactory().get("/")
    request.session = {"_personalize_session_id": "guest-9"}
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    first = pages.recommend("best_sellers", request=request, limit=5)
    second = pages.recommend("most_viewed", request=request, limit=5)
    again = pages.recommend("best_sellers", request=request, limit=5, distinct=False)
    assert len(first) == 5 and len(second) == 5
    assert not set(first.item_ids) & set(second.item_ids)
    assert again.item_ids == first.item_ids  # opted out of the page registry


def test_exclude_leaves_items_out(two_shelves):
    history(two_shelves)
    get_backend().train()
    full = pages.recommend("best_sellers", user="u1", limit=4)
    without = pages.recommend("best_sellers", user="u1", limit=4, exclude=full.item_ids[:2])
    assert not set(full.item_ids[:2]) & set(without.item_ids) and len(without) == 4


def test_recommended_for_you_leaves_out_what_the_session_viewed(two_shelves, settings):
    from django.contrib.auth.models import AnonymousUser

    history(two_shelves)
    get_backend().train()
    request = RequestFactory().get("/")
    request.session = {"_personalize_session_id": "guest-7"}
    request.user = AnonymousUser()
    viewed = two_shelves["Tools"][:3]
    for product in viewed:
        record_event("View", request=request, item=product)
    ids = {str(p.pk) for p in viewed}
    recs = pages.recommend("recommended_for_you", request=request, limit=8, distinct=False)
    assert recs and not ids & set(recs.item_ids)
    settings.PERSONALIZE = {**settings.PERSONALIZE, "EXCLUDE_SESSION_VIEWS": False}
    again = pages.recommend("recommended_for_you", request=request, limit=8, distinct=False)
    assert again.item_ids != recs.item_ids  # the setting off: the views may come back


def test_rank_keeps_every_instance_the_shop_listed(two_shelves):
    listed = two_shelves["Tools"][:5]
    ranked = pages.rank(listed, user="u1")
    assert sorted(o.pk for o in ranked) == sorted(o.pk for o in listed)


def test_rank_takes_search_results_and_refuses_what_it_cannot_map(two_shelves):
    class SearchResult:  # what Haystack's listings hold
        def __init__(self, obj):
            self.object = obj

    listed = [SearchResult(p) for p in two_shelves["Tools"][:3]]
    ranked = pages.rank(listed, user="u1")
    assert sorted(o.pk for o in ranked) == sorted(p.pk for p in two_shelves["Tools"][:3])
    with pytest.raises(Exception, match="cannot rank object objects"):
        pages.rank([object()], user="u1", strict=True)
    assert list(pages.rank([object()], user="u1", strict=False)) == []


def test_rank_refuses_instances_of_a_model_that_is_not_the_item_model(two_shelves):
    from tests.django.testapp.models import Category

    product = two_shelves["Tools"][0]
    category = Category.objects.first()
    with pytest.raises(Exception, match="cannot rank Category objects"):
        pages.rank([category, product], user="u1", strict=True)
    assert [o.pk for o in pages.rank([category, product], user="u1", strict=False)] == [product.pk]


def test_availability_can_depend_on_the_shopper(two_shelves, saved_registry):
    from django.contrib.auth.models import AnonymousUser

    from personalize_django.registry import register_item
    from tests.django.testapp.models import Product

    def available(product, request):  # e.g. a shop whose strategy hides stock by market
        market = request.GET.get("market") if request is not None else None
        return not (market == "eu" and product.category.name == "Tools")

    register_item(Product, properties={"CATEGORY_L1": "category.name"}, available=available)
    history(two_shelves)
    get_backend().train()
    request = RequestFactory().get("/", {"market": "eu"})
    request.session = {"_personalize_session_id": "guest-eu"}
    request.user = AnonymousUser()
    recs = pages.recommend("most_viewed", request=request, limit=6, distinct=False)
    assert recs and shown_categories(recs) == {"Books"}
    ranked = pages.rank([str(p.pk) for p in two_shelves["Tools"][:3]], request=request)
    assert list(ranked) == []


def test_the_filter_check_of_fallback_items_goes_through_the_cache(
    two_shelves, settings, monkeypatch
):
    settings.PERSONALIZE = {**settings.PERSONALIZE, "CACHE_TIMEOUT": 60}
    history(two_shelves)
    get_backend().train()
    backend = get_backend()
    ranks = []
    real_rank = backend.rank

    def down(request):
        raise BackendError("service unavailable", retryable=True, status_code=503)

    def counted(request):
        ranks.append(request)
        return real_rank(request)

    monkeypatch.setattr(backend, "recommend", down)
    monkeypatch.setattr(backend, "rank", counted)
    first = ask("best_sellers", two_shelves, limit=10)
    again = ask("best_sellers", two_shelves, limit=10)
    assert first.item_ids == again.item_ids and shown_categories(again) == {"Books"}
    assert len(ranks) == 1  # the second page found the check in the cache
