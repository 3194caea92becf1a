"""Solutions, solution versions, recommenders and campaigns: the resources
that train the dataset group's engine and serve from it.

A solution version trains the group's engine (trainingMode FULL and UPDATE
both retrain on every event stored: the local engine's training is cheap)
and is ACTIVE only when the solution's use case is ready; otherwise CREATE
FAILED, with the engine's reason (too few events of a type...). A
recommender trains likewise. A campaign is ACTIVE once the model of its
solution version can answer.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Mapping

from ..config import RANKING
from ..errors import InvalidInputException, ResourceInUseException, ServiceError
from .context import Context
from .groups import check_exploration
from .jobs import UNSETTLED, UPDATE_SUMMARIES, JobFailed
from .metrics import evaluate
from .recipes import RECIPES, use_case_for
from .resources import KINDS, require


def _exploration(body: Mapping[str, Any], member: str, config_key: str, recipe_type: str) -> None:
    settings = (body.get(config_key) or {}).get("itemExplorationConfig")
    if not settings:
        return
    require(
        recipe_type == "USER_PERSONALIZATION",
        f"{config_key}.itemExplorationConfig applies to user-personalization recipes only, "
        f"not to a {recipe_type} recipe.",
    )
    try:
        check_exploration(settings, f"{config_key}.itemExplorationConfig")
    except ValueError as err:
        raise InvalidInputException(str(err)) from None


def _ready(ctx: Context, group_arn: str, use_case: str, *, train: bool) -> dict[str, Any]:
    """Train the group's engine (when asked) and fail unless ``use_case`` can answer."""
    backend = ctx.groups.backend(group_arn)
    report = backend.train() if train else backend.engine.model.report
    status = report.use_cases.get("recommended_for_you" if use_case == RANKING else use_case)
    if status is None or not status.ready:
        reason = status.reason if status is not None else "the engine has not been trained"
        raise JobFailed(f"The model cannot serve {use_case}: {reason}.")
    return {"trainingHours": round(report.seconds / 3600, 6)}


