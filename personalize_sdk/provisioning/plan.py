"""Plan: compare the desired state with what the account holds, change nothing.

``plan(client, desired)`` reads the account with List*/Describe* calls only
and returns a :class:`Plan`: one :class:`Action` per resource, in dependency
order, saying whether it will be created, waited for (it exists but is not
ACTIVE yet), kept (ACTIVE), or is blocked (failed, being deleted, or in
conflict with the settings). :func:`~personalize_sdk.provisioning.apply`
carries a plan out. Like terraform's, the plan is the place to read costs
before paying them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ._aws import DELETING, FAILED, IN_PROGRESS, SUCCEEDED, call, list_all
from .desired import Desired, desired_state

CREATE, WAIT, KEEP, BLOCKED = "create", "wait", "keep", "blocked"
_SYMBOLS = {CREATE: "+", WAIT: "~", KEEP: "=", BLOCKED: "!"}


@dataclass
class Action:
    kind: str
    resource: str
    #: the key within its kind: a dataset type, a filter name, a use case
    key: str
    name: str
    arn: str | None = None
    status: str | None = None
    note: str = ""

    @property
    def id(self) -> str:
        return self.resource if self.resource in ("dataset_group", "event_tracker") else f"{self.resource}:{self.key}"

    def __str__(self) -> str:
        text = f"{_SYMBOLS[self.kind]} {self.kind:7} {self.resource.replace('_', ' ')} {self.name}"
        if self.status and self.kind != CREATE:
            text += f" [{self.status}]"
        if self.note:
            text += f" ({self.note})"
        return text


@dataclass
class ProvisionedState:
    """The ARNs known so far (from the account, then from apply)."""

    dataset_group_arn: str | None = None
    schemas: dict[str, str] = field(default_factory=dict)
    datasets: dict[str, str] = field(default_factory=dict)
    event_tracker_arn: str | None = None
    tracking_id: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    recommenders: dict[str, str] = field(default_factory=dict)
    solutions: dict[str, str] = field(default_factory=dict)
    solution_versions: dict[str, str] = field(default_factory=dict)
    campaigns: dict[str, str] = field(default_factory=dict)

    def record(self, resource: str, key: str, arn: str) -> None:
        if resource == "dataset_group":
            self.dataset_group_arn = arn
        elif resource == "event_tracker":
            self.event_tracker_arn = arn
        else:
            getattr(self, {"schema": "schemas", "dataset": "datasets", "filter": "filters",
                           "recommender": "recommenders", "solution": "solutions",
                           "solution_version": "solution_versions", "campaign": "campaigns"}[resource])[key] = arn


@dataclass
class Plan:
    desired: Desired
    actions: list[Action]
    state: ProvisionedState
    #: drift that apply will not touch (an expression or a config that differs)
    warnings: list[str] = field(default_factory=list)
    #: what ``train=False`` left out
    deferred: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Action]:
        """Actions that do something: create, wait, or stop apply (blocked)."""
        return [a for a in self.actions if a.kind != KEEP]

    @property
    def blocked(self) -> list[Action]:
        return [a for a in self.actions if a.kind == BLOCKED]

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def count(self, kind: str) -> int:
        return sum(1 for a in self.actions if a.kind == kind)

    def format(self) -> str:
        """The plan as text, one line per resource, terraform style."""
        lines = [f"Dataset group {self.desired.dataset_group} ({self.desired.domain or 'custom'}):"]
        lines += [f"  {a}" for a in self.actions]
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  deferred (train=False): {d}" for d in self.deferred]
        lines.append(
            f"Plan: {self.count(CREATE)} to create, {self.count(WAIT)} to wait for, "
            f"{self.count(KEEP)} unchanged, {self.count(BLOCKED)} blocked."
        )
        return "\n".join(lines)


def _kind(status: str | None, failure: str | None = None) -> tuple[str, str]:
    if status in SUCCEEDED:
        return KEEP, ""
    if status in IN_PROGRESS:
        return WAIT, ""
    if status in FAILED:
        return BLOCKED, f"failed: {failure or 'no reason given'}; delete it, fix the cause and run again"
    if status in DELETING:
        return BLOCKED, "being deleted; run again once it is gone"
    return KEEP, f"status {status}"  # e.g. a stopped recommender: it exists, and starting it is a person's call


def _found(actions: list[Action], state: ProvisionedState, resource: str, key: str, name: str,
           entry: Mapping[str, Any] | None, arn_key: str) -> Action:
    if entry is None:
        action = Action(CREATE, resource, key, name)
    else:
        kind, note = _kind(entry.get("status", "ACTIVE"), entry.get("failureReason"))
        action = Action(kind, resource, key, name, entry[arn_key], entry.get("status"), note)
        state.record(resource, key, entry[arn_key])
    actions.append(action)
    return action


def _same_schema(a: str, b: str) -> bool:
    try:
        return json.loads(a).get("fields") == json.loads(b).get("fields")
    except (ValueError, AttributeError):
        return a == b


def plan(client: Any, desired: Mapping[str, Any] | Desired) -> Plan:
    """Read the account and return what :func:`apply` would do. Makes no change."""
    d = desired_state(desired)
    state = ProvisionedState()
    actions: list[Action] = []
    warnings: list[str] = []
    deferred: list[str] = []
    result = Plan(d, actions, state, warnings, deferred)

    groups = {g["name"]: g for g in list_all(client, "list_dataset_groups", "datasetGroups")}
    group = groups.get(d.dataset_group)
    group_action = _found(actions, state, "dataset_group", "", d.dataset_group, group, "datasetGroupArn")
    if group is not None and (group.get("domain") or None) != d.domain:
        group_action.kind = BLOCKED
        group_action.note = (f"it exists with domain {group.get('domain') or 'custom'}, the settings say "
                             f"{d.domain or 'custom'}; a domain cannot change: use another dataset_group name")

    schemas = {s["name"]: s for s in list_all(client, "list_schemas", "schemas")} if d.schemas else {}
    for dataset_type, (name, body) in d.schemas.items():
        action = _found(actions, state, "schema", dataset_type, name, schemas.get(name), "schemaArn")
        if action.kind != CREATE:
            existing = call(client, "describe_schema", "schema", name, schemaArn=action.arn)["schema"]
            domain = existing.get("domain") or schemas[name].get("domain") or None
            if domain != d.domain:
                difference = f"for the {domain or 'custom'} domain, not {d.domain or 'custom'}"
            elif not _same_schema(existing.get("schema", ""), body):
                difference = "with other fields than the settings describe"
            else:
                continue
            action.note = f"exists {difference}; schemas cannot change: give the new one another name"
            warnings.append(f"schema {name!r} exists {difference}")
            action.kind = BLOCKED  # set back to keep below if its dataset already exists

    group_arn = state.dataset_group_arn

    def listed(method: str, key: str) -> list[dict[str, Any]]:
        # Nothing can exist inside a dataset group that does not exist yet.
        return list_all(client, method, key, datasetGroupArn=group_arn) if group_arn else []

    datasets = {x["datasetType"].lower(): x for x in listed("list_datasets", "datasets")} if d.datasets else {}
    for dataset_type, name in d.datasets.items():
        entry = datasets.get(dataset_type.lower())
        action = _found(actions, state, "dataset", dataset_type, name, entry, "datasetArn")
        schema_action = next(a for a in actions if a.id == f"schema:{dataset_type}")
        if action.kind != CREATE and schema_action.kind == BLOCKED and schema_action.note.startswith("exists"):
            schema_action.kind = KEEP  # the dataset exists already: the difference is drift, not a blocker

    if d.event_tracker:
        trackers = listed("list_event_trackers", "eventTrackers")
        action = _found(actions, state, "event_tracker", "", d.event_tracker, trackers[0] if trackers else None,
                        "eventTrackerArn")
        if trackers:
            if trackers[0]["name"] != d.event_tracker:
                warnings.append(f"the dataset group's event tracker is named {trackers[0]['name']!r}, not "
                                f"{d.event_tracker!r}; a group has one tracker, so that one is used")
            if action.kind in (KEEP, WAIT):
                described = call(client, "describe_event_tracker", "event_tracker", action.name,
                                 eventTrackerArn=action.arn)["eventTracker"]
                state.tracking_id = described.get("trackingId")

    if d.filters:
        filters = {f["name"]: f for f in listed("list_filters", "Filters")}
        for name, expression in d.filters.items():
            action = _found(actions, state, "filter", name, name, filters.get(name), "filterArn")
            if action.kind != CREATE:
                existing = call(client, "describe_filter", "filter", name, filterArn=action.arn)["filter"]
                if existing.get("filterExpression") not in (None, expression):
                    warnings.append(f"filter {name!r} exists with another expression; filters cannot change: "
                                    "delete it, or give the new expression another name")

    if not d.train:
        deferred += [f"recommender {r.name}" for r in d.recommenders]
        deferred += [f"solution {s.name} (and its version and campaign)" for s in d.solutions]
    else:
        _plan_models(client, d, state, actions, warnings, listed)
    return result


def _plan_models(client, d, state, actions, warnings, listed) -> None:  # type: ignore[no-untyped-def]
    if d.recommenders:
        recommenders = {r["name"]: r for r in listed("list_recommenders", "recommenders")}
        for spec in d.recommenders:
            entry = recommenders.get(spec.name)
            _found(actions, state, "recommender", spec.use_case, spec.name, entry, "recommenderArn")
            if entry is not None and entry.get("recipeArn") not in (None, spec.recipe_arn):
                warnings.append(f"recommender {spec.name!r} uses recipe {entry['recipeArn']}, not {spec.recipe_arn}")
    if not d.solutions:
        return
    solutions = {s["name"]: s for s in listed("list_solutions", "solutions")}
    for spec in d.solutions:
        solution = _found(actions, state, "solution", spec.key, spec.name, solutions.get(spec.name), "solutionArn")
        versions, campaigns = [], {}
        if solution.kind != CREATE:
            versions = list_all(client, "list_solution_versions", "solutionVersions", solutionArn=solution.arn)
            listing = list_all(client, "list_campaigns", "campaigns", solutionArn=solution.arn)
            campaigns = {c["name"]: c for c in listing}
        usable = [v for v in versions if v.get("status") in SUCCEEDED]
        training = [v for v in versions if v.get("status") in IN_PROGRESS]
        # The newest usable version; else one still training (it will be waited for).
        newest = lambda vs: max(vs, key=lambda v: v.get("creationDateTime") or 0)  # noqa: E731
        pick = newest(usable) if usable else (newest(training) if training else None)
        version = _found(actions, state, "solution_version", spec.key, f"{spec.name} (training)", pick,
                         "solutionVersionArn")
        if version.kind == CREATE:
            version.note = "trains a model: needs the data imported, takes hours, costs training hours"
        _found(actions, state, "campaign", spec.key, spec.campaign_name, campaigns.get(spec.campaign_name),
               "campaignArn")
