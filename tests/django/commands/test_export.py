"""personalize_export: the round trip through the check, the sources and their
de-duplication, the date range, gzip, and --upload/--import against the Stubber."""

from __future__ import annotations

import csv
import gzip
from datetime import timedelta
from io import StringIO

import pytest
from botocore.stub import ANY
from django.core.management import CommandError, call_command

from personalize_django.dataset.formats import shop_formats
from personalize_django.outbox import deliver_pending
from personalize_django.models import OutboxEvent
from personalize_django.recording import record_event
from personalize_sdk.dataset import check_files

from .conftest import BASE, arn, run

pytestmark = pytest.mark.django_db


def read_csv(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_export_round_trip_through_the_check(history, tmp_path):
    out, err = run("personalize_export", str(tmp_path), "--no-progress")
    assert "Interactions: 2,400 rows" in out
    assert "Items: 40 rows" in out and "Users: 60 rows" in out
    assert "events read: outbox 1,200, backend 0, models 1,200; 0 duplicate(s)" in out

    report = check_files(
        str(tmp_path / "interactions.csv"),
        items=str(tmp_path / "items.csv"),
        users=str(tmp_path / "users.csv"),
        now=BASE.timestamp() + 60,
    )
    assert report.ok, report.format_text()
    assert report.summary["event_types"] == {"Purchase": 1200, "View": 1200}
    assert report.summary["users"] == 60 and report.summary["items_with_interactions"] == 40
    assert not report.get("W-UNJOINED-ITEMS") and not report.get("W-DUPLICATE-EVENTS")

    rows = read_csv(tmp_path / "interactions.csv")
    assert list(rows[0]) == [
        "USER_ID",
        "ITEM_ID",
        "EVENT_TYPE",
        "TIMESTAMP",
        "EVENT_VALUE",
        "IMPRESSION",
        "RECOMMENDATION_ID",
    ]
    user, product = history["bought"][0]
    purchase = next(
        r
        for r in rows
        if r["EVENT_TYPE"] == "Purchase"
        and r["USER_ID"] == str(user.pk)
        and r["ITEM_ID"] == str(product.pk)
    )
    assert purchase["TIMESTAMP"] == str(int(BASE.timestamp()))  # the order's time, in seconds
    assert float(purchase["EVENT_VALUE"]) == float(product.price)
    items = read_csv(tmp_path / "items.csv")
    assert list(items[0]) == ["ITEM_ID", "PRICE", "CATEGORY_L1", "AVAILABLE"]
    assert {i["CATEGORY_L1"] for i in items} == {f"Category {n}" for n in range(4)}
    assert list(read_csv(tmp_path / "users.csv")[0]) == ["USER_ID", "USERNAME"]


def test_an_event_in_the_outbox_and_in_the_models_is_exported_once(
    shop, tmp_path, django_user_model
):
    from tests.django.testapp.models import Order, OrderLine

    customer = django_user_model.objects.create(username="ann")
    order = Order.objects.create(customer=customer)
    OrderLine.objects.create(
        order=order, product=shop["boot"], price="79.90"
    )  # signals: outbox row
    assert OutboxEvent.objects.filter(kind="event").count() == 1
    out, _ = run("personalize_export", str(tmp_path), "--no-progress")
    assert "events read: outbox 1, backend 0, models 1; 1 duplicate(s) exported once" in out
    assert len(read_csv(tmp_path / "interactions.csv")) == 1


def test_events_delivered_to_the_local_engine_are_exported_after_the_outbox_is_pruned(
    history, tmp_path, settings
):
    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(tmp_path / "engine"), "auto_train": False},
        "DELIVERY": "manual",
        "KEEP_DELIVERED": 0,  # delivered rows are deleted at once
    }
    deliver_pending(time_limit=float("inf"))
    assert not OutboxEvent.objects.filter(kind="event").exists()
    record_event(
        "View", user="guest-less", item=history["products"][0], session_id="s-1", sent_at=BASE
    )  # still pending
    out, _ = run(
        "personalize_export", str(tmp_path / "out"), "--no-progress", "--only", "interactions"
    )
    assert "events read: outbox 1, backend 1,200, models 1,200" in out
    assert "Interactions: 2,401 rows" in out


def test_model_events_without_a_time_are_left_out_and_explained(shop, tmp_path, django_user_model):
    from tests.django.testapp.models import CartLine

    user = django_user_model.objects.create(username="cy")
    CartLine.objects.bulk_create([CartLine(user=user, product=shop["cap"])])  # no signals
    out, err = run("personalize_export", str(tmp_path), "--no-progress", "--source", "models")
    assert "Interactions: 0 rows" in out
    assert "skipped 1 record(s): no_timestamp" in err and "EXPORT_TIMESTAMPS" in err


