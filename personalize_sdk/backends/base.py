"""The contract every backend fulfils.

A backend records events, items and users and answers recommendation and
ranking requests. It makes one attempt per call: batching and retries are the
:class:`~personalize_sdk.client.Client`'s job, so a backend raises
:class:`~personalize_sdk.exceptions.BackendError` with ``retryable`` set
truthfully and leaves the rest to the caller.

Besides the calls every backend answers, a backend may have optional
capabilities, each announced by a class-level flag so that callers ask the
flag rather than probing for methods or comparing names:

=========================  ====================================================
flag                       methods it promises
=========================  ====================================================
``can_train``              :meth:`~Backend.train`, :meth:`~Backend.report`
``can_forget_users``       :meth:`~Backend.forget_user`
``can_iterate_data``       :meth:`~Backend.iter_events`, :meth:`~Backend.iter_items`,
                           :meth:`~Backend.iter_users`
``filters_by_arn``         (none: :meth:`~Backend.can_use_filter` answers for it)
``has_personalize_jobs``   (none: the service's own jobs apply to its data)
``evaluates_filters``      (none: :meth:`~Backend.recommend` and :meth:`~Backend.rank`
                           leave out every item a request's filter excludes)
``can_import_events``      :meth:`~Backend.import_events`
``is_local_engine``        (none: its answers come from the embedded engine, so a
                           throw-away engine trained on its data measures it offline)
=========================  ====================================================

A backend that keeps files on this machine names their folder in
:attr:`~Backend.data_folder` (``None`` otherwise): a shop's own files beside
them, and a check that a forgotten user left no trace, go there.

Called on a backend whose flag is ``False``, the base implementations raise
:class:`CapabilityError`, a :class:`ConfigurationError`: a backend that lacks
a capability is a choice a person made, which only configuration can change
(and the "don't break the host application" guards never swallow it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Callable, ClassVar, Iterable, Iterator, Mapping, Sequence

from ..exceptions import ConfigurationError
from ..records import Event, Item, User
from ..recommendations import RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest


class CapabilityError(ConfigurationError):
    """A backend was asked for an optional capability it does not have.

    ``backend`` is the backend's display name and ``capability`` the flag
    that is ``False`` (``"can_train"``, ``"can_forget_users"``...)."""

    def __init__(self, backend: str, capability: str, what: str) -> None:
        self.backend = backend
        self.capability = capability
        super().__init__(f"The {backend} backend cannot {what} ({capability} is False)")


class Backend(ABC):
    """Base class of the backends.

    Subclasses must set :attr:`name` and implement :meth:`put_events`,
    :meth:`recommend` and :meth:`rank`; :meth:`put_items` and :meth:`put_users`
    default to "not supported". Constructors take keyword options only and
    must raise :class:`ConfigurationError` naming an unknown option.

    The optional capabilities (see the module docstring) are off by default;
    a subclass that sets a flag to ``True`` must implement its methods.
    """

    #: short name used in errors, logs and the User-Agent ("aws", "http", ...)
    name: ClassVar[str] = ""
    #: how many events one :meth:`put_events` call may carry
    max_events_per_call: ClassVar[int] = 10
    #: whether one call may carry events of a single (user, session) pair only
    one_session_per_call: ClassVar[bool] = True
    #: how many items or users one :meth:`put_items` / :meth:`put_users` call may carry
    max_records_per_call: ClassVar[int] = 10

    #: whether the backend trains a model of its own: :meth:`train` and :meth:`report`
    can_train: ClassVar[bool] = False
    #: whether the backend can delete what it stores about a user: :meth:`forget_user`
    can_forget_users: ClassVar[bool] = False
    #: whether the backend can give back what it stores: :meth:`iter_events`,
    #: :meth:`iter_items` and :meth:`iter_users`
    can_iterate_data: ClassVar[bool] = False
    #: whether a named filter must exist on the service and be mapped to its ARN
    #: in the backend's options before it can be used (see :meth:`can_use_filter`)
    filters_by_arn: ClassVar[bool] = False
    #: whether the backend serves from an Amazon Personalize dataset group (on
    #: AWS, or a compatible service such as ``python -m personalize_sdk.server``),
    #: so that the service's own jobs act on the data it serves: batch inference
    #: on the campaigns, data deletion, dataset import. Its use cases are then
    #: served by recommenders and campaigns named by ARN in its options.
    has_personalize_jobs: ClassVar[bool] = False
    #: whether :meth:`recommend` and :meth:`rank` apply a request's filter, so
    #: that a ranking request with a filter tells which items it admits (the
    #: Django layer checks items from outside the backend that way). A backend
    #: whose answers are scripted (the memory backend) cannot vouch for them.
    evaluates_filters: ClassVar[bool] = True
    #: whether the backend has a bulk path for a history of any length:
    #: :meth:`import_events`
    can_import_events: ClassVar[bool] = False
    #: whether the backend's answers come from the embedded local engine, so
    #: that offline metrics (a throw-away engine trained on a split of its
    #: data) measure the model it serves
    is_local_engine: ClassVar[bool] = False

    @property
    def data_folder(self) -> str | None:
        """The folder on this machine holding the backend's data, or ``None``
        (a remote service, or everything in memory)."""
        return None

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

    # -- optional capabilities --------------------------------------------
    def _unsupported(self, capability: str, what: str) -> CapabilityError:
        return CapabilityError(self.display_name, capability, what)

    def train(self, background: bool = False) -> Any:
        """Train the backend's model on the data it holds and return a report
        of the training (with ``background=True``: a
        :class:`concurrent.futures.Future` of it, at once).

        Backends with :attr:`can_train` must implement it, swap the new model
        in without making requests wait, and keep the report for :meth:`report`.
        """
        raise self._unsupported("can_train", "train a model")

    def report(self) -> Any:
        """The report of the last training, or ``None`` before the first one.

        Backends with :attr:`can_train` must implement it."""
        raise self._unsupported("can_train", "report on a training")

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete everything the backend stores about ``user_id`` and return
        how many records of each kind went (``{"events": 3, "users": 1}``).

        Backends with :attr:`can_forget_users` must implement it, remove the
        anonymous events of the sessions joined to the user with theirs, leave
        other users' events alone, and raise
        :class:`~personalize_sdk.exceptions.InvalidRequestError` naming
        ``user_id`` when it is not a non-empty string. A model trained before
        keeps what it learnt until the next :meth:`train`."""
        raise self._unsupported("can_forget_users", "forget a user")

    def iter_events(self, *, since: datetime | None = None) -> Iterator[Event]:
        """Every stored event, oldest first; with ``since``, only the events
        sent at or after it.

        Backends with :attr:`can_iterate_data` must implement it (and
        :meth:`iter_items`, :meth:`iter_users`), streaming rather than loading
        everything at once where the store is large."""
        raise self._unsupported("can_iterate_data", "give its events back")

    def import_events(
        self, events: Iterable[Event], *, progress: Callable[[int, int], Any] | None = None
    ) -> int:
        """Store a history of any length, faster than :meth:`put_events`,
        reading ``events`` once; return how many were new (stored ids are
        skipped). ``progress(read, added)`` reports the running counts.
        Backends with :attr:`can_import_events` must implement it."""
        raise self._unsupported("can_import_events", "import a history in bulk")

    def iter_items(self) -> Iterator[Item]:
        """Every stored item. Backends with :attr:`can_iterate_data` must implement it."""
        raise self._unsupported("can_iterate_data", "give its items back")

    def iter_users(self) -> Iterator[User]:
        """Every stored user. Backends with :attr:`can_iterate_data` must implement it."""
        raise self._unsupported("can_iterate_data", "give its users back")

    @classmethod
    def can_use_filter(cls, name: str, options: Mapping[str, Any]) -> bool:
        """Whether a backend built with ``options`` can use a filter called
        ``name``, asked without building it (so the Django layer can decide
        whether to add a filter of its own, such as the availability filter).

        Backends that evaluate filters themselves (or pass them on by name)
        can use any: ``True``. Backends with :attr:`filters_by_arn` must
        override it to say whether ``options`` maps ``name`` to an ARN; the
        default for them is ``False``."""
        return not cls.filters_by_arn
