"""The fault switch: a share of requests answered with a retryable error,
so a shop can see that its retries work."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError

from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.server.faults import FaultSwitch

from .conftest import start

SEED = 20260101


@pytest.fixture
def faulty():
    backend = MemoryBackend()
    backend.set_recommendations("best_sellers", ["7", "3"])
    served = start(backend, fault_rate=0.3, fault_seed=SEED)
    yield served
    served.thread.stop()


def put_view(client, n: int) -> dict:
    return client.put_events(
        trackingId="local-tracking-id",
        sessionId=f"s{n}",
        eventList=[
            {"eventType": "View", "itemId": str(n), "sentAt": 1767225600, "eventId": f"e{n}"}
        ],
    )


def test_at_30_percent_a_standard_retry_client_gets_every_call_through(faulty):
    retries = {"mode": "standard", "max_attempts": 10}
    events = faulty.client("personalize-events", retries=retries)
    runtime = faulty.client("personalize-runtime", retries=retries)

    responses = [put_view(events, n) for n in range(20)]
    responses += [
        runtime.get_recommendations(campaignArn=faulty.config.campaign_arn("best_sellers"))
        for _ in range(10)
    ]

    faults = faulty.app.faults
    retried = sum(response["ResponseMetadata"]["RetryAttempts"] for response in responses)
    assert sum(faults.injected.values()) == retried > 0
    assert all(count > 0 for count in faults.injected.values())  # throttling, 500 and 503 all seen
    # Every call got through exactly once: a faulted request never reached the backend.
    assert [event.event_id for event in faulty.backend.events] == [f"e{n}" for n in range(20)]
    assert all(r["itemList"] == [{"itemId": "7"}, {"itemId": "3"}] for r in responses[20:])


def test_without_retries_the_faults_reach_the_caller_as_aws_errors(faulty):
    events = faulty.client("personalize-events")  # one attempt per call
    seen: Counter = Counter()

    for n in range(40):
        try:
            put_view(events, n)
        except ClientError as err:
            seen[
                (err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"])
            ] += 1

    assert set(seen) == {
        ("ThrottlingException", 400),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
    }
    assert len(faulty.backend.events) == 40 - sum(seen.values())


def test_the_same_seed_draws_the_same_faults():
    first, second = FaultSwitch(0.3, seed=7), FaultSwitch(0.3, seed=7)

    draws = [
        (type(first.draw("Op")).__name__, type(second.draw("Op")).__name__) for _ in range(200)
    ]

    assert all(a == b for a, b in draws)
    assert 30 <= sum(first.injected.values()) <= 90  # about 60 of 200


def test_fault_kinds_limit_what_is_injected():
    switch = FaultSwitch(1.0, seed=1, kinds=["throttling"])

    assert {switch.draw("Op").code for _ in range(20)} == {"ThrottlingException"}


def test_a_zero_rate_never_faults():
    switch = FaultSwitch(0.0, seed=1)

    assert all(switch.draw("Op") is None for _ in range(100))
