"""System checks: each mistake gives its stable id, message and hint."""

from __future__ import annotations

import pytest
from django.core.checks import Error, Warning
from django.test import override_settings

from personalize_django import checks
from personalize_django.conf import DEFAULTS

KNOWN = ", ".join(sorted(DEFAULTS))


def ids(messages):
    return [m.id for m in messages]


def all_checks():
    return (
        checks.check_settings()
        + checks.check_backend()
        + checks.check_delivery()
        + checks.check_registrations()
    )


@override_settings(PERSONALIZE={"BACKEND": "memory", "DELIVERY": "manual"})
def test_a_good_configuration_passes():
    assert all_checks() == []


@override_settings(PERSONALIZE=["memory"])
def test_e001_not_a_dict():
    assert checks.check_settings() == [
        Error(
            "The PERSONALIZE setting must be a dict, not list.",
            hint='Write it as PERSONALIZE = {"BACKEND": "local", ...}.',
            id="personalize.E001",
        )
    ]


@override_settings(PERSONALIZE={"BACKEND": "memory", "MAX_ATEMPTS": 3})
def test_e002_unknown_key_with_suggestion():
    assert checks.check_settings() == [
        Error(
            "PERSONALIZE has an unknown key 'MAX_ATEMPTS'.",
            hint=f"Did you mean 'MAX_ATTEMPTS'? Known keys: {KNOWN}.",
            id="personalize.E002",
        )
    ]


@override_settings(PERSONALIZE={"BACKEND": "shop.backends.Nope"})
def test_e004_backend_not_importable():
    errors = checks.check_backend()
    assert ids(errors) == ["personalize.E004"]
    assert errors[0].msg.startswith("PERSONALIZE['BACKEND'] 'shop.backends.Nope' cannot be loaded:")
    assert "no module named 'shop'" in errors[0].msg
    assert (
        errors[0].hint
        == "Use an alias (local, aws, http, memory) or the dotted path of a Backend subclass."
    )


@override_settings(PERSONALIZE={"BACKEND": "personalize_sdk.backends.memory.Nope"})
def test_e004_backend_class_missing():
    errors = checks.check_backend()
    assert ids(errors) == ["personalize.E004"]
    assert "has no 'Nope'" in errors[0].msg


@override_settings(PERSONALIZE={"BACKEND": "memory", "OPTIONS": [1], "FILTERS": "x"})
def test_e005_options_and_filters_must_be_dicts():
    assert ids(checks.check_settings()) == ["personalize.E005", "personalize.E005"]


@override_settings(PERSONALIZE={"BACKEND": "memory", "DELIVERY": "carrier-pigeon"})
def test_e006_unknown_delivery_mode():
    assert checks.check_delivery() == [
        Error(
            "PERSONALIZE['DELIVERY'] must be one of 'auto', 'celery', 'sync', 'manual', not "
            "'carrier-pigeon'.",
            hint="'auto' uses Celery when an app is configured and delivers in-process otherwise.",
            id="personalize.E006",
        )
    ]


@override_settings(PERSONALIZE={"BACKEND": "memory", "DELIVERY": "celery"})
def test_e007_celery_chosen_but_not_installed(monkeypatch):
    monkeypatch.setattr("personalize_django.checks.celery_installed", lambda: False)
    assert checks.check_delivery() == [
        Error(
            "PERSONALIZE['DELIVERY'] is 'celery' but Celery is not installed.",
            hint='pip install "personalize-django[celery]", or set DELIVERY to "auto" or "sync".',
            id="personalize.E007",
        )
    ]


@override_settings(PERSONALIZE={"BACKEND": "memory", "DELIVERY": "celery"})
def test_e008_celery_chosen_but_no_app():
    # The test process creates no Celery app.
    assert checks.check_delivery() == [
        Error(
            "PERSONALIZE['DELIVERY'] is 'celery' but this project has no Celery app.",
            hint="Create one in a celery_app.py module (never celery.py, which a flat "
            "layout imports in place of Celery) and import it at start-up (see the "
            "installation docs), or set DELIVERY to 'sync'.",
            id="personalize.E008",
        )
    ]


