"""Serving recommendations to pages and APIs: the one place that asks the
client for a use case (ranking lives in :mod:`personalize_django.ranking`,
what both share in :mod:`personalize_django.lists`; their names are
importable from here too).

:func:`recommend` and :func:`rank` return :class:`Recommendations`: a list of
model instances of the registered item model, in recommended order, loaded
with one query, with unavailable and deleted items dropped and the list topped
up from the fallback so it keeps its length. Each instance carries
``personalize_score``, ``personalize_item_id`` and ``personalize_source``; the
list carries ``recommendation_id``, ``use_case``, ``source`` and ``reason``.

Nothing here breaks a page: when the backend fails or is not ready, the
answer comes from the next link of :func:`fallback_chain` (the
``FALLBACK_USE_CASES``, then ``FALLBACK_QUERYSET``). Each request is built
once (a :class:`~personalize_sdk.use_cases.RecommendationRequest` or
:class:`~personalize_sdk.use_cases.RankingRequest`): its ``to_dict()`` keys
the cache and the client takes it as it is. Configuration errors
(unknown use case, missing item, unknown filter, bad filter values, no item
registration) raise when ``strict`` (default: ``settings.DEBUG``), and are
logged and answered with the fallback otherwise.

Who asks: the logged-in user, or a guest's session id (which is also what is
sent as the backend's user id for guests, as Personalize documents for
anonymous users).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Iterable, Mapping

from django.http import HttpRequest

from personalize_sdk.exceptions import InvalidRequestError
from personalize_sdk.recommendations import SOURCE_FALLBACK, RecommendationList
from personalize_sdk.use_cases import (
    MAX_NUM_RESULTS,
    MAX_RANKING_INPUT,
    RECOMMENDED_FOR_YOU,
    USE_CASES,
    RecommendationRequest,
)

from . import caching, context
from .client import AVAILABLE_FILTER_NAME, get_client
from .conf import personalize_settings
from .hydration import annotate, from_fallback_queryset, hydrate, id_lookup, item_registration
from .lists import (  # noqa: F401  (re-exported: the names pages.* has always had)
    BAD_REQUEST,
    CONFIG_ERRORS,
    Identity,
    Recommendations,
    ask,
    cached,
    check_filter,
    default_filter,
    identity_for,
    overfetch,
    served,
    strict_mode,
)
from .ranking import admitted, fetch_ranking, rank  # noqa: F401  (re-exported)
from .registry import registry

logger = logging.getLogger("personalize_django")


def _build_request(
    use_case: str,
    identity: Identity,
    item_id: str | None,
    num_results: int,
    filter: str | None,
    filter_values: Any,
    ctx: Any,
) -> RecommendationRequest:
    return RecommendationRequest(
        use_case=use_case,
        user_id=identity.backend_user_id,
        item_id=item_id if USE_CASES.get(use_case) == "item_id" else None,
        num_results=num_results,
        filter=filter,
        filter_values=filter_values or {},
        context=ctx or {},
    )


def fallback_chain(use_case: str) -> list[str]:
    """Where a list for ``use_case`` comes from, in order (the one place that
    says so):

    1. ``use_case`` itself, from the backend (through the cache);
    2. each of ``FALLBACK_USE_CASES`` that needs no item id, in order, but
       ``use_case`` (default: best sellers, then most viewed): when the first
       link fails (:func:`fetch` serves the first that answers, marked
       ``source="fallback"`` with the reason) and to top up a list that came
       back short or lost unavailable items (:func:`recommend`);
    3. for lists of model instances only (:func:`recommend`), the
       ``FALLBACK_QUERYSET`` (default: the item model's own order), for what
       is still missing.
    """
    return [use_case] + [
        uc
        for uc in personalize_settings.FALLBACK_USE_CASES
        if uc != use_case and USE_CASES.get(uc) != "item_id"
    ]


def fetch(
    use_case: str,
    identity: Identity,
    *,
    item_id: str | None = None,
    num_results: int = 10,
    filter: str | None = None,
    filter_values: Any = None,
    context: Any = None,
    strict: bool | None = None,
) -> RecommendationList:
    """The backend's list of ids for ``use_case``, through the cache, falling
    back along ``FALLBACK_USE_CASES``; an empty fallback list when all fail.
    The request is validated first: a bad one raises when ``strict``."""
    strict = strict_mode(strict)
    filter = default_filter(filter)
    try:
        check_filter(filter)
        primary = _build_request(
            use_case, identity, item_id, num_results, filter, filter_values, context
        )
    except CONFIG_ERRORS:
        if strict:
            raise
        logger.exception("bad %s recommendation request; serving the fallback", use_case)
        return RecommendationList((), use_case=use_case, source=SOURCE_FALLBACK, reason=BAD_REQUEST)

    def compute() -> RecommendationList:
        result, why = ask(lambda: get_client().recommend(primary), use_case)
        if result is not None:
            return replace(result, use_case=use_case)
        for fallback in fallback_chain(use_case)[1:]:
            try:
                req = replace(primary, use_case=fallback, item_id=None)
                answer, _ = ask(lambda: get_client().recommend(req), fallback)
            except CONFIG_ERRORS:
                logger.exception("the %s fallback cannot be asked", fallback)
                continue
            if answer is not None:
                return replace(
                    answer,
                    use_case=use_case,
                    source=SOURCE_FALLBACK,
                    reason=f"{why}; served {fallback}",
                )
        return RecommendationList((), use_case=use_case, source=SOURCE_FALLBACK, reason=why)

    return cached(identity, "recommend", primary, compute)


# -- recommendations as model instances --------------------------------------
#: attribute of the request holding the ids shown by the page's blocks so far
PAGE_REGISTRY_ATTRIBUTE = "_personalize_shown"


def shown_on_page(request: HttpRequest | None) -> set[str]:
    """The item ids the blocks of this request's page have shown so far (a
    later block with ``distinct`` leaves them out)."""
    if request is None:
        return set()
    shown = getattr(request, PAGE_REGISTRY_ATTRIBUTE, None)
    if shown is None:
        shown = set()
        setattr(request, PAGE_REGISTRY_ATTRIBUTE, shown)
    return shown


def _excluded_ids(
    use_case: str,
    request: HttpRequest | None,
    item_id: str | None,
    exclude: Iterable[Any],
    distinct: bool,
) -> set[str]:
    """What this list must not show: the page's own item, ``exclude``, what
    the page showed already (``distinct``) and, for recommended_for_you,
    what the visitor viewed in this session (``EXCLUDE_SESSION_VIEWS``)."""
    excluded = {i for i in (registry.item_id_for(x) for x in exclude) if i is not None}
    if item_id:
        excluded.add(item_id)
    if distinct:
        excluded |= shown_on_page(request)
    if (
        use_case == RECOMMENDED_FOR_YOU
        and request is not None
        and personalize_settings.EXCLUDE_SESSION_VIEWS
    ):
        excluded |= caching.viewed_in_session(context.peek_session_id(request))
    return excluded


def _checks_filter(filter: str | None) -> bool:
    """Whether items from outside the backend need the backend's word that
    ``filter`` admits them (the availability filter is checked on each
    instance already)."""
    return filter is not None and filter != AVAILABLE_FILTER_NAME


def recommend(
    use_case: str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    session_id: str | None = None,
    item: Any = None,
    limit: int = 10,
    filter: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
    context: Mapping[str, str] | None = None,
    strict: bool | None = None,
    identity: Identity | None = None,
    exclude: Iterable[Any] = (),
    distinct: bool = True,
) -> Recommendations:
    """Up to ``limit`` recommended item instances for ``use_case`` (see the
    module docstring). ``item`` is an item instance or id; the person is
    ``identity``, else comes from ``user`` / ``session_id``, else from ``request``.

    ``filter`` holds on every link of the :func:`fallback_chain`: when fewer
    items match than ``limit``, the list is shorter, with ``partial`` set and
    a ``reason``. ``exclude`` (instances or ids) are left out; with a
    ``request`` and ``distinct`` (the default), so is every item an earlier
    list of the same request showed (one page shows an item once), and the
    items of this list are added to that page registry."""
    strict = strict_mode(strict)
    try:
        reg = item_registration()
        id_lookup(reg)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_NUM_RESULTS
        ):
            raise InvalidRequestError(
                "limit", f"must be an integer between 1 and {MAX_NUM_RESULTS}"
            )
    except CONFIG_ERRORS:
        if strict:
            raise
        logger.exception("cannot serve %s recommendations", use_case)
        return Recommendations(
            use_case=use_case, source=SOURCE_FALLBACK, reason="misconfigured", partial=True
        )
    identity = identity or identity_for(request, user=user, session_id=session_id)
    item_id = registry.item_id_for(item)
    excluded = _excluded_ids(use_case, request, item_id, exclude, distinct and request is not None)
    # The backend leaves the page's own item out itself; more is asked for the rest.
    want = min(MAX_NUM_RESULTS, overfetch(limit) + len(excluded - {item_id}))
    common = dict(filter=filter, filter_values=filter_values, context=context)
    primary = fetch(use_case, identity, item_id=item_id, num_results=want, strict=strict, **common)

    # Candidate ids in order, with their score and source.
    candidates: dict[str, tuple[float | None, str]] = {}

    def add(recs: RecommendationList, source: str) -> None:
        for rec in recs:
            if rec.item_id not in excluded and rec.item_id not in candidates:
                candidates[rec.item_id] = (rec.score, source)

    add(primary, primary.source)
    bad_request = primary.reason == BAD_REQUEST
    # A bad request's filter cannot be applied: nothing more is shown, since
    # whatever came from elsewhere could break it. Without a filter, the
    # fallbacks ask without what was wrong (the context, the item).
    fallbacks = iter(() if bad_request and filter is not None else fallback_chain(use_case)[1:])
    if bad_request:
        common = dict(context=context)

    def top_up_ids() -> bool:
        """Add the next fallback use case's ids; False when none is left."""
        for fallback in fallbacks:
            add(
                fetch(fallback, identity, num_results=want, strict=False, **common), SOURCE_FALLBACK
            )
            return True
        return False

    # Fewer ids than asked for: the backend has no more, so fetch the top-up
    # ids now and let one query load the lot.
    while len(candidates) < want and top_up_ids():
        pass
    chosen: list[Any] = []
    loaded: set[str] = set()
    while True:
        pending = [i for i in candidates if i not in loaded]
        instances = hydrate(pending, request) if pending else {}
        loaded.update(pending)
        for item_id_ in pending:
            obj = instances.get(item_id_)
            if obj is not None and reg.is_available(obj, request) and len(chosen) < limit:
                score, source = candidates[item_id_]
                chosen.append(annotate(obj, item_id_, score, source))
        if len(chosen) >= limit or not top_up_ids():
            break
    if len(chosen) < limit and not (bad_request and filter is not None):  # the chain's last link
        taken = {*excluded, *(o.personalize_item_id for o in chosen)}
        missing = limit - len(chosen)
        checked = _checks_filter(filter)
        # Rows the filter must admit: look at more of them (one ranking request).
        look_at = min(MAX_RANKING_INPUT, max(missing * 5, 50)) if checked else missing
        extra = from_fallback_queryset(
            request, reg, look_at, taken, filter=filter, filter_values=filter_values
        )
        if checked:
            extra = admitted(extra, identity, filter, filter_values, context)  # type: ignore[arg-type]
        chosen.extend(extra[:missing])
    reason = primary.reason
    partial = len(chosen) < limit
    if partial:
        short = f"{len(chosen)} of {limit} items" + (
            f" match the {filter!r} filter" if filter is not None else " could be shown"
        )
        reason = f"{reason}; {short}" if reason else short
    result = Recommendations(
        chosen,
        use_case=use_case,
        recommendation_id=primary.recommendation_id,
        source=primary.source,
        reason=reason,
        partial=partial,
    )
    if distinct and request is not None:
        shown_on_page(request).update(result.item_ids)
    served(request, use_case, result)
    return result
