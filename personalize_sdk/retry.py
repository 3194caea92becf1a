"""Retrying what may be retried: exponential backoff with full jitter.

Backends make a single attempt per call and say through
``BackendError.retryable`` whether trying again can help (throttling, 5xx,
connection errors). The :class:`~personalize_sdk.client.Client` retries in this
one place, so retries never stack (the AWS backend turns botocore's own
retries off for that reason).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from .exceptions import BackendError

logger = logging.getLogger("personalize_sdk")
T = TypeVar("T")

#: the jitter modes of :class:`RetryPolicy`
JITTERS = ("full", "equal")


def requested_wait(err: BaseException) -> float:
    """The seconds a backend asked the caller to wait (a throttle's
    ``Retry-After``), 0 when it asked for nothing."""
    retry_after = getattr(err, "retry_after", None)
    if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool):
        return max(float(retry_after), 0.0)
    return 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    The n-th retry waits a random time up to ``cap = min(max_delay, base_delay * 2**n)``,
    so clients that failed together do not retry together: anywhere in
    ``[0, cap]`` with ``jitter="full"`` (the default, for calls retried in a
    loop), in ``[cap/2, cap]`` with ``jitter="equal"`` (for work put back for a
    later run, such as the Django outbox's rows, which should not come back at
    once). ``deadline`` bounds the whole call including waits, in seconds.
    """

    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0
    deadline: float | None = 60.0
    jitter: str = "full"

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")
        if self.jitter not in JITTERS:
            raise ValueError(f"jitter must be one of {', '.join(JITTERS)}, not {self.jitter!r}")

    def delay(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry ``retry_number`` (0 for the first retry)."""
        cap = min(self.max_delay, self.base_delay * (2 ** max(retry_number, 0)))
        if self.jitter == "equal":
            return cap / 2 + cap / 2 * rng()
        return cap * rng()

    def call(
        self,
        fn: Callable[[], T],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        on_retry: Callable[[BackendError, int, float], None] | None = None,
    ) -> T:
        """Call ``fn`` until it succeeds, raises a non-retryable error, or the
        attempts or the deadline run out; then the last error is raised."""
        started = clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except BackendError as err:
                if not err.retryable or attempt >= self.max_attempts:
                    raise
                wait = self.delay(attempt - 1, rng)
                # A server that says when to come back (HTTP Retry-After) knows better than our guess.
                wait = max(wait, requested_wait(err))
                if self.deadline is not None and clock() - started + wait > self.deadline:
                    raise
                logger.info("retrying after %s (attempt %d of %d, waiting %.2fs)", err, attempt, self.max_attempts, wait)
                if on_retry is not None:
                    on_retry(err, attempt, wait)
                sleep(wait)


#: a policy that never retries (tests, and callers with their own retry loop)
NO_RETRY = RetryPolicy(max_attempts=1, deadline=None)