@override_settings(PERSONALIZE={"BACKEND": "memory", "DELIVERY": "celery"})
def test_e008_passes_with_a_celery_app(celery_app):
    assert checks.check_delivery() == []


@override_settings(PERSONALIZE={"BACKEND": "memory", "FILTERS": {"empty": "", "number": 3}})
def test_e009_filter_is_not_an_expression():
    errors = checks.check_backend()
    assert ids(errors) == ["personalize.E009", "personalize.E009"]
    assert (
        errors[0].msg
        == "PERSONALIZE['FILTERS']['empty'] must be a filter expression string, not ''."
    )


def test_e009_filter_does_not_parse():
    from personalize_sdk import filters

    if not hasattr(filters, "parse"):
        pytest.skip("personalize_sdk.filters.parse is not there yet")
    with override_settings(
        PERSONALIZE={"BACKEND": "memory", "FILTERS": {"bad": "EXCLUDE ItemID WHERE"}}
    ):
        errors = checks.check_backend()
    assert ids(errors) == ["personalize.E009"]
    assert errors[0].msg.startswith("PERSONALIZE['FILTERS']['bad'] does not parse:")


def test_e010_and_w002_aws_use_cases():
    pytest.importorskip("boto3")
    options = {
        "recommenders": {
            "recommended_for_you": "arn:aws:personalize:eu-west-1:1:recommender/rfy",
            "also_viewed": "",
            "best_seller": "arn:aws:personalize:eu-west-1:1:recommender/bs",
        },
        "campaigns": {"most_viewed": "arn:aws:personalize:eu-west-1:1:campaign/mv"},
    }
    with override_settings(PERSONALIZE={"BACKEND": "aws", "OPTIONS": options}):
        errors = checks.check_backend()
    assert errors[:2] == [
        Error(
            "PERSONALIZE['OPTIONS']['recommenders']['also_viewed'] is mapped to nothing ('').",
            hint="Give the recommender or campaign ARN, or remove the key to serve the fallback.",
            id="personalize.E010",
        ),
        Error(
            "PERSONALIZE['OPTIONS']['recommenders'] names an unknown use case 'best_seller'.",
            hint=(
                "Did you mean 'best_sellers'? Use cases: recommended_for_you, also_viewed, "
                "bought_together, "
                "best_sellers, most_viewed."
            ),
            id="personalize.E010",
        ),
    ]
    unmapped = [e for e in errors if e.id == "personalize.W002"]
    assert [w.msg.split("'")[1] for w in unmapped] == [
        "also_viewed",
        "bought_together",
        "best_sellers",
    ]
    assert isinstance(unmapped[0], Warning)


def test_aws_use_case_checks_do_not_apply_to_other_backends():
    with override_settings(PERSONALIZE={"BACKEND": "memory", "OPTIONS": {}}):
        assert checks.check_backend() == []


@override_settings(PERSONALIZE={"BACKEND": "memory", "CONSENT": "tests.nowhere.consent"})
def test_e011_consent_not_importable():
    errors = checks.check_settings()
    assert ids(errors) == ["personalize.E011"]
    assert (
        errors[0].hint
        == "Give the dotted path of a function (request) -> bool, e.g. 'shop.privacy.has_consent'."
    )


@override_settings(PERSONALIZE={"BACKEND": "memory", "CONSENT": "tests.django.test_checks.KNOWN"})
def test_e011_consent_not_callable():
    assert ids(checks.check_settings()) == ["personalize.E011"]


@override_settings(
    PERSONALIZE={
        "BACKEND": "memory",
        "BATCH_SIZE": 0,
        "MAX_ATTEMPTS": 2.5,
        "LEASE_SECONDS": 0,
        "ENABLED": "yes",
    }
)
def test_e012_values_out_of_range():
    errors = checks.check_settings()
    assert ids(errors) == ["personalize.E012"] * 4
    assert errors[0] == Error(
        "PERSONALIZE['BATCH_SIZE'] must be an integer at least 1, not 0.",
        hint="The default is 500.",
        id="personalize.E012",
    )
    assert errors[2].msg == "PERSONALIZE['LEASE_SECONDS'] must be a number more than 0, not 0."


