"""Apply: carry out a :class:`~personalize_sdk.provisioning.plan.Plan`.

Resources are created in dependency order (dataset group, schemas, datasets,
event tracker, filters, recommenders, solutions, solution versions,
campaigns). Before creating a resource, apply waits until what it depends on
is ACTIVE, whatever ``wait`` says; ``wait=True`` (the default) also waits for
everything else before returning. Each wait is bounded and polls with an
injectable ``sleep``, so tests run instantly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ._aws import DEFAULT_TIMEOUTS, ProgressCallback, ProgressEvent, ProvisioningError, call, wait_until_done
from .plan import BLOCKED, CREATE, KEEP, WAIT, Action, Plan, ProvisionedState

#: resource -> the resources of the plan it needs ACTIVE first
_DEPENDS_ON = {
    "dataset": ("dataset_group",),
    "event_tracker": ("dataset_group", "dataset"),
    "filter": ("dataset",),
    "recommender": ("dataset",),
    "solution": ("dataset",),
    "solution_version": ("solution",),
    "campaign": ("solution_version",),
}


@dataclass
class ApplyResult:
    plan: Plan
    state: ProvisionedState
    #: ids (``"dataset:Items"``) of what this run created
    created: list[str] = field(default_factory=list)
    #: ids of what is ACTIVE now (created or not)
    ready: list[str] = field(default_factory=list)


class _Applier:
    def __init__(self, client: Any, plan: Plan, progress: ProgressCallback | None, sleep: Callable[[float], None],
                 poll_interval: float, timeouts: dict[str, float]):
        self.client = client
        self.plan = plan
        self.d = plan.desired
        self.state = plan.state
        self.progress = progress
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.timeouts = timeouts
        self.result = ApplyResult(plan, plan.state)
        self.ready = {a.id for a in plan.actions if a.kind == KEEP}

    def _emit(self, action: str, a: Action, status: str | None = None) -> None:
        if self.progress:
            self.progress(ProgressEvent(action, a.resource, a.name, status, 0.0, a.arn))

    def ensure_ready(self, a: Action) -> None:
        if a.id in self.ready:
            return
        described = wait_until_done(
            self.client, a.resource, a.arn, a.name, sleep=self.sleep, poll_interval=self.poll_interval,
            timeout=self.timeouts.get(a.resource), progress=self.progress,
        )
        a.status = described.get("status")
        if a.resource == "event_tracker" and described.get("trackingId"):
            self.state.tracking_id = described["trackingId"]
        self.ready.add(a.id)

    def dependencies(self, a: Action) -> list[Action]:
        kinds = _DEPENDS_ON.get(a.resource, ())
        same_key = a.resource in ("solution_version", "campaign")
        return [b for b in self.plan.actions if b.resource in kinds and (not same_key or b.key == a.key)]

    def create(self, a: Action) -> None:
        self._emit("create", a)
        s, d = self.state, self.d
        tags = {"tags": list(d.tags)} if d.tags else {}
        if a.resource == "dataset_group":
            params: dict[str, Any] = {"name": a.name, **tags}
            if d.domain:
                params["domain"] = d.domain
            if d.kms_key_arn:
                params.update(kmsKeyArn=d.kms_key_arn, roleArn=d.role_arn)
            arn = call(self.client, "create_dataset_group", a.resource, a.name, **params)["datasetGroupArn"]
        elif a.resource == "schema":
            params = {"name": a.name, "schema": d.schemas[a.key][1]}
            if d.domain:
                params["domain"] = d.domain
            arn = call(self.client, "create_schema", a.resource, a.name, **params)["schemaArn"]
        elif a.resource == "dataset":
            arn = call(self.client, "create_dataset", a.resource, a.name, name=a.name, schemaArn=s.schemas[a.key],
                       datasetGroupArn=s.dataset_group_arn, datasetType=a.key, **tags)["datasetArn"]
        elif a.resource == "event_tracker":
            response = call(self.client, "create_event_tracker", a.resource, a.name, name=a.name,
                            datasetGroupArn=s.dataset_group_arn, **tags)
            arn, s.tracking_id = response["eventTrackerArn"], response.get("trackingId")
        elif a.resource == "filter":
            arn = call(self.client, "create_filter", a.resource, a.name, name=a.name,
                       datasetGroupArn=s.dataset_group_arn, filterExpression=d.filters[a.key], **tags)["filterArn"]
        elif a.resource == "recommender":
            spec = next(r for r in d.recommenders if r.use_case == a.key)
            params = {"name": a.name, "datasetGroupArn": s.dataset_group_arn, "recipeArn": spec.recipe_arn, **tags}
            if spec.config:
                params["recommenderConfig"] = spec.config
            arn = call(self.client, "create_recommender", a.resource, a.name, **params)["recommenderArn"]
        elif a.resource == "solution":
            spec = next(x for x in d.solutions if x.key == a.key)
            params = {"name": a.name, "datasetGroupArn": s.dataset_group_arn, "recipeArn": spec.recipe_arn,
                      "performAutoTraining": spec.perform_auto_training, **tags}
            if spec.event_type:
                params["eventType"] = spec.event_type
            if spec.solution_config:
                params["solutionConfig"] = spec.solution_config
            arn = call(self.client, "create_solution", a.resource, a.name, **params)["solutionArn"]
        elif a.resource == "solution_version":
            arn = call(self.client, "create_solution_version", a.resource, a.name, solutionArn=s.solutions[a.key],
                       trainingMode="FULL", **tags)["solutionVersionArn"]
        elif a.resource == "campaign":
            spec = next(x for x in d.solutions if x.key == a.key)
            sync = spec.campaign_config.get("syncWithLatestSolutionVersion")
            # Following the latest version takes the solution's ARN in "<solutionArn>/$LATEST" form.
            version = f"{s.solutions[a.key]}/$LATEST" if sync else s.solution_versions[a.key]
            arn = call(self.client, "create_campaign", a.resource, a.name, name=a.name, solutionVersionArn=version,
                       minProvisionedTPS=spec.min_provisioned_tps, campaignConfig=spec.campaign_config,
                       **tags)["campaignArn"]
        else:  # pragma: no cover - plan only makes the kinds above
            raise ValueError(f"unknown resource kind {a.resource!r}")
        a.arn = arn
        s.record(a.resource, a.key, arn)
        self.result.created.append(a.id)
        if a.resource == "schema":  # a schema has no status: it exists, so it is ready
            self.ready.add(a.id)
        if self.progress:
            self.progress(ProgressEvent("created", a.resource, a.name, None, 0.0, arn))

    def run(self, wait: bool) -> ApplyResult:
        for a in self.plan.actions:
            if a.kind == KEEP:
                self._emit("keep", a, a.status)
                continue
            for dependency in self.dependencies(a):
                self.ensure_ready(dependency)
            if a.kind == CREATE:
                self.create(a)
        if wait:
            for a in self.plan.actions:
                if a.kind in (CREATE, WAIT):
                    self.ensure_ready(a)
        self.result.ready = [a.id for a in self.plan.actions if a.id in self.ready]
        return self.result


def apply(
    client: Any,
    plan: Plan,
    *,
    wait: bool = True,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 10.0,
    timeouts: dict[str, float] | None = None,
) -> ApplyResult:
    """Create what ``plan`` says is missing and return the ARNs of everything.

    Raises :class:`ProvisioningError` before any change when the plan has
    blocked actions, and on the first resource that fails (with the service's
    ``failureReason``) or does not become ACTIVE within its timeout (see
    :data:`~personalize_sdk.provisioning._aws.DEFAULT_TIMEOUTS`; ``timeouts``
    overrides them per kind). What was created before stays: run
    :func:`plan` again to see where things stand.
    """
    blocked = [a for a in plan.actions if a.kind == BLOCKED]
    if blocked:
        details = "; ".join(f"{a.resource.replace('_', ' ')} {a.name}: {a.note}" for a in blocked)
        raise ProvisioningError(f"the plan has {len(blocked)} blocked action(s), nothing was changed: {details}",
                                resource=blocked[0].resource, name=blocked[0].name, arn=blocked[0].arn,
                                status=blocked[0].status)
    merged = {**DEFAULT_TIMEOUTS, **(timeouts or {})}
    return _Applier(client, plan, progress, sleep, poll_interval, merged).run(wait)
