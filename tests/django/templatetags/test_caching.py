"""Caching of recommendation lists: hits, invalidation on a new event, no leaks."""

from __future__ import annotations

import pytest
from django.test import override_settings

from personalize_django import caching
from personalize_django.recording import record_event

from .conftest import pid

TAG = "{% recommendations use_case limit=2 as recs %}{% for p in recs %}{{ p.name }},{% endfor %}"


def asked(backend, use_case="recommended_for_you"):
    return [r for r in backend.requests if r.use_case == use_case]


@pytest.mark.django_db
def test_a_second_render_is_served_from_the_cache(
    catalogue, users, backend, make_request, render, django_assert_num_queries
):
    ann, _ = users
    backend.set_recommendations(
        "recommended_for_you",
        [
            pid(catalogue["cap"]),
            pid(catalogue["boot"]),
            pid(catalogue["wool"]),
            pid(catalogue["silk"]),
        ],
    )
    first = render(TAG, make_request(ann), use_case="recommended_for_you")
    with django_assert_num_queries(
        1
    ):  # the instances are still loaded (availability may have changed)
        second = render(TAG, make_request(ann), use_case="recommended_for_you")
    assert first == second == "Cap,Boot,"
    assert len(asked(backend)) == 1


@pytest.mark.django_db
def test_availability_is_checked_on_every_render_even_from_the_cache(
    catalogue, users, backend, make_request, render
):
    ann, _ = users
    ids = [pid(catalogue[n]) for n in ("cap", "boot", "wool", "silk")]
    backend.set_recommendations("recommended_for_you", ids)
    assert render(TAG, make_request(ann), use_case="recommended_for_you") == "Cap,Boot,"
    catalogue["cap"].stock = 0
    catalogue["cap"].save()
    assert render(TAG, make_request(ann), use_case="recommended_for_you") == "Boot,Wool,"


@pytest.mark.django_db
def test_an_event_of_the_user_drops_their_cached_lists(
    catalogue, users, backend, make_request, render
):
    ann, bob = users
    ids = [pid(catalogue[n]) for n in ("cap", "boot", "wool", "silk")]
    backend.set_recommendations("recommended_for_you", ids)
    render(TAG, make_request(ann), use_case="recommended_for_you")
    render(TAG, make_request(bob), use_case="recommended_for_you")
    record_event("View", user=ann, item=catalogue["wool"])
    render(TAG, make_request(ann), use_case="recommended_for_you")
    render(TAG, make_request(bob), use_case="recommended_for_you")
    # Ann's list was asked again; Bob's is still cached.
    assert [r.user_id for r in asked(backend)] == [str(ann.pk), str(bob.pk), str(ann.pk)]


@pytest.mark.django_db
def test_a_guest_event_drops_the_sessions_lists(catalogue, backend, make_request, render):
    backend.set_recommendations(
        "recommended_for_you",
        [
            pid(catalogue["cap"]),
            pid(catalogue["boot"]),
            pid(catalogue["wool"]),
            pid(catalogue["silk"]),
        ],
    )
    render(TAG, make_request(session_id="s-1"), use_case="recommended_for_you")
    render(TAG, make_request(session_id="s-1"), use_case="recommended_for_you")
    assert len(asked(backend)) == 1
    record_event("View", session_id="s-1", item=catalogue["cap"])
    render(TAG, make_request(session_id="s-1"), use_case="recommended_for_you")
    assert len(asked(backend)) == 2


@pytest.mark.django_db
def test_an_event_with_a_user_and_a_session_drops_the_lists_of_both(
    catalogue, users, backend, make_request, render
):
    ann, _ = users
    backend.set_recommendations("best_sellers", [pid(catalogue["cap"]), pid(catalogue["boot"])])
    render(TAG, make_request(ann), use_case="best_sellers")
    render(TAG, make_request(session_id="s-2"), use_case="best_sellers")
    render(TAG, make_request(session_id="s-3"), use_case="best_sellers")
    assert len(asked(backend, "best_sellers")) == 3
    record_event("Purchase", user=ann, session_id="s-2", item=catalogue["cap"])
    render(TAG, make_request(ann), use_case="best_sellers")
    render(TAG, make_request(session_id="s-2"), use_case="best_sellers")
    render(TAG, make_request(session_id="s-3"), use_case="best_sellers")
    # Ann's and session s-2's lists were asked again; s-3's is still cached.
    assert [r.user_id for r in asked(backend, "best_sellers")] == [
        str(ann.pk), "s-2", "s-3", str(ann.pk), "s-2"
    ]


ITEM_TAG = (
    "{% recommendations 'also_viewed' item=product limit=2 as recs %}"
    "{% for p in recs %}{{ p.name }},{% endfor %}"
)