def test_export_timestamps_setting_names_the_time(shop, tmp_path, django_user_model, settings):
    from tests.django.testapp.models import CartLine

    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "DELIVERY": "manual",
        "EXPORT_TIMESTAMPS": {"testapp.cartline": lambda line: BASE},
    }
    user = django_user_model.objects.create(username="cy")
    CartLine.objects.bulk_create([CartLine(user=user, product=shop["cap"])])
    out, _ = run("personalize_export", str(tmp_path), "--no-progress", "--source", "models")
    rows = read_csv(tmp_path / "interactions.csv")
    assert [(r["EVENT_TYPE"], r["TIMESTAMP"]) for r in rows] == [
        ("AddToCart", str(int(BASE.timestamp())))
    ]


def test_rows_of_an_import_only_registration_are_history(
    shop, tmp_path, django_user_model, settings, saved_registry
):
    """on="import" records nothing on saves; its rows are past events, as
    personalize_import_history reads them, so the export writes them too
    (only on="save" rows, a new event at every save, are not history)."""
    import personalize_django as personalize
    from tests.django.testapp.models import CartLine

    saved_registry.events.pop(CartLine, None)
    personalize.register_event(
        CartLine, event_type="AddToCart", user="user", item="product", on="import"
    )
    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "DELIVERY": "manual",
        "EXPORT_TIMESTAMPS": {"testapp.cartline": lambda line: BASE},
    }
    user = django_user_model.objects.create(username="cy")
    CartLine.objects.create(user=user, product=shop["cap"])
    out, err = run("personalize_export", str(tmp_path), "--no-progress", "--source", "models")
    assert "per_save_registration" not in err
    assert [r["EVENT_TYPE"] for r in read_csv(tmp_path / "interactions.csv")] == ["AddToCart"]


def test_date_range_and_gzip(history, tmp_path):
    since = (BASE - timedelta(minutes=100)).isoformat()
    until = (BASE - timedelta(minutes=10)).isoformat()
    out, _ = run(
        "personalize_export",
        str(tmp_path),
        "--no-progress",
        "--gzip",
        "--since",
        since,
        "--until",
        until,
        "--only",
        "interactions",
    )
    path = tmp_path / "interactions.csv.gz"
    rows = read_csv(path)
    # in [-100 min, -10 min): purchases at minutes 10..99 (90) and views at 10..99 min 30 s (90)
    assert len(rows) == 180
    assert all(
        BASE.timestamp() - 6000 <= int(r["TIMESTAMP"]) < BASE.timestamp() - 600 for r in rows
    )
    assert "outside_date_range" in out
    assert not (tmp_path / "items.csv.gz").exists()


def test_bad_options_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="--since"):
        run("personalize_export", str(tmp_path), "--since", "yesterday")
    with pytest.raises(CommandError, match="before --until"):
        run("personalize_export", str(tmp_path), "--since", "2024-02-01", "--until", "2024-01-01")


IMPORT_SETTINGS = {
    "BACKEND": "memory",
    "DELIVERY": "manual",
    "DATA_ROLE_ARN": "arn:aws:iam::123456789012:role/PersonalizeS3",
    "DATA_S3_URI": "s3://shop-data/personalize/",
    "PROVISIONING": {"dataset_group": "shop", "event_tracker": False, "recommenders": []},
}
GROUP = arn("dataset-group", "shop")
DATASETS = {t: arn("dataset", f"shop/{t.upper()}") for t in ("Interactions", "Items", "Users")}


def expect_existing_datasets(stubs):
    """The List/Describe calls of a plan on a group whose schemas and datasets exist."""
    formats = shop_formats()
    stubs.expect(
        "list_dataset_groups",
        {
            "datasetGroups": [
                {
                    "name": "shop",
                    "datasetGroupArn": GROUP,
                    "status": "ACTIVE",
                    "domain": "ECOMMERCE",
                }
            ]
        },
    )
    stubs.expect(
        "list_schemas",
        {
            "schemas": [
                {
                    "name": f"shop-{t.lower()}",
                    "schemaArn": arn("schema", f"shop-{t.lower()}"),
                    "domain": "ECOMMERCE",
                }
                for t in formats
            ]
        },
    )
    for t, fmt in formats.items():
        stubs.expect(
            "describe_schema",
            {"schema": {"name": f"shop-{t.lower()}", "schema": fmt.schema_json()}},
            schemaArn=arn("schema", f"shop-{t.lower()}"),
        )
    stubs.expect(
        "list_datasets",
        {
            "datasets": [
                {
                    "name": f"shop-{t.lower()}",
                    "datasetArn": DATASETS[t],
                    "datasetType": t.upper(),
                    "status": "ACTIVE",
                }
                for t in formats
            ]
        },
        datasetGroupArn=GROUP,
    )