@pytest.mark.parametrize("value", ["View", ("View", ""), None])
def test_e012_cache_keep_item_lists_on_must_be_event_types(value):
    with override_settings(PERSONALIZE={"BACKEND": "memory", "CACHE_KEEP_ITEM_LISTS_ON": value}):
        errors = checks.check_settings()
    assert ids(errors) == ["personalize.E012"]
    assert "CACHE_KEEP_ITEM_LISTS_ON" in errors[0].msg and "list or tuple of event types" in errors[0].msg


@pytest.mark.parametrize("value", [(), ["View", "Click"]])
def test_cache_keep_item_lists_on_accepts_lists_of_event_types(value):
    with override_settings(PERSONALIZE={"BACKEND": "memory", "CACHE_KEEP_ITEM_LISTS_ON": value}):
        assert checks.check_settings() == []


def test_e013_registration_path_does_not_exist(saved_registry):
    from personalize_django.registry import register_event, unregister
    from tests.django.testapp.models import CartLine

    unregister(CartLine)
    register_event(CartLine, event_type="AddToCart", item="product.nmae", user="customer")
    errors = checks.check_registrations()
    assert ids(errors) == ["personalize.E013", "personalize.E013"]
    assert errors[0] == Error(
        "The personalize registration of testapp.CartLine names 'product.nmae' for item: "
        "testapp.Product (reached as CartLine.product) has no attribute 'nmae'.",
        hint="Did you mean 'name'? Use a field, property or method name (follow relations "
        "with '.' or '__'), or a callable taking the instance.",
        obj=CartLine,
        id="personalize.E013",
    )


def test_e013_names_the_model_the_failing_segment_is_on(saved_registry):
    from personalize_django.registry import register_event, unregister
    from tests.django.testapp.models import OrderLine

    unregister(OrderLine)
    register_event(OrderLine, event_type="Purchase", item="product", user="order.custmer")
    [error] = checks.check_registrations()
    assert error.id == "personalize.E013"
    assert "testapp.Order (reached as OrderLine.order) has no attribute 'custmer'" in error.msg
    assert error.hint.startswith("Did you mean 'customer' or 'customer_id'?")


def test_e013_rejects_a_to_many_segment_naming_it(saved_registry):
    from personalize_django.registry import register_item, unregister
    from tests.django.testapp.models import Category, Product

    unregister(Product)
    register_item(Category, properties={"PRODUCTS": "products", "PRICE": "products__price"})
    errors = checks.check_registrations()
    assert ids(errors) == ["personalize.E013", "personalize.E013"]
    assert all("segment 'products' is a to-many relation of testapp.Category" in e.msg
               for e in errors)
    assert "callable" in errors[0].hint


def test_depends_on_may_end_in_a_to_many_relation(saved_registry):
    from personalize_django.registry import register_item
    from tests.django.testapp.models import Category, Product

    register_item(Product, properties={"PRICE": "price"}, depends_on={Category: "products"})
    assert checks.check_registrations() == []
    register_item(Product, depends_on={Category: "prodcts"})
    [error] = checks.check_registrations()
    assert "depends_on of testapp.Product" in error.msg
    assert error.hint.startswith("Did you mean 'products'?")


def test_w004_no_item_model_registered(saved_registry):
    from personalize_django.registry import unregister
    from tests.django.testapp.models import Product

    unregister(Product)
    [warning] = checks.check_registrations()
    assert warning.id == "personalize.W004"
    assert "INSTALLED_APPS" in warning.hint


def test_registrations_of_the_test_app_pass():
    assert checks.check_registrations() == []


@override_settings(DEBUG=False, PERSONALIZE={"BACKEND": "memory", "DELIVERY": "sync"})
def test_w001_request_path_delivery_outside_debug():
    assert ids(checks.check_delivery()) == ["personalize.W001"]


@override_settings(DEBUG=True, PERSONALIZE={"BACKEND": "memory", "DELIVERY": "sync"})
def test_w001_silent_in_debug():
    assert checks.check_delivery() == []


def test_checks_are_registered():
    from django.core.checks import run_checks

    with override_settings(PERSONALIZE={"BACKEND": "memory", "NOPE": 1}):
        messages = run_checks(tags=["personalize"])
    assert "personalize.E002" in ids(messages)


