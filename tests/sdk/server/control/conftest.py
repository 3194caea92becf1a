"""A local Personalize with its control plane, started per test module, and
real boto3 clients of its three APIs over loopback.

Waiting for a status polls Describe, as the samples do: a bounded number of
short polls, then the status reached is asserted.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, Callable

import pytest

from personalize_sdk.dataset.csv_format import INTERACTIONS, default_format
from personalize_sdk.server import PersonalizeServer, ServerThread
from tests.conftest import isolate_from_real_aws
from tests.sdk.server.conftest import make_client

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
RECIPE = "arn:aws:personalize:::recipe/"
#: small data trains: Personalize's minimums times this (1000 interactions -> 10)
GROUP_OPTIONS = {"min_data_scale": 0.01}
#: polls of a Describe before giving up, and the pause between two
POLLS, PAUSE = 400, 0.025
SETTLED = ("ACTIVE", "CREATE FAILED", "CREATE STOPPED", "INACTIVE")

INTERACTIONS_SCHEMA = default_format(INTERACTIONS).avro_schema()
ITEMS_SCHEMA = {
    "type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"}, {"name": "PRICE", "type": "float"},
        {"name": "CATEGORY_L1", "type": ["string"], "categorical": True},
    ],
    "version": "1.0",
}


class Plane:
    """A running server with a control plane, its S3 folder and its clients."""

    def __init__(self, tmp, **options: Any) -> None:
        self.tmp = tmp
        self.s3 = tmp / "s3"
        self.data = tmp / "data"
        self.options = options
        self.start()

    def start(self) -> None:
        self.app = PersonalizeServer(
            path=str(self.data), s3_root=str(self.s3), group_options=GROUP_OPTIONS,
            control_plane=True, **self.options,
        )
        self.thread = ServerThread(self.app).start()
        self.url = self.thread.url
        self.personalize = make_client("personalize", self.url)
        self.runtime = make_client("personalize-runtime", self.url)
        self.events = make_client("personalize-events", self.url)

    def stop(self) -> None:
        self.thread.stop()
        self.app.close()

    def upload(self, key: str, text: str) -> str:
        """Write ``text`` at ``s3://bucket/<key>``; return that URL."""
        path = self.s3 / "bucket" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return f"s3://bucket/{key}"

    def read(self, key: str) -> str:
        return (self.s3 / "bucket" / key).read_text(encoding="utf-8")

    def wait(self, operation: str, arn: str, *, until: tuple[str, ...] = SETTLED) -> dict[str, Any]:
        """Poll ``Describe<operation>`` until the status is one of ``until``."""
        key = operation[0].lower() + operation[1:]
        describe: Callable[..., Any] = getattr(self.personalize, snake(f"Describe{operation}"))
        for _ in range(POLLS):
            described = describe(**{f"{key}Arn": arn})[key]
            if described.get("status") in until:
                return described
            time.sleep(PAUSE)
        raise AssertionError(f"{arn} stayed {described.get('status')} after {POLLS} polls")

    def wait_update(self, operation: str, arn: str) -> dict[str, Any]:
        """Poll ``Describe<operation>`` until its ``latest<operation>Update``
        is settled; return the description."""
        key = operation[0].lower() + operation[1:]
        summary = f"latest{operation}Update"
        describe: Callable[..., Any] = getattr(self.personalize, snake(f"Describe{operation}"))
        for _ in range(POLLS):
            described = describe(**{f"{key}Arn": arn})[key]
            if (described.get(summary) or {}).get("status") in ("ACTIVE", "CREATE FAILED"):
                return described
            time.sleep(PAUSE)
        raise AssertionError(f"{arn}'s {summary} stayed {described.get(summary)} after {POLLS} polls")

    def gone(self, operation: str, arn: str) -> None:
        """Poll until Describe answers ResourceNotFoundException."""
        key = operation[0].lower() + operation[1:]
        describe = getattr(self.personalize, snake(f"Describe{operation}"))
        for _ in range(POLLS):
            try:
                describe(**{f"{key}Arn": arn})
            except self.personalize.exceptions.ResourceNotFoundException:
                return
            time.sleep(PAUSE)
        raise AssertionError(f"{arn} still exists after {POLLS} polls")


def snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def interactions_csv(rows: int = 600, users: int = 40, items: int = 30, seed: int = 3) -> str:
    """Views and purchases with structure: users prefer items near their own number."""
    rng = random.Random(seed)
    lines = ["USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"]
    for index in range(rows):
        user = rng.randrange(users)
        item = (user + rng.randrange(6)) % items
        event = "Purchase" if rng.random() < 0.3 else "View"
        lines.append(f"u{user},i{item},{event},{1_700_000_000 + index * 60}")
    return "\n".join(lines) + "\n"


def items_csv(items: int = 30) -> str:
    lines = ["ITEM_ID,PRICE,CATEGORY_L1"]
    lines += [f"i{i},{10 + i}.5,{'shoes' if i % 2 else 'hats'}" for i in range(items)]
    return "\n".join(lines) + "\n"


def make_plane(tmp_path_factory, name: str, **options: Any):
    """A Plane isolated from this machine's AWS settings, for a module fixture."""
    tmp = tmp_path_factory.mktemp(name)
    patch = pytest.MonkeyPatch()
    isolate_from_real_aws(patch, tmp)
    plane = Plane(tmp, **options)
    return plane, patch


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    plane, patch = make_plane(tmp_path_factory, "plane")
    yield plane
    plane.stop()
    patch.undo()


def build_group(plane: Plane, name: str, *, domain: str | None = "ECOMMERCE", items: bool = True) -> dict[str, str]:
    """A dataset group with interactions (and items) imported; the ARNs by role."""
    client = plane.personalize
    extra = {"domain": domain} if domain else {}
    arns = {"group": client.create_dataset_group(name=name, **extra)["datasetGroupArn"]}
    plane.wait("DatasetGroup", arns["group"])
    datasets = [("Interactions", INTERACTIONS_SCHEMA, interactions_csv())]
    if items:
        datasets.append(("Items", ITEMS_SCHEMA, items_csv()))
    for kind, schema, data in datasets:
        schema_arn = client.create_schema(name=f"{name}-{kind}", schema=json.dumps(schema), **extra)["schemaArn"]
        dataset = client.create_dataset(
            name=f"{name}-{kind}", schemaArn=schema_arn, datasetGroupArn=arns["group"], datasetType=kind
        )["datasetArn"]
        assert plane.wait("Dataset", dataset)["status"] == "ACTIVE"
        job = client.create_dataset_import_job(
            jobName=f"{name}-{kind}", datasetArn=dataset, roleArn=ROLE,
            dataSource={"dataLocation": plane.upload(f"{name}/{kind}.csv", data)},
        )["datasetImportJobArn"]
        described = plane.wait("DatasetImportJob", job)
        assert described["status"] == "ACTIVE", described.get("failureReason")
        arns[kind] = dataset
        arns[f"{kind}-schema"] = schema_arn
        arns[f"{kind}-import"] = job
    return arns


def train_solution(plane: Plane, group: str, name: str, recipe: str, **extra: Any) -> tuple[str, str]:
    """A solution of ``recipe`` (a name after ``recipe/``) and its first
    version, trained and ACTIVE: ``(solution ARN, version ARN)``."""
    client = plane.personalize
    solution = client.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe, **extra)["solutionArn"]
    assert plane.wait("Solution", solution)["status"] == "ACTIVE"
    version = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    described = plane.wait("SolutionVersion", version)
    assert described["status"] == "ACTIVE", described.get("failureReason")
    return solution, version
