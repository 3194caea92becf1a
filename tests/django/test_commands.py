"""personalize_sync, personalize_replay and personalize_deliver."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from personalize_django.outbox import deliver_pending
from personalize_django.models import OutboxEvent
from personalize_django.recording import record_event
from personalize_sdk import BackendError
from tests.django.testapp.models import Category, Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def manual_delivery(settings):
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sync_queues_what_bypassed_the_signals(backend):
    category = Category.objects.create(name="Bulk")
    Product.objects.bulk_create(
        [Product(category=category, name=f"p{i}", price=i, stock=i % 2) for i in range(25)]
    )
    Product.objects.filter(stock=0).update(stock=5)  # raw-ish change: no signal either
    assert OutboxEvent.objects.count() == 0
    out, err = run("personalize_sync", "--items", "--chunk-size", "10", "--deliver")
    assert "Queued 25 products." in out
    assert "Delivered 25" in out
    assert "products: " in err  # the progress bar (tqdm) writes to stderr
    assert len(backend.items) == 25
    assert {item.properties["available"] for item in backend.items.values()} == {"True"}


def test_sync_reads_properties_through_foreign_keys_in_the_rows_query(backend):
    """CATEGORY_L1 is "category.name": joined, not one query per product."""

    def sync_queries(products: int) -> int:
        Product.objects.all().delete()
        Product.objects.bulk_create(
            [
                Product(category=Category.objects.create(name=f"C{n}"), name=f"p{n}", price=1)
                for n in range(products)
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            run("personalize_sync", "--items", "--no-progress")
        return len(queries)

    assert sync_queries(3) == sync_queries(12)


def test_sync_users_and_items_together(backend, django_user_model):
    django_user_model.objects.bulk_create([django_user_model(username=f"u{i}") for i in range(3)])
    out, _ = run("personalize_sync", "--no-progress")
    assert "Queued 0 products." in out and "Queued 3 users." in out


def test_sync_counts_invalid_records(backend, saved_registry):
    from personalize_django.registry import register_item

    register_item(Product, id_field=lambda p: "x" * 300 if p.name == "bad" else str(p.pk))
    category = Category.objects.create(name="C")
    Product.objects.bulk_create(
        [Product(category=category, name=n, price=1) for n in ("ok", "bad")]
    )
    out, err = run("personalize_sync", "--items", "--no-progress")
    assert "Queued 1 products (1 skipped: invalid)." in out
    assert "item_id: must be at most 256 characters" in err


def test_sync_without_registrations_fails(saved_registry):
    saved_registry.reset()
    with pytest.raises(CommandError, match="Nothing is registered"):
        run("personalize_sync")


def dead_letters(backend, n):
    for i in range(n):
        record_event("View", item=str(i), session_id=f"s{i}")
    backend.fail_next(BackendError("nope", retryable=False), times=n)
    deliver_pending()
    return list(OutboxEvent.objects.filter(state="dead").order_by("id"))


def test_replay_needs_a_choice():
    with pytest.raises(CommandError, match="--all, --id N or --reason-contains"):
        run("personalize_replay")


def test_replay_all(backend):
    dead_letters(backend, 3)
    out, _ = run("personalize_replay", "--all")
    assert out.strip() == "Replayed 3 of 3 dead letter(s)."
    assert set(OutboxEvent.objects.values_list("state", flat=True)) == {"pending"}


def test_replay_by_id_and_reason(backend):
    rows = dead_letters(backend, 3)
    OutboxEvent.objects.filter(pk=rows[2].pk).update(last_error="BackendError: quota")
    out, _ = run("personalize_replay", "--id", str(rows[0].pk))
    assert out.strip() == "Replayed 1 of 3 dead letter(s)."
    out, _ = run("personalize_replay", "--reason-contains", "QUOTA")
    assert out.strip() == "Replayed 1 of 2 dead letter(s)."
    out, _ = run("personalize_replay", "--all", "--dry-run")
    assert out.strip() == "1 of 1 dead letter(s) would be replayed."
    assert OutboxEvent.objects.get(pk=rows[1].pk).state == "dead"


def test_deliver_command_reports(backend):
    record_event("View", item="1", session_id="s")
    out, _ = run("personalize_deliver")
    assert "claimed 1, delivered 1, deferred 0, dead 0" in out
    assert "outbox: pending 0, in_flight 0, delivered 1, dead 0" in out
    assert len(backend.events) == 1
