"""The contract every backend fulfils.

A backend records events, items and users and answers recommendation and
ranking requests. It makes one attempt per call: batching and retries are the
:class:`~personalize_sdk.client.Client`'s job, so a backend raises
:class:`~personalize_sdk.exceptions.BackendError` with ``retryable`` set
truthfully and leaves the rest to the caller.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Mapping, Sequence

from ..exceptions import ConfigurationError
from ..records import Event, Item, User
from ..recommendations import RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest


class Backend(ABC):
    """Base class of the backends.

    Subclasses must set :attr:`name` and implement :meth:`put_events`,
    :meth:`recommend` and :meth:`rank`; :meth:`put_items` and :meth:`put_users`
    default to "not supported". Constructors take keyword options only and
    must raise :class:`ConfigurationError` naming an unknown option.
    """

    #: short name used in errors, logs and the User-Agent ("aws", "http", ...)
    name: ClassVar[str] = ""
    #: how many events one :meth:`put_events` call may carry
    max_events_per_call: ClassVar[int] = 10
    #: whether one call may carry events of a single (user, session) pair only
    one_session_per_call: ClassVar[bool] = True
    #: how many items or users one :meth:`put_items` / :meth:`put_users` call may carry
    max_records_per_call: ClassVar[int] = 10

    def __init__(self, **options: Any) -> None:
        if options:
            unknown = ", ".join(sorted(options))
            raise ConfigurationError(f"Unknown option(s) for the {self.display_name} backend: {unknown}")
        self.filters: dict[str, Any] = {}

    @property
    def display_name(self) -> str:
        return self.name or type(self).__name__

    def configure_filters(self, filters: Mapping[str, Any]) -> None:
        """Receive the client's named filters (name to parsed filter or
        expression). Backends that evaluate filters themselves keep them."""
        self.filters = dict(filters)

    @abstractmethod
    def put_events(self, events: Sequence[Event]) -> None:
        """Record ``events``: at most :attr:`max_events_per_call`, and of one
        (user, session) pair when :attr:`one_session_per_call`."""

    def put_items(self, items: Sequence[Item]) -> None:
        """Create or replace ``items`` (at most :attr:`max_records_per_call`)."""
        raise ConfigurationError(f"The {self.display_name} backend cannot store items")

    def put_users(self, users: Sequence[User]) -> None:
        """Create or replace ``users`` (at most :attr:`max_records_per_call`)."""
        raise ConfigurationError(f"The {self.display_name} backend cannot store users")

    @abstractmethod
    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        """Answer a recommendation request. Raise
        :class:`~personalize_sdk.exceptions.NotReadyError` when the use case
        cannot be served yet, so the caller can fall back."""

    @abstractmethod
    def rank(self, request: RankingRequest) -> RecommendationList:
        """Order ``request.item_ids`` for ``request.user_id``."""

    def close(self) -> None:
        """Release connections and files. Calling it twice is harmless."""
