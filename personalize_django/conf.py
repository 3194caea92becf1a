"""The ``PERSONALIZE`` setting, read in one place.

Every other module reads configuration through :data:`personalize_settings`::

    from personalize_django.conf import personalize_settings
    personalize_settings.MAX_ATTEMPTS

Values come from ``settings.PERSONALIZE`` merged over :data:`DEFAULTS`, are
read lazily (on first use, not at import) and are reloaded when the setting
changes, so ``override_settings(PERSONALIZE=...)`` works in tests. Keys listed
in :data:`IMPORT_STRINGS` may be given as dotted paths and are imported on
first use. An unknown key is not an error here (it is ignored at run time)
but the system check ``personalize.E002`` reports it.

Adding a setting is one line in :data:`DEFAULTS` (and one entry in
``docs/django/settings.rst``).
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

SETTING_NAME = "PERSONALIZE"

#: delivery modes accepted by ``DELIVERY``
DELIVERY_MODES = ("auto", "celery", "sync", "manual")

DEFAULTS: dict[str, Any] = {
    # -- the backend -----------------------------------------------------
    # dotted path or alias ("local", "aws", "http", "memory"); None: the local engine
    "BACKEND": None,
    # keyword options for the backend's constructor
    "OPTIONS": {},
    # named filter expressions: {"not_bought": 'EXCLUDE ItemID WHERE ...'}
    "FILTERS": {},
    # -- recording -------------------------------------------------------
    # False turns recording off everywhere (nothing is written to the outbox)
    "ENABLED": True,
    # callable (request) -> bool, or its dotted path; None: always consent
    "CONSENT": None,
    # key under which the personalize session id is kept in request.session
    "SESSION_KEY": "_personalize_session_id",
    # cookie holding the session id when the request has no Django session
    "SESSION_COOKIE_NAME": "personalize_sid",
    # event recorded at login carrying the guest session id and the user id
    # (joins the guest's history to the user); None records nothing
    "LOGIN_EVENT_TYPE": "Login",
    # the event type recorded by track_item_view and TrackItemViewMixin
    "VIEW_EVENT_TYPE": "View",
    # write their Views once the response has been sent (the visitor does not wait
    # for the outbox); False writes them in the view, in its transaction
    "RECORD_VIEWS_AFTER_RESPONSE": True,
    # -- delivery ----------------------------------------------------------
    # "auto" (Celery when an app is configured, else "sync"), "celery", "sync", "manual"
    "DELIVERY": "auto",
    # Celery queue for the delivery tasks (None: the default queue)
    "CELERY_QUEUE": None,
    # outbox rows claimed at once by one delivery run
    "BATCH_SIZE": 500,
    # attempts before a row becomes a dead letter
    "MAX_ATTEMPTS": 10,
    # backoff of retryable failures: base * 2**(attempt-1), at most max, with jitter (seconds)
    "RETRY_BASE_DELAY": 2.0,
    "RETRY_MAX_DELAY": 600.0,
    # seconds after which a claimed row whose worker vanished is claimed again
    "LEASE_SECONDS": 300,
    # seconds one delivery run may take before it hands over to a new task
    "DELIVERY_TIME_LIMIT": 60.0,
    # seconds delivered rows are kept (for the admin's counts); 0 deletes them at once
    "KEEP_DELIVERED": 86400,
    # the database alias of the outbox (None: the router's choice, usually "default")
    "DATABASE": None,
    # -- serving: template tags and the REST API (pages.py, caching.py) ------
    # use cases asked, in order, when the requested one fails or is not ready
    "FALLBACK_USE_CASES": ("best_sellers", "most_viewed"),
    # callable (request) -> QuerySet of items, or its dotted path: the last
    # fallback when the backend gives nothing; None: ITEM_QUERYSET, newest first
    "FALLBACK_QUERYSET": None,
    # callable (request) -> QuerySet the recommended items are loaded from (add
    # select_related here), or its dotted path; None: the item model's default manager
    "ITEM_QUERYSET": None,
    # recommended_for_you leaves out the items the visitor viewed in the current
    # session (remembered in the cache for SESSION_VIEWS_TIMEOUT seconds)
    "EXCLUDE_SESSION_VIEWS": True,
    "SESSION_VIEWS_TIMEOUT": 1800,
    # Django cache alias for recommendation lists
    "CACHE_ALIAS": "default",
    # seconds a list is cached per user or session; 0 turns caching off
    "CACHE_TIMEOUT": 60,
    # event types that drop only the person's personal lists (recommended_for_you,
    # ranking, lists whose filter reads interactions) and keep their item lists
    # (also_viewed, bought_together, best_sellers, most_viewed); () drops all on any event
    "CACHE_KEEP_ITEM_LISTS_ON": ("View", "Click", "AddToCart", "Impression"),
    # -- the REST API (personalize_django.api) -------------------------------
    # serializer class (or dotted path) for each recommended item's extra keys
    "ITEM_SERIALIZER": "personalize_django.api.serializers.ItemSerializer",
    # most events (items, users) accepted in one POST
    "API_MAX_BATCH": 100,
    # largest body an API call may send (bytes); larger ones are refused unread (413)
    "API_MAX_BODY_BYTES": 1024 * 1024,
    # how many reverse proxies in front of the site append to X-Forwarded-For: the
    # throttles key guests by the address that many hops from the right (0: the socket's)
    "API_TRUSTED_PROXIES": 0,
    # DRF rates per scope: browser event posts, browser reads, trusted services (None: unthrottled)
    "API_THROTTLE_RATES": {"events": "120/min", "reads": "300/min", "trusted": None},
    # permission a token-authenticated caller needs to record for any user
    "API_TRUSTED_PERMISSION": "personalize.add_outboxevent",
    # DRF authentication classes (dotted paths) of the API; None: CSRF-enforcing
    # session authentication, plus DRF's TokenAuthentication when rest_framework.authtoken is installed
    "API_AUTHENTICATION_CLASSES": None,
    # event types browsers may post (None: any); Purchase belongs to the server
    "API_BROWSER_EVENT_TYPES": ("View", "Click", "AddToCart", "Impression"),
    # event type of a recommendation block seen (personalize.js), and of a click on one of its items
    "IMPRESSION_EVENT_TYPE": "Impression",
    "CLICK_EVENT_TYPE": "Click",
    # event property carrying the block's use case (for click-through per use case); None: left out
    "USE_CASE_PROPERTY": "useCase",
    # -- the data pipeline: personalize_export, _check, _provision, _batch, _forget_user --
    # the desired AWS state for personalize_provision (personalize_sdk.provisioning.desired_state)
    "PROVISIONING": None,
    # IAM role Personalize assumes to read and write S3 in import, deletion and batch jobs
    "DATA_ROLE_ARN": None,
    # S3 folder (s3://bucket/prefix/) for uploads, deletion lists and batch input and output
    "DATA_S3_URI": None,
    # model label -> spec of an event model's time, for exporting its history
    # ({"shop.orderline": "order.created_at"}); None found: the time is guessed
    "EXPORT_TIMESTAMPS": {},
}

#: keys whose values may be dotted paths, imported on first use
IMPORT_STRINGS = frozenset({"CONSENT", "FALLBACK_QUERYSET", "ITEM_QUERYSET"})

#: keys that existed once, with what to do instead (reported by the checks)
REMOVED_SETTINGS: dict[str, str] = {}


class PersonalizeSettings:
    """Attribute access to the ``PERSONALIZE`` setting with defaults.

    Reading a key that is not in :data:`DEFAULTS` raises ``AttributeError``
    (a typo in *our* code must not pass silently).
    """

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        self.defaults = defaults or DEFAULTS
        self._lock = threading.Lock()

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, SETTING_NAME, None)
        # A non-dict is reported by personalize.E001; run on the defaults meanwhile.
        return dict(value) if isinstance(value, dict) else {}

    def __getattr__(self, name: str) -> Any:
        # Only called for a key not resolved yet: once resolved, the value is an
        # instance attribute, so the request path reads settings at the cost of
        # a plain attribute (reload() deletes them).
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Invalid personalize setting: {name!r}")
        user = self.user_settings
        value = user[name] if name in user else self.defaults[name]
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = import_string(value)
        with self._lock:
            self.__dict__[name] = value
        return value

    def as_dict(self) -> dict[str, Any]:
        """Every known key with its effective (un-imported) value."""
        merged = dict(self.defaults)
        merged.update({k: v for k, v in self.user_settings.items() if k in self.defaults})
        return merged

    def reload(self) -> None:
        with self._lock:
            for name in [key for key in self.__dict__ if key in self.defaults]:
                del self.__dict__[name]


#: the one instance the app reads
personalize_settings = PersonalizeSettings()

_reload_hooks: list = []


def on_reload(hook) -> Any:
    """Register ``hook()`` to run whenever ``PERSONALIZE`` changes (for caches
    built from settings, like the process-wide client). Usable as a decorator."""
    _reload_hooks.append(hook)
    return hook


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting != SETTING_NAME:
        return
    personalize_settings.reload()
    for hook in list(_reload_hooks):
        hook()


setting_changed.connect(_reload, dispatch_uid="personalize_django.conf.reload")
