"""Plumbing shared by plan, apply and the job helpers: paginated listing,
error translation and the bounded wait for a resource or job to finish.

These functions take a boto3 ``personalize`` client and never import boto3
themselves, so the module imports with the standard library alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from ..exceptions import PersonalizeError

#: statuses that mean done and usable
SUCCEEDED = frozenset({"ACTIVE", "COMPLETED"})
#: statuses that mean it will never become usable
FAILED = frozenset({"CREATE FAILED", "FAILED", "CREATE STOPPED"})
#: statuses of a resource on its way out
DELETING = frozenset({"DELETE PENDING", "DELETE IN_PROGRESS"})
#: statuses worth waiting on
IN_PROGRESS = frozenset({
    "CREATE PENDING", "CREATE IN_PROGRESS", "PENDING", "IN_PROGRESS", "CREATE STOPPING",
    "START PENDING", "START IN_PROGRESS", "UPDATE PENDING", "UPDATE IN_PROGRESS",
})

#: resource kind -> (Describe method, its ARN argument, the response key)
DESCRIBE = {
    "dataset_group": ("describe_dataset_group", "datasetGroupArn", "datasetGroup"),
    "dataset": ("describe_dataset", "datasetArn", "dataset"),
    "event_tracker": ("describe_event_tracker", "eventTrackerArn", "eventTracker"),
    "filter": ("describe_filter", "filterArn", "filter"),
    "recommender": ("describe_recommender", "recommenderArn", "recommender"),
    "solution": ("describe_solution", "solutionArn", "solution"),
    "solution_version": ("describe_solution_version", "solutionVersionArn", "solutionVersion"),
    "campaign": ("describe_campaign", "campaignArn", "campaign"),
    "dataset_import_job": ("describe_dataset_import_job", "datasetImportJobArn", "datasetImportJob"),
    "data_deletion_job": ("describe_data_deletion_job", "dataDeletionJobArn", "dataDeletionJob"),
    "batch_inference_job": ("describe_batch_inference_job", "batchInferenceJobArn", "batchInferenceJob"),
}

#: how long each kind may take before we give up waiting (seconds; the job goes on)
DEFAULT_TIMEOUTS = {
    "dataset_group": 15 * 60,
    "dataset": 15 * 60,
    "event_tracker": 15 * 60,
    "filter": 30 * 60,
    "recommender": 6 * 3600,
    "solution": 30 * 60,
    "solution_version": 24 * 3600,
    "campaign": 2 * 3600,
    "dataset_import_job": 12 * 3600,
    "data_deletion_job": 36 * 3600,
    "batch_inference_job": 24 * 3600,
}


class ProvisioningError(PersonalizeError):
    """A Personalize resource or job could not be created, failed, or did not
    finish in time. ``failure_reason`` is the service's own explanation."""

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        name: str | None = None,
        arn: str | None = None,
        status: str | None = None,
        failure_reason: str | None = None,
        code: str | None = None,
    ) -> None:
        self.resource = resource
        self.name = name
        self.arn = arn
        self.status = status
        self.failure_reason = failure_reason
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class ProgressEvent:
    """What apply and the job helpers report to their ``progress`` callback."""

    #: "create", "created", "wait", "ready", "keep"
    action: str
    resource: str
    name: str
    status: str | None = None
    elapsed: float = 0.0
    arn: str | None = None

    def __str__(self) -> str:
        text = f"{self.action:8} {self.resource.replace('_', ' ')} {self.name}"
        if self.status:
            text += f": {self.status}"
        if self.action == "wait" and self.elapsed:
            text += f" ({self.elapsed:.0f} s)"
        return text


ProgressCallback = Callable[[ProgressEvent], None]


def call(client: Any, method: str, resource: str, name: str, /, **params: Any) -> dict[str, Any]:
    """``client.<method>(**params)``, with service errors turned into :class:`ProvisioningError`.
    (Positional-only, because ``name`` is also a parameter of most Create* calls.)"""
    try:
        return getattr(client, method)(**params)
    except Exception as err:  # botocore's ClientError, without importing botocore
        response = getattr(err, "response", None)
        if not isinstance(response, dict):
            raise
        error = response.get("Error", {})
        code, message = error.get("Code"), error.get("Message", str(err))
        raise ProvisioningError(
            f"{method} for {resource.replace('_', ' ')} {name!r} failed: {code}: {message}",
            resource=resource, name=name, code=code,
        ) from err


def list_all(client: Any, method: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every entry of a paginated List* call."""
    entries: list[dict[str, Any]] = []
    token = None
    while True:
        page = call(client, method, "listing", key, **params, **({"nextToken": token} if token else {}))
        entries.extend(page.get(key, []))
        token = page.get("nextToken")
        if not token:
            return entries


def wait_until_done(
    client: Any,
    resource: str,
    arn: str,
    name: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 5.0,
    max_interval: float = 60.0,
    timeout: float | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Poll Describe* until ``resource`` is ACTIVE (or COMPLETED) and return its description.

    The wait backs off from ``poll_interval`` to ``max_interval`` (x1.5 each
    poll) and is bounded by ``timeout`` seconds of sleeping (default per kind,
    :data:`DEFAULT_TIMEOUTS`). A failed resource raises :class:`ProvisioningError`
    with the service's ``failureReason``; a timeout raises it too, and the
    resource carries on: a later plan finds it and waits again.
    """
    method, argument, key = DESCRIBE[resource]
    limit = DEFAULT_TIMEOUTS[resource] if timeout is None else timeout
    waited, interval = 0.0, poll_interval
    while True:
        described = call(client, method, resource, name, **{argument: arn})[key]
        status = described.get("status")
        if status in SUCCEEDED:
            if progress:
                progress(ProgressEvent("ready", resource, name, status, waited, arn))
            return described
        if status in FAILED or status in DELETING:
            reason = described.get("failureReason") or "no reason given"
            raise ProvisioningError(
                f"{resource.replace('_', ' ')} {name!r} is {status}: {reason}",
                resource=resource, name=name, arn=arn, status=status, failure_reason=described.get("failureReason"),
            )
        if waited >= limit:
            raise ProvisioningError(
                f"gave up waiting for {resource.replace('_', ' ')} {name!r} after {waited:.0f} s (still {status}); "
                "it carries on in AWS: run again later and the plan will pick it up",
                resource=resource, name=name, arn=arn, status=status,
            )
        if progress:
            progress(ProgressEvent("wait", resource, name, status, waited, arn))
        sleep(interval)
        waited += interval
        interval = min(interval * 1.5, max_interval)
