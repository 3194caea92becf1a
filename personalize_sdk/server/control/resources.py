"""What every kind of resource has in common: ARN, name, Describe, List,
Delete, tags and pagination.

A :class:`Kind` names the few facts the model does not state in a form a
program can read (the ARN's resource type, which member holds the name,
which resource it belongs to); the rest (the List's result key and summary
shape, the Describe's key) is read from botocore's model.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import (
    InvalidInputException,
    InvalidNextTokenException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    TooManyTagKeysException,
    TooManyTagsException,
)
from .context import Context

#: statuses of a resource still being created, deleted, stopped or started
BUSY = ("CREATE PENDING", "CREATE IN_PROGRESS", "DELETE PENDING", "DELETE IN_PROGRESS",
        "STOP PENDING", "STOP IN_PROGRESS", "START PENDING", "START IN_PROGRESS")
#: the most tags a resource may carry (reference 0: TooManyTagsException)
MAX_TAGS = 50
#: the default page size of every List (the model's maxResults maximum is 100)
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Kind:
    """One kind of resource.

    ``slug`` is the ARN's resource type (``dataset-group``), ``op`` the
    operation suffix (``DatasetGroup``: DescribeDatasetGroup, ListDatasetGroups),
    ``name_member`` the request member holding its name, ``parent`` the member
    naming the resource it belongs to (what its List filters on).
    """

    slug: str
    op: str
    name_member: str = "name"
    parent: str | None = None
    has_status: bool = True

    @property
    def arn_member(self) -> str:
        return self.op[0].lower() + self.op[1:] + "Arn"

    @property
    def describe_key(self) -> str:
        return self.op[0].lower() + self.op[1:]


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("schema", "Schema", has_status=False),
        Kind("dataset-group", "DatasetGroup"),
        Kind("dataset", "Dataset", parent="datasetGroupArn"),
        Kind("dataset-import-job", "DatasetImportJob", "jobName", "datasetArn"),
        Kind("dataset-export-job", "DatasetExportJob", "jobName", "datasetArn"),
        Kind("solution", "Solution", parent="datasetGroupArn"),
        Kind("solution-version", "SolutionVersion", parent="solutionArn"),
        Kind("campaign", "Campaign", parent="solutionArn"),
        Kind("event-tracker", "EventTracker", parent="datasetGroupArn"),
        Kind("filter", "Filter", parent="datasetGroupArn"),
        Kind("recommender", "Recommender", parent="datasetGroupArn"),
        Kind("batch-inference-job", "BatchInferenceJob", "jobName", "solutionVersionArn"),
        Kind("batch-segment-job", "BatchSegmentJob", "jobName", "solutionVersionArn"),
        Kind("metric-attribution", "MetricAttribution", parent="datasetGroupArn"),
        Kind("data-deletion-job", "DataDeletionJob", "jobName", "datasetGroupArn"),
    )
}
BY_OP: dict[str, Kind] = {kind.op: kind for kind in KINDS.values()}


def kind_of_arn(arn: str) -> Kind | None:
    """The kind an ARN of this server names (by its resource type)."""
    resource = arn.split(":", 5)[-1]
    slug = resource.split("/", 1)[0]
    if slug == "solution" and resource.count("/") >= 2:
        slug = "solution-version"
    return KINDS.get(slug)


class Resources:
    """Create, read, list and delete resources of every kind in a store."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading ---------------------------------------------------------
    def get(self, arn: str, kind: str | None = None, *, what: str = "") -> dict[str, Any]:
        """The description of ``arn``; ResourceNotFoundException when it
        names nothing (of ``kind``, when given)."""
        record = self.ctx.store.get(arn)
        if record is None or (kind is not None and self.ctx.store.kind_of(arn) != kind):
            label = what or (KINDS[kind].op if kind else "Resource")
            raise ResourceNotFoundException(f"{label} {arn} does not exist.")
        return record

    def active(self, arn: str, kind: str, member: str) -> dict[str, Any]:
        """The resource named by request member ``member``; it must be ACTIVE."""
        record = self.get(arn, kind)
        status = record.get("status", "ACTIVE")
        if status != "ACTIVE":
            raise ResourceInUseException(
                f"{KINDS[kind].op} {arn} ({member}) is {status}, not ACTIVE."
            )
        return record

    def describe(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        kind = BY_OP[operation[len("Describe") :]]
        return {kind.describe_key: self.get(body[kind.arn_member], kind.slug)}

    def list(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """A page of a List, newest first, as its summary shape."""
        model = self.ctx.model
        op = operation[len("List") : -1]
        kind = BY_OP[op]
        output = model.operations[operation]["output"]["shape"]
        key = next(m for m in model.shapes[output]["members"] if m != "nextToken")
        parent = body.get(kind.parent) if kind.parent else None
        if parent is not None:
            parent_kind = kind_of_arn(parent)
            self.get(parent, parent_kind.slug if parent_kind else None)
        after = decode_token(body.get("nextToken"), operation)
        size = body.get("maxResults") or DEFAULT_PAGE
        rows = self.ctx.store.list(kind.slug, parent, after=after, limit=size + 1)
        page = [record for _, record in rows[:size]]
        result: dict[str, Any] = {key: page}
        if len(rows) > size:
            result["nextToken"] = encode_token(rows[size - 1][0], operation)
        return result

    # -- writing ---------------------------------------------------------
    def arn(self, kind: str, name: str) -> str:
        return self.ctx.config.arn(f"{kind}/{name}")

    def create(
        self,
        kind: str,
        body: Mapping[str, Any],
        *,
        arn: str | None = None,
        parent: str | None = None,
        extra: Mapping[str, Any] | None = None,
        unique: bool = True,
    ) -> dict[str, Any]:
        """Store a new resource from the request members its description
        shape has, plus ``extra``; status CREATE PENDING (when it has one)
        and its work queued."""
        spec = KINDS[kind]
        name = body.get(spec.name_member) or ""
        arn = arn or self.arn(kind, name)
        if unique and self.ctx.store.find(kind, name) is not None:
            raise ResourceAlreadyExistsException(f"{spec.op} {name} already exists ({arn}).")
        shape = self.ctx.model.shapes[self.ctx.model.member_shape(
            self.ctx.model.operations[f"Describe{spec.op}"]["output"]["shape"], spec.describe_key
        )]
        data = {m: v for m, v in body.items() if m in shape["members"]}
        data[spec.arn_member] = arn
        if spec.has_status:
            data["status"] = "CREATE PENDING"
        data.update(extra or {})
        data["_tags"] = check_tags(body.get("tags") or [], {})
        try:
            record = self.ctx.store.add(kind, arn, name, data, parent)
        except sqlite3.IntegrityError:
            raise ResourceAlreadyExistsException(f"{spec.op} {arn} already exists.") from None
        if spec.has_status:
            self.ctx.jobs.submit(arn)
        return record

    def delete(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """DELETE PENDING now, gone once the worker has cleaned up after it."""
        kind = BY_OP[operation[len("Delete") :]]
        arn = body[kind.arn_member]
        record = self.get(arn, kind.slug)
        if record.get("status") in BUSY:
            raise ResourceInUseException(
                f"{kind.op} {arn} is {record['status']}; wait until it is ACTIVE or FAILED."
            )
        users = [child for child in self.ctx.store.children(arn) if child[0] in LIVE_CHILDREN]
        if users:
            raise ResourceInUseException(
                f"{kind.op} {arn} is used by {KINDS[users[0][0]].op} {users[0][1]}: delete that first."
            )
        if kind.slug == "schema":
            for _, dataset in self.ctx.store.list("dataset"):
                if dataset.get("schemaArn") == arn:
                    raise ResourceInUseException(
                        f"Schema {arn} is used by dataset {dataset['datasetArn']}."
                    )
            self.ctx.store.delete(arn)
            return {}
        self.ctx.store.update(arn, {"status": "DELETE PENDING"})
        self.ctx.jobs.submit(arn)
        return {}

    # -- tags ------------------------------------------------------------
    def tag(self, body: Mapping[str, Any]) -> dict[str, Any]:
        record = self.get(body["resourceArn"])
        tags = check_tags(body["tags"], record.get("_tags") or {})
        self.ctx.store.update(body["resourceArn"], {"_tags": tags}, touch=False)
        return {}

    def untag(self, body: Mapping[str, Any]) -> dict[str, Any]:
        record = self.get(body["resourceArn"])
        if len(body["tagKeys"]) > MAX_TAGS:
            raise TooManyTagKeysException(f"tagKeys: at most {MAX_TAGS} keys per call.")
        tags = {k: v for k, v in (record.get("_tags") or {}).items() if k not in body["tagKeys"]}
        self.ctx.store.update(body["resourceArn"], {"_tags": tags}, touch=False)
        return {}

    def list_tags(self, body: Mapping[str, Any]) -> dict[str, Any]:
        record = self.get(body["resourceArn"])
        tags = record.get("_tags") or {}
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in tags.items()]}


#: the kinds whose existence keeps their parent from being deleted
LIVE_CHILDREN = frozenset(KINDS) - {"dataset-import-job", "dataset-export-job", "solution-version",
                                    "batch-inference-job", "batch-segment-job", "data-deletion-job"}


def check_tags(new: list[Mapping[str, str]], existing: Mapping[str, str]) -> dict[str, str]:
    """``existing`` with the ``new`` tags set; TooManyTagsException past the limit."""
    tags = dict(existing)
    for tag in new:
        tags[tag["tagKey"]] = tag["tagValue"]
    if len(tags) > MAX_TAGS:
        raise TooManyTagsException(f"tags: a resource may have at most {MAX_TAGS} tags, not {len(tags)}.")
    return tags


def encode_token(position: int, operation: str) -> str:
    """An opaque nextToken of ``operation`` for ``position`` (a creation
    sequence the next page continues below, or an offset in a fixed list)."""
    raw = json.dumps({"op": operation, "at": position}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str | None, operation: str) -> int:
    """The position :func:`encode_token` put in ``token`` (0 without one)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        if data["op"] != operation or not isinstance(data["at"], int):
            raise ValueError(data)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise InvalidNextTokenException(f"nextToken is not a token {operation} handed out.") from None
    return data["at"]


def page(items: list[Any], body: Mapping[str, Any], operation: str, key: str) -> dict[str, Any]:
    """One page of a fixed list (``maxResults`` from ``nextToken``), as
    ``{key: [...], "nextToken": ...}``; the token is an offset in the list."""
    size = body.get("maxResults") or DEFAULT_PAGE
    start = decode_token(body.get("nextToken"), operation)
    result: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        result["nextToken"] = encode_token(start + size, operation)
    return result


def require(condition: bool, message: str) -> None:
    """InvalidInputException with ``message`` unless ``condition``."""
    if not condition:
        raise InvalidInputException(message)