# -- solutions ----------------------------------------------------------------
def create_solution(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    recipe_arn = body.get("recipeArn")
    if body.get("performAutoML") and not recipe_arn:
        raise InvalidInputException("performAutoML is not available in the local Personalize: give a recipeArn.")
    require(bool(recipe_arn), "recipeArn is required by the local Personalize (it has no AutoML).")
    recipe = RECIPES.get(recipe_arn)
    if recipe is None:
        raise InvalidInputException(
            f"recipeArn: {recipe_arn} is not available in the local Personalize "
            f"(ListRecipes lists those that are)."
        )
    require(recipe.domain is None, f"recipeArn: {recipe_arn} is a domain recipe: use CreateRecommender.")
    use_case = use_case_for(recipe_arn, body.get("eventType"))
    record = ctx.resources.create(
        "solution", body, parent=group["datasetGroupArn"],
        extra={"_useCase": use_case, "_recipeType": recipe.recipe_type},
    )
    return {"solutionArn": record["solutionArn"]}


def update_solution(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    record = ctx.resources.active(body["solutionArn"], "solution", "solutionArn")
    changes = {k: body[k] for k in ("performAutoTraining", "performIncrementalUpdate", "solutionUpdateConfig") if k in body}
    request_update(ctx, record, "solution", changes)
    return {"solutionArn": body["solutionArn"]}


def create_solution_version(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    solution = ctx.resources.active(body["solutionArn"], "solution", "solutionArn")
    mode = body.get("trainingMode") or "FULL"
    require(mode != "AUTOTRAIN", "trainingMode AUTOTRAIN is set by Personalize's automatic training, not by callers.")
    versions = [r for _, r in ctx.store.list("solution-version", solution["solutionArn"])]
    if any(v.get("status") in ("CREATE PENDING", "CREATE IN_PROGRESS") for v in versions):
        raise ResourceInUseException(f"Solution {solution['solutionArn']} has a version being created.")
    if mode == "UPDATE":
        require(
            any(v.get("status") == "ACTIVE" for v in versions),
            "trainingMode UPDATE needs an ACTIVE solution version trained with FULL first.",
        )
    arn = f"{solution['solutionArn']}/{uuid.uuid4().hex[:8]}"
    shared = {k: solution[k] for k in ("recipeArn", "eventType", "datasetGroupArn", "solutionConfig",
                                       "performHPO", "performAutoML") if k in solution}
    record = ctx.resources.create(
        "solution-version", {**body, "name": body.get("name") or arn.rsplit("/", 1)[-1]},
        arn=arn, parent=solution["solutionArn"], unique=False,
        extra={**shared, "trainingMode": mode, "trainingType": "MANUAL", "_useCase": solution["_useCase"]},
    )
    return {"solutionVersionArn": record["solutionVersionArn"]}


def _train_version(ctx: Context, record: dict) -> dict[str, Any]:
    group = record["datasetGroupArn"]
    changes = _ready(ctx, group, record["_useCase"], train=True)
    changes["_metrics"] = evaluate(ctx.groups.backend(group), record["_useCase"], ctx.groups.options)
    summary = {k: record.get(k) for k in ("solutionVersionArn", "trainingMode", "trainingType", "creationDateTime")}
    ctx.store.update(record["solutionArn"], {"latestSolutionVersion": {**summary, "status": "ACTIVE"}})
    return changes


def stop_solution_version(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    record = ctx.resources.get(body["solutionVersionArn"], "solution-version")
    status = record.get("status")
    if status == "CREATE PENDING":
        ctx.store.update(body["solutionVersionArn"], {"status": "CREATE STOPPED"})
    elif status == "CREATE IN_PROGRESS":
        ctx.store.update(body["solutionVersionArn"], {"status": "CREATE STOPPING"})
    else:
        raise ResourceInUseException(f"Solution version {body['solutionVersionArn']} is {status}: nothing to stop.")
    return {}


def get_solution_metrics(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    record = ctx.resources.active(body["solutionVersionArn"], "solution-version", "solutionVersionArn")
    return {"solutionVersionArn": body["solutionVersionArn"], "metrics": record.get("_metrics") or {}}


# -- recommenders ------------------------------------------------------------------
def create_recommender(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    group = ctx.resources.active(body["datasetGroupArn"], "dataset-group", "datasetGroupArn")
    recipe = RECIPES.get(body["recipeArn"])
    require(bool(group.get("domain")), "datasetGroupArn: recommenders need a domain dataset group; use a solution and a campaign.")
    if recipe is None or recipe.domain != group["domain"]:
        raise InvalidInputException(
            f"recipeArn: {body['recipeArn']} is not a {group['domain']} use case available "
            "in the local Personalize (ListRecipes with domain lists them)."
        )
    _exploration(body, "recipeArn", "recommenderConfig", recipe.recipe_type)
    record = ctx.resources.create(
        "recommender", body, parent=group["datasetGroupArn"], extra={"_useCase": recipe.use_case}
    )
    return {"recommenderArn": record["recommenderArn"]}


def update_recommender(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    record = ctx.resources.active(body["recommenderArn"], "recommender", "recommenderArn")
    _exploration(body, "recommenderArn", "recommenderConfig", RECIPES[record["recipeArn"]].recipe_type)
    request_update(ctx, record, "recommender", {"recommenderConfig": body["recommenderConfig"]})
    return {"recommenderArn": body["recommenderArn"]}


def request_update(ctx: Context, record: Mapping[str, Any], kind: str, changes: Mapping[str, Any]) -> None:
    """Record an update as CREATE PENDING in the resource's latest-update
    summary and queue it: the resource serves with its current settings until
    the worker has made the update ACTIVE (see :mod:`.jobs`). A second update
    while one is pending is ResourceInUseException, as on AWS."""
    key = UPDATE_SUMMARIES[kind]
    arn = record[KINDS[kind].arn_member]
    current = record.get(key) or {}
    if current.get("status") in UNSETTLED:
        raise ResourceInUseException(
            f"{KINDS[kind].op} {arn} has an update {current['status']}: wait until it is ACTIVE."
        )
    now = time.time()
    summary = {**changes, "status": "CREATE PENDING", "creationDateTime": now, "lastUpdatedDateTime": now}
    ctx.store.update(arn, {key: summary}, touch=False)
    ctx.jobs.submit_update(arn)


def _switch_recommender(start: bool):  # type: ignore[no-untyped-def]
    """StartRecommender / StopRecommender: START (STOP) PENDING at once, then
    the worker's IN_PROGRESS and ACTIVE (INACTIVE)."""
    def switch(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
        record = ctx.resources.get(body["recommenderArn"], "recommender")
        expected = "INACTIVE" if start else "ACTIVE"
        if record.get("status") != expected:
            raise ResourceInUseException(
                f"Recommender {body['recommenderArn']} is {record.get('status')}, not {expected}."
            )
        ctx.store.update(body["recommenderArn"], {"status": "START PENDING" if start else "STOP PENDING"})
        ctx.jobs.submit(body["recommenderArn"])
        return {"recommenderArn": body["recommenderArn"]}

    return switch


# -- campaigns -------------------------------------------------------------------
#: a campaign's solutionVersionArn naming its solution's latest version
LATEST = "/$LATEST"


def resolve_version(ctx: Context, arn: str) -> str:
    """The solution version ``arn`` names: itself, or for ``SolutionArn/$LATEST``
    the solution's latest ACTIVE version."""
    if not arn.endswith(LATEST):
        return arn
    solution = ctx.resources.get(arn[: -len(LATEST)], "solution")
    latest = (solution.get("latestSolutionVersion") or {}).get("solutionVersionArn")
    if not latest:
        raise ResourceInUseException(f"Solution {solution['solutionArn']} has no ACTIVE solution version yet.")
    return latest


def _campaign_version(ctx: Context, arn: str) -> dict[str, Any]:
    version = ctx.resources.active(resolve_version(ctx, arn), "solution-version", "solutionVersionArn")
    solution = ctx.resources.get(version["solutionArn"], "solution")
    require(solution["_recipeType"] != "USER_SEGMENTATION",
            f"solutionVersionArn: {arn} is a user-segmentation model: it serves batch segment jobs only.")
    return solution


def _check_sync(body: Mapping[str, Any], arn: str) -> None:
    if (body.get("campaignConfig") or {}).get("syncWithLatestSolutionVersion"):
        require(arn.endswith(LATEST), "campaignConfig.syncWithLatestSolutionVersion needs a solutionVersionArn "
                                      "in SolutionArn/$LATEST format.")


def create_campaign(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    _check_sync(body, body["solutionVersionArn"])
    solution = _campaign_version(ctx, body["solutionVersionArn"])
    _exploration(body, "solutionVersionArn", "campaignConfig", solution["_recipeType"])
    record = ctx.resources.create(
        "campaign", {"minProvisionedTPS": 1, **body}, parent=solution["solutionArn"],
        extra={"_useCase": solution["_useCase"], "_group": solution["datasetGroupArn"],
               "_solution": solution["solutionArn"]},
    )
    return {"campaignArn": record["campaignArn"]}


def update_campaign(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    record = ctx.resources.active(body["campaignArn"], "campaign", "campaignArn")
    _check_sync(body, body.get("solutionVersionArn") or record["solutionVersionArn"])
    solution = _campaign_version(ctx, body.get("solutionVersionArn") or record["solutionVersionArn"])
    current = record.get("_solution") or ctx.store.get(record["solutionVersionArn"])["solutionArn"]  # older records
    require(solution["solutionArn"] == current,
            "solutionVersionArn: a campaign keeps its solution; give a version of the same solution.")
    _exploration(body, "solutionVersionArn", "campaignConfig", solution["_recipeType"])
    # The summary names the settings the campaign will serve with (AWS's has all three).
    settings = {k: v for k in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
                if (v := body.get(k, record.get(k))) is not None}
    request_update(ctx, record, "campaign", settings)
    return {"campaignArn": body["campaignArn"]}


def _check_campaign_update(ctx: Context, record: dict, summary: dict) -> None:
    """A campaign's update is ACTIVE once the version it names can serve."""
    try:
        version = ctx.store.get(resolve_version(ctx, summary["solutionVersionArn"]))
    except ServiceError as err:
        raise JobFailed(err.message) from None
    if version is None or version.get("status") != "ACTIVE":
        raise JobFailed(f"Solution version {summary['solutionVersionArn']} is not ACTIVE any more.")
    _ready(ctx, record["_group"], record["_useCase"], train=False)


HANDLERS = {
    "CreateSolution": create_solution,
    "UpdateSolution": update_solution,
    "CreateSolutionVersion": create_solution_version,
    "StopSolutionVersionCreation": stop_solution_version,
    "GetSolutionMetrics": get_solution_metrics,
    "CreateRecommender": create_recommender,
    "UpdateRecommender": update_recommender,
    "StartRecommender": _switch_recommender(True),
    "StopRecommender": _switch_recommender(False),
    "CreateCampaign": create_campaign,
    "UpdateCampaign": update_campaign,
}
WORK = {
    "solution-version": _train_version,
    # A recommender trains the engine; a campaign serves what its version trained.
    "recommender": lambda ctx, record: _ready(ctx, record["datasetGroupArn"], record["_useCase"], train=True),
    "campaign": lambda ctx, record: _ready(ctx, record["_group"], record["_useCase"], train=False),
}
#: what checks an update before it is applied (kinds not named need no check)
UPDATES = {"campaign": _check_campaign_update}
