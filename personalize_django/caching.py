"""Caching recommendation lists in Django's cache, per user or session.

A list is cached under a key hashed from *who* asked (the user id, or the
session id of a guest), the request (use case, item, number of results,
filter, filter values, context) and that person's *generation*: a random
token kept in the cache under the person's own key. Recording an event for
the person deletes the token (:func:`bump`, called by ``record_event``) and
the next list asked for draws a new one, so every list cached for them
becomes unreachable at once, in one cache operation, however many lists
there were. Old entries simply expire (``CACHE_TIMEOUT``).

A person has two generations, one per *scope* of list:

* ``personal`` lists: recommended for you, ranking, and any list whose filter
  reads the person's interactions. Every event drops them.
* ``items`` lists: also viewed, bought together, best sellers and most viewed
  with no such filter. What they hold depends on the item asked about (or on
  nobody) and, for the person, only on what they bought (Personalize and the
  local engine leave purchased items out). So an event whose type is in
  ``CACHE_KEEP_ITEM_LISTS_ON`` (View, Click, AddToCart, Impression by
  default) leaves them cached; any other event (a Purchase, a Login that
  joins a guest's history, a type of the shop's own) drops them too.
  ``CACHE_KEEP_ITEM_LISTS_ON = ()`` drops every list on every event.

Either way a drop is one cache operation per event.

Forgetting a user (:func:`forget`) drops their generations and replaces the
*forget version*, a token every list key holds too: in a shared cache (Redis,
Memcached) every process's next lookup misses, for every identity, including
sessions of the user that nothing names any more. A per-process cache
(``LocMemCache``) cannot be reached from the process that forgets; :func:`forget`
says so, and such a cache keeps a list for at most ``CACHE_TIMEOUT``.

Keys always contain the person: a list computed for one user can never be
found by another, even for use cases that are not personal (their filters
may read the user's own interactions).

What is cached is the backend's answer (:class:`RecommendationList`, ids and
scores, as a plain dict), never model instances: availability is checked on
every request when the instances are loaded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import random
from typing import Any, Iterable, Mapping

from django.core.cache import caches

from personalize_sdk.filters.tree import INTERACTION_DATASETS, Filter
from personalize_sdk.recommendations import RecommendationList
from personalize_sdk.use_cases import (
    ALSO_VIEWED,
    BEST_SELLERS,
    BOUGHT_TOGETHER,
    MOST_VIEWED,
)

from .client import get_client
from .conf import personalize_settings

logger = logging.getLogger("personalize_django")

#: prefix of every key this module writes (bump the version when the format changes)
KEY_PREFIX = "personalize:v2"
#: generations outlive the lists they guard; a lost one is replaced by a new
#: random token, which can only make old lists unreachable, never serve them
GENERATION_TIMEOUT_FACTOR = 10

#: the two scopes of lists (see the module docstring)
PERSONAL = "personal"
ITEMS = "items"
SCOPES = (PERSONAL, ITEMS)
#: use cases whose lists are in the ``items`` scope (unless their filter reads interactions)
ITEM_USE_CASES = frozenset({ALSO_VIEWED, BOUGHT_TOGETHER, BEST_SELLERS, MOST_VIEWED})


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def identity_key(user_id: str | None, session_id: str | None) -> str:
    """``"u:<user id>"`` for a user, ``"s:<session id>"`` for a guest."""
    if user_id:
        return f"u:{user_id}"
    if session_id:
        return f"s:{session_id}"
    raise ValueError("a cache identity needs a user id or a session id")


def enabled() -> bool:
    timeout = personalize_settings.CACHE_TIMEOUT
    return bool(timeout) and timeout > 0


def _cache() -> Any:
    return caches[personalize_settings.CACHE_ALIAS]


@functools.lru_cache(maxsize=4096)
def _generation_key(identity: str, scope: str = PERSONAL) -> str:
    # Asked on every recorded event and for every list served: remembered for
    # the visitors seen lately (a key depends on the identity and scope alone).
    return f"{KEY_PREFIX}:gen:{scope}:{_digest(identity)}"


#: the key of the forget version (see the module docstring)
FORGET_VERSION_KEY = f"{KEY_PREFIX}:forget-version"


def generation(identity: str, scope: str = PERSONAL) -> str:
    """The person's current generation token for ``scope`` (created when
    missing), joined with the cache's forget version: both are read in one
    cache operation, and a list key built from them changes when either does."""
    cache = _cache()
    key = _generation_key(identity, scope)
    found = cache.get_many([key, FORGET_VERSION_KEY])
    token = found.get(key)
    if token is None:
        token = _new_token()
        # add(): two requests racing here agree on whichever token landed first.
        if not cache.add(key, token, _generation_timeout()):
            token = cache.get(key) or token
    version = found.get(FORGET_VERSION_KEY)
    if version is None:
        version = _new_token()
        if not cache.add(FORGET_VERSION_KEY, version, None):
            version = cache.get(FORGET_VERSION_KEY) or version
    return f"{token}.{version}"


def shared_across_processes() -> bool:
    """Whether the lists' cache is one for all processes (``LocMemCache`` is per process)."""
    from django.core.cache.backends.locmem import LocMemCache

    return not isinstance(_cache(), LocMemCache)


