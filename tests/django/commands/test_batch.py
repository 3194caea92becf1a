"""personalize_batch: JSON lines through the backend (memory, the local engine),
for selected or all users and items, and a batch inference job on AWS (Stubber)."""

from __future__ import annotations

import io
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY
from django.core.management import CommandError

from personalize_django.client import get_backend
from personalize_django.outbox import deliver_pending

from .conftest import arn, run

pytestmark = pytest.mark.django_db


def read_lines(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_selected_users_through_the_backend(tmp_path, backend):
    backend.set_recommendations("recommended_for_you", [("7", 0.9), ("3", 0.5)])
    users = tmp_path / "users.txt"
    users.write_text("b\n\nc\n")
    path = tmp_path / "out.jsonl"
    out, err = run(
        "personalize_batch",
        str(path),
        "--user",
        "a",
        "--users-file",
        str(users),
        "--num-results",
        "1",
        "--no-progress",
    )
    lines = read_lines(path)
    assert [line["input"] for line in lines] == [{"userId": "a"}, {"userId": "b"}, {"userId": "c"}]
    assert lines[0]["output"]["recommendedItems"] == ["7"] and lines[0]["output"]["scores"] == [0.9]
    assert lines[0]["error"] is None and lines[0]["output"]["recommendationId"]
    assert f"Wrote 3 line(s) of recommended_for_you to {path}." in err


def test_every_registered_user_by_default(tmp_path, backend, django_user_model):
    django_user_model.objects.bulk_create([django_user_model(username=f"u{n}") for n in range(4)])
    backend.set_recommendations("best_sellers", ["1"])
    path = tmp_path / "out.jsonl"
    run("personalize_batch", str(path), "--use-case", "best_sellers", "--no-progress")
    ids = [str(pk) for pk in django_user_model.objects.order_by("pk").values_list("pk", flat=True)]
    assert [line["input"]["userId"] for line in read_lines(path)] == ids


def test_item_use_cases_take_every_available_item(shop, backend, capsys):
    backend.set_recommendations("also_viewed", ["9"])
    out, err = run(
        "personalize_batch",
        "-",
        "--use-case",
        "also_viewed",
        "--no-progress",
        "--filter",
        "available",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    # the sandal is out of stock: nobody is shown what goes with it
    assert [line["input"] for line in lines] == [
        {"itemId": str(shop["boot"].pk)},
        {"itemId": str(shop["cap"].pk)},
    ]
    assert backend.requests[0].filter == "available"


def test_filter_values_reach_the_backend(tmp_path, backend, settings):
    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "DELIVERY": "manual",
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATS)"},
    }
    backend = get_backend()
    run(
        "personalize_batch",
        str(tmp_path / "o.jsonl"),
        "--user",
        "a",
        "--filter",
        "in_category",
        "--filter-value",
        "CATS=Shoes,Hats",
        "--no-progress",
    )
    assert backend.requests[0].filter_values == {"CATS": ("Shoes", "Hats")}


def test_failures_are_written_on_their_line(tmp_path, backend):
    from personalize_sdk import BackendError

    backend.fail_next(BackendError("boom", retryable=False), method="recommend", times=5)
    path = tmp_path / "out.jsonl"
    _, err = run("personalize_batch", str(path), "--user", "a", "--no-progress")
    assert "BackendError" in read_lines(path)[0]["error"]
    assert "(1 with an error" in err


def test_the_local_engine_computes_them(history, tmp_path, settings):
    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(tmp_path / "engine"), "auto_train": False},
        "DELIVERY": "manual",
    }
    deliver_pending(time_limit=float("inf"))
    get_backend().train()
    path = tmp_path / "out.jsonl"
    users = [str(u.pk) for u in history["users"][:3]]
    run(
        "personalize_batch",
        str(path),
        *[a for u in users for a in ("--user", u)],
        "--no-progress",
        "--num-results",
        "5",
    )
    lines = read_lines(path)
    assert [line["input"]["userId"] for line in lines] == users
    assert all(len(line["output"]["recommendedItems"]) == 5 for line in lines)
    assert {line["output"]["source"] for line in lines} == {"model"}


