"""The query strings of the API: which parameters an endpoint knows, and
the ``exclude`` list of the recommendations endpoint.

An unknown parameter is an error (a misspelt ``limt`` or the SDK's
``num_results`` would otherwise be ignored without a word): the answer names
it and lists the known ones. On ``GET recommendations/<use_case>/`` the
known ones are its own (:data:`RECOMMENDATION_PARAMETERS`), ``context.<KEY>``
and the placeholders of the filter asked for.
"""

from __future__ import annotations

from typing import Any, Iterable

from personalize_sdk.exceptions import InvalidRequestError

from .. import pages
from ..client import get_client

#: query parameters of every endpoint (DRF's format override)
COMMON_PARAMETERS = ("format",)
#: the recommendations endpoint's own parameters (besides filter placeholders and context)
RECOMMENDATION_PARAMETERS = ("item", "limit", "filter", "user", "exclude")
CONTEXT_PREFIX = "context."
#: the SDK's names of the recommendations endpoint's parameters, as its clients send them
RECOMMENDATION_NAMES = {
    "item_id": "item",
    "user_id": "user",
    "num_results": "limit",
    "limit": "limit",
    "filter": "filter",
    "exclude": "exclude",
}
#: ids ``exclude`` may hold
MAX_EXCLUDE = 500


def filter_placeholders(filter: str | None) -> tuple[str, ...]:
    """The placeholder names of the filter named ``filter`` (or of the default one)."""
    name = pages.default_filter(filter)
    if name is None:
        return ()
    parsed = get_client().filters.get(name)
    return tuple(getattr(parsed, "placeholders", ()) or ())


def check_known(names: Iterable[str], known: Iterable[str], extra: str = "") -> None:
    """Raise for the first of ``names`` not in ``known``, listing them."""
    known = tuple(known)
    for name in names:
        if name not in known:
            listed = ", ".join(known) + (f", {extra}" if extra else "")
            raise InvalidRequestError(name, f"is not a known query parameter (known: {listed})")


def check_recommendation_query(query: Any) -> tuple[str, ...]:
    """Check the query's names; return the filter's placeholders."""
    placeholders = filter_placeholders(query.get("filter") or None)
    own = (*RECOMMENDATION_PARAMETERS, *COMMON_PARAMETERS, *placeholders)
    extra = f"{CONTEXT_PREFIX}<KEY>"
    if not placeholders:
        extra += " and the placeholders of the filter asked for"
    check_known((n for n in query if not n.startswith(CONTEXT_PREFIX)), own, extra)
    return placeholders


def exclude_ids(query: Any) -> list[str]:
    """``exclude``: repeated (``exclude=1&exclude=2``), comma-separated, or both."""
    ids: list[str] = []
    for value in query.getlist("exclude"):
        ids.extend(part.strip() for part in value.split(",") if part.strip())
    if len(ids) > MAX_EXCLUDE:
        raise InvalidRequestError("exclude", f"must hold at most {MAX_EXCLUDE} ids (got {len(ids)})")
    return list(dict.fromkeys(ids))