def forget(*identities: str) -> str:
    """After a user was forgotten: drop the generations of ``identities`` and
    replace the forget version, so that no process serves a list cached
    before. Returns ``""``, or a note saying what could not be reached (a
    per-process cache). Never raises: the forget itself is done."""
    if not enabled():
        return ""
    try:
        bump(*identities)
        _cache().set(FORGET_VERSION_KEY, _new_token(), None)
    except Exception:
        logger.warning("personalize cache invalidation after a forget failed", exc_info=True)
        return (
            "the cache could not be reached: lists cached for the user expire within "
            f"CACHE_TIMEOUT ({personalize_settings.CACHE_TIMEOUT}s)"
        )
    if not shared_across_processes():
        return (
            f"the cache {personalize_settings.CACHE_ALIAS!r} is per process (LocMemCache): other "
            "processes may serve lists cached for the user for up to CACHE_TIMEOUT "
            f"({personalize_settings.CACHE_TIMEOUT}s); use a shared cache (Redis, Memcached)"
        )
    return ""


# A generation only has to differ from the one it replaces (it guards nothing
# secret): 64 random bits, without a system call per event, from a generator of
# this module's own, so that random.seed() in the shop (or a test plugin) cannot
# make tokens repeat and old lists reachable again. Reseeded in forked workers.
_tokens = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_tokens.seed)


def _new_token() -> str:
    return f"{_tokens.getrandbits(64):016x}"


def _generation_timeout() -> int:
    return int(personalize_settings.CACHE_TIMEOUT) * GENERATION_TIMEOUT_FACTOR


def bump(*identities: str, scopes: tuple[str, ...] = SCOPES) -> None:
    """Make the lists cached for these identities in ``scopes`` (default:
    all of them) unreachable: their generations are deleted, and the next
    list asked for gets a new one (a delete costs less than writing a token
    now, and a person who is shown no list of that scope never pays for one)."""
    if not enabled():
        return
    keys = [_generation_key(identity, scope) for identity in identities for scope in scopes]
    if len(keys) == 1:
        _cache().delete(keys[0])
    elif keys:
        _cache().delete_many(keys)


def scope_of(kind: str, request: Mapping[str, Any]) -> str:
    """The scope of a list: ``items`` for the item and popularity use cases
    whose filter does not read interactions, ``personal`` for the rest."""
    if kind != "recommend" or request.get("use_case") not in ITEM_USE_CASES:
        return PERSONAL
    name = request.get("filter")
    if name is None:
        return ITEMS
    return PERSONAL if _reads_interactions(get_client().filters.get(name)) else ITEMS


def _reads_interactions(tree: Any) -> bool:
    if not isinstance(tree, Filter):
        return True  # not an expression we can read (or unknown): assume it does
    return _filter_reads_interactions(tree)


@functools.lru_cache(maxsize=256)
def _filter_reads_interactions(tree: Filter) -> bool:
    return any(expression.dataset in INTERACTION_DATASETS for expression in tree.expressions)


def list_key(identity: str, kind: str, request: Mapping[str, Any]) -> str:
    """The key of one list: who asked, their generation, what they asked for.
    ``request`` holds JSON-able values; filter values are sorted by name
    (their order within one placeholder is kept: it is part of the request)."""
    normalised = dict(request)
    values = normalised.get("filter_values") or {}
    normalised["filter_values"] = sorted((name, list(v)) for name, v in values.items())
    normalised["context"] = sorted((normalised.get("context") or {}).items())
    scope = scope_of(kind, request)
    return f"{KEY_PREFIX}:list:{_digest(identity, scope, generation(identity, scope), kind, normalised)}"


