"""Exploration that varies: by visitor, by time bucket, away from what was shown and ignored."""

from __future__ import annotations

from collections import Counter

import pytest

from personalize_sdk import Event

from . import shop
from .conftest import fill, make_backend, make_client, trained

HOUR = 3600.0
#: a fixed "now" for the injected clock
NOW = 1_800_000_000.0
VISITORS = [f"u{n}" for n in range(30)]


def _explored(result):
    return [r.item_id for r in result if "Exploration" in r.reason]


@pytest.fixture
def exploring():
    backend = make_backend(exploration_weight=0.3)
    client = make_client(backend, filters={
        "not_c1": 'EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("c1")',
    })
    fill(client)
    backend.train()
    backend.engine.scorer.clock = lambda: NOW
    yield backend, client
    client.close()


def test_visitors_with_different_histories_get_different_explored_items(exploring):
    _backend, client = exploring
    explored = {user: tuple(sorted(_explored(client.recommend("recommended_for_you", user_id=user)))) for user in VISITORS}
    assert all(explored.values())
    assert len(set(explored.values())) > 1
    # every young item gets its turn somewhere, not the same two for everyone
    assert len({item for items in explored.values() for item in items}) >= 6


def test_one_visitor_keeps_the_explored_items_within_a_bucket_and_gets_new_ones_in_the_next(exploring):
    backend, client = exploring

    def explored_at(now):
        backend.engine.scorer.clock = lambda: now
        return _explored(client.recommend("recommended_for_you", user_id="u1"))

    first = explored_at(NOW)
    assert explored_at(NOW + 60) == first  # a reload in the same hour: the same items
    assert explored_at(NOW + HOUR) != first
    seen = {item for hour in range(8) for item in explored_at(NOW + hour * HOUR)}
    assert len(seen) > len(first)


def test_an_item_shown_often_and_never_clicked_is_explored_less_than_one_never_shown():
    backend = make_backend(exploration_weight=0.3)
    client = make_client(backend)
    fill(client)
    ignored = f"i{shop.YOUNG[0]}"
    # 20 lists showed it beside i1, and i1 was the one chosen every time
    client.record_many(
        Event("View", f"imp-{n}", "i1", f"viewer{n}", sent_at=shop.START + 41 * shop.DAY, impression=["i1", ignored])
        for n in range(20)
    )
    backend.train()
    counts: Counter = Counter()
    for hour in range(4):
        backend.engine.scorer.clock = lambda hour=hour: NOW + hour * HOUR
        for user in VISITORS:
            counts.update(_explored(client.recommend("recommended_for_you", user_id=user)))
    never_shown = [f"i{i}" for i in shop.YOUNG[1:]]
    assert counts[ignored] < min(counts[item] for item in never_shown)
    client.close()


def test_served_lists_nobody_clicked_count_as_impressions():
    backend, client = trained(exploration_weight=0.3)
    before = backend.engine.model.exposure.copy()
    result = client.recommend("recommended_for_you", user_id="u1")
    backend.train()
    after = backend.engine.model.exposure
    index = backend.engine.model.item_index
    for item_id in result.item_ids:
        assert after[index[item_id]] == before[index[item_id]] + 1
    client.close()


def test_exploration_never_shows_an_item_the_filter_excludes(exploring):
    backend, client = exploring
    explored = []
    for hour in range(3):
        backend.engine.scorer.clock = lambda hour=hour: NOW + hour * HOUR
        for user in VISITORS:
            result = client.recommend("recommended_for_you", user_id=user, filter="not_c1")
            assert all(int(item[1:]) % 4 != 1 for item in result.item_ids)
            explored += _explored(result)
        for item in ("i0", "i3", "i116"):
            for use_case in ("also_viewed", "bought_together"):
                result = client.recommend(use_case, item_id=item, user_id="u2", num_results=40, filter="not_c1")
                assert all(int(i[1:]) % 4 != 1 for i in result.item_ids)
    assert explored  # the filter narrowed exploration, it did not switch it off


def test_with_weight_zero_no_visitor_and_no_bucket_explores():
    backend, client = trained(exploration_weight=0.0)
    for hour in range(3):
        backend.engine.scorer.clock = lambda hour=hour: NOW + hour * HOUR
        for user in VISITORS[:10]:
            result = client.recommend("recommended_for_you", user_id=user)
            assert _explored(result) == []
            assert not {f"i{i}" for i in shop.YOUNG} & set(result.item_ids)
    client.close()