CAMPAIGN = arn("campaign", "shop-recommended-for-you")
VERSION = arn("solution", "shop-recommended-for-you/abc123")
FILTER = arn("filter", "not_bought")
AWS_SETTINGS = {
    "BACKEND": "aws",
    "OPTIONS": {
        "region_name": "us-east-1",
        "campaigns": {"recommended_for_you": CAMPAIGN},
        "filters": {"not_bought": FILTER},
    },
    "FILTERS": {"not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'},
    "DELIVERY": "manual",
    "DATA_ROLE_ARN": "arn:aws:iam::123456789012:role/PersonalizeS3",
    "DATA_S3_URI": "s3://shop-data/personalize/",
}


def test_a_campaign_runs_a_batch_inference_job(tmp_path, settings, stubs, fake_sleep):
    settings.PERSONALIZE = AWS_SETTINGS
    output = (
        '{"input": {"userId": "a"}, '
        '"output": {"recommendedItems": ["7", "3"], "scores": [0.6, 0.4]}, '
        '"error": null}\n{"input": {"userId": "b"}, "output": {"recommendedItems": ["3"]}}\n'
    ).encode()
    job = arn("batch-inference-job", "j1")
    stubs.expect(
        "describe_campaign",
        {"campaign": {"campaignArn": CAMPAIGN, "solutionVersionArn": VERSION}},
        campaignArn=CAMPAIGN,
    )
    stubs.expect_s3(
        "put_object",
        {},
        Bucket="shop-data",
        Key="batch/may/input.jsonl",
        Body=b'{"userId":"a"}\n{"userId":"b"}\n',
    )
    stubs.expect(
        "create_batch_inference_job",
        {"batchInferenceJobArn": job},
        jobName=ANY,
        solutionVersionArn=VERSION,
        roleArn=AWS_SETTINGS["DATA_ROLE_ARN"],
        numResults=10,
        jobInput={"s3DataSource": {"path": "s3://shop-data/batch/may/input.jsonl"}},
        jobOutput={"s3DataDestination": {"path": "s3://shop-data/batch/may/output/"}},
        filterArn=FILTER,
    )
    for status in ("IN_PROGRESS", "ACTIVE"):
        stubs.expect(
            "describe_batch_inference_job",
            {"batchInferenceJob": {"batchInferenceJobArn": job, "status": status}},
            batchInferenceJobArn=job,
        )
    stubs.expect_s3(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(output), len(output))},
        Bucket="shop-data",
        Key="batch/may/output/input.jsonl.out",
    )
    path = tmp_path / "out.jsonl"
    out, err = run(
        "personalize_batch",
        str(path),
        "--user",
        "a",
        "--user",
        "b",
        "--num-results",
        "10",
        "--filter",
        "not_bought",
        "--s3-uri",
        "s3://shop-data/batch/may/",
    )
    lines = read_lines(path)
    assert [line["output"]["recommendedItems"] for line in lines] == [["7", "3"], ["3"]]
    assert "wait     batch inference job" in err and fake_sleep.calls == [60.0]
    assert f"Wrote 2 line(s) of recommended_for_you to {path}." in err


def test_a_job_needs_a_campaign(tmp_path, settings):
    settings.PERSONALIZE = {**AWS_SETTINGS, "OPTIONS": {"region_name": "us-east-1"}}
    with pytest.raises(CommandError, match="No campaign serves best_sellers"):
        run(
            "personalize_batch",
            str(tmp_path / "o.jsonl"),
            "--use-case",
            "best_sellers",
            "--user",
            "a",
            "--aws-job",
            "yes",
        )


def test_bad_filter_values_and_sizes_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="NAME=VALUE"):
        run("personalize_batch", str(tmp_path / "o"), "--user", "a", "--filter-value", "oops")
    with pytest.raises(CommandError, match="--num-results"):
        run("personalize_batch", str(tmp_path / "o"), "--user", "a", "--num-results", "0")
