"""Schemas, dataset groups, datasets, event trackers, filters, metric
attributions and data deletion jobs: the handlers and their work."""

from __future__ import annotations

import csv
import uuid
from typing import Any, Mapping

from ...dataset.csv_format import open_text
from ...exceptions import FilterSyntaxError
from ...filters import parse
from ..errors import InvalidInputException, LimitExceededException, ResourceAlreadyExistsException
from .context import Context
from .jobs import JobFailed
from .resources import page, require
from .schemas import check_dataset, dataset_type, parse_schema
from .training import request_update

#: dataset groups per account (the AWS quota is 500; far more than a laptop needs)
MAX_DATASET_GROUPS = 500
#: filters per dataset group (reference 5.3)
MAX_FILTERS = 10


# -- schemas ---------------------------------------------------------------
def create_schema(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    parse_schema(body["schema"])
    record = ctx.resources.create("schema", body)
    return {"schemaArn": record["schemaArn"]}


# -- dataset groups ---------------------------------------------------------
def create_dataset_group(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    if len(ctx.store.list("dataset-group")) >= MAX_DATASET_GROUPS:
        raise LimitExceededException(f"At most {MAX_DATASET_GROUPS} dataset groups.")
    record = ctx.resources.create("dataset-group", body)
    return {"datasetGroupArn": record["datasetGroupArn"], "domain": body.get("domain")}


def _drop_group(ctx: Context, record: dict) -> None:
    ctx.groups.drop(record["datasetGroupArn"])


def _open_group(ctx: Context, record: dict) -> None:
    ctx.groups.backend(record["datasetGroupArn"])  # creates its folder and database


# -- datasets ----------------------------------------------------------------
def create_dataset(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    schema = ctx.resources.get(body["schemaArn"], "schema")
    kind = dataset_type(body["datasetType"])
    domain = group.get("domain")
    if schema.get("domain") != domain:
        raise InvalidInputException(
            f"schemaArn: the schema's domain ({schema.get('domain') or 'none'}) is not the "
            f"dataset group's ({domain or 'none'})."
        )
    check_dataset(parse_schema(schema["schema"]), kind, domain)
    arn = ctx.config.arn(f"dataset/{group['name']}/{kind.upper()}")
    if ctx.store.get(arn) is not None:
        raise ResourceAlreadyExistsException(f"The dataset group already has a {kind} dataset ({arn}).")
    record = ctx.resources.create(
        "dataset", body, arn=arn, parent=group["datasetGroupArn"], extra={"_type": kind}, unique=False
    )
    return {"datasetArn": record["datasetArn"]}


def update_dataset(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    dataset = ctx.resources.active(body["datasetArn"], "dataset", "datasetArn")
    schema = ctx.resources.get(body["schemaArn"], "schema")
    group = ctx.resources.get(dataset["datasetGroupArn"], "dataset-group")
    old = {c.name for c in parse_schema(ctx.store.get(dataset["schemaArn"])["schema"])}
    new = parse_schema(schema["schema"])
    check_dataset(new, dataset["_type"], group.get("domain"))
    dropped = sorted(old - {c.name for c in new})
    require(not dropped, f"schemaArn: the new schema must keep every field; it drops {', '.join(dropped)}.")
    request_update(ctx, dataset, "dataset", {"schemaArn": body["schemaArn"]})
    return {"datasetArn": body["datasetArn"]}


# -- event trackers -----------------------------------------------------------
def create_event_tracker(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    if ctx.store.list("event-tracker", group["datasetGroupArn"]):
        raise LimitExceededException("A dataset group has at most one event tracker.")
    tracking_id = str(uuid.uuid4())
    record = ctx.resources.create(
        "event-tracker",
        body,
        parent=group["datasetGroupArn"],
        extra={"trackingId": tracking_id, "accountId": ctx.config.account_id},
    )
    return {"eventTrackerArn": record["eventTrackerArn"], "trackingId": tracking_id}


# -- filters -------------------------------------------------------------------
def create_filter(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    if len(ctx.store.list("filter", group["datasetGroupArn"])) >= MAX_FILTERS:
        raise LimitExceededException(f"A dataset group has at most {MAX_FILTERS} filters.")
    try:
        parse(body["filterExpression"])
    except FilterSyntaxError as err:
        raise InvalidInputException(f"filterExpression: {err}") from None
    record = ctx.resources.create("filter", body, parent=group["datasetGroupArn"])
    return {"filterArn": record["filterArn"]}


def _active_filters(ctx: Context, group_arn: str, *, leaving: str = "") -> dict[str, str]:
    return {
        r["filterArn"]: r["filterExpression"]
        for _, r in ctx.store.list("filter", group_arn)
        if r["filterArn"] != leaving and r.get("status") in ("ACTIVE", "CREATE IN_PROGRESS")
    }


def _activate_filter(ctx: Context, record: dict) -> None:
    ctx.groups.configure_filters(record["datasetGroupArn"], _active_filters(ctx, record["datasetGroupArn"]))


def _remove_filter(ctx: Context, record: dict) -> None:
    group = record["datasetGroupArn"]
    ctx.groups.configure_filters(group, _active_filters(ctx, group, leaving=record["filterArn"]))


# -- metric attributions ---------------------------------------------------------
def create_metric_attribution(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    if ctx.store.list("metric-attribution", group["datasetGroupArn"]):
        raise ResourceAlreadyExistsException("A dataset group has at most one metric attribution.")
    record = ctx.resources.create(
        "metric-attribution", body, parent=group["datasetGroupArn"], extra={"_metrics": body["metrics"]}
    )
    return {"metricAttributionArn": record["metricAttributionArn"]}


def update_metric_attribution(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    arn = body.get("metricAttributionArn")
    require(bool(arn), "metricAttributionArn is required.")
    record = ctx.resources.active(arn, "metric-attribution", "metricAttributionArn")
    metrics = [m for m in record["_metrics"] if m["metricName"] not in (body.get("removeMetrics") or [])]
    names = {m["metricName"] for m in metrics}
    for metric in body.get("addMetrics") or []:
        if metric["metricName"] in names:
            raise ResourceAlreadyExistsException(f"addMetrics: metric {metric['metricName']} exists already.")
        metrics.append(metric)
    changes: dict[str, Any] = {"_metrics": metrics}
    if body.get("metricsOutputConfig"):
        changes["metricsOutputConfig"] = body["metricsOutputConfig"]
    ctx.store.update(arn, changes)
    return {"metricAttributionArn": arn}


def list_metric_attribution_metrics(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    arn = body.get("metricAttributionArn")
    require(bool(arn), "metricAttributionArn is required.")
    metrics = ctx.resources.get(arn, "metric-attribution")["_metrics"]
    return page(metrics, body, "ListMetricAttributionMetrics", "metrics")


# -- data deletion jobs -------------------------------------------------------------
def create_data_deletion_job(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    ctx.s3.path(body["dataSource"].get("dataLocation") or "", "dataSource.dataLocation")
    record = ctx.resources.create("data-deletion-job", body, parent=group["datasetGroupArn"])
    return {"dataDeletionJobArn": record["dataDeletionJobArn"]}


def _delete_users(ctx: Context, record: dict) -> dict[str, Any]:
    """Every user of the CSV's USER_ID column forgotten by the group's engine."""
    try:
        files = ctx.s3.files(record["dataSource"]["dataLocation"], "dataSource.dataLocation")
    except FileNotFoundError as err:
        raise JobFailed(str(err)) from None
    backend = ctx.groups.backend(record["datasetGroupArn"])
    deleted = 0
    for path in files:
        with open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            if "USER_ID" not in header:
                raise JobFailed(f"{path.rsplit('/', 1)[-1]}: the header has no USER_ID column.")
            column = header.index("USER_ID")
            for row in reader:
                if len(row) > column and row[column]:
                    backend.forget_user(row[column])
                    deleted += 1
    return {"numDeleted": deleted}


HANDLERS = {
    "CreateSchema": create_schema,
    "CreateDatasetGroup": create_dataset_group,
    "CreateDataset": create_dataset,
    "UpdateDataset": update_dataset,
    "CreateEventTracker": create_event_tracker,
    "CreateFilter": create_filter,
    "CreateMetricAttribution": create_metric_attribution,
    "UpdateMetricAttribution": update_metric_attribution,
    "ListMetricAttributionMetrics": list_metric_attribution_metrics,
    "CreateDataDeletionJob": create_data_deletion_job,
}
WORK = {
    "dataset-group": lambda ctx, record: _open_group(ctx, record),
    "filter": lambda ctx, record: _activate_filter(ctx, record),
    "data-deletion-job": _delete_users,
}
CLEANUP = {
    "dataset-group": _drop_group,
    "filter": _remove_filter,
}
