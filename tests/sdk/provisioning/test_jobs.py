"""Import, deletion and batch inference jobs against the Stubber; the files they read and write."""

from __future__ import annotations

import io
import json

import pytest

from personalize_sdk.exceptions import ConfigurationError
from personalize_sdk.provisioning import (
    ProvisioningError,
    active_solution_version,
    batch_recommendations_on_aws,
    forget_users,
    parse_s3_uri,
    read_batch_output,
    start_batch_inference_job,
    start_data_deletion_job,
    start_import_jobs,
    upload_files,
    user_ids_csv,
    write_batch_input,
)

from ...conftest import FakeSleep
from .conftest import ANY, REGION, arn

ROLE = "arn:aws:iam::123456789012:role/PersonalizeS3"
NOW = lambda: 1_717_200_000.0  # noqa: E731  2024-06-01 00:00:00 UTC


def test_import_jobs_start_together_then_are_waited_for(account):
    datasets = {arn("dataset", "shop/INTERACTIONS"): "s3://b/p/interactions.csv", arn("dataset", "shop/ITEMS"): "s3://b/p/items.csv"}
    jobs = [arn("dataset-import-job", "i"), arn("dataset-import-job", "t")]
    for (dataset, uri), job, kind in zip(datasets.items(), jobs, ("interactions", "items")):
        account.expect("create_dataset_import_job", {"datasetImportJobArn": job},
                       jobName=f"personalize-import-{kind}-incremental-20240601000000", datasetArn=dataset,
                       dataSource={"dataLocation": uri}, roleArn=ROLE, importMode="INCREMENTAL")
    account.describe("describe_dataset_import_job", "datasetImportJob", "datasetImportJobArn", jobs[0],
                     "CREATE IN_PROGRESS", "ACTIVE")
    account.describe("describe_dataset_import_job", "datasetImportJob", "datasetImportJobArn", jobs[1], "ACTIVE")
    sleep = FakeSleep()
    results = start_import_jobs(account.client, datasets, role_arn=ROLE, mode="INCREMENTAL", sleep=sleep, now=NOW)
    assert [(r.arn, r.status) for r in results] == [(jobs[0], "ACTIVE"), (jobs[1], "ACTIVE")]
    assert sleep.calls == [30.0]


def test_a_failed_import_raises_with_the_reason(account):
    job = arn("dataset-import-job", "i")
    account.expect("create_dataset_import_job", {"datasetImportJobArn": job}, jobName=ANY, datasetArn=ANY,
                   dataSource=ANY, roleArn=ROLE, importMode="FULL")
    account.describe("describe_dataset_import_job", "datasetImportJob", "datasetImportJobArn", job, "CREATE FAILED",
                     failureReason="Input CSV is missing the following columns: [TIMESTAMP]")
    with pytest.raises(ProvisioningError, match=r"missing the following columns: \[TIMESTAMP\]"):
        start_import_jobs(account.client, {arn("dataset", "shop/INTERACTIONS"): "s3://b/i.csv"}, role_arn=ROLE,
                          sleep=FakeSleep())


def test_import_mode_is_checked(account):
    with pytest.raises(ConfigurationError, match="mode must be one of"):
        start_import_jobs(account.client, {}, role_arn=ROLE, mode="APPEND")


def test_data_deletion_job_reports_what_was_deleted(account):
    job, group = arn("data-deletion-job", "forget"), arn("dataset-group", "shop")
    account.expect("create_data_deletion_job", {"dataDeletionJobArn": job}, jobName="forget-user-42",
                   datasetGroupArn=group, dataSource={"dataLocation": "s3://b/forget/42.csv"}, roleArn=ROLE)
    account.describe("describe_data_deletion_job", "dataDeletionJob", "dataDeletionJobArn", job,
                     "PENDING", "IN_PROGRESS", "COMPLETED", numDeleted=1)
    result = start_data_deletion_job(account.client, dataset_group_arn=group, data_location="s3://b/forget/42.csv",
                                     role_arn=ROLE, job_name="forget-user-42", wait=True, sleep=FakeSleep())
    assert (result.status, result.num_deleted) == ("COMPLETED", 1)


def test_data_deletion_job_does_not_wait_by_default(account):
    job = arn("data-deletion-job", "forget")
    account.expect("create_data_deletion_job", {"dataDeletionJobArn": job}, jobName="personalize-forget-20240601000000",
                   datasetGroupArn=ANY, dataSource=ANY, roleArn=ROLE)
    result = start_data_deletion_job(account.client, dataset_group_arn=arn("dataset-group", "shop"),
                                     data_location="s3://b/f.csv", role_arn=ROLE, now=NOW)
    assert result.arn == job and result.status is None


def test_batch_inference_job(account):
    job, version = arn("batch-inference-job", "b"), arn("solution", "shop-up/abc")
    account.expect("create_batch_inference_job", {"batchInferenceJobArn": job}, jobName="newsletter",
                   solutionVersionArn=version, roleArn=ROLE, numResults=10,
                   jobInput={"s3DataSource": {"path": "s3://b/in/users.jsonl"}},
                   jobOutput={"s3DataDestination": {"path": "s3://b/out/"}},
                   filterArn=arn("filter", "not_bought"))
    account.describe("describe_batch_inference_job", "batchInferenceJob", "batchInferenceJobArn", job, "ACTIVE")
    result = start_batch_inference_job(account.client, solution_version_arn=version, input_path="s3://b/in/users.jsonl",
                                       output_path="s3://b/out/", role_arn=ROLE, num_results=10,
                                       filter_arn=arn("filter", "not_bought"), job_name="newsletter", sleep=FakeSleep())
    assert result.status == "ACTIVE"


