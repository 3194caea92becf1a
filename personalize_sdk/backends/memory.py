"""An in-memory backend for tests: it keeps what it was sent, answers scripted
recommendations, and can be told to fail.

    backend = MemoryBackend()
    client = Client(backend, sync_mode=True)
    client.record(Event("View", session_id="s1", item_id="42"))
    assert backend.events[0].item_id == "42"

    backend.set_recommendations("best_sellers", ["7", "3"])
    backend.fail_next(ThrottledError(), times=2)       # the next two calls raise

It enforces the same per-call limits as Personalize (10 events of one
session), so code tested against it batches correctly for AWS too. It gives
back what it keeps (``can_iterate_data``) and forgets a user on request
(``can_forget_users``); it has no model to train.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any, ClassVar, Iterable, Iterator, Sequence

from ..exceptions import InvalidRequestError, PersonalizeError
from ..records import Event, Item, User
from ..recommendations import SOURCE_MODEL, Recommendation, RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest, check_use_case
from .base import Backend


class MemoryBackend(Backend):
    """Records everything in lists and dicts; see the module docstring."""

    name: ClassVar[str] = "memory"
    can_forget_users: ClassVar[bool] = True
    can_iterate_data: ClassVar[bool] = True
    #: scripted answers are returned as scripted, filters or not
    evaluates_filters: ClassVar[bool] = False

    def __init__(self, *, max_events_per_call: int = 10, one_session_per_call: bool = True) -> None:
        super().__init__()
        # Instance attributes shadow the class defaults so tests can loosen the limits.
        self.max_events_per_call = max_events_per_call  # type: ignore[misc]
        self.one_session_per_call = one_session_per_call  # type: ignore[misc]
        self._lock = threading.Lock()
        #: every event received, in order
        self.events: list[Event] = []
        #: the event lists of each put_events call, in order
        self.event_calls: list[list[Event]] = []
        #: items and users by id (latest wins)
        self.items: dict[str, Item] = {}
        self.users: dict[str, User] = {}
        #: every recommendation and ranking request received
        self.requests: list[RecommendationRequest | RankingRequest] = []
        self._scripted: dict[tuple[str, str | None, str | None], RecommendationList] = {}
        self._failures: list[tuple[BaseException, str | None]] = []
        self.closed = False

    # -- scripting -------------------------------------------------------
    def set_recommendations(
        self,
        use_case: str,
        items: Iterable[str | tuple[str, float]] | RecommendationList,
        *,
        user_id: str | None = None,
        item_id: str | None = None,
        recommendation_id: str | None = None,
    ) -> None:
        """Answer ``use_case`` (for this user or item only, when given) with ``items``:
        ids, ``(id, score)`` pairs, or a ready :class:`RecommendationList`."""
        check_use_case(use_case)
        if not isinstance(items, RecommendationList):
            recs = tuple(
                Recommendation(entry[0], entry[1]) if isinstance(entry, tuple) else Recommendation(str(entry))
                for entry in items
            )
            items = RecommendationList(recs, recommendation_id=recommendation_id, use_case=use_case)
        self._scripted[(use_case, user_id, item_id)] = items

    def fail_next(self, error: BaseException, *, times: int = 1, method: str | None = None) -> None:
        """Make the next ``times`` calls (of ``method`` only, when given:
        ``"put_events"``, ``"recommend"``...) raise ``error``."""
        with self._lock:
            self._failures.extend([(error, method)] * times)

    def reset(self) -> None:
        """Forget everything received and scripted."""
        with self._lock:
            self.events.clear()
            self.event_calls.clear()
            self.items.clear()
            self.users.clear()
            self.requests.clear()
            self._scripted.clear()
            self._failures.clear()

    def _maybe_fail(self, method: str) -> None:
        with self._lock:
            for index, (error, only) in enumerate(self._failures):
                if only is None or only == method:
                    del self._failures[index]
                    raise error

    # -- Backend ---------------------------------------------------------
    def put_events(self, events: Sequence[Event]) -> None:
        self._maybe_fail("put_events")
        events = list(events)
        if not events:
            raise PersonalizeError("put_events needs at least one event")
        if len(events) > self.max_events_per_call:
            raise PersonalizeError(f"put_events got {len(events)} events; the limit is {self.max_events_per_call}")
        if self.one_session_per_call and len({(e.user_id, e.session_id) for e in events}) > 1:
            raise PersonalizeError("put_events got events of more than one (user, session) pair")
        with self._lock:
            self.event_calls.append(events)
            self.events.extend(events)

    def put_items(self, items: Sequence[Item]) -> None:
        self._maybe_fail("put_items")
        with self._lock:
            for item in items:
                self.items[item.item_id] = item

    def put_users(self, users: Sequence[User]) -> None:
        self._maybe_fail("put_users")
        with self._lock:
            for user in users:
                self.users[user.user_id] = user

    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        self._maybe_fail("recommend")
        self.requests.append(request)
        for key in (
            (request.use_case, request.user_id, request.item_id),
            (request.use_case, request.user_id, None),
            (request.use_case, None, request.item_id),
            (request.use_case, None, None),
        ):
            if key in self._scripted:
                scripted = self._scripted[key]
                return RecommendationList(
                    scripted.items[: request.num_results],
                    recommendation_id=scripted.recommendation_id or f"RID-{uuid.uuid4()}",
                    use_case=request.use_case,
                    source=scripted.source or SOURCE_MODEL,
                    reason=scripted.reason,
                )
        return RecommendationList((), recommendation_id=f"RID-{uuid.uuid4()}", use_case=request.use_case)

    def rank(self, request: RankingRequest) -> RecommendationList:
        """Rank by the scripted ``recommended_for_you`` order for the user where
        there is one; unscripted items keep their given order, after the rest."""
        self._maybe_fail("rank")
        self.requests.append(request)
        scripted = self._scripted.get(("recommended_for_you", request.user_id, None)) or self._scripted.get(
            ("recommended_for_you", None, None)
        )
        order = {rec.item_id: i for i, rec in enumerate(scripted.items)} if scripted else {}
        ranked = sorted(request.item_ids, key=lambda item_id: order.get(item_id, len(order)))
        return RecommendationList(
            tuple(Recommendation(item_id) for item_id in ranked), recommendation_id=f"RID-{uuid.uuid4()}"
        )

    def close(self) -> None:
        self.closed = True

    # -- optional capabilities --------------------------------------------
    def forget_user(self, user_id: str) -> dict[str, int]:
        """Drop the user's events, the anonymous events of the sessions they
        used, and their user record; return the counts (``events``,
        ``guest_events``, ``users``). The log of calls (:attr:`event_calls`,
        :attr:`requests`) stays: it is the test's record of what was sent."""
        if not isinstance(user_id, str) or not user_id:
            raise InvalidRequestError("user_id", "forget_user needs a non-empty string")
        with self._lock:
            sessions = {e.session_id for e in self.events if e.user_id == user_id}
            kept = [
                e
                for e in self.events
                if e.user_id != user_id and not (e.user_id is None and e.session_id in sessions)
            ]
            own = sum(1 for e in self.events if e.user_id == user_id)
            guest = len(self.events) - len(kept) - own
            self.events[:] = kept
            users = 1 if self.users.pop(user_id, None) is not None else 0
        return {"events": own, "guest_events": guest, "users": users}

    def iter_events(self, *, since: datetime | None = None) -> Iterator[Event]:
        """Every event received, in the order received (sent at or after
        ``since`` if given)."""
        with self._lock:
            events = list(self.events)
        if since is not None:
            events = [e for e in events if e.sent_at is not None and e.sent_at >= since]
        return iter(events)

    def iter_items(self) -> Iterator[Item]:
        """The items kept (the latest version of each)."""
        with self._lock:
            items = list(self.items.values())
        return iter(items)

    def iter_users(self) -> Iterator[User]:
        """The users kept (the latest version of each)."""
        with self._lock:
            users = list(self.users.values())
        return iter(users)