def get_list(key: str) -> RecommendationList | None:
    """The cached list under ``key``, or ``None``. A broken cache is a miss."""
    try:
        data = _cache().get(key)
    except Exception:  # a cache outage must not break a page
        logger.warning("personalize cache read failed", exc_info=True)
        return None
    if not isinstance(data, dict):
        return None
    try:
        return RecommendationList.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def set_list(key: str, recommendations: RecommendationList) -> None:
    try:
        _cache().set(key, recommendations.to_dict(), int(personalize_settings.CACHE_TIMEOUT))
    except Exception:
        logger.warning("personalize cache write failed", exc_info=True)


def on_event_recorded(event: Any) -> None:
    """For each event recorded: the person's personal lists are stale now,
    and their item lists too unless the event type is in
    ``CACHE_KEEP_ITEM_LISTS_ON``. Never raises."""
    drop_lists_of([(event.event_type, event.user_id, event.session_id)])


def on_post_record(sender: Any, event: Any, **kwargs: Any) -> None:
    """The :data:`~personalize_django.signals.post_record` receiver (connected
    in the app's ``ready()``): :func:`on_event_recorded`, and a View is
    remembered for its session (:func:`viewed_in_session`)."""
    on_event_recorded(event)
    if event.event_type == personalize_settings.VIEW_EVENT_TYPE and event.item_id:
        remember_view(event.session_id, event.item_id)


#: items remembered per session for :func:`viewed_in_session`
MAX_SESSION_VIEWS = 50


def _views_key(session_id: str) -> str:
    return f"{KEY_PREFIX}:viewed:{_digest(session_id)}"


def remember_view(session_id: str | None, item_id: str) -> None:
    """Remember that ``session_id`` viewed ``item_id`` (the last
    ``MAX_SESSION_VIEWS``, for ``SESSION_VIEWS_TIMEOUT`` seconds). Runs where
    the event is written (after the response, for tracked views); never raises."""
    if not session_id or not personalize_settings.EXCLUDE_SESSION_VIEWS:
        return
    try:
        cache = _cache()
        key = _views_key(session_id)
        seen = [i for i in (cache.get(key) or []) if i != item_id]
        seen.append(item_id)
        cache.set(key, seen[-MAX_SESSION_VIEWS:], int(personalize_settings.SESSION_VIEWS_TIMEOUT))
    except Exception:
        logger.warning("personalize cache write failed", exc_info=True)


def viewed_in_session(session_id: str | None) -> set[str]:
    """The items ``session_id`` viewed lately (see :func:`remember_view`)."""
    if not session_id:
        return set()
    try:
        return set(_cache().get(_views_key(session_id)) or ())
    except Exception:  # a cache outage must not break a page
        logger.warning("personalize cache read failed", exc_info=True)
        return set()


def on_delivered(sender: Any, kind: str, payloads: Any = (), **kwargs: Any) -> None:
    """The :data:`~personalize_django.signals.delivered` receiver (connected in
    the app's ``ready()``): :func:`on_events_delivered` for delivered events."""
    if kind == "event":
        on_events_delivered(payloads)


def drop_lists_of(events: Iterable[tuple[str, str | None, str | None]]) -> None:
    """Drop the cached lists of the people behind ``(event_type, user_id,
    session_id)`` triples, by the rule of :func:`on_event_recorded`. Never raises:
    recording and delivery must not fail because the cache is down."""
    if not enabled():
        return
    keep = personalize_settings.CACHE_KEEP_ITEM_LISTS_ON or ()
    if isinstance(keep, str):
        keep = (keep,)
    personal: set[str] = set()
    every: set[str] = set()
    for event_type, user_id, session_id in events:
        target = personal if event_type in keep else every
        if user_id:
            target.add(identity_key(user_id, None))
        if session_id:
            target.add(identity_key(None, session_id))
    try:
        if every:
            bump(*every, scopes=SCOPES)
        if personal - every:
            bump(*(personal - every), scopes=(PERSONAL,))
    except Exception:
        logger.warning("personalize cache invalidation failed", exc_info=True)


def on_events_delivered(payloads: Iterable[Mapping[str, Any]]) -> None:
    """Delivered events (outbox payloads): a list cached between an event's
    recording and its delivery may have been computed without it (with Celery
    delivery the backend learns of it later), so the person's lists are dropped
    again. Web processes see this through a shared cache (Redis, Memcached); a
    per-process cache keeps such a list for at most ``CACHE_TIMEOUT``."""
    drop_lists_of(
        (p.get("event_type", ""), p.get("user_id"), p.get("session_id")) for p in payloads
    )
