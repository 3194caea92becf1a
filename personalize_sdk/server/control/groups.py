"""One local engine per dataset group, and the runtime's view of each.

Each dataset group gets its own :class:`~personalize_sdk.backends.local.LocalBackend`
under ``<path>/dataset-groups/<name>/`` (in memory without a path), so that
the imports, the events sent through its event tracker and the
recommendations of one group never mix with another's, as on AWS. The
server's own backend keeps serving the static configuration.

The runtime (:mod:`~personalize_sdk.server.operations`) asks a configuration
for ARNs (``resolve(arn, kind)``, ``recommenders[name]``...). :class:`GroupView`
answers those questions from the store for one dataset group, so the same
handlers serve the recommenders, campaigns, filters and event trackers
created through the control plane.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from typing import Any, Mapping

from ...backends.local import LocalBackend
from ...engine.scoring import Scorer
from ...filters import parse
from ...recommendations import RecommendationList
from ...use_cases import RankingRequest, RecommendationRequest
from .context import Context


class GroupEngines:
    """The engines of the dataset groups, opened on first use."""

    def __init__(self, folder: str | None, options: Mapping[str, Any] | None = None) -> None:
        self.folder = folder
        # Trained when a solution version, recommender or campaign asks, as on AWS.
        self.options = {"auto_train": False, **dict(options or {})}
        self.options.pop("path", None)
        self._backends: dict[str, LocalBackend] = {}
        self._lock = threading.Lock()

    def _path(self, name: str) -> str | None:
        return os.path.join(self.folder, "dataset-groups", name) if self.folder else None

    def backend(self, group_arn: str) -> LocalBackend:
        name = group_arn.rsplit("/", 1)[-1]
        with self._lock:
            backend = self._backends.get(name)
            if backend is None:
                path = self._path(name)
                if path:
                    os.makedirs(path, exist_ok=True)
                backend = self._backends[name] = LocalBackend(path, **self.options)
            return backend

    def configure_filters(self, group_arn: str, filters: Mapping[str, str]) -> None:
        """Give the group's engine its ACTIVE filters, keyed by ARN."""
        self.backend(group_arn).configure_filters({arn: parse(e) for arn, e in filters.items()})

    def drop(self, group_arn: str) -> None:
        """Close the group's engine and delete its data (DeleteDatasetGroup)."""
        name = group_arn.rsplit("/", 1)[-1]
        with self._lock:
            backend = self._backends.pop(name, None)
        if backend is not None:
            backend.close()
        path = self._path(name)
        if path and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            backends, self._backends = list(self._backends.values()), {}
        for backend in backends:
            backend.close()


class ExploringBackend:
    """A group's engine serving with a campaign's or recommender's own
    itemExplorationConfig (the engine's other settings stay)."""

    def __init__(self, backend: LocalBackend, exploration: Mapping[str, str]) -> None:
        self.backend = backend
        engine = backend.engine
        changes: dict[str, float] = {}
        if "explorationWeight" in exploration:
            changes["exploration_weight"] = float(exploration["explorationWeight"])
        if "explorationItemAgeCutOff" in exploration:
            changes["exploration_item_age_cutoff"] = float(exploration["explorationItemAgeCutOff"])
        self.config = dataclasses.replace(engine.config, **changes)
        self.scorer = Scorer(engine.store, self.config, engine.filters)

    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        return self.scorer.recommend(self.backend.engine.model, request)

    def rank(self, request: RankingRequest) -> RecommendationList:
        return self.scorer.rank(self.backend.engine.model, request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def exploration_settings(record: Mapping[str, Any]) -> dict[str, str]:
    """The itemExplorationConfig of a campaign or recommender description."""
    config = record.get("campaignConfig") or record.get("recommenderConfig") or {}
    return dict(config.get("itemExplorationConfig") or {})


def check_exploration(settings: Mapping[str, str], member: str) -> dict[str, float]:
    """explorationWeight in [0, 1], explorationItemAgeCutOff at least 1 day
    (reference 3.4); ValueError naming the key and the rule."""
    checked = {}
    for key, low, high in (("explorationWeight", 0.0, 1.0), ("explorationItemAgeCutOff", 1.0, None)):
        if key not in settings:
            continue
        try:
            value = float(settings[key])
        except ValueError:
            raise ValueError(f"{member}.{key} must be a number, not {settings[key]!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{member}.{key} must be {bound}, not {settings[key]}")
        checked[key] = value
    unknown = sorted(set(settings) - {"explorationWeight", "explorationItemAgeCutOff"})
    if unknown:
        raise ValueError(f"{member}: unknown key {unknown[0]!r} (explorationWeight, explorationItemAgeCutOff)")
    return checked


class GroupView:
    """What :class:`~personalize_sdk.server.operations.Operations` reads of a
    :class:`~personalize_sdk.server.config.ServerConfig`, for one dataset group.

    Names are the ARNs themselves: ``resolve(arn, kind)`` answers ``arn``
    when the resource is ACTIVE in this group, and ``recommenders[arn]``
    its use case.
    """

    def __init__(self, ctx: Context, group_arn: str) -> None:
        self.ctx = ctx
        self.group_arn = group_arn
        self.strict_inputs = ctx.config.strict_inputs
        store = ctx.store

        def active(kind: str) -> list[dict[str, Any]]:
            return [r for _, r in store.list(kind, group_arn) if r.get("status") == "ACTIVE"]

        self.recommenders = {r["recommenderArn"]: r["_useCase"] for r in active("recommender")}
        self.campaigns: dict[str, str] = {}
        for solution in store.list("solution", group_arn):
            for _, campaign in store.list("campaign", solution[1]["solutionArn"]):
                if campaign.get("status") == "ACTIVE":
                    self.campaigns[campaign["campaignArn"]] = campaign["_useCase"]
        self.filters = {r["filterArn"]: r["filterExpression"] for r in active("filter")}
        self.tracking_ids = tuple(r["trackingId"] for r in active("event-tracker"))
        datasets = {r.get("_type"): r["datasetArn"] for _, r in store.list("dataset", group_arn)}
        self.items_dataset_arn = datasets.get("Items", "")
        self.users_dataset_arn = datasets.get("Users", "")

    def resolve(self, arn: str, kind: str) -> str | None:
        table = {"recommender": self.recommenders, "campaign": self.campaigns, "filter": self.filters}[kind]
        return arn if arn in table else None

    def __getattr__(self, name: str) -> Any:
        # Any other setting the handlers read (region, strictness...) is the server's.
        if name == "ctx":  # not set yet: never recurse
            raise AttributeError(name)
        return getattr(self.ctx.config, name)
