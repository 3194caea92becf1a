"""personalize-runtime through real boto3 clients, over the local engine.

A small shop is loaded through the events API (items in two categories, 40
shoppers each viewing a run of five neighbouring items, a few purchases) and
the engine trained once; each test then asks what a shop would ask.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("numpy")
pytest.importorskip("scipy")

from personalize_sdk.backends.local import LocalBackend  # noqa: E402
from personalize_sdk.backends.memory import MemoryBackend  # noqa: E402
from personalize_sdk.use_cases import RecommendationRequest  # noqa: E402

from .conftest import FILTERS, start  # noqa: E402

TRACKING_ID = "local-tracking-id"
NOW = datetime.now(timezone.utc)
ITEMS = [f"i{n}" for n in range(12)]
SHOES = {item for n, item in enumerate(ITEMS) if n % 2}


def category(item: str) -> str:
    return "shoes" if item in SHOES else "socks"


def put_in_batches(events_client, user: str, session: str, events: list[dict]) -> None:
    """PutEvents as Personalize takes it: at most 10 events a call."""
    for start_at in range(0, len(events), 10):
        events_client.put_events(
            trackingId=TRACKING_ID,
            userId=user,
            sessionId=session,
            eventList=events[start_at : start_at + 10],
        )


@pytest.fixture(scope="module")
def shop():
    backend = LocalBackend(min_data_scale=0.01, auto_train=False, exploration_weight=0.0)
    served = start(backend, filters=FILTERS)
    config = served.config
    for start_at in range(0, len(ITEMS), 10):
        served.events.put_items(
            datasetArn=config.items_dataset_arn,
            items=[
                {"itemId": item, "properties": json.dumps({"categoryL1": category(item)})}
                for item in ITEMS[start_at : start_at + 10]
            ],
        )
    start_time = NOW - timedelta(days=2)
    for user in range(40):
        views = [
            {
                "eventType": "View",
                "itemId": ITEMS[(user + k) % 12],
                "sentAt": start_time + timedelta(minutes=user * 10 + k),
            }
            for k in range(5)
        ]
        if user % 4 == 0:
            views.append(
                {
                    "eventType": "Purchase",
                    "itemId": ITEMS[user % 12],
                    "sentAt": start_time + timedelta(minutes=user * 10 + 6),
                }
            )
        put_in_batches(served.events, f"u{user}", f"s{user}", views)
    backend.train()
    yield served
    served.thread.stop()
    served.app.close()


def recommend(shop, user: str, **params) -> dict:
    return shop.runtime.get_recommendations(
        recommenderArn=shop.config.recommender_arn("recommended_for_you"), userId=user, **params
    )


def test_events_put_in_batches_land_in_the_engine_and_change_recommended_for_you(shop):
    before = [entry["itemId"] for entry in recommend(shop, "newcomer", numResults=5)["itemList"]]
    later = NOW - timedelta(minutes=5)
    views = [
        {"eventType": "View", "itemId": item, "sentAt": later + timedelta(seconds=n)}
        for n, item in enumerate(["i7", "i8"] * 6)
    ]

    put_in_batches(shop.events, "newcomer", "s-new", views)  # 12 events: two calls

    stored = [event for event in shop.backend.iter_events() if event.user_id == "newcomer"]
    assert len(stored) == 12 and {event.item_id for event in stored} == {"i7", "i8"}
    after = [entry["itemId"] for entry in recommend(shop, "newcomer", numResults=5)["itemList"]]
    assert after != before
    # Shoppers viewed runs of neighbouring items, so i7 and i8's neighbours lead now.
    assert after[0] in {"i5", "i6", "i9", "i10"}


def test_get_recommendations_answers_an_item_list_with_scores_and_a_recommendation_id(shop):
    response = recommend(shop, "u3", numResults=5)

    items = response["itemList"]
    assert 1 <= len(items) <= 5
    assert all(
        set(entry) >= {"itemId", "score"} and isinstance(entry["score"], float) for entry in items
    )
    assert set(entry["itemId"] for entry in items) <= set(ITEMS)
    assert response["recommendationId"] and len(response["recommendationId"]) <= 40


def test_a_recommendation_id_goes_back_with_the_click(shop):
    response = recommend(shop, "u5", numResults=3)

    shop.events.put_events(
        trackingId=TRACKING_ID,
        userId="u5",
        sessionId="s5",
        eventList=[
            {
                "eventType": "Click",
                "itemId": response["itemList"][0]["itemId"],
                "sentAt": NOW,
                "recommendationId": response["recommendationId"],
            }
        ],
    )

    clicks = [
        e for e in shop.backend.iter_events() if e.user_id == "u5" and e.event_type == "Click"
    ]
    assert clicks[-1].recommendation_id == response["recommendationId"]


@pytest.mark.parametrize(
    "values, allowed",
    [('"shoes"', {"shoes"}), ('"socks"', {"socks"}), ('"shoes","socks"', {"shoes", "socks"})],
)
def test_a_filter_arn_with_filter_values_filters(shop, values, allowed):
    response = recommend(
        shop,
        "u3",
        numResults=12,
        filterArn=shop.config.filter_arn("in_category"),
        filterValues={"CATEGORY": values},
    )

    returned = {category(entry["itemId"]) for entry in response["itemList"]}
    assert response["itemList"] and returned == allowed


def test_an_exclude_filter_removes_what_this_user_bought(shop):
    # u0 bought i0; u4 and u8 bought i4 and i8: all three are best sellers.
    def best_sellers(**params):
        response = shop.runtime.get_recommendations(
            campaignArn=shop.config.campaign_arn("best_sellers"),
            userId="u0",
            numResults=12,
            **params,
        )
        return [entry["itemId"] for entry in response["itemList"]]

    unfiltered = best_sellers()
    filtered = best_sellers(filterArn=shop.config.filter_arn("not_bought"))

    assert {"i0", "i4", "i8"} <= set(unfiltered)
    assert "i0" not in filtered and {"i4", "i8"} <= set(filtered)


def test_item_use_cases_answer_for_an_item(shop):
    response = shop.runtime.get_recommendations(
        recommenderArn=shop.config.recommender_arn("also_viewed"),
        itemId="i4",
        userId="u1",
        numResults=4,
    )

    neighbours = [entry["itemId"] for entry in response["itemList"]]
    assert neighbours and "i4" not in neighbours
    assert set(neighbours[:2]) <= {"i2", "i3", "i5", "i6"}


def test_personalized_ranking_orders_the_input_list(shop):
    input_list = ["i1", "i9", "i4", "unknown-item"]

    response = shop.runtime.get_personalized_ranking(
        campaignArn=shop.config.campaign_arn("personalized-ranking"),
        userId="u3",
        inputList=input_list,
    )

    ranked = [entry["itemId"] for entry in response["personalizedRanking"]]
    assert sorted(ranked) == sorted(input_list)
    assert response["recommendationId"]


def test_a_promotion_fills_its_share_of_slots_from_its_filter(shop):
    response = recommend(
        shop,
        "u3",
        numResults=6,
        promotions=[
            {
                "name": "shoe-week",
                "percentPromotedItems": 50,
                "filterArn": shop.config.filter_arn("in_category"),
                "filterValues": {"CATEGORY": '"shoes"'},
            }
        ],
    )

    items = response["itemList"]
    promoted = [entry["itemId"] for entry in items if entry.get("promotionName") == "shoe-week"]
    assert len(items) == 6 and len(promoted) == 3
    assert {category(item) for item in promoted} == {"shoes"}
    assert len({entry["itemId"] for entry in items}) == 6  # no item twice
    alone = recommend(
        shop,
        "u3",
        numResults=3,
        filterArn=shop.config.filter_arn("in_category"),
        filterValues={"CATEGORY": '"shoes"'},
    )
    assert promoted == [
        entry["itemId"] for entry in alone["itemList"]
    ]  # promoted items keep their order


# -- scores: Personalize's [0, 1] -------------------------------------------
def assert_scores_on_the_scale(entries: list[dict]) -> None:
    scores = [entry["score"] for entry in entries]
    assert scores and all(0.0 <= score <= 1.0 for score in scores), scores
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) <= 1.0 + 1e-6


@pytest.mark.parametrize("use_case", ["recommended_for_you", "also_viewed", "bought_together",
                                      "best_sellers", "most_viewed"])
def test_every_recommender_and_campaign_scores_within_0_and_1(shop, use_case):
    for arn in ({"recommenderArn": shop.config.recommender_arn(use_case)},
                {"campaignArn": shop.config.campaign_arn(use_case)}):
        for user in ("u3", "u17", "nobody"):
            response = shop.runtime.get_recommendations(**arn, userId=user, itemId="i4", numResults=10)
            assert_scores_on_the_scale(response["itemList"])


def test_a_personalized_ranking_sums_to_1_and_an_unknown_item_scores_0(shop):
    for user in ("u3", "u17", "nobody"):
        response = shop.runtime.get_personalized_ranking(
            campaignArn=shop.config.campaign_arn("personalized-ranking"),
            userId=user,
            inputList=["i1", "i9", "i4", "i6", "unknown-item"],
        )

        scores = {entry["itemId"]: entry["score"] for entry in response["personalizedRanking"]}
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert scores["unknown-item"] == 0.0
        assert all(0.0 <= score <= 1.0 for score in scores.values())


# -- before the first model -------------------------------------------------
def test_before_the_first_model_recommended_for_you_answers_the_most_viewed_items():
    backend = LocalBackend(auto_train=False)
    served = start(backend)
    try:
        served.events.put_items(
            datasetArn=served.config.items_dataset_arn, items=[{"itemId": item} for item in ITEMS[:10]]
        )
        views = [("i7", 4), ("i3", 2), ("i9", 1)]
        put_in_batches(served.events, "viewer", "v-1", [
            {"eventType": "View", "itemId": item, "sentAt": NOW - timedelta(minutes=n)}
            for item, count in views for n in range(count)
        ])

        items = recommend(served, "someone", numResults=3)["itemList"]

        assert backend.engine.model.version == "untrained"
        assert [entry["itemId"] for entry in items] == ["i7", "i3", "i9"]  # not the catalogue's first ids
        assert [entry["score"] for entry in items] == pytest.approx([4 / 7, 2 / 7, 1 / 7], abs=1e-6)
        # Each says why, in Personalize's words for a placeholder popular item.
        assert [entry["reason"] for entry in items] == [["Popular item"]] * 3
        # What the engine answered, and why, in its own words.
        answer = backend.recommend(RecommendationRequest("recommended_for_you", user_id="someone", num_results=3))
        assert answer.source == "fallback" and "no model has been trained yet" in answer.reason
    finally:
        served.thread.stop()
        served.app.close()


# -- numResults, over a scripted backend ------------------------------------
@pytest.fixture(scope="module")
def scripted():
    backend = MemoryBackend()
    backend.set_recommendations("best_sellers", [(f"b{n}", 1.0 - n / 100) for n in range(30)])
    served = start(backend)
    yield served
    served.thread.stop()


def test_num_results_defaults_to_25(scripted):
    response = scripted.runtime.get_recommendations(
        campaignArn=scripted.config.campaign_arn("best_sellers")
    )

    assert len(response["itemList"]) == 25
    assert scripted.backend.requests[-1].num_results == 25


def test_num_results_zero_answers_an_empty_list(scripted):
    before = len(scripted.backend.requests)

    response = scripted.runtime.get_recommendations(
        campaignArn=scripted.config.campaign_arn("best_sellers"), numResults=0
    )

    assert response["itemList"] == [] and response["recommendationId"]
    assert len(scripted.backend.requests) == before


def test_context_and_filter_values_reach_the_backend_decoded(scripted):
    scripted.runtime.get_recommendations(
        campaignArn=scripted.config.campaign_arn("best_sellers"),
        userId="u1",
        context={"DEVICE": "mobile"},
    )

    request = scripted.backend.requests[-1]
    assert (request.user_id, dict(request.context)) == ("u1", {"DEVICE": "mobile"})


def test_concurrent_clients_are_all_served(shop):
    from concurrent.futures import ThreadPoolExecutor

    def shopper(n: int) -> int:
        events = shop.client("personalize-events")
        runtime = shop.client("personalize-runtime")
        events.put_events(
            trackingId=TRACKING_ID,
            userId=f"c{n}",
            sessionId=f"cs{n}",
            eventList=[{"eventType": "View", "itemId": ITEMS[n % 12], "sentAt": NOW}],
        )
        return len(recommend_with(runtime, shop, f"c{n}")["itemList"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(shopper, range(24)))

    assert all(count > 0 for count in counts)
    stored = {e.user_id for e in shop.backend.iter_events() if (e.user_id or "").startswith("c")}
    assert stored == {f"c{n}" for n in range(24)}


def recommend_with(runtime, shop, user: str) -> dict:
    return runtime.get_recommendations(
        recommenderArn=shop.config.recommender_arn("recommended_for_you"), userId=user, numResults=5
    )
