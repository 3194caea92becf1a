"""Every use case, and ranking, on the planted structure of shop.py."""

from __future__ import annotations

import pytest

from personalize_sdk import ConfigurationError, Event, InvalidRequestError

from . import shop


def test_best_sellers_are_the_most_purchased(client, backend):
    result = client.recommend("best_sellers", num_results=5)
    assert result.source == "model" and result.use_case == "best_sellers"
    scores = backend.engine.model.popularity["best_sellers"]
    best = {backend.engine.model.item_ids[i] for i in scores.argsort()[::-1][:5]}
    assert set(result.item_ids) == best


def test_most_viewed_counts_views_not_purchases(backend):
    from .conftest import make_client

    client = make_client(backend)
    client.put_items(shop.items())
    t = shop.START
    events = [Event("View", "s", "i1", f"u{n}", sent_at=t + n) for n in range(60)]
    events += [Event("Purchase", "s", "i2", f"u{n}", sent_at=t + n) for n in range(60)]
    events += [Event("View", "s", "i3", f"u{n}", sent_at=t + n) for n in range(30)]
    client.record_many(events)
    backend.train()
    assert client.recommend("most_viewed", num_results=2).item_ids == ["i1", "i3"]
    assert client.recommend("best_sellers", num_results=1).item_ids == ["i2"]


def test_recent_events_outweigh_old_ones_in_popularity(backend):
    from .conftest import make_client

    client = make_client(backend, )
    t = shop.START
    old = [Event("Purchase", "s", "old", f"u{n}", sent_at=t + n) for n in range(40)]
    new = [Event("Purchase", "s", "new", f"u{n}", sent_at=t + 20 * shop.DAY + n) for n in range(25)]
    client.record_many(old + new)
    backend.train()
    assert client.recommend("best_sellers", num_results=2).item_ids == ["new", "old"]


def test_also_viewed_finds_items_of_the_same_sessions(client):
    result = client.recommend("also_viewed", item_id="i40", num_results=4)
    assert result.source == "model"
    assert {"i44", "i36"} <= set(result.item_ids)
    assert "i40" not in result.item_ids


def test_bought_together_finds_the_planted_pair(client):
    assert client.recommend("bought_together", item_id="i40", num_results=3).item_ids[0] == "i41"
    assert client.recommend("bought_together", item_id="i41", num_results=3).item_ids[0] == "i40"


def test_bought_together_falls_back_to_also_viewed_for_items_never_bought(client):
    client.record_many([Event("View", "x", "i2", "zz", sent_at=shop.START), Event("View", "x", "i200", "zz",
                        sent_at=shop.START + 1)])
    client.backend.train()
    result = client.recommend("bought_together", item_id="i200", num_results=3)
    assert result.source == "fallback" and "viewed" in result.reason
    assert result.item_ids[0] == "i2"


def test_recommended_for_you_follows_the_last_item_viewed(client):
    client.record(Event("View", "new-session", "i60", "u1", sent_at=shop.START + 50 * shop.DAY))
    result = client.recommend("recommended_for_you", user_id="u1", num_results=5)
    assert result.source == "model"
    assert "i64" in result.item_ids[:3]


def test_recommended_for_you_drops_items_already_purchased(client):
    client.record(Event("Purchase", "new-session", "i64", "u1", sent_at=shop.START + 50 * shop.DAY))
    client.record(Event("View", "new-session", "i60", "u1", sent_at=shop.START + 50 * shop.DAY + 1))
    result = client.recommend("recommended_for_you", user_id="u1", num_results=20)
    assert "i64" not in result.item_ids


def test_ranking_puts_the_likely_next_item_first(client):
    client.record(Event("View", "new-session", "i60", "u1", sent_at=shop.START + 50 * shop.DAY))
    result = client.rank("u1", ["i3", "i64", "i17", "unknown-item"])
    assert result.item_ids[0] == "i64"
    assert result.item_ids[-1] == "unknown-item"
    assert sorted(result.item_ids) == sorted(["i3", "i64", "i17", "unknown-item"])


def test_every_answer_has_a_recommendation_id_of_at_most_40_characters(client):
    ids = {client.recommend("best_sellers").recommendation_id for _ in range(3)}
    assert len(ids) == 3 and all(rid.startswith("RID-") and len(rid) <= 40 for rid in ids)


def test_num_results_is_honoured(client):
    for use_case, kw in (("best_sellers", {}), ("most_viewed", {}), ("also_viewed", {"item_id": "i1"}),
                         ("bought_together", {"item_id": "i1"}), ("recommended_for_you", {"user_id": "u1"})):
        assert len(client.recommend(use_case, num_results=7, **kw)) == 7, use_case


def test_unknown_filter_name_is_a_configuration_error(client):
    with pytest.raises(ConfigurationError, match="nope"):
        client.recommend("best_sellers", filter="nope")


def test_a_missing_id_is_refused_before_reaching_the_engine(client):
    with pytest.raises(InvalidRequestError):
        client.recommend("also_viewed")