@pytest.fixture
def sqlite_file_outbox(monkeypatch):
    """The outbox database as a SQLite file (the tests' own is in memory)."""
    from django.db import connection

    monkeypatch.setattr(connection, "is_in_memory_db", lambda: False)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    return connection


@override_settings(DEBUG=False)
def test_w003_sqlite_outbox_closing_its_connection_after_each_request(sqlite_file_outbox):
    messages = checks.check_outbox_database()
    assert ids(messages) == ["personalize.W003"]
    assert "CONN_MAX_AGE = 0" in messages[0].msg
    assert "DATABASES['default']['CONN_MAX_AGE']" in messages[0].hint


@pytest.mark.parametrize("conn_max_age", [60, None])
@override_settings(DEBUG=False)
def test_w003_silent_with_persistent_connections(sqlite_file_outbox, monkeypatch, conn_max_age):
    monkeypatch.setitem(sqlite_file_outbox.settings_dict, "CONN_MAX_AGE", conn_max_age)
    assert checks.check_outbox_database() == []


@override_settings(DEBUG=True)
def test_w003_silent_in_debug(sqlite_file_outbox):
    assert checks.check_outbox_database() == []


@pytest.mark.parametrize("debug", [True, False])
def test_w003_a_celery_worker_on_sqlite_whatever_debug(sqlite_file_outbox, debug):
    # A worker writing to the same SQLite file locks the pages out.
    with override_settings(DEBUG=debug, PERSONALIZE={"BACKEND": "memory", "DELIVERY": "celery"}):
        [warning] = checks.check_outbox_database()
    assert warning.id == "personalize.W003"
    assert "database is locked" in warning.msg
    assert "PostgreSQL" in warning.hint


@override_settings(DEBUG=True)
def test_w003_auto_delivery_with_a_celery_app_on_sqlite(sqlite_file_outbox, celery_app):
    celery_app.conf.task_always_eager = False  # a worker delivers
    [warning] = checks.check_outbox_database()
    assert "Celery worker" in warning.msg


@override_settings(DEBUG=False)
def test_w003_silent_for_an_in_memory_database_and_other_vendors(monkeypatch):
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert checks.check_outbox_database() == []  # the tests' database is in memory
    monkeypatch.setattr(connection, "is_in_memory_db", lambda: False)
    monkeypatch.setattr(connection, "vendor", "postgresql")
    assert checks.check_outbox_database() == []


def test_w003_silent_when_celery_runs_tasks_eagerly(sqlite_file_outbox, celery_app):
    # CELERY_TASK_ALWAYS_EAGER (the example shop without a broker): no worker writes the file.
    with override_settings(DEBUG=True, PERSONALIZE={"BACKEND": "memory", "DELIVERY": "celery"}):
        assert checks.check_outbox_database() == []
    celery_app.conf.task_always_eager = False
    with override_settings(DEBUG=True, PERSONALIZE={"BACKEND": "memory", "DELIVERY": "celery"}):
        assert [w.id for w in checks.check_outbox_database()] == ["personalize.W003"]


def test_w005_aws_keys_written_into_settings(monkeypatch):
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    options = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "s3cret"}
    with override_settings(PERSONALIZE={"BACKEND": "memory", "OPTIONS": options}):
        [warning] = [m for m in checks.check_backend() if m.id == "personalize.W005"]
    assert "aws_access_key_id, aws_secret_access_key" in warning.msg
    assert "s3cret" not in warning.msg and "environment" in warning.hint


def test_w005_silent_for_keys_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    options = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "s3cret"}
    with override_settings(PERSONALIZE={"BACKEND": "memory", "OPTIONS": options}):
        assert [m for m in checks.check_backend() if m.id == "personalize.W005"] == []


@pytest.mark.parametrize(
    "key, value",
    [("API_TRUSTED_PROXIES", -1), ("API_MAX_BODY_BYTES", 0), ("EXCLUDE_SESSION_VIEWS", "yes")],
)
def test_the_newer_settings_are_checked(key, value):
    with override_settings(PERSONALIZE={"BACKEND": "memory", key: value}):
        messages = checks.check_settings()
    assert any(key in m.msg for m in messages), [m.msg for m in messages]
