"""Serving recommendations to pages and APIs: the one place that asks the
client for a use case.

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
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest

from personalize_sdk import BackendError, ConfigurationError, NotReadyError
from personalize_sdk.exceptions import InvalidRequestError
from personalize_sdk.recommendations import (
    SOURCE_FALLBACK,
    SOURCE_MODEL,
    Recommendation,
    RecommendationList,
)
from personalize_sdk.use_cases import (
    MAX_NUM_RESULTS,
    MAX_RANKING_INPUT,
    RECOMMENDED_FOR_YOU,
    USE_CASES,
    RankingRequest,
    RecommendationRequest,
)

from . import caching, context
from .client import AVAILABLE_FILTER_NAME, get_client
from .conf import personalize_settings
from .hydration import (
    annotate,
    from_fallback_queryset,
    hydrate,
    id_lookup,
    item_registration,
)
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


def _strict(strict: bool | None) -> bool:
    return settings.DEBUG if strict is None else strict


def _ask(call: Any, what: str) -> tuple[RecommendationList | None, str | None]:
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


def _cached(identity: Identity, kind: str, req: Any, compute: Any) -> RecommendationList:
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
    strict = _strict(strict)
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
        result, why = _ask(lambda: get_client().recommend(primary), use_case)
        if result is not None:
            return replace(result, use_case=use_case)
        for fallback in fallback_chain(use_case)[1:]:
            try:
                req = replace(primary, use_case=fallback, item_id=None)
                answer, _ = _ask(lambda: get_client().recommend(req), fallback)
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

    return _cached(identity, "recommend", primary, compute)


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


def admitted(
    candidates: list[Any],
    identity: Identity,
    filter: str,
    filter_values: Mapping[str, Any] | None,
    context: Mapping[str, str] | None,
) -> list[Any]:
    """The ``candidates`` (annotated instances, from outside the backend: the
    ``FALLBACK_QUERYSET``) that ``filter`` admits, in their order, as the
    backend judges them (a ranking request with the filter). None of them
    when the backend cannot say: a filter is a promise, so an item is never
    shown on a guess."""
    if not candidates:
        return []
    if not get_client().backend.evaluates_filters:
        logger.warning(
            "fallback items left out: the %s backend cannot check them against the %r filter",
            get_client().backend.display_name,
            filter,
        )
        return []
    try:
        req = RankingRequest(
            identity.backend_user_id or "anonymous",
            tuple(obj.personalize_item_id for obj in candidates),
            filter,
            filter_values or {},
            context or {},
        )
    except CONFIG_ERRORS:
        logger.exception("cannot check the fallback items against the %r filter", filter)
        return []
    answer, why = _ask(lambda: get_client().rank(req), f"the {filter!r} filter check")
    if answer is None:
        logger.warning("fallback items left out: %s", why)
        return []
    allowed = set(answer.item_ids)
    return [obj for obj in candidates if obj.personalize_item_id in allowed]


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
    strict = _strict(strict)
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
    _served(request, use_case, result)
    return result


def _served(request: HttpRequest | None, use_case: str | None, result: Recommendations) -> None:
    recommendations_served.send(
        sender=Recommendations, request=request, use_case=use_case, recommendations=result
    )


# -- ranking -----------------------------------------------------------------
def fetch_ranking(
    item_ids: Iterable[str],
    identity: Identity,
    *,
    filter: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
    context: Mapping[str, str] | None = None,
    strict: bool | None = None,
    only_available: bool = True,
) -> RecommendationList:
    """The backend's ranking of ``item_ids`` for ``identity``, through the
    cache; when it fails, the ids in the given order (``source`` ``"fallback"``).
    Without a ``filter``, the availability filter applies unless
    ``only_available`` is false (a listing whose items the shop chose)."""
    ids = list(dict.fromkeys(item_ids))
    given = RecommendationList(tuple(Recommendation(i) for i in ids), source=SOURCE_FALLBACK)
    try:
        if not ids:
            raise InvalidRequestError("item_ids", "must hold at least one item id")
        flt = default_filter(filter) if only_available else filter
        check_filter(flt)
        req = RankingRequest(
            identity.backend_user_id or "", tuple(ids), flt, filter_values or {}, context or {}
        )
    except CONFIG_ERRORS:
        if _strict(strict):
            raise
        logger.exception("bad ranking request; keeping the given order")
        return replace(given, reason=BAD_REQUEST)

    def compute() -> RecommendationList:
        answer, why = _ask(lambda: get_client().rank(req), "ranking")
        return answer if answer is not None else replace(given, reason=why)

    return _cached(identity, "rank", req, compute)


def rank(
    items: Iterable[Any],
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    session_id: str | None = None,
    filter: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
    context: Mapping[str, str] | None = None,
    strict: bool | None = None,
    identity: Identity | None = None,
) -> Recommendations:
    """``items`` reordered for the person, best first.

    ``items`` holds model instances (a queryset is evaluated once), objects
    carrying one as ``.object`` (search results: Haystack's ``SearchResult``,
    django-oscar's listings) or item ids. Instances stay as given, and the
    list keeps them all: those the backend does not rank follow in the given
    order, unless ``filter`` is given, which drops what it excludes. Ids are
    loaded in one query, unavailable ones dropped. Anything else cannot be
    mapped to an item: it raises when ``strict`` (default: ``DEBUG``) and is
    left out, logged, otherwise. On failure the given order is kept
    (``source`` ``"fallback"``)."""
    strict = _strict(strict)
    objs, refused = _rankable(items)
    if refused:
        error = InvalidRequestError(
            "items",
            f"cannot rank {type(refused[0]).__name__} objects: pass model instances of the "
            "item model, objects carrying one as .object (search results), or item ids",
        )
        if strict:
            raise error
        logger.error("%s (%d left out)", error, len(refused))
    identity = identity or identity_for(request, user=user, session_id=session_id)
    ids = [i for i in (registry.item_id_for(o) for o in objs) if i is not None]
    instances = bool(objs) and all(isinstance(o, models.Model) for o in objs)
    ranking = fetch_ranking(
        ids,
        identity,
        filter=filter,
        filter_values=filter_values,
        context=context,
        strict=strict,
        only_available=not instances,
    )
    if instances:
        by_id = {registry.item_id_for(o): o for o in objs}
    else:
        try:
            reg = item_registration()
            by_id = {
                k: v
                for k, v in hydrate(ranking.item_ids, request).items()
                if reg.is_available(v, request)
            }
        except CONFIG_ERRORS:
            if strict:
                raise
            logger.exception("cannot load ranked items")
            by_id = {}
    chosen = [
        annotate(by_id[r.item_id], r.item_id, r.score, ranking.source)
        for r in ranking
        if r.item_id in by_id
    ]
    if instances and filter is None and len(chosen) < len(by_id):
        # The shop chose these items: the ones the backend did not rank stay, after the rest.
        ranked = {obj.personalize_item_id for obj in chosen}
        chosen.extend(
            annotate(obj, item_id, None, SOURCE_FALLBACK)
            for item_id, obj in by_id.items()
            if item_id not in ranked
        )
    result = Recommendations(
        chosen,
        recommendation_id=ranking.recommendation_id,
        source=ranking.source,
        reason=ranking.reason,
    )
    _served(request, None, result)
    return result


def _rankable(items: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """``items`` as instances or ids (search results unwrapped), and the
    objects that are neither."""
    objs: list[Any] = []
    refused: list[Any] = []
    for obj in items:
        if not isinstance(obj, models.Model) and hasattr(obj, "object"):
            obj = obj.object  # a search result: the instance it stands for
        if isinstance(obj, models.Model) or (
            isinstance(obj, (str, int)) and not isinstance(obj, bool)
        ):
            objs.append(obj)
        elif obj is not None:
            refused.append(obj)
    return objs, refused
