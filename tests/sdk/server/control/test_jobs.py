"""The worker: what a stopped server left pending is taken up at the next start."""

from __future__ import annotations

import time

from personalize_sdk.server.config import ServerConfig
from personalize_sdk.server.control import ControlPlane
from personalize_sdk.server.control.store import ResourceStore
from tests.sdk.server.control.conftest import GROUP_OPTIONS, PAUSE, POLLS


def test_pending_work_resumes_at_start(tmp_path):
    config = ServerConfig()
    arn = config.arn("dataset-group/left-behind")
    store = ResourceStore(str(tmp_path))
    store.add("dataset-group", arn, "left-behind", {"name": "left-behind", "datasetGroupArn": arn,
                                                     "status": "CREATE IN_PROGRESS"})
    gone = config.arn("filter/half-deleted")
    store.add("filter", gone, "half-deleted", {"filterArn": gone, "status": "DELETE PENDING",
                                                "datasetGroupArn": arn, "filterExpression": "x"}, arn)
    store.close()

    plane = ControlPlane(config, path=str(tmp_path), engine_options=GROUP_OPTIONS)
    try:
        for _ in range(POLLS):
            if plane.ctx.store.get(arn)["status"] == "ACTIVE" and plane.ctx.store.get(gone) is None:
                break
            time.sleep(PAUSE)
        assert plane.ctx.store.get(arn)["status"] == "ACTIVE"
        assert plane.ctx.store.get(gone) is None
        assert (tmp_path / "dataset-groups" / "left-behind").is_dir()
    finally:
        plane.close()


def test_botocore_s_paginators_walk_every_page(plane):
    client = plane.personalize
    for n in range(3):
        client.create_schema(name=f"paged-{n}", schema='{"type": "record", "name": "Users", "fields": '
                             '[{"name": "USER_ID", "type": "string"}, {"name": "TIER", "type": "string"}]}')
    pages = list(client.get_paginator("list_schemas").paginate(PaginationConfig={"PageSize": 2}))
    names = [schema["name"] for page in pages for schema in page["schemas"]]
    assert len(pages) >= 2
    assert {"paged-0", "paged-1", "paged-2"} <= set(names)
    assert len(names) == len(set(names))


def test_an_update_left_pending_is_applied_at_the_next_start(tmp_path):
    config = ServerConfig()
    arn = config.arn("solution/half-updated")
    store = ResourceStore(str(tmp_path))
    store.add("solution", arn, "half-updated", {
        "name": "half-updated", "solutionArn": arn, "status": "ACTIVE", "performAutoTraining": True,
        "latestSolutionUpdate": {"performAutoTraining": False, "status": "CREATE IN_PROGRESS"},
    })
    store.close()

    plane = ControlPlane(config, path=str(tmp_path), engine_options=GROUP_OPTIONS)
    try:
        for _ in range(POLLS):
            if plane.ctx.store.get(arn)["latestSolutionUpdate"]["status"] == "ACTIVE":
                break
            time.sleep(PAUSE)
        record = plane.ctx.store.get(arn)
        assert record["latestSolutionUpdate"]["status"] == "ACTIVE"
        assert record["performAutoTraining"] is False
        assert record["status"] == "ACTIVE"
    finally:
        plane.close()
