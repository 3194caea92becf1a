"""End to end: the SDK's HttpBackend against this API on a live server.

This is the contract of docs/backends/http.rst, exercised from both sides.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from personalize_sdk import BackendError, Client, Event, Item, ThrottledError, User
from personalize_sdk.backends.http import HttpBackend
from personalize_sdk.use_cases import RecommendationRequest

from .conftest import API, outbox

#: the live server handles each connection in a thread sharing the test's
#: in-memory database; a kept-alive connection would outlive the test
ONE_REQUEST_PER_CONNECTION = {"Connection": "close"}


def one_connection_per_request_session():
    """A requests session that re-sends a request whose connection the live server
    closed before answering. With ``Connection: close`` a pooled connection can be
    picked up in the instant before the server's close is seen; on a loaded machine
    that race is real, and it is the transport's, not the API's."""
    import requests
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(total=2, connect=2, read=2, status=0, other=0, allowed_methods=None, raise_on_status=False)
    session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
    return session


@pytest.fixture
def remote(live_server, service):
    """A Client whose backend is the live API, authenticated as the trusted service."""
    backend = HttpBackend(
        base_url=live_server.url + API,
        token=service.token,
        timeout=10,
        headers=ONE_REQUEST_PER_CONNECTION,
        session=one_connection_per_request_session(),
    )
    client = Client(backend, sync_mode=True)
    yield client
    client.close()


@pytest.mark.django_db(transaction=True)
def test_events_items_and_users_arrive_in_the_outbox(catalogue, remote):
    cap = str(catalogue["cap"].pk)
    remote.record_many(
        [
            Event("View", session_id="s-1", user_id="1017", item_id=cap, event_id="a" * 32),
            Event(
                "Purchase",
                session_id="s-2",
                user_id="2024",
                item_id=cap,
                event_value=12.5,
                recommendation_id="RID-1",
                impression=[cap],
                event_id="b" * 32,
            ),
        ]
    )
    remote.put_items([Item("77", {"price": 9.5})])
    remote.put_users([User("1017", {"membership": "gold"})])
    events = {e["event_id"]: e for e in outbox()}
    assert events["a" * 32]["user_id"] == "1017" and events["a" * 32]["session_id"] == "s-1"
    assert (
        events["b" * 32]["user_id"] == "2024" and events["b" * 32]["recommendation_id"] == "RID-1"
    )
    assert {"item_id": "77", "properties": {"price": 9.5}} in outbox("item")
    assert {"user_id": "1017", "properties": {"membership": "gold"}} in outbox("user")


@pytest.mark.django_db(transaction=True)
def test_without_a_trusted_token_writes_are_refused_for_good(catalogue, live_server):
    backend = HttpBackend(
        base_url=live_server.url + API,
        timeout=10,
        headers=ONE_REQUEST_PER_CONNECTION,
        session=one_connection_per_request_session(),
    )
    try:
        with pytest.raises(BackendError) as info:
            backend.put_items([Item("77")])
    finally:
        backend.close()
    assert info.value.status_code in (401, 403)
    assert info.value.retryable is False
    assert all(row["item_id"] != "77" for row in outbox("item"))


@pytest.mark.django_db(transaction=True)
def test_recommendations_and_ranking(catalogue, backend, remote):
    boot, cap, wool = (str(catalogue[n].pk) for n in ("boot", "cap", "wool"))
    backend.set_recommendations(
        "also_viewed", [(cap, 0.5), (wool, 0.25)], item_id=boot, recommendation_id="RID-9"
    )
    backend.set_recommendations("recommended_for_you", [wool, cap, boot], user_id="1017")
    recs = remote.recommend("also_viewed", item_id=boot, num_results=2)
    assert recs.item_ids == [cap, wool]
    assert [r.score for r in recs] == [0.5, 0.25]
    assert (recs.recommendation_id, recs.use_case, recs.source) == ("RID-9", "also_viewed", "model")
    personal = remote.recommend("recommended_for_you", user_id="1017", num_results=1)
    assert personal.item_ids == [wool]
    ranked = remote.rank("1017", [boot, cap, wool])
    assert ranked.item_ids == [wool, cap, boot]


@pytest.mark.django_db(transaction=True)
def test_errors_map_to_the_sdks_exceptions(catalogue, remote):
    with pytest.raises(BackendError) as info:
        remote.recommend("best_sellers", filter="no_such_filter")
    assert (info.value.status_code, info.value.retryable) == (400, False)
    assert "no_such_filter" in str(info.value)
    rates = {"events": "100/min", "reads": "100/min", "trusted": "1/min"}
    with override_settings(
        PERSONALIZE={
            "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
            "API_THROTTLE_RATES": rates,
        }
    ):
        remote.recommend("best_sellers")
        with pytest.raises(ThrottledError) as throttled:
            # The backend itself (one attempt): the client would retry a throttled read.
            remote.backend.recommend(RecommendationRequest("best_sellers"))
    assert throttled.value.retry_after and throttled.value.retry_after > 0
