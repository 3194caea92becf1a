"""personalize_check on the shop's own data: a clean shop has no errors, each
planted fault is found (and nothing else new), JSON for pipelines, HTML,
and the exit status."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from personalize_django.recording import record_event

from .conftest import BASE, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def clean_registry(saved_registry, django_user_model):
    """The test app registers USERNAME as a user property: a category per user,
    which the check rightly flags. A clean shop has a general one instead."""
    from personalize_django.registry import register_user

    register_user(
        django_user_model, properties={"SEGMENT": lambda u: "new" if u.pk % 2 else "returning"}
    )


def check_json(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("personalize_check", "--json", *args, stdout=out, stderr=err)
        status = 0
    except CommandError as error:  # what manage.py prints on stderr before exiting with returncode
        status = error.returncode
        err.write(f"CommandError: {error}")
    return json.loads(out.getvalue()), status, err.getvalue()


def codes(report):
    return {f["code"] for f in report["findings"]}


def test_a_clean_shop_has_no_errors_nor_warnings(history, clean_registry):
    report, status, _ = check_json()
    assert status == 0 and report["ok"] is True
    assert [f for f in report["findings"] if f["severity"] != "info"] == []
    assert report["summary"]["event_types"] == {"Purchase": 1200, "View": 1200}
    # the memory backend can give events back (none was delivered to it)
    assert report["summary"]["sources"]["events_read"] == {
        "outbox": 1200,
        "backend": 0,
        "models": 1200,
    }
    for finding in report["findings"]:
        assert set(finding) == {"code", "severity", "count", "message", "examples"}


def plant_future_order(history):
    from tests.django.testapp.models import Order, OrderLine

    user, product = history["viewed"][0]
    order = Order.objects.create(customer=user)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() + timedelta(days=30))
    OrderLine.objects.bulk_create([OrderLine(order=order, product=product, price=1)])


def plant_unknown_item(history):
    record_event("View", user=history["users"][0], item="no-such-item", sent_at=BASE)


def plant_double_tracking(history):
    user, product = history["bought"][0]
    for _ in range(2):  # two event ids, every exported column the same
        record_event("View", user=user, item=product, sent_at=BASE + timedelta(seconds=1))


def plant_fine_categories(history):
    from tests.django.testapp.models import Category

    for product in history["products"]:  # a category per product
        product.category = Category.objects.create(name=f"Only {product.name}")
        product.save()


@pytest.mark.parametrize(
    "plant, code",
    [
        (plant_future_order, "W-TIMESTAMP-FUTURE"),
        (plant_unknown_item, "W-UNJOINED-ITEMS"),
        (plant_double_tracking, "W-DUPLICATE-EVENTS"),
        (plant_fine_categories, "W-CATEGORY-TOO-FINE"),
    ],
)
def test_each_planted_fault_is_found_and_nothing_else(history, clean_registry, plant, code):
    clean, _, _ = check_json()
    plant(history)
    report, status, _ = check_json()
    assert codes(report) - codes(clean) == {code}
    assert not (codes(clean) - codes(report))
    finding = next(f for f in report["findings"] if f["code"] == code)
    assert finding["count"] >= 1 and finding["examples"]
    assert status == 0  # warnings do not fail a pipeline


def test_too_little_data_is_an_error_with_a_non_zero_exit_status(shop):
    record_event("View", user="u1", item=shop["boot"], sent_at=BASE)
    report, status, err = check_json()
    assert status == 1 and report["ok"] is False
    assert {"E-MIN-INTERACTIONS", "E-MIN-USERS", "E-USE-CASE-EVENTS"} <= codes(report)
    assert "E-MIN-INTERACTIONS" in err


def test_only_the_use_cases_asked_for_must_have_their_events(shop, django_user_model):
    report, _, _ = check_json("--use-case", "most_viewed")
    use_case = next(f for f in report["findings"] if f["code"] == "E-USE-CASE-EVENTS")
    assert [e["message"].split()[0] for e in use_case["examples"]] == ["most_viewed"]


def test_a_user_name_as_a_category_is_too_fine(history):
    report, status, _ = check_json()
    finding = next(f for f in report["findings"] if f["code"] == "W-CATEGORY-TOO-FINE")
    assert "USERNAME" in json.dumps(finding) and status == 0


def test_text_and_html_reports(history, clean_registry, tmp_path):
    path = tmp_path / "report.html"
    out, err = run("personalize_check", "--html", str(path), "--no-progress")
    assert out.startswith("Data-quality report")
    assert "0 error(s), 0 warning(s)" in out
    html = path.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "<svg" in html
    assert f"HTML report written to {path}" in err


def test_ids_over_256_characters_are_errors(history, clean_registry, saved_registry):
    from personalize_django.registry import register_item
    from tests.django.testapp.models import Product

    register_item(
        Product,
        id_field=lambda p: "x" * 300 if p.name == "P0" else str(p.pk),
        properties={"CATEGORY_L1": "category.name", "PRICE": "price"},
    )
    report, status, err = check_json()
    # the item, and the purchases derived from order lines of it: refused as delivery would
    skipped = report["summary"]["sources"]["skipped"]
    assert skipped["invalid_item"] == 1 and skipped["invalid_event"] >= 1
    finding = next(f for f in report["findings"] if f["code"] == "E-ID-TOO-LONG")
    assert finding["severity"] == "error"
    assert finding["count"] == 1 + skipped["invalid_event"]
    assert "must be at most 256 characters (got 300)" in finding["examples"][0]["message"]
    assert status == 1 and "not checked: 1 record(s), invalid_item" in err


def test_rows_held_by_a_misconfigured_backend_show_and_fail_the_check(history, clean_registry):
    from personalize_django.models import OutboxEvent

    OutboxEvent.objects.filter(pk__in=OutboxEvent.objects.values("pk")[:3]).update(
        last_error="ConfigurationError (ConfigurationError): set OPTIONS['items']"
    )
    report, status, err = check_json()
    assert report["ok"] is True and status == 1  # the data is fine; the delivery is not
    assert report["summary"]["outbox"] == {
        "held_by_configuration": [
            {"error": "ConfigurationError (ConfigurationError): set OPTIONS['items']", "rows": 3}
        ]
    }
    assert "outbox: 3 row(s) held back, not delivered, because the backend is misconfigured" in err
    assert "PERSONALIZE['BACKEND'] / PERSONALIZE['OPTIONS']" in err


def test_a_clean_outbox_reports_nothing_held(history, clean_registry):
    report, status, _ = check_json()
    assert report["summary"]["outbox"] == {"held_by_configuration": []} and status == 0


def test_a_backend_the_settings_cannot_build_is_named_and_fails_the_check(
    history, clean_registry, settings
):
    from personalize_django.models import OutboxEvent

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual", "OPTIONS": {"no_such_option": 1}}
    OutboxEvent.objects.filter(pk__in=OutboxEvent.objects.values("pk")[:2]).update(
        last_error="ConfigurationError (ConfigurationError): no_such_option"
    )
    report, status, err = check_json()
    assert status == 1 and "no_such_option" in err
    assert "the backend cannot be built from the settings" in err
    assert "outbox: 2 row(s) held back" in err  # what the broken backend holds back still shows
    assert "backend" not in report["summary"]["sources"]["events_read"]
