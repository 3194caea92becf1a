"""The training report and honest fallbacks before a use case is ready."""

from __future__ import annotations

import pytest

from personalize_sdk import Event, Item

from . import shop
from .conftest import fill, make_backend, make_client


def test_before_training_every_use_case_is_a_marked_fallback(backend):
    client = make_client(backend)
    fill(client)
    result = client.recommend("best_sellers", num_results=5)
    assert result.source == "fallback" and "no model has been trained yet" in result.reason
    assert len(result) == 5  # the catalogue is still shown


def test_the_report_counts_and_times_the_training(backend):
    client = make_client(backend)
    fill(client)
    events = shop.events()
    report = backend.train()
    assert report.events == report.interactions == len(events)
    assert report.items == shop.N_ITEMS
    assert report.users == len({e.user_id for e in events})
    assert report.event_types == {"View": sum(e.event_type == "View" for e in events),
                                  "Purchase": sum(e.event_type == "Purchase" for e in events)}
    assert report.seconds >= 0
    assert report.ready == ["recommended_for_you", "also_viewed", "bought_together", "best_sellers", "most_viewed"]
    assert report.to_dict()["use_cases"]["best_sellers"] == {"ready": True, "reason": ""}


def test_personalize_minimums_apply_unscaled_by_default():
    backend = make_backend(min_data_scale=1.0)
    client = make_client(backend)
    fill(client)
    report = backend.train()
    purchases = report.event_types["Purchase"]
    assert purchases < 1000
    status = report.use_cases["best_sellers"]
    assert not status.ready and status.reason == f"{purchases} Purchase events, 1000 needed"
    assert not report.use_cases["bought_together"].ready
    result = client.recommend("best_sellers", num_results=3)
    assert result.source == "fallback" and "best_sellers is not ready" in result.reason
    assert len(result) == 3
    backend.close()


def test_too_few_active_users_keeps_everything_in_fallback():
    backend = make_backend(min_data_scale=1.0)
    client = make_client(backend)
    client.record_many(Event("View", "s", f"i{n}", "only-user", sent_at=shop.START + n) for n in range(1200))
    report = backend.train()
    assert report.use_cases["recommended_for_you"].reason == "1 users with 2 or more interactions, 25 needed"
    result = client.recommend("recommended_for_you", user_id="only-user")
    assert result.source == "fallback" and "not ready" in result.reason
    backend.close()


def test_bought_together_not_ready_serves_also_viewed_marked_as_fallback():
    backend = make_backend(min_data_scale=0.5)  # enough views, too few purchases
    client = make_client(backend)
    fill(client)
    report = backend.train()
    assert report.use_cases["also_viewed"].ready and not report.use_cases["bought_together"].ready
    result = client.recommend("bought_together", item_id="i40", num_results=5)
    assert result.source == "fallback" and "also viewed" in result.reason
    assert result.item_ids[:2] == client.recommend("also_viewed", item_id="i40", num_results=2).item_ids
    backend.close()


# -- before the first model ----------------------------------------------------
def test_before_training_recommended_for_you_serves_the_most_viewed_items_and_says_so(backend):
    client = make_client(backend)
    client.put_items(shop.items())
    client.record_many(Event("View", f"s{n}", "i90", f"u{n}", sent_at=shop.START + n) for n in range(5))
    client.record_many(Event("View", f"t{n}", "i7", f"u{n}", sent_at=shop.START + n) for n in range(3))

    result = client.recommend("recommended_for_you", user_id="u1", num_results=4)

    assert backend.engine.model.version == "untrained"
    assert result.source == "fallback"
    assert "no model has been trained yet" in result.reason
    assert "most popular items of the 8 item events stored so far" in result.reason
    assert result.item_ids[:2] == ["i90", "i7"]  # by views, not the catalogue's sorted ids
    assert [rec.score for rec in result][:2] == [5 / 8, 3 / 8]