def test_upload_files_to_an_s3_prefix(tmp_path):
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber

    path = tmp_path / "interactions.csv"
    path.write_text("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n")
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(s3) as stubber:
        stubber.add_response("put_object", {}, {"Bucket": "shop-data", "Key": "exports/2024/interactions.csv",
                                                "Body": ANY, "ChecksumAlgorithm": ANY})
        uris = upload_files(s3, {"Interactions": str(path)}, "s3://shop-data/exports/2024")
        stubber.assert_no_pending_responses()
    assert uris == {"Interactions": "s3://shop-data/exports/2024/interactions.csv"}


def test_s3_uris_are_checked():
    assert parse_s3_uri("s3://bucket/a/b.csv") == ("bucket", "a/b.csv")
    with pytest.raises(ConfigurationError, match="s3://bucket/prefix"):
        parse_s3_uri("https://bucket/a")


def test_deletion_and_batch_files():
    assert user_ids_csv(["42", "u,7"]) == 'USER_ID\n42\n"u,7"\n'
    stream = io.StringIO()
    assert write_batch_input(stream, user_ids=["1", "2"], filter_values={"CATEGORY": ["shoes", "bags"]}) == 2
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0] == {"userId": "1", "filterValues": {"CATEGORY": '"shoes","bags"'}}
    output = [
        '{"input":{"userId":"1"},"output":{"recommendedItems":["a","b"],"scores":[0.6,0.4]},"error":null}',
        "",
        '{"input":{"itemId":"a"},"output":{"recommendedItems":["c"]}}',
    ]
    assert list(read_batch_output(output)) == [
        {"user_id": "1", "items": [{"item_id": "a", "score": 0.6}, {"item_id": "b", "score": 0.4}], "error": None},
        {"item_id": "a", "items": [{"item_id": "c", "score": None}], "error": None},
    ]


@pytest.fixture
def s3():
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_forget_users_uploads_the_ids_then_starts_the_job(account, s3):
    s3_client, s3_stub = s3
    s3_stub.add_response("put_object", {}, {"Bucket": "shop-data", "Key": "forget/42.csv", "Body": b"USER_ID\n42\n"})
    job, group = arn("data-deletion-job", "forget-42"), arn("dataset-group", "shop")
    account.expect("create_data_deletion_job", {"dataDeletionJobArn": job}, jobName="forget-42",
                   datasetGroupArn=group, dataSource={"dataLocation": "s3://shop-data/forget/42.csv"}, roleArn=ROLE)
    result = forget_users(account.client, s3_client, dataset_group_arn=group, user_ids=["42"],
                          s3_uri="s3://shop-data/forget/42.csv", role_arn=ROLE, job_name="forget-42")
    assert result.arn == job


def test_batch_recommendations_on_aws_round_trip(account, s3):
    import botocore.response

    s3_client, s3_stub = s3
    s3_stub.add_response("put_object", {}, {"Bucket": "b", "Key": "in/users.jsonl",
                                             "Body": b'{"userId":"1"}\n{"userId":"2"}\n'})
    job, version = arn("batch-inference-job", "b"), arn("solution", "shop-up/abc")
    account.expect("create_batch_inference_job", {"batchInferenceJobArn": job}, jobName="mail", solutionVersionArn=version,
                   roleArn=ROLE, numResults=3, jobInput={"s3DataSource": {"path": "s3://b/in/users.jsonl"}},
                   jobOutput={"s3DataDestination": {"path": "s3://b/out/"}})
    account.describe("describe_batch_inference_job", "batchInferenceJob", "batchInferenceJobArn", job, "ACTIVE")
    out = (b'{"input":{"userId":"1"},"output":{"recommendedItems":["a"],"scores":[1.0]},"error":null}\n'
           b'{"input":{"userId":"2"},"output":{"recommendedItems":[]},"error":null}\n')
    s3_stub.add_response("get_object", {"Body": botocore.response.StreamingBody(io.BytesIO(out), len(out))},
                         {"Bucket": "b", "Key": "out/users.jsonl.out"})
    rows = list(batch_recommendations_on_aws(
        account.client, s3_client, solution_version_arn=version, input_uri="s3://b/in/users.jsonl",
        output_prefix="s3://b/out", role_arn=ROLE, user_ids=["1", "2"], num_results=3, job_name="mail",
        sleep=FakeSleep()))
    assert rows == out.decode().splitlines(keepends=True)
    assert [r["items"] for r in read_batch_output(rows)] == [[{"item_id": "a", "score": 1.0}], []]


def test_active_solution_version_of_a_campaign_that_follows_the_latest(account):
    from datetime import datetime, timezone

    campaign, solution = arn("campaign", "shop-up"), arn("solution", "shop-up")
    account.expect("describe_campaign", {"campaign": {"campaignArn": campaign, "solutionVersionArn": f"{solution}/$LATEST"}},
                   campaignArn=campaign)
    account.expect("list_solution_versions", {"solutionVersions": [
        {"solutionVersionArn": f"{solution}/old", "status": "ACTIVE", "creationDateTime": datetime(2024, 1, 1, tzinfo=timezone.utc)},
        {"solutionVersionArn": f"{solution}/new", "status": "ACTIVE", "creationDateTime": datetime(2024, 2, 1, tzinfo=timezone.utc)},
        {"solutionVersionArn": f"{solution}/training", "status": "CREATE IN_PROGRESS",
         "creationDateTime": datetime(2024, 3, 1, tzinfo=timezone.utc)},
    ]}, solutionArn=solution)
    assert active_solution_version(account.client, campaign) == f"{solution}/new"
