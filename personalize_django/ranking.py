"""Personalized ranking for pages and APIs: items a page already has,
reordered for the person (:func:`rank`), and the check that items from
outside the backend pass a filter (:func:`admitted`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Iterable, Mapping

from django.db import models
from django.http import HttpRequest

from personalize_sdk.exceptions import InvalidRequestError
from personalize_sdk.recommendations import SOURCE_FALLBACK, Recommendation, RecommendationList
from personalize_sdk.use_cases import RankingRequest

from .client import get_client
from .hydration import annotate, hydrate, item_registration
from .lists import (
    BAD_REQUEST,
    CONFIG_ERRORS,
    Identity,
    Recommendations,
    ask,
    cached,
    check_filter,
    default_filter,
    identity_for,
    served,
    strict_mode,
)
from .registry import registry

logger = logging.getLogger("personalize_django")


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
    client = get_client()
    if not client.backend.evaluates_filters:
        logger.warning(
            "fallback items left out: the %s backend cannot check them against the %r filter",
            client.backend.display_name,
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

    def compute() -> RecommendationList:
        answer, why = ask(lambda: client.rank(req), f"the {filter!r} filter check")
        if answer is None:
            logger.warning("fallback items left out: %s", why)
            return RecommendationList((), source=SOURCE_FALLBACK, reason=why)  # admits none
        return answer

    # Through the cache of lists, as every other backend answer: a short
    # filtered block does not cost a ranking call on every page.
    answer = cached(identity, "admit", req, compute)
    allowed = set(answer.item_ids)
    return [obj for obj in candidates if obj.personalize_item_id in allowed]


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
        if strict_mode(strict):
            raise
        logger.exception("bad ranking request; keeping the given order")
        return replace(given, reason=BAD_REQUEST)

    def compute() -> RecommendationList:
        answer, why = ask(lambda: get_client().rank(req), "ranking")
        return answer if answer is not None else replace(given, reason=why)

    return cached(identity, "rank", req, compute)


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
    strict = strict_mode(strict)
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
    served(request, None, result)
    return result


def _rankable(items: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """``items`` as instances or ids (search results unwrapped), and the
    objects that are neither."""
    objs: list[Any] = []
    refused: list[Any] = []
    # An instance of another model (a category beside the products) is no
    # item: its pk would be ranked as some product's id.
    item_models = tuple(registry.items)
    for obj in items:
        if not isinstance(obj, models.Model) and hasattr(obj, "object"):
            obj = obj.object  # a search result: the instance it stands for
        if isinstance(obj, item_models) or (
            isinstance(obj, (str, int)) and not isinstance(obj, bool)
        ):
            objs.append(obj)
        elif obj is not None:
            refused.append(obj)
    return objs, refused
