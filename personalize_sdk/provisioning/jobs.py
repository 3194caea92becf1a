"""Personalize jobs: bulk imports, user deletion, batch recommendations, and the S3 files they read.

    uris = upload_files(s3, result.paths, "s3://shop-data/personalize/2024-06-01/")
    jobs = start_import_jobs(personalize, {state.datasets["Interactions"]: uris["Interactions"]},
                             role_arn="arn:aws:iam::123456789012:role/PersonalizeS3", mode="FULL")

Each helper starts the job and, with ``wait=True``, polls it to the end with
the same bounded, injectable-sleep wait as provisioning. A job that fails
raises :class:`~personalize_sdk.provisioning.ProvisioningError` with the
service's ``failureReason``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, Callable, Iterable, Iterator, Mapping

from ..exceptions import ConfigurationError
from ._aws import ProgressCallback, ProgressEvent, ProvisioningError, call, list_all, wait_until_done

IMPORT_MODES = ("FULL", "INCREMENTAL")


@dataclass
class JobResult:
    kind: str
    name: str
    arn: str
    status: str | None = None
    failure_reason: str | None = None
    #: users removed, for a finished data deletion job
    num_deleted: int | None = None
    description: dict[str, Any] | None = None


def _job_name(prefix: str, suffix: str = "", now: Callable[[], float] = time.time) -> str:
    stamp = datetime.fromtimestamp(now(), tz=timezone.utc).strftime("%Y%m%d%H%M%S")
    name = "-".join(p for p in (prefix, suffix, stamp) if p)
    return name[-63:].lstrip("-_")


def _finish(client: Any, kind: str, result: JobResult, wait: bool, progress: ProgressCallback | None,
            sleep: Callable[[float], None], poll_interval: float, timeout: float | None) -> JobResult:
    if progress:
        progress(ProgressEvent("created", kind, result.name, None, 0.0, result.arn))
    if not wait:
        return result
    described = wait_until_done(client, kind, result.arn, result.name, sleep=sleep, poll_interval=poll_interval,
                                timeout=timeout, progress=progress)
    result.status = described.get("status")
    result.num_deleted = described.get("numDeleted")
    result.description = described
    return result


def start_import_jobs(
    client: Any,
    imports: Mapping[str, str],
    *,
    role_arn: str,
    mode: str = "FULL",
    job_prefix: str = "personalize-import",
    wait: bool = True,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 30.0,
    timeout: float | None = None,
    now: Callable[[], float] = time.time,
) -> list[JobResult]:
    """Start one dataset import job per ``{dataset_arn: s3_uri}`` and wait for them all.

    ``mode`` is ``FULL`` (replaces earlier bulk data; records sent one by one
    are kept) or ``INCREMENTAL`` (adds and replaces by id; needs an earlier
    bulk import). ``role_arn`` is a role Personalize assumes to read the bucket.
    Interactions imports need at least 1,000 records per job.
    """
    if mode not in IMPORT_MODES:
        raise ConfigurationError(f"mode must be one of {IMPORT_MODES}, not {mode!r}")
    started = []
    for dataset_arn, location in imports.items():
        dataset_type = dataset_arn.rsplit("/", 1)[-1].lower()
        name = _job_name(job_prefix, f"{dataset_type}-{mode.lower()}", now)
        arn = call(client, "create_dataset_import_job", "dataset_import_job", name, jobName=name,
                   datasetArn=dataset_arn, dataSource={"dataLocation": location}, roleArn=role_arn,
                   importMode=mode)["datasetImportJobArn"]
        started.append(JobResult("dataset_import_job", name, arn))
    # All started first: Personalize runs up to 5 import jobs at once.
    return [
        _finish(client, "dataset_import_job", job, wait, progress, sleep, poll_interval, timeout) for job in started
    ]


def start_data_deletion_job(
    client: Any,
    *,
    dataset_group_arn: str,
    data_location: str,
    role_arn: str,
    job_name: str | None = None,
    wait: bool = False,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 300.0,
    timeout: float | None = None,
    now: Callable[[], float] = time.time,
) -> JobResult:
    """Start a data deletion job for the users listed in the CSV at ``data_location``
    (see :func:`write_user_ids`). It can take up to a day, so ``wait`` is off by
    default: keep the ARN and look at ``DescribeDataDeletionJob`` (``numDeleted``) later."""
    name = job_name or _job_name("personalize-forget", "", now)
    arn = call(client, "create_data_deletion_job", "data_deletion_job", name, jobName=name,
               datasetGroupArn=dataset_group_arn, dataSource={"dataLocation": data_location},
               roleArn=role_arn)["dataDeletionJobArn"]
    return _finish(client, "data_deletion_job", JobResult("data_deletion_job", name, arn), wait, progress, sleep,
                   poll_interval, timeout)


def start_batch_inference_job(
    client: Any,
    *,
    solution_version_arn: str,
    input_path: str,
    output_path: str,
    role_arn: str,
    num_results: int = 25,
    filter_arn: str | None = None,
    item_exploration_config: Mapping[str, str] | None = None,
    job_name: str | None = None,
    wait: bool = True,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 60.0,
    timeout: float | None = None,
    now: Callable[[], float] = time.time,
) -> JobResult:
    """Start a batch inference job on a trained solution version (campaign-backed
    groups; domain recommenders have no batch jobs). ``input_path`` is the S3
    JSON Lines file of :func:`write_batch_input`; ``output_path`` an S3 folder
    (ending in ``/``) where ``<input name>.out`` appears, read by :func:`read_batch_output`."""
    name = job_name or _job_name("personalize-batch", "", now)
    params: dict[str, Any] = {
        "jobName": name, "solutionVersionArn": solution_version_arn, "roleArn": role_arn, "numResults": num_results,
        "jobInput": {"s3DataSource": {"path": input_path}},
        "jobOutput": {"s3DataDestination": {"path": output_path}},
    }
    if filter_arn:
        params["filterArn"] = filter_arn
    if item_exploration_config:
        params["batchInferenceJobConfig"] = {"itemExplorationConfig": dict(item_exploration_config)}
    arn = call(client, "create_batch_inference_job", "batch_inference_job", name, **params)["batchInferenceJobArn"]
    return _finish(client, "batch_inference_job", JobResult("batch_inference_job", name, arn), wait, progress,
                   sleep, poll_interval, timeout)


# -- the files these jobs read and write ------------------------------------------
def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``("bucket", "key")``."""
    if not isinstance(uri, str) or not uri.startswith("s3://") or len(uri) <= 5:
        raise ConfigurationError(f"expected an s3://bucket/prefix URI, not {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ConfigurationError(f"the S3 URI {uri!r} names no bucket")
    return bucket, key


def upload_files(s3_client: Any, paths: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Upload ``{name: local path}`` under the S3 ``prefix`` (a folder); return ``{name: s3 uri}``."""
    bucket, key_prefix = parse_s3_uri(prefix)
    if key_prefix and not key_prefix.endswith("/"):
        key_prefix += "/"
    uris = {}
    for name, path in paths.items():
        key = key_prefix + os.path.basename(path)
        s3_client.upload_file(path, bucket, key)
        uris[name] = f"s3://{bucket}/{key}"
    return uris


def write_user_ids(stream: IO[str], user_ids: Iterable[str]) -> int:
    """The data deletion job's input: a ``USER_ID`` header and one id per row."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["USER_ID"])
    count = 0
    for user_id in user_ids:
        writer.writerow([user_id])
        count += 1
    return count


def write_batch_input(
    stream: IO[str], *, user_ids: Iterable[str] = (), item_ids: Iterable[str] = (),
    filter_values: Mapping[str, Any] | None = None,
) -> int:
    """Batch inference input, JSON Lines: ``{"userId": ...}`` per user (user-personalization,
    popularity) or ``{"itemId": ...}`` per item (related items), each with ``filterValues``
    when given (encoded as Personalize wants)."""
    extra = {}
    if filter_values:
        from ..filters.values import encode_filter_values

        extra["filterValues"] = encode_filter_values(filter_values)
    count = 0
    for key, ids in (("userId", user_ids), ("itemId", item_ids)):
        for value in ids:
            stream.write(json.dumps({key: value, **extra}, separators=(",", ":")) + "\n")
            count += 1
    return count


def read_batch_output(lines: Iterable[str] | IO[str]) -> Iterator[dict[str, Any]]:
    """Parse a batch inference ``.out`` file into dicts in this project's batch shape:
    ``{"user_id" | "item_id": ..., "items": [{"item_id", "score"}], "error": ...}``."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            raise ProvisioningError(f"batch output line {number} is not JSON: {err}") from None
        source = record.get("input", {})
        output = record.get("output") or {}
        ids, scores = output.get("recommendedItems", []), output.get("scores") or []
        row: dict[str, Any] = {}
        if "userId" in source:
            row["user_id"] = source["userId"]
        if "itemId" in source:
            row["item_id"] = source["itemId"]
        row["items"] = [{"item_id": i, "score": scores[n] if n < len(scores) else None} for n, i in enumerate(ids)]
        row["error"] = record.get("error")
        yield row


def user_ids_csv(user_ids: Iterable[str]) -> str:
    """:func:`write_user_ids` into a string (small deletion lists)."""
    buffer = io.StringIO()
    write_user_ids(buffer, user_ids)
    return buffer.getvalue()


# -- whole workflows, so that management commands stay thin ------------------------
def upload_text(s3_client: Any, text: str, uri: str) -> str:
    """Put ``text`` (UTF-8) at the S3 object ``uri`` and return ``uri``."""
    bucket, key = parse_s3_uri(uri)
    if not key or key.endswith("/"):
        raise ConfigurationError(f"the S3 URI {uri!r} must name an object, not a folder")
    s3_client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
    return uri


def forget_users(
    client: Any,
    s3_client: Any,
    *,
    dataset_group_arn: str,
    user_ids: Iterable[str],
    s3_uri: str,
    role_arn: str,
    wait: bool = False,
    **job_options: Any,
) -> JobResult:
    """Write the users' ids to ``s3_uri`` (a CSV object) and start a data deletion job on them.
    ``job_options`` go to :func:`start_data_deletion_job` (``job_name``, ``progress``, ``sleep``...)."""
    upload_text(s3_client, user_ids_csv(user_ids), s3_uri)
    return start_data_deletion_job(client, dataset_group_arn=dataset_group_arn, data_location=s3_uri,
                                   role_arn=role_arn, wait=wait, **job_options)


def batch_recommendations_on_aws(
    client: Any,
    s3_client: Any,
    *,
    solution_version_arn: str,
    input_uri: str,
    output_prefix: str,
    role_arn: str,
    user_ids: Iterable[str] = (),
    item_ids: Iterable[str] = (),
    filter_values: Mapping[str, Any] | None = None,
    **job_options: Any,
) -> Iterator[dict[str, Any]]:
    """Upload the batch input to ``input_uri``, run a batch inference job writing under
    ``output_prefix`` (a folder), wait for it, then read ``<input name>.out`` back and
    yield its lines, as they are (Personalize's batch shape, the shape
    :func:`personalize_sdk.dataset.batch.write_batch_recommendations` writes too;
    :func:`read_batch_output` parses either). ``job_options`` go to
    :func:`start_batch_inference_job` (``num_results``, ``filter_arn``, ``progress``...)."""
    buffer = io.StringIO()
    write_batch_input(buffer, user_ids=user_ids, item_ids=item_ids, filter_values=filter_values)
    upload_text(s3_client, buffer.getvalue(), input_uri)
    if not output_prefix.endswith("/"):
        output_prefix += "/"
    start_batch_inference_job(client, solution_version_arn=solution_version_arn, input_path=input_uri,
                              output_path=output_prefix, role_arn=role_arn, wait=True, **job_options)
    bucket, key = parse_s3_uri(output_prefix + input_uri.rsplit("/", 1)[-1] + ".out")
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"]
    for line in io.TextIOWrapper(body, encoding="utf-8"):
        if line.strip():
            yield line if line.endswith("\n") else line + "\n"


def active_solution_version(client: Any, campaign_arn: str) -> str:
    """The solution version a campaign serves now, as a batch inference job needs it:
    for a campaign that follows ``<solution>/$LATEST``, the newest ACTIVE version."""
    campaign = call(client, "describe_campaign", "campaign", campaign_arn, campaignArn=campaign_arn)["campaign"]
    version = campaign["solutionVersionArn"]
    if not version.endswith("/$LATEST"):
        return version
    solution = version[: -len("/$LATEST")]
    versions = [v for v in list_all(client, "list_solution_versions", "solutionVersions", solutionArn=solution)
                if v.get("status") == "ACTIVE"]
    if not versions:
        raise ProvisioningError(f"campaign {campaign_arn} has no ACTIVE solution version yet", resource="campaign",
                                arn=campaign_arn)
    return max(versions, key=lambda v: v.get("creationDateTime") or 0)["solutionVersionArn"]
