"""What a page's list is, and how the backend is asked for one: the
shared ground of :mod:`personalize_django.pages` (recommendations) and
:mod:`personalize_django.ranking` (personalized ranking).

:class:`Recommendations` is the list both answer: model instances in
order, with ``recommendation_id``, ``use_case``, ``source``, ``reason`` and
``partial``. :func:`ask` calls the backend and turns its failures into a
reason; :func:`cached` goes through the cache of lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from personalize_sdk import BackendError, ConfigurationError, NotReadyError
from personalize_sdk.exceptions import InvalidRequestError
from personalize_sdk.recommendations import SOURCE_FALLBACK, SOURCE_MODEL, RecommendationList
from personalize_sdk.use_cases import MAX_NUM_RESULTS

from . import caching, context
from .client import AVAILABLE_FILTER_NAME, get_client
from .registry import registry
from .signals import recommendations_served

logger = logging.getLogger("personalize_django")

#: errors only a person can fix: raised when strict, logged otherwise
CONFIG_ERRORS = (InvalidRequestError, ConfigurationError, ImproperlyConfigured)
#: ``reason`` of the empty list answered for a bad request (when not strict)
BAD_REQUEST = "bad request"


@dataclass(frozen=True)
class Identity:
    """Who recommendations are for: a user id, or a guest's session id."""

    user_id: str | None = None
    session_id: str | None = None

    @property
    def backend_user_id(self) -> str | None:
        """The user id sent to the backend (a guest's session id stands in)."""
        return self.user_id or self.session_id

    @property
    def cache_key(self) -> str:
        if self.user_id or self.session_id:
            return caching.identity_key(self.user_id, self.session_id)
        return "anonymous"


def identity_for(
    request: HttpRequest | None = None, *, user: Any = None, session_id: str | None = None
) -> Identity:
    """The identity of ``user`` / ``session_id`` when given, else of ``request``
    (a logged-in user is identified without touching the session)."""
    user_id = registry.user_id_for(user)
    if user_id is None and session_id is None and request is not None:
        user_id = context.get_user_id(request)
        if user_id is None:
            session_id = context.get_session_id(request)
    return Identity(user_id, None if user_id else session_id)


class Recommendations(list):
    """Model instances in recommended order, with the list's metadata."""

    def __init__(
        self,
        items: Iterable[Any] = (),
        *,
        use_case: str | None = None,
        recommendation_id: str | None = None,
        source: str = SOURCE_MODEL,
        reason: str | None = None,
        partial: bool = False,
    ) -> None:
        super().__init__(items)
        self.use_case = use_case
        self.recommendation_id = recommendation_id
        self.source = source
        self.reason = reason
        #: fewer items than asked for (the filter, the catalogue or the
        #: fallbacks had no more); ``reason`` says so
        self.partial = partial

    @property
    def is_fallback(self) -> bool:
        """Whether the whole list is a fallback (no item came from the model)."""
        return all(
            getattr(obj, "personalize_source", SOURCE_FALLBACK) == SOURCE_FALLBACK for obj in self
        )

    @property
    def item_ids(self) -> list[str]:
        return [getattr(obj, "personalize_item_id", None) or str(obj.pk) for obj in self]

    def __repr__(self) -> str:
        head = f"{self.use_case} {self.source} {self.recommendation_id}"
        return f"<Recommendations {head} {list.__repr__(self)}>"


# -- asking the backend ------------------------------------------------------
def overfetch(limit: int) -> int:
    """How many ids to ask for so that dropping a few unavailable items
    rarely needs a second query."""
    return min(MAX_NUM_RESULTS, limit + max(2, limit // 2))


def default_filter(filter: str | None) -> str | None:
    """``filter``, or the availability filter when the client has one."""
    if filter is not None:
        return filter
    return AVAILABLE_FILTER_NAME if AVAILABLE_FILTER_NAME in get_client().filters else None


def check_filter(filter: str | None) -> None:
    if filter is not None and filter not in get_client().filters:
        known = ", ".join(sorted(get_client().filters)) or "none"
        raise InvalidRequestError(
            "filter", f"{filter!r} is not a configured filter (configured: {known})"
        )


def strict_mode(strict: bool | None) -> bool:
    """Whether configuration errors raise: ``strict``, or ``DEBUG`` when ``None``."""
    return settings.DEBUG if strict is None else strict


def ask(call: Any, what: str) -> tuple[RecommendationList | None, str | None]:
    """Call the backend; return ``(list, None)`` or ``(None, why)``. Nothing raises
    but configuration errors (which the caller decides about)."""
    try:
        return call(), None
    except NotReadyError as err:
        logger.info("%s is not ready: %s", what, err)
        return None, f"{what} is not ready"
    except BackendError as err:
        logger.warning("%s failed: %s", what, err)
        return None, f"{what} failed ({err.code or 'backend error'})"
    except CONFIG_ERRORS:
        raise
    except Exception:  # a backend bug must not break a page
        logger.exception("%s failed unexpectedly", what)
        return None, f"{what} failed"


def cached(identity: Identity, kind: str, req: Any, compute: Any) -> RecommendationList:
    """``compute()`` through the cache (when on). Failures are cached too (as an
    empty fallback list) so a failing backend is not asked on every page."""
    key = caching.list_key(identity.cache_key, kind, req.to_dict()) if caching.enabled() else None
    if key is not None:
        hit = caching.get_list(key)
        if hit is not None:
            return hit
    result = compute()
    if key is not None:
        caching.set_list(key, result)
    return result


def served(request: HttpRequest | None, use_case: str | None, result: Recommendations) -> None:
    """Send ``recommendations_served`` for a list about to be shown."""
    recommendations_served.send(
        sender=Recommendations, request=request, use_case=use_case, recommendations=result
    )
