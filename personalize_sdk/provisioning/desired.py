"""The desired state of a Personalize dataset group, read from a plain dict.

    desired = desired_state({
        "dataset_group": "shop",
        "domain": "ECOMMERCE",                       # or "custom"
        "filters": {"not_bought": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")'},
        "recommenders": {"recommended_for_you": {"exploration_weight": 0.3}, "best_sellers": {}},
    })

Every key is checked: an unknown key or a malformed value raises
:class:`~personalize_sdk.exceptions.ConfigurationError` naming it, so a typo
never turns into a silent default (and never into an AWS bill).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..dataset.csv_format import DATASET_TYPES, INTERACTIONS, DatasetFormat, default_format
from ..exceptions import ConfigurationError
from ..use_cases import USE_CASES

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"
ECOMMERCE = "ECOMMERCE"

#: the ECOMMERCE recommender recipe of each use case (reference section 3.3)
ECOMMERCE_RECIPES = {
    "recommended_for_you": RECIPE_PREFIX + "aws-ecomm-recommended-for-you",
    "also_viewed": RECIPE_PREFIX + "aws-ecomm-customers-who-viewed-x-also-viewed",
    "bought_together": RECIPE_PREFIX + "aws-ecomm-frequently-bought-together",
    "best_sellers": RECIPE_PREFIX + "aws-ecomm-popular-items-by-purchases",
    "most_viewed": RECIPE_PREFIX + "aws-ecomm-popular-items-by-views",
}

#: the key of the personalized-ranking solution (not a use case: Client.rank uses it)
RANKING = "ranking"

#: custom recipe and training event type per use case, for groups whose data fits no domain
CUSTOM_SOLUTIONS: dict[str, tuple[str, str | None]] = {
    "recommended_for_you": ("aws-user-personalization-v2", None),
    "also_viewed": ("aws-similar-items", "View"),
    "bought_together": ("aws-similar-items", "Purchase"),
    "best_sellers": ("aws-popularity-count", "Purchase"),
    "most_viewed": ("aws-popularity-count", "View"),
    RANKING: ("aws-personalized-ranking-v2", None),
}
#: what a custom group gets when ``solutions`` is not given (5 active campaigns is the default quota)
DEFAULT_CUSTOM_SOLUTIONS = ("recommended_for_you", "also_viewed", "best_sellers", RANKING)

#: recipes that take ``itemExplorationConfig`` (the v2 recipe manages exploration itself)
EXPLORATION_RECIPES = frozenset({RECIPE_PREFIX + "aws-user-personalization"})
EXPLORATION_USE_CASES = frozenset({"recommended_for_you"})

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
_KMS = re.compile(r"^arn:aws.*:kms:.*:[0-9]{12}:key/.*$")
_ROLE = re.compile(r"^arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_SCHEDULE = re.compile(r"^rate\(\d+ days?\)$")

TOP_LEVEL_KEYS = frozenset({
    "dataset_group", "domain", "kms_key_arn", "role_arn", "region_name", "datasets", "schemas",
    "event_tracker", "filters", "recommenders", "solutions", "train", "tags",
})


@dataclass(frozen=True)
class RecommenderSpec:
    use_case: str
    name: str
    recipe_arn: str
    #: ``recommenderConfig`` as CreateRecommender takes it (may be empty)
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SolutionSpec:
    """A solution, its first trained version and the campaign that serves it."""

    key: str
    name: str
    recipe_arn: str
    event_type: str | None
    perform_auto_training: bool
    solution_config: dict[str, Any]
    campaign_name: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]


@dataclass(frozen=True)
class Desired:
    dataset_group: str
    domain: str | None
    kms_key_arn: str | None
    role_arn: str | None
    region_name: str | None
    #: dataset type -> (schema name, Avro schema JSON)
    schemas: dict[str, tuple[str, str]]
    datasets: dict[str, str]  # dataset type -> dataset name
    event_tracker: str | None
    filters: dict[str, str]
    recommenders: tuple[RecommenderSpec, ...]
    solutions: tuple[SolutionSpec, ...]
    train: bool
    tags: tuple[dict[str, str], ...]


def _fail(key: str, rule: str) -> ConfigurationError:
    return ConfigurationError(f"Provisioning setting {key!r}: {rule}")


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value) or len(value) > 63:
        raise _fail(
            key, f"must be 1 to 63 letters, digits, '-' and '_', starting with a letter or digit (got {value!r})"
        )
    return value


def _options(value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
    if value is None or value is True:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(key, "must be a mapping of options (or True for the defaults)")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(key, f"unknown option {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    return dict(value)


def _by_key(value: Any, key: str, defaults: tuple[str, ...]) -> dict[str, Any]:
    """A mapping of name -> options, or a list of names, or None for ``defaults``."""
    if value is None:
        return {k: {} for k in defaults}
    if isinstance(value, (list, tuple)):
        return {k: {} for k in value}
    if not isinstance(value, Mapping):
        raise _fail(key, "must be a mapping of use case to options, or a list of use cases")
    return {k: v for k, v in value.items() if v is not False}


def _exploration(options: dict[str, Any], key: str) -> dict[str, str]:
    config = {}
    weight = options.get("exploration_weight")
    if weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise _fail(f"{key}.exploration_weight", "must be a number from 0 to 1")
        config["explorationWeight"] = str(weight)
    cut_off = options.get("exploration_item_age_cut_off")
    if cut_off is not None:
        if isinstance(cut_off, bool) or not isinstance(cut_off, (int, float)) or cut_off < 1:
            raise _fail(f"{key}.exploration_item_age_cut_off", "must be a number of days, at least 1")
        config["explorationItemAgeCutOff"] = str(cut_off)
    return config


_SCHEMA_RULE = "must be an Avro schema (JSON text or dict), a DatasetFormat, or {name, schema}"


def _schema(value: Any, dataset_type: str, group: str) -> tuple[str, str]:
    name = f"{group}-{dataset_type.lower()}"
    if value is None or value is True:
        return name, default_format(dataset_type).schema_json()
    if isinstance(value, DatasetFormat):
        return name, value.schema_json()
    key = f"schemas.{dataset_type}"
    if isinstance(value, Mapping) and "fields" not in value:
        options = _options(value, key, {"name", "schema"})
        name = _name(options.get("name", name), f"{key}.name")
        return name, _schema(options.get("schema"), dataset_type, group)[1]
    if isinstance(value, Mapping):
        return name, json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise _fail(key, _SCHEMA_RULE) from None
        return name, json.dumps(parsed, separators=(",", ":"))
    raise _fail(key, _SCHEMA_RULE)


def _recommenders(value: Any, group: str) -> tuple[RecommenderSpec, ...]:
    specs = []
    allowed = {"name", "exploration_weight", "exploration_item_age_cut_off",
               "min_recommendation_requests_per_second", "enable_metadata_with_recommendations"}
    for use_case, raw in _by_key(value, "recommenders", tuple(ECOMMERCE_RECIPES)).items():
        key = f"recommenders.{use_case}"
        if use_case not in ECOMMERCE_RECIPES:
            raise _fail(key, f"unknown use case; known use cases: {', '.join(USE_CASES)}")
        options = _options(raw, key, allowed)
        config: dict[str, Any] = {}
        exploration = _exploration(options, key)
        if exploration:
            if use_case not in EXPLORATION_USE_CASES:
                raise _fail(key, "exploration settings apply to recommended_for_you only (popular and related-item "
                                 "recommenders do not explore)")
            config["itemExplorationConfig"] = exploration
        rps = options.get("min_recommendation_requests_per_second")
        if rps is not None:
            if isinstance(rps, bool) or not isinstance(rps, int) or rps < 1:
                raise _fail(f"{key}.min_recommendation_requests_per_second", "must be a whole number, at least 1")
            config["minRecommendationRequestsPerSecond"] = rps
        if options.get("enable_metadata_with_recommendations") is not None:
            config["enableMetadataWithRecommendations"] = bool(options["enable_metadata_with_recommendations"])
        name = _name(options.get("name", f"{group}-{use_case.replace('_', '-')}"), f"{key}.name")
        specs.append(RecommenderSpec(use_case, name, ECOMMERCE_RECIPES[use_case], config))
    return tuple(specs)


def _recipe_arn(value: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(key, "must be a recipe name (user-personalization-v2) or ARN")
    if value.startswith("arn:"):
        return value
    return RECIPE_PREFIX + (value if value.startswith("aws-") else f"aws-{value}")


def _solutions(value: Any, group: str, defaults: tuple[str, ...]) -> tuple[SolutionSpec, ...]:
    specs = []
    allowed = {"name", "recipe", "event_type", "perform_auto_training", "auto_training_schedule", "solution_config",
               "campaign_name", "min_provisioned_tps", "exploration_weight", "exploration_item_age_cut_off",
               "enable_metadata_with_recommendations", "sync_with_latest_solution_version"}
    for key_name, raw in _by_key(value, "solutions", defaults).items():
        key = f"solutions.{key_name}"
        if key_name not in CUSTOM_SOLUTIONS:
            raise _fail(key, f"unknown use case; known: {', '.join(CUSTOM_SOLUTIONS)}")
        options = _options(raw, key, allowed)
        default_recipe, default_event = CUSTOM_SOLUTIONS[key_name]
        recipe_arn = _recipe_arn(options.get("recipe", default_recipe), f"{key}.recipe")
        solution_config = dict(options.get("solution_config") or {})
        schedule = options.get("auto_training_schedule")
        if schedule is not None:
            if not isinstance(schedule, str) or not _SCHEDULE.match(schedule):
                raise _fail(f"{key}.auto_training_schedule", "must look like 'rate(7 days)' (1 to 30 days)")
            solution_config["autoTrainingConfig"] = {"schedulingExpression": schedule}
        campaign_config: dict[str, Any] = {}
        exploration = _exploration(options, key)
        if exploration and recipe_arn not in EXPLORATION_RECIPES:
            raise _fail(key, "exploration settings apply to the user-personalization recipe only "
                             "(user-personalization-v2 manages exploration itself)")
        if recipe_arn in EXPLORATION_RECIPES:
            campaign_config["itemExplorationConfig"] = {
                "explorationWeight": "0.3", "explorationItemAgeCutOff": "30", **exploration}
        metadata = options.get("enable_metadata_with_recommendations")
        if metadata is not None:
            campaign_config["enableMetadataWithRecommendations"] = bool(metadata)
        # Following the latest version means the weekly automatic retraining reaches shoppers unaided.
        sync = options.get("sync_with_latest_solution_version", True)
        campaign_config["syncWithLatestSolutionVersion"] = bool(sync)
        tps = options.get("min_provisioned_tps", 1)
        if isinstance(tps, bool) or not isinstance(tps, int) or tps < 1:
            raise _fail(f"{key}.min_provisioned_tps", "must be a whole number, at least 1")
        name = _name(options.get("name", f"{group}-{key_name.replace('_', '-')}"), f"{key}.name")
        specs.append(SolutionSpec(
            key=key_name, name=name, recipe_arn=recipe_arn, event_type=options.get("event_type", default_event),
            perform_auto_training=bool(options.get("perform_auto_training", True)), solution_config=solution_config,
            campaign_name=_name(options.get("campaign_name", name), f"{key}.campaign_name"),
            min_provisioned_tps=tps, campaign_config=campaign_config,
        ))
    return tuple(specs)


def _filters(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail("filters", "must be a mapping of filter name to expression")
    from ..exceptions import FilterSyntaxError
    from ..filters import parse

    checked = {}
    for name, expression in value.items():
        _name(name, f"filters.{name}")
        if not isinstance(expression, str) or not 1 <= len(expression) <= 2500:
            raise _fail(f"filters.{name}", "must be an expression of 1 to 2,500 characters")
        try:
            parse(expression)
        except FilterSyntaxError as err:
            raise _fail(f"filters.{name}", str(err)) from err
        checked[name] = expression
    return checked


def desired_state(config: Mapping[str, Any] | Desired) -> Desired:
    """Check ``config`` and fill in the defaults. See ``docs/aws-provisioning.rst``."""
    if isinstance(config, Desired):
        return config
    if not isinstance(config, Mapping):
        raise ConfigurationError("The provisioning settings must be a mapping")
    unknown = sorted(set(config) - TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    group = _name(config.get("dataset_group"), "dataset_group")
    domain = config.get("domain", ECOMMERCE)
    if domain in (None, "custom", "CUSTOM"):
        domain = None
    elif domain != ECOMMERCE:
        raise _fail("domain", f"must be 'ECOMMERCE' or 'custom' (got {domain!r})")
    kms, role = config.get("kms_key_arn"), config.get("role_arn")
    if kms is not None and (not isinstance(kms, str) or not _KMS.match(kms)):
        raise _fail("kms_key_arn", "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    if role is not None and (not isinstance(role, str) or not _ROLE.match(role)):
        raise _fail("role_arn", "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    if role and not kms:
        raise _fail("role_arn", "is only used with kms_key_arn (the role must be able to use the key)")
    if kms and not role:
        raise _fail("kms_key_arn", "needs role_arn too: a role Personalize assumes to use the key")
    types = config.get("datasets", DATASET_TYPES)
    if not isinstance(types, (list, tuple)) or any(t not in DATASET_TYPES for t in types):
        raise _fail("datasets", f"must be a list of dataset types among {', '.join(DATASET_TYPES)}")
    if types and INTERACTIONS not in types:
        raise _fail("datasets", "must include Interactions (the only dataset Personalize requires)")
    raw_schemas = config.get("schemas") or {}
    if not isinstance(raw_schemas, Mapping) or set(raw_schemas) - set(DATASET_TYPES):
        raise _fail("schemas", f"must be a mapping whose keys are among {', '.join(DATASET_TYPES)}")
    schemas = {t: _schema(raw_schemas.get(t), t, group) for t in types}
    tracker = config.get("event_tracker", True)
    if tracker is True:
        tracker = f"{group}-tracker"
    elif tracker in (False, None):
        tracker = None
    else:
        tracker = _name(tracker, "event_tracker")
    if domain is None and config.get("recommenders"):
        raise _fail("recommenders", "need the ECOMMERCE domain; custom groups use solutions and campaigns")
    recommenders = _recommenders(config.get("recommenders"), group) if domain else ()
    default_solutions = () if domain else DEFAULT_CUSTOM_SOLUTIONS
    solutions = _solutions(config.get("solutions"), group, default_solutions)
    campaign_keys = {s.key for s in solutions}
    served_twice = sorted(campaign_keys & {r.use_case for r in recommenders})
    if served_twice:
        raise _fail("solutions", f"{served_twice[0]!r} is served by a recommender already; map each use case once")
    tags = config.get("tags") or {}
    if not isinstance(tags, Mapping):
        raise _fail("tags", "must be a mapping of tag key to value")
    return Desired(
        dataset_group=group, domain=domain, kms_key_arn=kms, role_arn=role, region_name=config.get("region_name"),
        schemas=schemas, datasets={t: f"{group}-{t.lower()}" for t in types}, event_tracker=tracker,
        filters=_filters(config.get("filters")), recommenders=recommenders, solutions=solutions,
        train=bool(config.get("train", True)),
        tags=tuple({"tagKey": str(k), "tagValue": str(v)} for k, v in tags.items()),
    )