def test_before_training_each_new_event_counts_at_the_next_request(backend):
    client = make_client(backend)
    client.put_items(shop.items())
    client.record(Event("View", "s", "i3", "u", sent_at=shop.START))
    assert client.recommend("most_viewed", num_results=1).item_ids == ["i3"]

    client.record_many(Event("Purchase", "s", "i60", "u", sent_at=shop.START + n) for n in range(2))

    # A Purchase weighs 4 Views by default.
    assert client.recommend("most_viewed", num_results=2).item_ids == ["i60", "i3"]


def test_before_training_an_item_known_only_from_events_is_served(backend):
    client = make_client(backend)
    client.record(Event("View", "s", "never-put", "u", sent_at=shop.START))

    result = client.recommend("best_sellers", num_results=3)

    assert result.item_ids == ["never-put"] and result.source == "fallback"


@pytest.mark.parametrize("use_case, kw", [
    ("best_sellers", {}),
    ("most_viewed", {}),
    ("recommended_for_you", {"user_id": "anyone"}),
    ("also_viewed", {"item_id": "i3"}),
    ("bought_together", {"item_id": "i3"}),
    ("also_viewed", {"item_id": "not-in-the-catalogue"}),
])
def test_before_any_event_every_list_is_an_empty_fallback_that_says_why(backend, use_case, kw):
    client = make_client(backend)
    client.put_items(shop.items())

    result = client.recommend(use_case, num_results=8, **kw)

    # No made-up order (the catalogue's ids): the caller's own fallback takes over.
    assert result.item_ids == [] and result.source == "fallback"
    assert "no item events are stored yet" in result.reason


def test_before_any_event_a_trained_model_does_not_invent_an_order_either(backend):
    client = make_client(backend)
    client.put_items(shop.items())
    backend.train()

    for use_case, kw in (("best_sellers", {}), ("recommended_for_you", {"user_id": "u"}),
                         ("also_viewed", {"item_id": "i3"})):
        result = client.recommend(use_case, num_results=8, **kw)
        assert result.item_ids == [] and result.source == "fallback", use_case


def test_the_catalogue_keeps_the_order_items_were_put_in_not_their_ids_as_strings(backend):
    client = make_client(backend)
    ids = [str(n) for n in (100, 99, 101, 11, 2)]
    client.put_items([Item(item_id, {"categoryL1": "c"}) for item_id in ids])
    client.put_items([Item("99", {"categoryL1": "d"})])  # an update keeps its place
    client.record(Event("View", "s", "7", "u", sent_at=shop.START))

    assert [row[0] for row in backend.engine.store.item_rows()] == ids
    client.recommend("best_sellers")  # refreshes the untrained model's catalogue
    assert backend.engine.model.item_ids == ids + ["7"]


def test_after_forgetting_a_user_their_events_no_longer_count_before_training(backend):
    client = make_client(backend)
    client.record_many(Event("View", "s", "i1", "gone", sent_at=shop.START + n) for n in range(3))
    client.record(Event("View", "t", "i2", "stays", sent_at=shop.START))
    assert client.recommend("most_viewed", num_results=1).item_ids == ["i1"]

    backend.engine.forget_user("gone")

    assert client.recommend("most_viewed", num_results=2).item_ids[0] == "i2"


def test_once_trained_the_fallback_comes_from_the_model(backend):
    client = make_client(backend)
    fill(client)
    backend.train()

    result = client.recommend("recommended_for_you", user_id="a-newcomer", num_results=3)

    assert result.source == "fallback" and "the user has no history yet" in result.reason
    assert "stored so far" not in result.reason


def test_before_training_a_related_list_shows_the_popular_items_of_the_category(backend):
    client = make_client(backend)
    client.put_items(shop.items())
    client.record_many(Event("View", f"s{n}", "i44", f"u{n}", sent_at=shop.START + n) for n in range(3))

    result = client.recommend("also_viewed", item_id="i0", num_results=2)

    assert result.source == "fallback" and "same category" in result.reason
    assert result.item_ids[0] == "i44"  # c0, like i0, and the only one viewed
