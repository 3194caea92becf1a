"""The fault switch: answer a share of requests with an error a client should retry.

A shop's code that calls Personalize should survive throttling and the odd
5xx. With ``fault_rate=0.3`` the server answers about 30% of the requests
(after authentication, before doing anything) with one of:

===============  ====  =======================  ============================
kind             HTTP  error code               what botocore's retry does
===============  ====  =======================  ============================
``throttling``   400   ``ThrottlingException``  retried as a throttling error
``internal``     500   ``InternalFailure``      retried as a transient error
``unavailable``  503   ``ServiceUnavailable``   retried as a transient error
===============  ====  =======================  ============================

With ``fault_seed`` set the sequence of draws is fixed, so a test sees the
same faults on every run (as long as its requests arrive in the same order).
"""

from __future__ import annotations

import random
import threading
from typing import Sequence

from .errors import InternalFailure, ServiceError, ServiceUnavailable, ThrottlingException

_FAULTS = {
    "throttling": lambda op: ThrottlingException(
        f"Rate exceeded (fault injected by the local server into {op})"
    ),
    "internal": lambda op: InternalFailure(
        f"An internal error occurred (fault injected by the local server into {op})"
    ),
    "unavailable": lambda op: ServiceUnavailable(
        f"Service is unavailable (fault injected by the local server into {op})"
    ),
}


class FaultSwitch:
    """Draws, per request, whether to fail it and with which kind of fault."""

    def __init__(
        self, rate: float, *, seed: int | None = None, kinds: Sequence[str] = tuple(_FAULTS)
    ) -> None:
        unknown = sorted(set(kinds) - set(_FAULTS))
        if unknown:
            raise ValueError(f"unknown fault kind(s): {', '.join(unknown)}")
        self.rate = rate
        self.kinds = tuple(kinds)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        #: how many faults were injected, by kind
        self.injected: dict[str, int] = {kind: 0 for kind in self.kinds}
        #: how many requests were drawn for
        self.requests = 0

    def draw(self, operation: str) -> ServiceError | None:
        """The fault to answer ``operation`` with, or ``None`` to serve it."""
        if self.rate <= 0:
            return None
        with self._lock:  # one Random shared by the server's threads
            self.requests += 1
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.kinds)
            self.injected[kind] += 1
        return _FAULTS[kind](operation)
