"""System checks for ``PERSONALIZE`` and the registrations.

Every id is listed in ``docs/checks.rst``; ids are never reused (a retired
check stays here as a comment).

- personalize.E001  PERSONALIZE is not a dict
- personalize.E002  unknown key in PERSONALIZE
- personalize.E003  key that was removed (none yet)
- personalize.E004  BACKEND cannot be imported
- personalize.E005  OPTIONS or FILTERS is not a dict
- personalize.E006  DELIVERY is not a known mode
- personalize.E007  Celery delivery chosen, Celery not installed
- personalize.E008  Celery delivery chosen, no Celery app configured
- personalize.E009  a filter expression does not parse
- personalize.E010  AWS: a use case mapped to nothing, or an unknown use case
- personalize.E011  CONSENT cannot be imported or is not callable
- personalize.E012  a numeric, boolean or list setting is out of range or of the wrong type
- personalize.E013  a registration names an attribute the model does not have
- personalize.W001  delivery runs on the request path outside DEBUG
- personalize.W002  AWS: a use case has no recommender or campaign
- personalize.W003  the outbox is on SQLite: a Celery worker will lock it, or connections close
- personalize.W004  no item model is registered
- personalize.W005  AWS keys are written into settings
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from django.conf import settings
from django.db import connections
from django.core.checks import Error, Warning
from django.utils.module_loading import import_string

from personalize_sdk import ConfigurationError
from personalize_sdk.backends import DEFAULT_BACKEND, Backend, import_backend
from personalize_sdk.filters import parse
from personalize_sdk.use_cases import USE_CASES

from .conf import DEFAULTS, DELIVERY_MODES, REMOVED_SETTINGS, SETTING_NAME
from .outbox import outbox_db
from .outbox.waking import celery_app_configured, celery_installed, tasks_run_eagerly
from .registry import CURRENCY_CODE, registry
from .specs import path_problem

#: OPTIONS keys of the AWS backend that map use cases to ARNs
AWS_USE_CASE_OPTIONS = ("recommenders", "campaigns")

_NUMBERS = {
    # key: (minimum, whether the minimum itself is allowed, integer only)
    "BATCH_SIZE": (1, True, True),
    "MAX_ATTEMPTS": (1, True, True),
    "RETRY_BASE_DELAY": (0, True, False),
    "RETRY_MAX_DELAY": (0, True, False),
    "LEASE_SECONDS": (0, False, False),
    "DELIVERY_TIME_LIMIT": (0, False, False),
    "KEEP_DELIVERED": (0, True, False),
    "SESSION_VIEWS_TIMEOUT": (0, False, True),
    "API_MAX_BODY_BYTES": (1, True, True),
    "API_TRUSTED_PROXIES": (0, True, True),
}


def _config() -> Any:
    return getattr(settings, SETTING_NAME, {})


def _value(config: dict[str, Any], key: str) -> Any:
    return config.get(key, DEFAULTS[key])


def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    """The shape of ``PERSONALIZE``: its type, its keys, and the simple values."""
    config = _config()
    if not isinstance(config, dict):
        return [
            Error(
                f"The {SETTING_NAME} setting must be a dict, not {type(config).__name__}.",
                hint=f'Write it as {SETTING_NAME} = {{"BACKEND": "local", ...}}.',
                id="personalize.E001",
            )
        ]
    errors: list = []
    for key in config:
        if key in REMOVED_SETTINGS:
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] was removed.",
                    hint=REMOVED_SETTINGS[key],
                    id="personalize.E003",
                )
            )
        elif key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            errors.append(
                Error(
                    f"{SETTING_NAME} has an unknown key {key!r}.",
                    hint=hint + "Known keys: " + ", ".join(sorted(DEFAULTS)) + ".",
                    id="personalize.E002",
                )
            )
    for key in ("OPTIONS", "FILTERS"):
        value = _value(config, key)
        if value is not None and not isinstance(value, dict):
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] must be a dict, not {type(value).__name__}.",
                    hint=(
                        "OPTIONS are the backend's keyword options; FILTERS map names to "
                        "expressions."
                    ),
                    id="personalize.E005",
                )
            )
    for key, (minimum, inclusive, integer) in _NUMBERS.items():
        value = _value(config, key)
        kind_ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if (
            isinstance(value, bool)
            or not kind_ok
            or value < minimum
            or (value == minimum and not inclusive)
        ):
            bound = f"at least {minimum}" if inclusive else f"more than {minimum}"
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] must be {'an integer' if integer else 'a number'} "
                    f"{bound}, not {value!r}.",
                    hint=f"The default is {DEFAULTS[key]!r}.",
                    id="personalize.E012",
                )
            )
    for key in ("ENABLED", "RECORD_VIEWS_AFTER_RESPONSE", "EXCLUDE_SESSION_VIEWS"):
        if not isinstance(_value(config, key), bool):
            errors.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] must be True or False, not {_value(config, key)!r}.",
                    hint=f"The default is {DEFAULTS[key]!r}.",
                    id="personalize.E012",
                )
            )
    keep = _value(config, "CACHE_KEEP_ITEM_LISTS_ON")
    if not isinstance(keep, (list, tuple)) or not all(isinstance(t, str) and t for t in keep):
        errors.append(
            Error(
                f"{SETTING_NAME}['CACHE_KEEP_ITEM_LISTS_ON'] must be a list or tuple of event "
                f"types, not {keep!r}.",
                hint=f"The default is {DEFAULTS['CACHE_KEEP_ITEM_LISTS_ON']!r}; () drops every "
                "cached list on every event.",
                id="personalize.E012",
            )
        )
    consent = _value(config, "CONSENT")
    if consent is not None:
        try:
            target = import_string(consent) if isinstance(consent, str) else consent
        except ImportError as err:
            errors.append(
                Error(
                    f"{SETTING_NAME}['CONSENT'] {consent!r} cannot be imported: {err}.",
                    hint=(
                        "Give the dotted path of a function (request) -> bool, e.g. "
                        "'shop.privacy.has_consent'."
                    ),
                    id="personalize.E011",
                )
            )
        else:
            if not callable(target):
                errors.append(
                    Error(
                        f"{SETTING_NAME}['CONSENT'] must be a callable (request) -> bool, not "
                        f"{target!r}.",
                        hint=(
                            "Give a function or its dotted path; None means consent is always "
                            "given."
                        ),
                        id="personalize.E011",
                    )
                )
    return errors


def _backend_class(config: dict[str, Any]) -> tuple[Any, list]:
    backend = _value(config, "BACKEND")
    if isinstance(backend, Backend):
        return type(backend), []
    if isinstance(backend, type):
        return backend, []
    path = backend or DEFAULT_BACKEND
    try:
        return import_backend(path), []
    except ImportError as err:  # ImproperlyInstalled: a missing optional package
        hint = "Install the extra the backend needs (see the message), or choose another BACKEND."
        message = f"{SETTING_NAME}['BACKEND'] {path!r} cannot be loaded: {err}"
    except ConfigurationError as err:
        hint = "Use an alias (local, aws, http, memory) or the dotted path of a Backend subclass."
        message = f"{SETTING_NAME}['BACKEND'] {path!r} cannot be loaded: {err}"
    return None, [Error(message, hint=hint, id="personalize.E004")]


def check_backend(app_configs: Any = None, **kwargs: Any) -> list:
    """The backend imports, its filters parse, and (AWS) every use case is mapped."""
    config = _config()
    if not isinstance(config, dict):
        return []
    cls, errors = _backend_class(config)
    filters = _value(config, "FILTERS")
    if isinstance(filters, dict):
        errors.extend(_check_filters(filters))
    options = _value(config, "OPTIONS")
    # A backend serving from a Personalize dataset group serves each use case
    # by a recommender or campaign named in its options.
    serves_by_arn = isinstance(cls, type) and issubclass(cls, Backend) and cls.has_personalize_jobs
    if serves_by_arn and isinstance(options, dict):
        errors.extend(_check_aws_use_cases(options))
    if isinstance(options, dict):
        errors.extend(_check_keys_in_settings(options))
    return errors


#: options holding AWS credentials, and the environment variable boto3 reads for each
AWS_KEY_OPTIONS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
}


def _check_keys_in_settings(options: dict[str, Any]) -> list:
    """W005: AWS keys written into settings (a key read from the environment
    is left alone: it is where boto3 would read it itself)."""
    written = sorted(
        name
        for name, variable in AWS_KEY_OPTIONS.items()
        if options.get(name) and str(options.get(name)) != os.environ.get(variable)
    )
    if not written:
        return []
    return [
        Warning(
            f"{SETTING_NAME}['OPTIONS'] holds AWS keys written into settings: "
            f"{', '.join(written)}.",
            hint=(
                "Leave them out: boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the "
                "environment, a profile (profile_name) or the instance role. If they must be in "
                "settings, read them from os.environ."
            ),
            id="personalize.W005",
        )
    ]


def _check_filters(filters: dict[str, Any]) -> list:
    errors = []
    for name, expression in filters.items():
        if not isinstance(expression, str) or not expression.strip():
            errors.append(
                Error(
                    f"{SETTING_NAME}['FILTERS'][{name!r}] must be a filter expression string, not "
                    f"{expression!r}.",
                    hint=(
                        "For example: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN "
                        '("Purchase")\'.'
                    ),
                    id="personalize.E009",
                )
            )
            continue
        try:
            parse(expression)
        except ValueError as err:
            errors.append(
                Error(
                    f"{SETTING_NAME}['FILTERS'][{name!r}] does not parse: {err}",
                    hint="See Personalize's filter-expression language in the docs (filters page).",
                    id="personalize.E009",
                )
            )
    return errors


def _check_aws_use_cases(options: dict[str, Any]) -> list:
    errors: list = []
    mapped: set[str] = set()
    allowed = list(USE_CASES)
    for option in AWS_USE_CASE_OPTIONS:
        mapping = options.get(option) or {}
        if not isinstance(mapping, dict):
            errors.append(
                Error(
                    f"{SETTING_NAME}['OPTIONS'][{option!r}] must map use cases to ARNs, not "
                    f"{type(mapping).__name__}.",
                    hint=(
                        "For example "
                        '{"recommended_for_you": "arn:aws:personalize:...:recommender/rfy"}.'
                    ),
                    id="personalize.E010",
                )
            )
            continue
        for use_case, arn in mapping.items():
            if use_case not in allowed:
                close = difflib.get_close_matches(str(use_case), allowed, n=1)
                errors.append(
                    Error(
                        f"{SETTING_NAME}['OPTIONS'][{option!r}] names an unknown use case "
                        f"{use_case!r}.",
                        hint=(f"Did you mean {close[0]!r}? " if close else "")
                        + "Use cases: "
                        + ", ".join(allowed)
                        + ".",
                        id="personalize.E010",
                    )
                )
            elif not (isinstance(arn, str) and arn.strip()):
                errors.append(
                    Error(
                        f"{SETTING_NAME}['OPTIONS'][{option!r}][{use_case!r}] is mapped to "
                        f"nothing ({arn!r}).",
                        hint=(
                            "Give the recommender or campaign ARN, or remove the key to serve "
                            "the fallback."
                        ),
                        id="personalize.E010",
                    )
                )
            else:
                mapped.add(use_case)
    for use_case in USE_CASES:
        if use_case not in mapped:
            errors.append(
                Warning(
                    f"The AWS backend has no recommender or campaign for {use_case!r}; requests "
                    "for it get the fallback.",
                    hint=(
                        f"Add it to {SETTING_NAME}['OPTIONS']['recommenders'] (or 'campaigns') "
                        "if the shop uses it."
                    ),
                    id="personalize.W002",
                )
            )
    return errors


def check_delivery(app_configs: Any = None, **kwargs: Any) -> list:
    """The delivery mode exists and can work here."""
    config = _config()
    if not isinstance(config, dict):
        return []
    mode = _value(config, "DELIVERY")
    if mode not in DELIVERY_MODES:
        return [
            Error(
                f"{SETTING_NAME}['DELIVERY'] must be one of "
                f"{', '.join(map(repr, DELIVERY_MODES))}, not {mode!r}.",
                hint=(
                    "'auto' uses Celery when an app is configured and delivers in-process "
                    "otherwise."
                ),
                id="personalize.E006",
            )
        ]
    if mode == "celery":
        if not celery_installed():
            return [
                Error(
                    f"{SETTING_NAME}['DELIVERY'] is 'celery' but Celery is not installed.",
                    hint=(
                        'pip install "personalize-django[celery]", or set DELIVERY to "auto" or '
                        '"sync".'
                    ),
                    id="personalize.E007",
                )
            ]
        if not celery_app_configured():
            return [
                Error(
                    f"{SETTING_NAME}['DELIVERY'] is 'celery' but this project has no Celery app.",
                    hint="Create one in a celery_app.py module (never celery.py, which a flat "
                    "layout imports in place of Celery) and import it at start-up (see the "
                    "installation docs), or set DELIVERY to 'sync'.",
                    id="personalize.E008",
                )
            ]
        return []
    effective = "celery" if mode == "auto" and celery_app_configured() else mode
    if effective in ("sync", "auto") and not settings.DEBUG:
        return [
            Warning(
                "Outbox delivery runs in the web process after each commit, so requests wait for "
                "the backend.",
                hint=(
                    "Configure a Celery app (DELIVERY 'auto' or 'celery') for production, or set "
                    "DELIVERY "
                    "to 'manual' and run personalize_deliver from a scheduler."
                ),
                id="personalize.W001",
            )
        ]
    return []


def check_outbox_database(app_configs: Any = None, **kwargs: Any) -> list:
    """On SQLite: whether a Celery worker will write to the same file as the
    web process (shown whatever DEBUG is: pages then fail with "database is
    locked"), and whether recording's writes leave the database to
    checkpoint after each tracked request (outside DEBUG)."""
    alias = outbox_db()
    connection = connections[alias]
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return []
    config = _config()
    mode = _value(config, "DELIVERY") if isinstance(config, dict) else None
    worker = mode == "celery" or (mode == "auto" and celery_app_configured())
    if worker and not tasks_run_eagerly():  # eager tasks: no worker writes the file
        return [
            Warning(
                f"The outbox is on SQLite ({alias!r}) and delivered by a Celery worker: the "
                "worker and the web process write to the same file, and SQLite lets one "
                "writer in at a time, so pages fail with 'database is locked' while the "
                "worker delivers.",
                hint=(
                    "Use PostgreSQL (or MySQL) for the outbox database; for a demo, set DELIVERY "
                    "to 'sync', or run SQLite in WAL mode (OPTIONS init_command "
                    "'PRAGMA journal_mode=WAL;') with OPTIONS 'timeout' of some seconds."
                ),
                id="personalize.W003",
            )
        ]
    if settings.DEBUG or connection.settings_dict.get("CONN_MAX_AGE", 0) != 0:
        return []
    return [
        Warning(
            f"The outbox is on SQLite ({alias!r}) with CONN_MAX_AGE = 0: a tracked page writes "
            "an outbox row, and when the connection closed after the request is the "
            "database's last one, SQLite checkpoints and deletes its write-ahead log: several "
            "times recording's own cost, which keeps the web process busy after each tracked "
            "page (and makes the page wait, with RECORD_VIEWS_AFTER_RESPONSE off).",
            hint=(
                f"Keep connections open: set DATABASES[{alias!r}]['CONN_MAX_AGE'] to a number "
                "of seconds or None (with CONN_HEALTH_CHECKS = True), and run SQLite in WAL mode "
                "with synchronous=NORMAL (OPTIONS init_command)."
            ),
            id="personalize.W003",
        )
    ]


def check_registrations(app_configs: Any = None, **kwargs: Any) -> list:
    """Every attribute path in the registrations exists on its model."""
    errors: list = []

    def check(model: type, what: str, spec: Any, many: bool = False) -> None:
        problem = path_problem(model, spec, many=many) if isinstance(spec, str) else None
        if problem is not None:
            message, hint = problem
            errors.append(
                Error(
                    f"The personalize registration of {model._meta.label} names {spec!r} for "
                    f"{what}: {message}.",
                    hint=hint,
                    obj=model,
                    id="personalize.E013",
                )
            )

    if not registry.items:
        errors.append(
            Warning(
                "No item model is registered, so nothing is sent to the catalogue and no "
                "recommendation can be shown.",
                hint=(
                    "Call personalize_django.register_item(...) in a personalize.py module of an "
                    "app listed in INSTALLED_APPS (a personalize.py elsewhere is never imported), "
                    "or add an adapter such as personalize_django.contrib.oscar."
                ),
                id="personalize.W004",
            )
        )
    for model, reg in registry.items.items():
        check(model, "id_field", reg.id_field)
        check(model, "available", reg.available)
        if not (isinstance(reg.currency, str) and CURRENCY_CODE.fullmatch(reg.currency)):
            check(model, "currency", reg.currency)
        for dependency, spec in reg.depends_on.items():
            check(dependency, f"depends_on of {model._meta.label}", spec, many=True)
        if isinstance(reg.properties, dict):
            for column, spec in reg.properties.items():
                check(model, f"property {column}", spec)
    for model, reg in registry.users.items():
        check(model, "id_field", reg.id_field)
        if isinstance(reg.properties, dict):
            for column, spec in reg.properties.items():
                check(model, f"property {column}", spec)
    for model, regs in registry.events.items():
        for ereg in regs:
            for what in ("item", "user", "session", "value", "fallback_session", "timestamp"):
                check(model, what, getattr(ereg, what))
    return errors
