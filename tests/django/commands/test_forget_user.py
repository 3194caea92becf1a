"""personalize_forget_user: afterwards no outbox row and no row of the local
engine's database mentions the user or the guest session they logged in
from, the saved model does not either, and on AWS a data deletion job is
started (Stubber)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from botocore.stub import ANY
from django.core.management import CommandError

from personalize_django.client import get_backend, get_client
from personalize_django.outbox import deliver_pending
from personalize_django.models import OutboxEvent
from personalize_django.recording import queue_users, record_event
from personalize_sdk import User
from personalize_sdk.backends.memory import MemoryBackend

from .conftest import BASE, arn, run

pytestmark = pytest.mark.django_db

ZED = "zed-4711"


@pytest.fixture
def engine_path(tmp_path, settings):
    path = tmp_path / "engine"
    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(path), "auto_train": False},
        "DELIVERY": "manual",
    }
    return path


@pytest.fixture
def zed_and_amy(shop):
    """Zed browses as a guest, logs in (joining the guest session), views and
    buys; Amy browses in her own session. Most of it is delivered."""
    boot, cap, sandal = shop["boot"], shop["cap"], shop["sandal"]
    record_event("View", item=boot, session_id="guest-s1", sent_at=BASE)
    record_event("Login", user=ZED, session_id="guest-s1", sent_at=BASE)
    record_event("View", item=cap, user=ZED, session_id="guest-s1", sent_at=BASE)
    record_event("Purchase", item=cap, user=ZED, sent_at=BASE)  # session "user-zed-4711"
    record_event("View", item=sandal, user="amy-1", session_id="amy-s", sent_at=BASE)
    queue_users([User(ZED, {"segment": "returning"}), User("amy-1", {"segment": "new"})])


def mentions(value, *needles):
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return any(needle in text for needle in needles)


def engine_rows(path):
    with sqlite3.connect(path / "engine.sqlite3") as db:
        return {
            table: db.execute(f"SELECT * FROM {table}").fetchall()
            for table in ("events", "users", "served")
        }


def test_forget_leaves_no_row_mentioning_the_user(engine_path, zed_and_amy):
    deliver_pending(time_limit=float("inf"))
    record_event("View", item="1", user=ZED, session_id="guest-s1", sent_at=BASE)  # still pending
    get_client().recommend("recommended_for_you", user_id=ZED)  # a served list with Zed's id
    trained = get_backend().train()
    before = engine_rows(engine_path)
    assert any(mentions(row, ZED) for rows in before.values() for row in rows)

    out, err = run("personalize_forget_user", ZED)

    assert "removed 5 outbox event row(s) (2 session(s)) and 1 outbox user row(s)" in out
    assert (
        "backend events 3, guest_events 1, sessions 2, users 1, served 1;"
        " model retrained without them" in out
    )
    for row in OutboxEvent.objects.all():
        assert not mentions(row.payload, ZED, "guest-s1"), row.payload
    assert {row.payload.get("user_id") for row in OutboxEvent.objects.exclude(kind="item")} == {
        "amy-1"
    }
    after = engine_rows(engine_path)
    for table, rows in after.items():
        # the guest View of the session Zed logged in from went with him
        assert not [row for row in rows if mentions(row, ZED, "guest-s1")], table
    assert [row[4] for row in after["events"]] == ["amy-1"]
    # The saved model was trained again, on what is left.
    assert get_backend().report().interactions == trained.interactions - 3
    saved = (engine_path / "model.pickle").read_bytes()
    assert ZED.encode() not in saved and b"guest-s1" not in saved


def test_dry_run_counts_and_removes_nothing(engine_path, zed_and_amy):
    out, _ = run("personalize_forget_user", ZED, "--dry-run", "--json")
    report = json.loads(out)
    assert report["users"][0]["outbox_events"] == 4 and report["users"][0]["outbox_users"] == 1
    assert report["users"][0]["dry_run"] is True
    assert OutboxEvent.objects.exclude(kind="item").count() == 7


class Forgetful(MemoryBackend):
    """A backend whose flag says it cannot forget (its method must then go unused)."""

    name = "forgetful"
    can_forget_users = False


def test_a_backend_that_keeps_nothing_is_said_so(shop, settings):
    settings.PERSONALIZE = {"BACKEND": Forgetful, "DELIVERY": "manual"}
    record_event("View", item=shop["boot"], user=ZED, sent_at=BASE)
    deliver_pending(time_limit=float("inf"))
    record_event("View", item=shop["cap"], user=ZED, sent_at=BASE)
    out, _ = run("personalize_forget_user", ZED)
    assert "removed 2 outbox event row(s)" in out  # the delivered one is kept a while
    assert "the forgetful backend keeps no data this app can remove" in out
    assert not [row for row in OutboxEvent.objects.all() if mentions(row.payload, ZED)]
    assert [e.user_id for e in get_backend().events] == [ZED]  # its flag was obeyed


def test_a_backend_that_can_forget_but_not_train_forgets_without_retraining(shop):
    record_event("View", item=shop["boot"], session_id="guest-s1", sent_at=BASE)
    record_event("Login", user=ZED, session_id="guest-s1", sent_at=BASE)
    record_event("View", item=shop["sandal"], user="amy-1", session_id="amy-s", sent_at=BASE)
    deliver_pending(time_limit=float("inf"))
    out, _ = run("personalize_forget_user", ZED)
    assert "backend events 1, guest_events 1, users 0" in out
    assert "retrained" not in out
    assert [e.user_id for e in get_backend().events] == ["amy-1"]


AWS_SETTINGS = {
    "BACKEND": "aws",
    "OPTIONS": {"region_name": "us-east-1", "tracking_id": "track-1"},
    "DELIVERY": "manual",
    "DATA_ROLE_ARN": "arn:aws:iam::123456789012:role/PersonalizeS3",
    "DATA_S3_URI": "s3://shop-data/personalize/",
}
GROUP = arn("dataset-group", "shop")


def test_on_aws_a_deletion_job_is_started_and_not_waited_for(shop, settings, stubs):
    settings.PERSONALIZE = AWS_SETTINGS
    record_event("View", item=shop["boot"], user=ZED, sent_at=BASE)
    stubs.expect_s3(
        "put_object", {}, Bucket="shop-data", Key=ANY, Body=f"USER_ID\n{ZED}\n".encode()
    )
    stubs.expect(
        "create_data_deletion_job",
        {"dataDeletionJobArn": arn("data-deletion-job", "j1")},
        jobName=ANY,
        datasetGroupArn=GROUP,
        dataSource={"dataLocation": ANY},
        roleArn=AWS_SETTINGS["DATA_ROLE_ARN"],
    )
    out, _ = run("personalize_forget_user", ZED, "--dataset-group-arn", GROUP)
    assert "removed 1 outbox event row(s)" in out
    assert f"data deletion job started: {arn('data-deletion-job', 'j1')}" in out
    assert "s3://shop-data/personalize/forget/" in out and ZED not in out.split("forget/")[1]
    assert "holds the user ids: delete it once the job has finished" in out


def test_on_aws_waiting_deletes_the_list_afterwards(shop, settings, stubs, fake_sleep):
    settings.PERSONALIZE = AWS_SETTINGS
    job = arn("data-deletion-job", "j2")
    stubs.expect_s3("put_object", {}, Bucket="shop-data", Key="lists/zed.csv", Body=ANY)
    stubs.expect(
        "create_data_deletion_job",
        {"dataDeletionJobArn": job},
        jobName=ANY,
        datasetGroupArn=GROUP,
        dataSource={"dataLocation": "s3://shop-data/lists/zed.csv"},
        roleArn=AWS_SETTINGS["DATA_ROLE_ARN"],
    )
    for status in ("IN_PROGRESS", "COMPLETED"):
        stubs.expect(
            "describe_data_deletion_job",
            {"dataDeletionJob": {"dataDeletionJobArn": job, "status": status, "numDeleted": 1}},
            dataDeletionJobArn=job,
        )
    stubs.expect_s3("delete_object", {}, Bucket="shop-data", Key="lists/zed.csv")
    out, _ = run(
        "personalize_forget_user",
        ZED,
        "--dataset-group-arn",
        GROUP,
        "--wait",
        "--json",
        "--s3-uri",
        "s3://shop-data/lists/zed.csv",
    )
    report = json.loads(out)
    assert report["aws"]["status"] == "COMPLETED" and report["aws"]["num_deleted"] == 1
    assert report["aws"]["deletion_list_removed"] is True
    assert fake_sleep.calls == [300.0]


def test_on_aws_the_job_needs_a_role(shop, settings, stubs):
    settings.PERSONALIZE = {k: v for k, v in AWS_SETTINGS.items() if k != "DATA_ROLE_ARN"}
    with pytest.raises(CommandError, match="(?s)--role-arn.*the AWS deletion job was not started"):
        run("personalize_forget_user", ZED, "--dataset-group-arn", GROUP)


# -- no trace left (issue 21, point 6) ---------------------------------------


def _forget_json(user_id):
    out, _ = run("personalize_forget_user", user_id, "--json")
    return json.loads(out)["users"][0]


def _zed_delivered_served_and_trained():
    deliver_pending(time_limit=float("inf"))
    get_client().recommend("recommended_for_you", user_id=ZED)
    get_backend().train()


def test_the_report_scans_the_engine_files_and_the_app_tables(engine_path, zed_and_amy):
    _zed_delivered_served_and_trained()
    report = _forget_json(ZED)
    traces = report["traces"]
    assert traces["files_scanned"] >= 2 and traces["tables_scanned"] >= 1
    assert traces["tables"] == {}  # no outbox row mentions Zed or his sessions
    assert "model.pickle" not in traces["files"]  # retrained without him
    assert "engine.sqlite3" not in traces["files"]
    out, _ = run("personalize_forget_user", ZED)  # the text report prints the scan
    assert "traces " in out and "backend file(s), as bytes" in out


def test_after_a_forget_the_engine_files_hold_no_trace_of_the_user(engine_path, zed_and_amy):
    _zed_delivered_served_and_trained()
    report = _forget_json(ZED)
    assert report["traces"]["files"] == {} and report["traces"]["hits"] == 0


def test_the_scan_finds_ids_in_raw_bytes_even_across_chunks(tmp_path, monkeypatch):
    from personalize_django import forgetting

    monkeypatch.setattr(forgetting, "_CHUNK", 7)
    (tmp_path / "a.bin").write_bytes(b"\x00zed-4711\x01xx zed-4711 guest-s1\xffzed-4711")
    (tmp_path / "b-wal").write_bytes(b"nothing here")
    scan = forgetting.TraceScan(needles=[ZED, "guest-s1"])
    forgetting.scan_files(str(tmp_path), [ZED, "guest-s1"], scan)
    assert scan.files == {"a.bin": 4} and scan.files_scanned == 2


def test_the_scan_finds_a_row_that_mentions_the_user(engine_path, zed_and_amy):
    from personalize_django.forgetting import scan_for

    scan = scan_for([ZED], folder=None)
    assert scan.tables == {"personalize_outboxevent": 4}  # his 3 events and his user row
    assert "keeps no files" in scan.note


def test_a_forget_invalidates_every_cached_list_through_the_forget_version(
    engine_path, zed_and_amy, settings, tmp_path
):
    # A cache every process shares (here files; Redis or Memcached in production).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    from personalize_django import caching
    from personalize_sdk.recommendations import RecommendationList

    # A session of Zed's that no outbox row names any more (its rows were pruned).
    forgotten_session = caching.identity_key(None, "zed-old-session")
    request = {"use_case": "recommended_for_you", "num_results": 3}
    key = caching.list_key(forgotten_session, "recommend", request)
    caching.set_list(key, RecommendationList.from_dict({"items": [], "recommendation_id": "r-zed"}))
    assert caching.get_list(key) is not None

    report = _forget_json(ZED)

    assert report["cache_note"] == ""
    assert caching.list_key(forgotten_session, "recommend", request) != key
    assert caching.get_list(caching.list_key(forgotten_session, "recommend", request)) is None


def test_a_per_process_cache_is_named_in_the_report(engine_path, zed_and_amy):
    report = _forget_json(ZED)
    assert "is per process (LocMemCache)" in report["cache_note"]