def _script_both(backend, catalogue):
    ids = [pid(catalogue[n]) for n in ("cap", "boot", "wool", "silk")]
    backend.set_recommendations("recommended_for_you", ids)
    backend.set_recommendations("also_viewed", ids[::-1], item_id=pid(catalogue["linen"]))


def _render_both(render, request, catalogue):
    render(TAG, request, use_case="recommended_for_you")
    render(ITEM_TAG, request, product=catalogue["linen"])


def memory_backend_with(settings, **keys):
    """PERSONALIZE on the MemoryBackend with ``keys`` added; returns that backend."""
    from personalize_django.client import get_backend

    settings.PERSONALIZE = {"BACKEND": "personalize_sdk.backends.memory.MemoryBackend", **keys}
    return get_backend()


@pytest.mark.django_db
def test_a_view_drops_the_personal_lists_and_keeps_the_item_lists(
    catalogue, users, backend, make_request, render
):
    ann, _ = users
    _script_both(backend, catalogue)
    _render_both(render, make_request(ann), catalogue)
    for event_type in ("View", "Click", "AddToCart", "Impression"):
        record_event(event_type, user=ann, item=catalogue["wool"])
        _render_both(render, make_request(ann), catalogue)
    # recommended for you was asked after each event; also viewed only once
    assert len(asked(backend)) == 5
    assert len(asked(backend, "also_viewed")) == 1


@pytest.mark.parametrize("event_type", ["Purchase", "Login", "Rating"])
@pytest.mark.django_db
def test_other_event_types_drop_the_item_lists_too(
    catalogue, users, backend, make_request, render, event_type
):
    ann, _ = users
    _script_both(backend, catalogue)
    _render_both(render, make_request(ann), catalogue)
    record_event(event_type, user=ann, item=catalogue["wool"])
    _render_both(render, make_request(ann), catalogue)
    assert len(asked(backend)) == 2
    assert len(asked(backend, "also_viewed")) == 2


@pytest.mark.django_db
def test_an_empty_keep_list_drops_every_list_on_every_event(
    catalogue, users, make_request, render, settings
):
    backend = memory_backend_with(settings, CACHE_KEEP_ITEM_LISTS_ON=())
    ann, _ = users
    _script_both(backend, catalogue)
    _render_both(render, make_request(ann), catalogue)
    record_event("View", user=ann, item=catalogue["wool"])
    _render_both(render, make_request(ann), catalogue)
    assert len(asked(backend)) == 2
    assert len(asked(backend, "also_viewed")) == 2


