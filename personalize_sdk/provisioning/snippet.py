"""The Django settings that point the AWS backend at what was provisioned."""

from __future__ import annotations

import pprint
from typing import Any

from .apply import ApplyResult
from .desired import RANKING
from .plan import Plan

BACKEND_PATH = "personalize_sdk.backends.aws.AwsBackend"


def backend_options(result: ApplyResult | Plan, *, region_name: str | None = None) -> dict[str, Any]:
    """The ``AwsBackend`` options for the provisioned resources (only those whose ARN is known)."""
    plan = result.plan if isinstance(result, ApplyResult) else result
    state = result.state
    options: dict[str, Any] = {}
    region = region_name or plan.desired.region_name
    if region:
        options["region_name"] = region
    if state.tracking_id:
        options["tracking_id"] = state.tracking_id
    for dataset_type, option in (("Items", "items_dataset_arn"), ("Users", "users_dataset_arn")):
        if dataset_type in state.datasets:
            options[option] = state.datasets[dataset_type]
    if state.recommenders:
        options["recommenders"] = dict(state.recommenders)
    campaigns = {k: v for k, v in state.campaigns.items() if k != RANKING}
    if campaigns:
        options["campaigns"] = campaigns
    if RANKING in state.campaigns:
        options["ranking_campaign"] = state.campaigns[RANKING]
    if state.filters:
        options["filters"] = dict(state.filters)
    return options


def settings_snippet(result: ApplyResult | Plan, *, region_name: str | None = None) -> str:
    """A ``PERSONALIZE = {...}`` block to paste into Django settings: the AWS
    backend with its ARNs and tracking id, and the filters' expressions (the
    SDK checks every filter it is given has an ARN). Valid Python."""
    plan = result.plan if isinstance(result, ApplyResult) else result
    settings: dict[str, Any] = {"BACKEND": BACKEND_PATH, "OPTIONS": backend_options(result, region_name=region_name)}
    if plan.desired.filters:
        settings["FILTERS"] = dict(plan.desired.filters)
    body = pprint.pformat(settings, indent=4, width=110, sort_dicts=False)
    missing = [a for a in plan.actions if a.arn is None]
    header = "# Amazon Personalize resources of dataset group %r\n" % plan.desired.dataset_group
    if missing:
        header += "# Not created yet (run apply): " + ", ".join(f"{a.resource} {a.name}" for a in missing) + "\n"
    return header + "PERSONALIZE = " + body + "\n"
