"""The control plane: every operation of botocore's ``personalize`` model.

:class:`ControlPlane` checks each request against the model, dispatches it
to its handler (a resource kind's own, or the generic Describe, List and
Delete every kind shares) and cuts the answer down to the output shape.
Operations that mean nothing without AWS's infrastructure answer a modeled
InvalidInputException saying so, never a 404.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from ..config import ServerConfig
from ..errors import InvalidInputException, ResourceNotFoundException, UnknownOperationException
from . import batch, datasets, imports, training
from .context import Context
from .groups import ExploringBackend, GroupEngines, GroupView, exploration_settings
from .jobs import JobRunner
from .model import ServiceModel, service_model
from .recipes import RECIPES, list_recipes
from .resources import BY_OP, Resources, page
from .s3 import S3Mapping
from .store import ResourceStore

logger = logging.getLogger("personalize_sdk.server")

Handler = Callable[[Context, Mapping[str, Any]], Mapping[str, Any]]

#: operations whose resources exist only on AWS (algorithms, feature transformations)
NOT_LOCAL = {
    "DescribeAlgorithm": "algorithms (the local engine's are not AWS's containers)",
    "DescribeFeatureTransformation": "feature transformations",
}


def _describe_recipe(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    recipe = RECIPES.get(body["recipeArn"])
    if recipe is None:
        raise ResourceNotFoundException(f"Recipe {body['recipeArn']} does not exist in the local Personalize.")
    return {"recipe": recipe.describe()}


def _list_recipes(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    return page(list_recipes(body.get("domain")), body, "ListRecipes", "recipes")


def _create_import_job(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    imports.check_import_request(ctx, body)
    record = ctx.resources.create(
        "dataset-import-job", {"importMode": "FULL", **body}, parent=body["datasetArn"]
    )
    return {"datasetImportJobArn": record["datasetImportJobArn"]}


def _create_export_job(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    ctx.resources.active(body["datasetArn"], "dataset", "datasetArn")
    ctx.s3.path(body["jobOutput"]["s3DataDestination"]["path"], "jobOutput.s3DataDestination.path")
    record = ctx.resources.create(
        "dataset-export-job", {"ingestionMode": "PUT", **body}, parent=body["datasetArn"]
    )
    return {"datasetExportJobArn": record["datasetExportJobArn"]}


HANDLERS: dict[str, Handler] = {
    **datasets.HANDLERS,
    **training.HANDLERS,
    **batch.HANDLERS,
    "CreateDatasetImportJob": _create_import_job,
    "CreateDatasetExportJob": _create_export_job,
    "DescribeRecipe": _describe_recipe,
    "ListRecipes": _list_recipes,
    "TagResource": lambda ctx, body: ctx.resources.tag(body),
    "UntagResource": lambda ctx, body: ctx.resources.untag(body),
    "ListTagsForResource": lambda ctx, body: ctx.resources.list_tags(body),
}
WORK = {
    **datasets.WORK,
    **training.WORK,
    **batch.WORK,
    "dataset-import-job": imports.import_dataset,
    "dataset-export-job": imports.export_dataset,
}


class ControlPlane:
    """The ``personalize`` API over a resource store under ``path``.

    ``s3_root`` is the folder standing for S3 (see :mod:`.s3`);
    ``engine_options`` are given to each dataset group's local engine
    (``min_data_scale``, ``event_weights``...).
    """

    def __init__(
        self,
        config: ServerConfig,
        *,
        path: str | None = None,
        s3_root: str | None = None,
        engine_options: Mapping[str, Any] | None = None,
        model: ServiceModel | None = None,
    ) -> None:
        self.ctx = Context(
            config=config, model=model or service_model(), store=ResourceStore(path), s3=S3Mapping(s3_root)
        )
        self.ctx.resources = Resources(self.ctx)
        self.ctx.groups = GroupEngines(path, engine_options)
        for group in self.ctx.store.list("dataset-group"):
            self._reopen_filters(group[1]["datasetGroupArn"])
        self.ctx.jobs = JobRunner(self.ctx, WORK, datasets.CLEANUP, training.UPDATES)
        resumed = self.ctx.jobs.resume()
        if resumed:
            logger.info("Resumed %d pending control-plane jobs", resumed)

    @property
    def target_prefix(self) -> str:
        return self.ctx.model.target_prefix

    def _reopen_filters(self, group_arn: str) -> None:
        filters = {r["filterArn"]: r["filterExpression"] for _, r in self.ctx.store.list("filter", group_arn)
                   if r.get("status") == "ACTIVE"}
        if filters:
            self.ctx.groups.configure_filters(group_arn, filters)

    def handle(self, operation: str, body: Any) -> dict[str, Any]:
        """Answer one operation: its output members, or raise :class:`ServiceError`."""
        model = self.ctx.model
        if operation not in model.operations:
            raise UnknownOperationException(f"{operation} is not an operation of {model.target_prefix}.")
        if operation in NOT_LOCAL:
            raise InvalidInputException(f"{operation}: {NOT_LOCAL[operation]} are not available in the local Personalize.")
        body = model.validate(operation, body)
        handler = HANDLERS.get(operation) or self._generic(operation)
        return model.output(operation, handler(self.ctx, body))

    def _generic(self, operation: str) -> Handler:
        for verb, method in (("Describe", "describe"), ("List", "list"), ("Delete", "delete")):
            rest = operation[len(verb) :]
            if operation.startswith(verb) and (rest in BY_OP or rest[:-1] in BY_OP):
                bound = getattr(self.ctx.resources, method)
                return lambda ctx, body: bound(operation, body)
        raise InvalidInputException(f"{operation} is not available in the local Personalize.")

    # -- the runtime's side ------------------------------------------------
    def serving(self, payload: Mapping[str, Any]) -> tuple[Any, GroupView] | None:
        """The backend and view a runtime or events request names (by
        recommenderArn, campaignArn, trackingId or datasetArn), or ``None``
        when it names nothing created here (the static configuration's turn)."""
        store = self.ctx.store
        for member in ("recommenderArn", "campaignArn", "datasetArn"):
            arn = payload.get(member) if isinstance(payload, Mapping) else None
            if not isinstance(arn, str):
                continue
            record = store.get(arn)
            if record is None:
                continue
            group = record.get("datasetGroupArn") or record.get("_group")
            backend: Any = self.ctx.groups.backend(group)
            settings = exploration_settings(record)
            if settings:
                backend = ExploringBackend(backend, settings)
            return backend, GroupView(self.ctx, group)
        tracking_id = payload.get("trackingId") if isinstance(payload, Mapping) else None
        if isinstance(tracking_id, str):
            for _, tracker in store.list("event-tracker"):
                if tracker.get("trackingId") == tracking_id:
                    group = tracker["datasetGroupArn"]
                    return self.ctx.groups.backend(group), GroupView(self.ctx, group)
        return None

    def close(self) -> None:
        self.ctx.jobs.close()
        self.ctx.groups.close()
        self.ctx.store.close()
