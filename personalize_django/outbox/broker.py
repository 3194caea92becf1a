"""What keeps a Celery worker alive when its Redis broker dies.

kombu's Redis transport can exit a worker on a broker outage with
``Unrecoverable error: AttributeError("'NoneType' object has no attribute
'hostname'")``. The sequence, reproduced in
``tests/django/outbox/test_broker.py``:

1. the connection drops while the worker waits on ``BRPOP`` and holds
   reserved messages;
2. Celery's consumer ``collect()``\\ s the connection: closing its channel
   fails part-way (deleting the remote-control fanout queue needs the dead
   broker), so the channel stays open, and the transport is detached from the
   connection (``transport.client = None``);
3. Celery then ``close()``\\ s the connection, which closes that channel again:
   restoring the reserved messages builds a new Redis client from
   ``transport.client``, which is now ``None``.

That ``AttributeError`` is not one of the transport's connection errors, so
Celery does not treat it as a lost connection to retry, and the worker exits
with everything still pending in the outbox until something restarts it.

:func:`guard_redis_transport` makes that step raise what it is: a
``ConnectionError`` (the connection is closed), which Celery ignores while it
tears the connection down and then reconnects. The reserved messages stay in
Redis's unacknowledged set, where kombu restores them after the visibility
timeout; and the outbox would not need them anyway: a task message only wakes
a worker, the rows are the truth, and the periodic sweep delivers whatever is
due. Nothing else changes: the guard acts only where kombu would have raised
the ``AttributeError``.

:mod:`personalize_django.outbox.tasks` installs it when it is imported, which
Celery's task autodiscovery does in every worker before it connects.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

logger = logging.getLogger("personalize_django")

_MARK = "_personalize_guarded"


def guard_redis_transport() -> bool:
    """Make kombu's Redis channel raise ``ConnectionError`` instead of
    ``AttributeError`` when it needs a client of a connection already closed.

    Idempotent; returns whether kombu's Redis transport is guarded (``False``
    when kombu or redis-py is not installed, or kombu's code no longer has the
    method this guards)."""
    try:
        from kombu.transport import redis as kombu_redis
    except ImportError:  # no kombu, or no redis-py: nothing to guard
        return False
    channel = getattr(kombu_redis, "Channel", None)
    original = getattr(channel, "_connparams", None)
    if original is None:
        return False
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)
    def _connparams(self: Any, *args: Any, **kwargs: Any) -> Any:
        transport = getattr(self, "connection", None)
        if transport is not None and getattr(transport, "client", "") is None:
            # The channel outlived its connection (see the module docstring).
            raise ConnectionError("the broker connection of this channel is already closed")
        return original(self, *args, **kwargs)

    setattr(_connparams, _MARK, True)
    channel._connparams = _connparams
    logger.debug("guarded kombu's Redis transport against closing a channel twice")
    return True
