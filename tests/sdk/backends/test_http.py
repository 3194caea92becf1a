"""The HTTP backend against ``responses``: the wire format of every call (the
contract the Django REST API implements), the error mapping, and the shared
retry path through the Client."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest

requests = pytest.importorskip("requests")
responses = pytest.importorskip("responses")

import personalize_sdk  # noqa: E402
from personalize_sdk import (  # noqa: E402
    BackendError,
    Client,
    ConfigurationError,
    Event,
    InvalidRequestError,
    Item,
    NotReadyError,
    RetryPolicy,
    ThrottledError,
    User,
)
from personalize_sdk.backends.http import (
    HttpBackend,
    error_message,
    parse_retry_after,
)  # noqa: E402

BASE = "https://shop.example.com/api/personalize/"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
NO_WAIT = RetryPolicy(max_attempts=4, base_delay=0, max_delay=0)


@pytest.fixture
def mock():
    # assert_all_requests_are_fired: every registered response must be used.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def backend() -> HttpBackend:
    backend = HttpBackend(base_url=BASE, token="secret-token")
    yield backend
    backend.close()


@pytest.fixture
def client(backend):
    client = Client(backend, sync_mode=True, retry=NO_WAIT, read_retry=NO_WAIT)
    yield client
    client.close()


def body_of(call) -> dict:
    return json.loads(call.request.body)


def query_of(call) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True)


def recommendation_body(use_case="also_viewed", items=(("7", None), ("3", None)), **extra) -> dict:
    return {
        "use_case": use_case,
        "recommendation_id": "RID-1",
        "source": "model",
        "reason": None,
        "items": [{"item_id": i, "score": s} for i, s in items],
        **extra,
    }


# -- wire format ------------------------------------------------------------
def test_events_are_posted_as_their_dicts_in_mixed_batches(client, mock):
    mock.post(BASE + "events/", json={"accepted": 3, "errors": []}, status=202)
    events = [
        Event("View", session_id="s1", user_id="u1", item_id="1", sent_at=T0, event_id="e1"),
        Event("View", session_id="s2", item_id="2", sent_at=T0, event_id="e2"),
        Event(
            "Purchase",
            session_id="s1",
            user_id="u1",
            item_id="1",
            sent_at=T0,
            event_value=9.5,
            event_id="e3",
        ),
    ]

    client.record_many(events)

    assert len(mock.calls) == 1  # one call: the server takes several sessions at once
    call = mock.calls[0]
    assert call.request.method == "POST"
    assert call.request.headers["Content-Type"] == "application/json"
    assert body_of(call) == {"events": [e.to_dict() for e in events]}
    assert body_of(call)["events"][0] == {
        "event_id": "e1",
        "event_type": "View",
        "session_id": "s1",
        "user_id": "u1",
        "item_id": "1",
        "sent_at": "2026-01-01T12:00:00+00:00",
    }


def test_events_are_cut_at_max_events_per_call(mock):
    backend = HttpBackend(base_url=BASE, max_events_per_call=2)
    mock.post(BASE + "events/", json={"accepted": 2, "errors": []})
    mock.post(BASE + "events/", json={"accepted": 1, "errors": []})

    with Client(backend, sync_mode=True) as client:
        client.record_many([Event("View", session_id=f"s{i}", item_id="1") for i in range(3)])

    assert [len(body_of(c)["events"]) for c in mock.calls] == [2, 1]


def test_items_and_users_are_posted(client, mock):
    mock.post(BASE + "items/", json={"accepted": 1, "errors": []})
    mock.post(BASE + "users/", status=204)

    client.put_items([Item("42", properties={"price": 10, "categoryL1": "shoes"})])
    client.put_users([User("u1")])

    assert body_of(mock.calls[0]) == {
        "items": [{"item_id": "42", "properties": {"categoryL1": "shoes", "price": 10}}]
    }
    assert body_of(mock.calls[1]) == {"users": [{"user_id": "u1"}]}


def test_recommendations_query_string(client, mock):
    mock.get(BASE + "recommendations/also_viewed/", json=recommendation_body())

    client.recommend(
        "also_viewed",
        item_id="42",
        num_results=5,
        filter="in_category",
        filter_values={"CATEGORY": ["shoes", "socks"], "BRAND": "acme"},
        context={"DEVICE": "mobile"},
    )

    call = mock.calls[0]
    assert urlsplit(call.request.url).path == "/api/personalize/recommendations/also_viewed/"
    assert query_of(call) == [
        ("item", "42"),
        ("limit", "5"),
        ("filter", "in_category"),
        ("CATEGORY", "shoes"),
        ("CATEGORY", "socks"),
        ("BRAND", "acme"),
        ("context.DEVICE", "mobile"),
    ]


def test_recommendations_for_a_user_without_filter(client, mock):
    mock.get(
        BASE + "recommendations/recommended_for_you/",
        json=recommendation_body("recommended_for_you"),
    )

    client.recommend("recommended_for_you", user_id="u1")

    assert query_of(mock.calls[0]) == [("user", "u1"), ("limit", "10")]


def test_a_recommendations_response_becomes_a_recommendation_list(client, mock):
    body = recommendation_body(items=(("7", 0.9), ("3", None)), model_version="v3")
    body["items"][0].update(
        {"promotion_name": "summer", "reason": ["Promoted item"], "title": "Red shoes"}
    )
    mock.get(BASE + "recommendations/also_viewed/", json=body)

    result = client.recommend("also_viewed", item_id="42")

    assert result.item_ids == ["7", "3"]
    assert [r.score for r in result] == [0.9, None]
    assert result[0].promotion_name == "summer" and result[0].reason == ("Promoted item",)
    assert result.recommendation_id == "RID-1"
    assert result.use_case == "also_viewed"
    assert result.source == "model"
    assert result.extra == {"model_version": "v3"}


def test_a_fallback_answer_keeps_its_source_and_reason(client, mock):
    mock.get(
        BASE + "recommendations/best_sellers/",
        json={
            "use_case": "best_sellers",
            "recommendation_id": None,
            "source": "fallback",
            "reason": "not trained",
            "items": [{"item_id": "1", "score": None}],
        },
    )

    result = client.recommend("best_sellers")

    assert result.is_fallback and result.reason == "not trained"


def test_ranking_body(client, mock):
    mock.post(BASE + "ranking/", json=recommendation_body(None, items=(("c", 0.7), ("a", 0.3))))

    result = client.rank(
        "u1",
        ["a", "c"],
        filter="not_bought",
        filter_values={"CATEGORY": "shoes"},
        context={"DEVICE": "mobile"},
    )

    assert body_of(mock.calls[0]) == {
        "user_id": "u1",
        "item_ids": ["a", "c"],
        "filter": "not_bought",
        "filter_values": {"CATEGORY": ["shoes"]},
        "context": {"DEVICE": "mobile"},
    }
    assert result.item_ids == ["c", "a"]


def test_ranking_body_without_filter(client, mock):
    mock.post(BASE + "ranking/", json=recommendation_body(None, items=()))

    client.rank("u1", ["a"])

    assert body_of(mock.calls[0]) == {
        "user_id": "u1",
        "item_ids": ["a"],
        "filter": None,
        "filter_values": {},
        "context": {},
    }


def test_a_placeholder_named_like_a_query_parameter_is_refused(client, mock):
    with pytest.raises(InvalidRequestError, match="'limit'"):
        client.recommend("best_sellers", filter="f", filter_values={"limit": "3"})
    assert len(mock.calls) == 0


def test_an_unreadable_response_is_a_backend_error(client, mock):
    mock.get(
        BASE + "recommendations/best_sellers/", body="<html>hello</html>", content_type="text/html"
    )

    with pytest.raises(BackendError) as info:
        client.recommend("best_sellers")

    assert info.value.code == "bad_response" and not info.value.retryable


# -- headers and timeouts ---------------------------------------------------
def test_authorization_and_user_agent_headers(client, mock):
    mock.post(BASE + "events/", json={"accepted": 1, "errors": []})
    mock.get(BASE + "recommendations/best_sellers/", json=recommendation_body("best_sellers"))

    client.record(Event("View", session_id="s1", item_id="1"))
    client.recommend("best_sellers")

    for call in mock.calls:
        assert call.request.headers["Authorization"] == "Token secret-token"
        assert (
            call.request.headers["User-Agent"]
            == f"personalize-sdk/{personalize_sdk.__version__} (http)"
        )
        assert call.request.headers["Accept"] == "application/json"


def test_extra_headers_and_no_token(mock):
    backend = HttpBackend(base_url=BASE.rstrip("/"), headers={"X-Shop": "eu"})
    mock.get(BASE + "recommendations/best_sellers/", json=recommendation_body("best_sellers"))

    with Client(backend, sync_mode=True) as client:
        client.recommend("best_sellers")

    headers = mock.calls[0].request.headers
    assert headers["X-Shop"] == "eu"
    assert "Authorization" not in headers


def test_every_request_carries_the_timeout(client, mock):
    mock.post(BASE + "events/", json={"accepted": 1, "errors": []})
    mock.post(BASE + "items/", json={"accepted": 1, "errors": []})
    mock.post(BASE + "users/", json={"accepted": 1, "errors": []})
    mock.get(BASE + "recommendations/best_sellers/", json=recommendation_body("best_sellers"))
    mock.post(BASE + "ranking/", json=recommendation_body(None))

    client.record(Event("View", session_id="s1", item_id="1"))
    client.put_items([Item("1")])
    client.put_users([User("1")])
    client.recommend("best_sellers")
    client.rank("u1", ["1"])

    assert len(mock.calls) == 5
    assert all(call.request.req_kwargs["timeout"] == (3.05, 10.0) for call in mock.calls)


def test_a_custom_timeout_and_verify_reach_requests(mock):
    backend = HttpBackend(base_url=BASE, timeout=2, verify="/etc/ssl/shop-ca.pem")
    mock.get(BASE + "recommendations/best_sellers/", json=recommendation_body("best_sellers"))

    with Client(backend, sync_mode=True) as client:
        client.recommend("best_sellers")

    assert mock.calls[0].request.req_kwargs["timeout"] == 2.0
    assert mock.calls[0].request.req_kwargs["verify"] == "/etc/ssl/shop-ca.pem"


def test_an_injected_session_is_used_and_left_unchanged(mock):
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"
    backend = HttpBackend(base_url=BASE, session=session, token="t")
    mock.get(BASE + "recommendations/best_sellers/", json=recommendation_body("best_sellers"))

    with Client(backend, sync_mode=True) as client:
        client.recommend("best_sellers")

    assert mock.calls[0].request.headers["X-From-Session"] == "yes"
    assert "Authorization" not in session.headers
    session.close()


# -- errors and retries -----------------------------------------------------
def test_503_is_retried_then_succeeds(client, mock):
    mock.post(BASE + "events/", json={"detail": "maintenance"}, status=503)
    mock.post(BASE + "events/", json={"detail": "maintenance"}, status=503)
    mock.post(BASE + "events/", json={"accepted": 2, "errors": []}, status=202)

    client.record_many([Event("View", session_id="s1", item_id=str(i)) for i in range(2)])

    assert len(mock.calls) == 3
    assert client.stats == {"delivered": 2, "failed": 0, "dropped": 0, "retries": 2}


def test_400_is_not_retried_and_carries_the_server_message(client, mock):
    mock.post(BASE + "events/", json={"detail": "Unknown event type 'Vew'"}, status=400)

    with pytest.raises(BackendError) as info:
        client.record(Event("Vew", session_id="s1", item_id="1"))

    assert len(mock.calls) == 1
    error = info.value
    assert error.retryable is False
    assert error.status_code == 400
    assert error.backend == "http"
    assert "Unknown event type 'Vew'" in error.message
    assert client.stats["retries"] == 0


def test_a_drf_validation_error_body_is_readable(client, mock):
    mock.post(BASE + "ranking/", json={"item_ids": ["This list may not be empty."]}, status=400)

    with pytest.raises(BackendError, match="item_ids: This list may not be empty."):
        client.rank("u1", ["a"])


def test_refused_records_in_a_2xx_answer_are_a_non_retryable_error(client, mock):
    mock.post(
        BASE + "events/",
        json={"accepted": 1, "errors": [{"index": 1, "field": "item_id", "rule": "unknown item"}]},
        status=202,
    )

    # The backend's own answer (the client would go on to send each event
    # alone, to find the refused one).
    with pytest.raises(BackendError) as info:
        client.backend.put_events(
            [
                Event("View", session_id="s1", item_id="1"),
                Event("View", session_id="s1", item_id="2"),
            ]
        )

    assert info.value.retryable is False and info.value.code == "rejected"
    assert (
        "accepted 1 of 2" in info.value.message
        and "[1].item_id: unknown item" in info.value.message
    )
    assert len(mock.calls) == 1


def test_429_is_a_throttled_error_with_retry_after(backend, mock):
    mock.post(
        BASE + "events/", json={"detail": "slow down"}, status=429, headers={"Retry-After": "7"}
    )

    with pytest.raises(ThrottledError) as info:
        backend.put_events([Event("View", session_id="s1", item_id="1")])

    assert info.value.retryable and info.value.status_code == 429
    assert info.value.retry_after == 7.0
    assert "slow down" in info.value.message


def test_a_throttled_batch_is_retried_exactly_per_the_retry_policy(backend, mock):
    for _ in range(3):
        mock.post(BASE + "events/", json={"detail": "slow down"}, status=429)
    client = Client(
        backend, sync_mode=True, retry=RetryPolicy(max_attempts=3, base_delay=0, max_delay=0)
    )

    with pytest.raises(ThrottledError):
        client.record(Event("View", session_id="s1", item_id="1"))

    assert len(mock.calls) == 3
    assert client.stats["retries"] == 2 and client.stats["failed"] == 1


def test_a_connection_error_is_retryable(backend, mock):
    mock.get(
        BASE + "recommendations/best_sellers/", body=requests.ConnectionError("connection refused")
    )

    with pytest.raises(BackendError) as info:
        backend.recommend(personalize_sdk.use_cases.RecommendationRequest("best_sellers"))

    assert info.value.retryable is True and info.value.code == "connection_error"


def test_a_timeout_is_retried_by_the_client(client, mock):
    mock.post(BASE + "items/", body=requests.ReadTimeout("read timed out"))
    mock.post(BASE + "items/", json={"accepted": 1, "errors": []})

    client.put_items([Item("1")])

    assert len(mock.calls) == 2 and client.stats["retries"] == 1


@pytest.mark.parametrize(
    "status, retryable", [(500, True), (502, True), (408, True), (403, False), (404, False)]
)
def test_statuses_map_to_retryable_or_not(backend, mock, status, retryable):
    mock.post(BASE + "users/", json={"detail": "x"}, status=status)

    with pytest.raises(BackendError) as info:
        backend.put_users([User("1")])

    assert not isinstance(info.value, ThrottledError)
    assert info.value.retryable is retryable and info.value.status_code == status


def test_503_not_ready_is_not_ready_for_reads(client, mock):
    mock.get(
        BASE + "recommendations/recommended_for_you/",
        json={"code": "not_ready", "detail": "no trained model yet"},
        status=503,
    )

    with pytest.raises(NotReadyError) as info:
        client.recommend("recommended_for_you", user_id="u1")

    assert info.value.use_case == "recommended_for_you"
    assert "no trained model yet" in str(info.value)
    assert len(mock.calls) == 1  # not retried: the caller serves a fallback


def test_503_not_ready_on_a_write_is_retryable(backend, mock):
    mock.post(BASE + "events/", json={"code": "not_ready", "detail": "starting"}, status=503)

    with pytest.raises(BackendError) as info:
        backend.put_events([Event("View", session_id="s1", item_id="1")])

    assert info.value.retryable and info.value.code == "not_ready"


# -- helpers and configuration ------------------------------------------------
def test_parse_retry_after():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=T0.timestamp()) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=T0.timestamp()) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "body, text",
    [
        ({"detail": "nope"}, "nope"),
        (
            {"errors": [{"index": 0, "field": "item_id", "rule": "too long"}]},
            "[0].item_id: too long",
        ),
        ({"user_id": ["required"], "code": "invalid"}, "user_id: required"),
        (["one", "two"], "one; two"),
        ("plain text", "plain text"),
        (None, None),
    ],
)
def test_error_message(body, text):
    assert error_message(body) == text


@pytest.mark.parametrize(
    "options, match",
    [
        ({}, "base_url"),
        ({"base_url": "ftp://shop.example.com/"}, "base_url"),
        ({"base_url": BASE + "?x=1"}, "base_url"),
        ({"base_url": BASE, "timeout": None}, "timeout"),
        ({"base_url": BASE, "timeout": (1, 0)}, "timeout"),
        ({"base_url": BASE, "max_events_per_call": 0}, "max_events_per_call"),
        ({"base_url": BASE, "token": "a\nb"}, "token"),
        ({"base_url": BASE, "tokn": "x"}, "http.*tokn"),
    ],
)
def test_bad_options_are_configuration_errors(options, match):
    with pytest.raises(ConfigurationError, match=match):
        HttpBackend(**options)


def test_load_backend_by_alias():
    from personalize_sdk.backends import load_backend

    backend = load_backend("http", {"base_url": BASE})
    assert isinstance(backend, HttpBackend)
    assert backend.one_session_per_call is False and backend.max_events_per_call == 100
    backend.close()


def test_missing_requests_raises_improperly_installed():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys; sys.modules['requests'] = None\n"
        "from personalize_sdk.backends import load_backend\n"
        "from personalize_sdk.exceptions import ImproperlyInstalled\n"
        "try:\n"
        "    load_backend('http', {'base_url': 'https://x.example/'})\n"
        "except ImproperlyInstalled as err:\n"
        "    print(err.missing_package, err.install_extra)\n"
    )
    repo_root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=repo_root,
        env=dict(os.environ, PYTHONPATH=str(repo_root)),
        check=True,
    )
    assert result.stdout.strip() == "requests http"


def _poisoned_server(mock, calls):
    """A server that answers 500 (as a database error would) for any batch
    holding the event of item ``poison``, and stores the others."""

    def handler(request):
        sent = json.loads(request.body)["events"]
        calls.append([e["item_id"] for e in sent])
        if any(e["item_id"] == "poison" for e in sent):
            return (500, {}, json.dumps({"detail": "Internal Server Error"}))
        return (202, {}, json.dumps({"accepted": len(sent), "errors": []}))

    mock.add_callback(responses.POST, BASE + "events/", callback=handler)


def test_a_500_for_one_poisoned_event_delivers_the_other_nine(mock):
    from personalize_sdk.sending import send

    calls: list[list[str]] = []
    _poisoned_server(mock, calls)
    backend = HttpBackend(base_url=BASE)
    batch = [Event("View", "s1", item_id=str(i), sent_at=T0) for i in range(10)]
    batch[3] = Event("View", "s1", item_id="poison", sent_at=T0)
    outcome = send(backend, "events", list(enumerate(batch)), policy=NO_WAIT)
    assert sorted(outcome.delivered) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert [key for key, _ in outcome.retry] == [3]
    assert outcome.dead == [] and outcome.retry[0][1].status_code == 500
    delivered = [item for call in calls if "poison" not in call for item in call]
    assert sorted(delivered, key=int) == ["0", "1", "2", "4", "5", "6", "7", "8", "9"]
    # 4 attempts of the whole (the policy), then the halves down to the event:
    # depth first: [0-4], [0 1], [2 3 4], [2], [3 4], [3], [4], [5-9].
    assert calls[4:] == [
        ["0", "1", "2", "poison", "4"], ["0", "1"], ["2", "poison", "4"], ["2"], ["poison", "4"],
        ["poison"], ["4"], ["5", "6", "7", "8", "9"],
    ]


def test_a_throttled_batch_is_never_split(mock):
    from personalize_sdk.sending import send

    for _ in range(4):
        mock.post(BASE + "events/", json={"detail": "slow down"}, status=429)
    backend = HttpBackend(base_url=BASE)
    batch = [Event("View", "s1", item_id=str(i), sent_at=T0) for i in range(10)]
    outcome = send(backend, "events", list(enumerate(batch)), policy=NO_WAIT)
    assert len(mock.calls) == 4  # the policy's attempts, never ten single calls
    assert len(outcome.retry) == 10 and outcome.delivered == []