def test_upload_and_import_wait_for_the_jobs(history, tmp_path, settings, stubs, fake_sleep):
    settings.PERSONALIZE = IMPORT_SETTINGS
    for name in ("interactions.csv", "items.csv", "users.csv"):
        stubs.expect_s3(
            "put_object",
            {},
            Bucket="shop-data",
            Key=f"personalize/batch1/{name}",
            Body=ANY,
            ChecksumAlgorithm=ANY,
        )
    expect_existing_datasets(stubs)
    for t in ("Interactions", "Items", "Users"):
        stubs.expect(
            "create_dataset_import_job",
            {"datasetImportJobArn": arn("job", t)},
            jobName=ANY,
            datasetArn=DATASETS[t],
            roleArn=IMPORT_SETTINGS["DATA_ROLE_ARN"],
            dataSource={"dataLocation": f"s3://shop-data/personalize/batch1/{t.lower()}.csv"},
            importMode="INCREMENTAL",
        )
    for t in ("Interactions", "Items", "Users"):
        for status in ("CREATE IN_PROGRESS", "ACTIVE") if t == "Interactions" else ("ACTIVE",):
            stubs.expect(
                "describe_dataset_import_job",
                {"datasetImportJob": {"datasetImportJobArn": arn("job", t), "status": status}},
                datasetImportJobArn=arn("job", t),
            )
    out, err = run(
        "personalize_export",
        str(tmp_path),
        "--no-progress",
        "--upload",
        "s3://shop-data/personalize/batch1/",
        "--import",
        "INCREMENTAL",
    )
    assert "uploaded Interactions -> s3://shop-data/personalize/batch1/interactions.csv" in out
    for t in ("Interactions", "Items", "Users"):
        assert f"-{t.lower()}-incremental-" in out and f"ACTIVE ({arn('job', t)})" in out
    assert fake_sleep.calls == [30.0]  # one poll of the interactions job


def test_import_needs_the_datasets_provisioned(history, tmp_path, settings, stubs):
    settings.PERSONALIZE = IMPORT_SETTINGS
    for name in ("interactions.csv.gz", "items.csv.gz", "users.csv.gz"):
        stubs.expect_s3(
            "put_object", {}, Bucket="shop-data", Key=ANY, Body=ANY, ChecksumAlgorithm=ANY
        )
    stubs.expect("list_dataset_groups", {"datasetGroups": []})
    stubs.expect("list_schemas", {"schemas": []})
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="run personalize_provision first"):
        call_command(
            "personalize_export", str(tmp_path), "--no-progress", "--import", "--gzip",
            stdout=out, stderr=err,
        )  # fmt: skip
    assert "warning: --gzip with --import" in err.getvalue()
    assert "uploaded Interactions -> s3://shop-data/personalize/exports/" in out.getvalue()


def test_an_unregistered_shop_has_no_files_it_cannot_fill(tmp_path, saved_registry):
    saved_registry.reset()
    out, err = run("personalize_export", str(tmp_path), "--no-progress")
    assert "Interactions: 0 rows" in out
    assert "note: no Items file: no item model is registered." in err
    assert "note: no Users file: no user model is registered with properties" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interactions.csv"]
    with pytest.raises(CommandError, match="Cannot write Items: no item model is registered"):
        run("personalize_export", str(tmp_path), "--only", "items")


def test_a_schema_given_in_provisioning_is_what_the_export_writes(shop, tmp_path, settings):
    items_schema = {
        "type": "record",
        "name": "Items",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "PRICE", "type": "float"},
            {"name": "CATEGORY_L1", "type": "string", "categorical": True},
        ],
        "version": "1.0",
    }
    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "DELIVERY": "manual",
        "PROVISIONING": {
            "dataset_group": "shop",
            "schemas": {"Items": {"name": "shop-items-v2", "schema": items_schema}, "Users": None},
        },
    }
    run("personalize_export", str(tmp_path), "--no-progress", "--only", "items")
    rows = read_csv(tmp_path / "items.csv")
    assert list(rows[0]) == ["ITEM_ID", "PRICE", "CATEGORY_L1"]  # no AVAILABLE column
    assert {r["CATEGORY_L1"] for r in rows} == {"Shoes", "Hats"}
