import pytest

from personalize_sdk import BackendError, ThrottledError
from personalize_sdk.retry import RetryPolicy
from tests.conftest import FakeSleep


class Flaky:
    def __init__(self, errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_retryable_errors_are_retried_until_success():
    sleep = FakeSleep()
    fn = Flaky([ThrottledError(), BackendError("boom", retryable=True)])
    assert RetryPolicy(max_attempts=5).call(fn, sleep=sleep) == "ok"
    assert fn.calls == 3
    assert len(sleep.calls) == 2


def test_non_retryable_errors_are_raised_at_once():
    fn = Flaky([BackendError("bad input", retryable=False)])
    with pytest.raises(BackendError, match="bad input"):
        RetryPolicy().call(fn, sleep=FakeSleep())
    assert fn.calls == 1


def test_attempts_are_bounded():
    fn = Flaky([ThrottledError()] * 10)
    with pytest.raises(ThrottledError):
        RetryPolicy(max_attempts=3).call(fn, sleep=FakeSleep())
    assert fn.calls == 3


def test_backoff_is_exponential_with_full_jitter_and_capped():
    policy = RetryPolicy(base_delay=1, max_delay=5)
    assert [policy.delay(n, rng=lambda: 1.0) for n in range(5)] == [1, 2, 4, 5, 5]
    assert policy.delay(3, rng=lambda: 0.5) == 2.5
    assert policy.delay(3, rng=lambda: 0.0) == 0


def test_the_deadline_stops_retrying_before_a_wait_would_pass_it():
    now = [0.0]
    sleep_calls = []

    def sleep(seconds):
        sleep_calls.append(seconds)
        now[0] += seconds

    fn = Flaky([ThrottledError()] * 10)
    policy = RetryPolicy(max_attempts=10, base_delay=4, max_delay=4, deadline=10)
    with pytest.raises(ThrottledError):
        policy.call(fn, sleep=sleep, clock=lambda: now[0], rng=lambda: 1.0)
    assert sleep_calls == [4, 4]  # a third wait would end at 12 s, past the deadline
    assert fn.calls == 3


def test_other_exceptions_are_not_retried():
    fn = Flaky([KeyError("bug")])
    with pytest.raises(KeyError):
        RetryPolicy().call(fn, sleep=FakeSleep())
    assert fn.calls == 1


def test_a_retry_after_hint_lengthens_the_wait():
    error = ThrottledError()
    error.retry_after = 3
    sleep = FakeSleep()
    RetryPolicy(base_delay=0.1, max_delay=0.1).call(Flaky([error]), sleep=sleep, rng=lambda: 1.0)
    assert sleep.calls == [3.0]


def test_equal_jitter_waits_at_least_half_the_cap():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter="equal")
    assert policy.delay(2, rng=lambda: 0.0) == 2.0
    assert policy.delay(2, rng=lambda: 1.0) == 4.0
    assert policy.delay(10, rng=lambda: 0.5) == 6.0  # capped at max_delay


def test_an_unknown_jitter_is_refused():
    with pytest.raises(ValueError, match="jitter must be one of full, equal"):
        RetryPolicy(jitter="none")