@pytest.mark.django_db
def test_an_item_list_whose_filter_reads_interactions_is_personal(
    catalogue, users, make_request, render, settings
):
    backend = memory_backend_with(
        settings, FILTERS={"unseen": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")'}
    )
    ann, _ = users
    ids = [pid(catalogue[n]) for n in ("cap", "boot", "wool", "silk")]
    backend.set_recommendations("best_sellers", ids)
    tag = (
        "{% recommendations 'best_sellers' filter=flt limit=2 as recs %}"
        "{% for p in recs %}{{ p.name }},{% endfor %}"
    )
    for _ in range(2):
        render(tag, make_request(ann), flt="unseen")
        render(tag, make_request(ann), flt=None)
    record_event("View", user=ann, item=catalogue["wool"])
    render(tag, make_request(ann), flt="unseen")
    render(tag, make_request(ann), flt=None)
    # with the filter: asked again after the View; without it (the availability
    # filter the item registration adds): still cached
    assert [r.filter for r in asked(backend, "best_sellers")] == ["unseen", "available", "unseen"]


def test_seeding_the_random_module_cannot_bring_back_a_dropped_generation():
    import random

    random.seed(1)
    before = caching.generation("s:seeded")
    caching.bump("s:seeded")
    random.seed(1)  # what a shop's script or a test plugin may do
    assert caching.generation("s:seeded") != before


def test_the_scope_of_a_list(settings):
    settings.PERSONALIZE = {
        "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
        "FILTERS": {
            "unseen": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")',
            "cheap": "INCLUDE ItemID WHERE Items.PRICE < 10",
        },
    }
    scope = caching.scope_of
    assert scope("recommend", {"use_case": "also_viewed"}) == caching.ITEMS
    assert scope("recommend", {"use_case": "most_viewed", "filter": "cheap"}) == caching.ITEMS
    assert scope("recommend", {"use_case": "best_sellers", "filter": "unseen"}) == caching.PERSONAL
    assert scope("recommend", {"use_case": "recommended_for_you"}) == caching.PERSONAL
    assert scope("rank", {"item_ids": ["1"]}) == caching.PERSONAL
    # a filter the package cannot read (or an unknown name) counts as personal
    assert scope("recommend", {"use_case": "also_viewed", "filter": "nope"}) == caching.PERSONAL


@pytest.mark.django_db
def test_no_personal_list_is_ever_served_to_another_user(
    catalogue, users, backend, make_request, render
):
    ann, bob = users
    backend.set_recommendations("recommended_for_you", [pid(catalogue["cap"])], user_id=str(ann.pk))
    backend.set_recommendations(
        "recommended_for_you", [pid(catalogue["wool"])], user_id=str(bob.pk)
    )
    backend.set_recommendations("recommended_for_you", [pid(catalogue["silk"])], user_id="guest-9")
    tag = "{% recommendations 'recommended_for_you' limit=1 as recs %}{% for p in recs %}{{ p.name }}{% endfor %}"
    assert (
        render(
            tag,
            make_request(ann),
        )
        == "Cap"
    )
    assert render(tag, make_request(bob)) == "Wool"
    assert render(tag, make_request(session_id="guest-9")) == "Silk"
    # And again, now from the cache.
    assert render(tag, make_request(bob)) == "Wool"
    assert render(tag, make_request(ann)) == "Cap"
    assert render(tag, make_request(session_id="guest-9")) == "Silk"
    assert len(asked(backend)) == 3


@pytest.mark.django_db
def test_keys_differ_by_item_filter_values_and_limit(catalogue, backend, make_request, render):
    boot, cap = catalogue["boot"], catalogue["cap"]
    backend.set_recommendations("also_viewed", [pid(catalogue["wool"])], item_id=pid(boot))
    backend.set_recommendations("also_viewed", [pid(catalogue["silk"])], item_id=pid(cap))
    tag = "{% recommendations 'also_viewed' item=product limit=1 as recs %}{% for p in recs %}{{ p.name }}{% endfor %}"
    assert render(tag, make_request(), product=boot) == "Wool"
    assert render(tag, make_request(), product=cap) == "Silk"


def test_list_keys_sort_filter_value_names_but_keep_each_lists_order(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    one = caching.list_key("u:1", "recommend", {"filter_values": {"A": ["x", "y"], "B": ["z"]}})
    two = caching.list_key("u:1", "recommend", {"filter_values": {"B": ["z"], "A": ["x", "y"]}})
    three = caching.list_key("u:1", "recommend", {"filter_values": {"A": ["y", "x"], "B": ["z"]}})
    other_user = caching.list_key(
        "u:2", "recommend", {"filter_values": {"A": ["x", "y"], "B": ["z"]}}
    )
    assert one == two
    assert len({one, three, other_user}) == 3


@pytest.mark.django_db
def test_cache_timeout_zero_turns_caching_off(catalogue, backend, make_request, render):
    with override_settings(
        PERSONALIZE={"BACKEND": "personalize_sdk.backends.memory.MemoryBackend", "CACHE_TIMEOUT": 0}
    ):
        from personalize_django.client import get_backend

        backend = get_backend()
        backend.set_recommendations(
            "best_sellers", [pid(catalogue[n]) for n in ("cap", "boot", "wool", "silk")]
        )
        render(TAG, make_request(), use_case="best_sellers")
        render(TAG, make_request(), use_case="best_sellers")
        assert len(asked(backend, "best_sellers")) == 2


@pytest.mark.django_db
def test_a_failing_backend_is_not_asked_on_every_page(catalogue, backend, make_request, render):
    from unittest import mock

    from personalize_sdk import BackendError

    backend.fail_next(BackendError("down"), times=100, method="recommend")
    with mock.patch.object(backend, "recommend", wraps=backend.recommend) as spy:
        first = render(TAG, make_request(), use_case="best_sellers")
        calls = spy.call_count
        second = render(TAG, make_request(), use_case="best_sellers")
    assert calls > 0
    assert spy.call_count == calls
    assert first == second == "Linen,Silk,"  # the fallback queryset, newest first


@pytest.mark.django_db
def test_delivery_drops_lists_cached_before_the_backend_had_the_event(
    catalogue, users, backend, make_request, render
):
    from personalize_django.outbox import deliver_pending

    ann, bob = users
    deliver_pending()  # the catalogue's item rows
    ids = [pid(catalogue[n]) for n in ("cap", "boot", "wool", "silk")]
    backend.set_recommendations("recommended_for_you", ids)
    render(TAG, make_request(bob), use_case="recommended_for_you")
    record_event("View", user=ann, item=catalogue["wool"])
    # Rendered (and cached) while the View waits in the outbox: the backend
    # answered without it.
    render(TAG, make_request(ann), use_case="recommended_for_you")
    assert deliver_pending().delivered == 1
    render(TAG, make_request(ann), use_case="recommended_for_you")
    render(TAG, make_request(bob), use_case="recommended_for_you")
    # Ann's list is asked again once the backend has her View; Bob's stays cached.
    assert [r.user_id for r in asked(backend)] == [str(bob.pk), str(ann.pk), str(ann.pk)]
