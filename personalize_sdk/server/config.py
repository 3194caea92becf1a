"""What the local Personalize serves: ARNs, tracking ids, filters, keys, faults.

Resources are named the way AWS names them, in a region and account of their
own so that no local ARN can be mistaken for a real one::

    arn:aws:personalize:local:000000000000:recommender/recommended_for_you
    arn:aws:personalize:local:000000000000:campaign/personalized-ranking
    arn:aws:personalize:local:000000000000:filter/not_bought
    arn:aws:personalize:local:000000000000:dataset/local/ITEMS

A recommender or a campaign stands for one use case of the SDK
(``recommended_for_you``, ``also_viewed``, ``bought_together``,
``best_sellers``, ``most_viewed``) or, for campaigns only, for personalized
ranking (:data:`RANKING`). By default there is one recommender and one campaign
per use case, named after it, and a ranking campaign ``personalized-ranking``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from ..exceptions import ConfigurationError
from ..use_cases import USE_CASES

#: the "use case" of a Personalized-Ranking campaign
RANKING = "personalized_ranking"
#: the kinds of fault the fault switch can answer with
FAULT_KINDS = ("throttling", "internal", "unavailable")

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
_REGION = re.compile(r"^[a-z0-9-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")


def _default_recommenders() -> dict[str, str]:
    return {use_case: use_case for use_case in USE_CASES}


def _default_campaigns() -> dict[str, str]:
    campaigns = {use_case: use_case for use_case in USE_CASES}
    campaigns["personalized-ranking"] = RANKING
    return campaigns


@dataclass(frozen=True)
class ServerConfig:
    """Settings of the server; every field has a working default.

    Build it with keywords, from a mapping (:meth:`from_mapping`, unknown keys
    are an error) or from a JSON file (:meth:`from_file`).
    """

    #: region and account written into every ARN
    region: str = "local"
    account_id: str = "000000000000"
    partition: str = "aws"
    #: the dataset group holding the ITEMS and USERS datasets
    dataset_group: str = "local"
    #: tracking ids PutEvents accepts
    tracking_ids: tuple[str, ...] = ("local-tracking-id",)
    #: recommender name -> use case
    recommenders: Mapping[str, str] = field(default_factory=_default_recommenders)
    #: campaign name -> use case, or :data:`RANKING` for a Personalized-Ranking campaign
    campaigns: Mapping[str, str] = field(default_factory=_default_campaigns)
    #: filter name -> filter expression
    filters: Mapping[str, str] = field(default_factory=dict)
    #: access key id -> secret access key; empty means no authentication
    access_keys: Mapping[str, str] = field(default_factory=dict)
    #: share of requests (0 to 1) answered with a throttling error or a 5xx
    fault_rate: float = 0.0
    #: seed of the fault switch's random draws (``None``: unseeded)
    fault_seed: int | None = None
    #: which faults to answer with (a subset of :data:`FAULT_KINDS`)
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    #: enforce the userId/itemId each ECOMMERCE recommender and recipe type
    #: requires in production (reference 3.3), not just what the SDK needs
    strict_inputs: bool = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.region, str) or not _REGION.match(self.region):
            raise ConfigurationError(
                f"Server 'region' must be lower-case letters, digits and '-', not {self.region!r}"
            )
        if not isinstance(self.account_id, str) or not _ACCOUNT.match(self.account_id):
            raise ConfigurationError(
                f"Server 'account_id' must be 12 digits, not {self.account_id!r}"
            )
        if not isinstance(self.partition, str) or not _REGION.match(self.partition):
            raise ConfigurationError(
                f"Server 'partition' must be like 'aws', not {self.partition!r}"
            )
        if not isinstance(self.dataset_group, str) or not _NAME.match(self.dataset_group):
            raise ConfigurationError(
                f"Server 'dataset_group' must be a resource name, not {self.dataset_group!r}"
            )
        tracking_ids = (
            (self.tracking_ids,) if isinstance(self.tracking_ids, str) else tuple(self.tracking_ids)
        )
        for tracking_id in tracking_ids:
            if not isinstance(tracking_id, str) or not 1 <= len(tracking_id) <= 256:
                raise ConfigurationError(
                    f"Server 'tracking_ids' must be strings of 1 to 256 characters: {tracking_id!r}"
                )
        set_(self, "tracking_ids", tracking_ids)
        set_(
            self,
            "recommenders",
            self._check_resources(self.recommenders, "recommenders", ranking=False),
        )
        set_(self, "campaigns", self._check_resources(self.campaigns, "campaigns", ranking=True))
        set_(self, "filters", self._check_filters(self.filters))
        set_(self, "access_keys", self._check_keys(self.access_keys))
        rate = self.fault_rate
        if (
            isinstance(rate, bool)
            or not isinstance(rate, (int, float))
            or not math.isfinite(rate)
            or not 0 <= rate <= 1
        ):
            raise ConfigurationError(
                f"Server 'fault_rate' must be a number from 0 to 1, not {rate!r}"
            )
        set_(self, "fault_rate", float(rate))
        if self.fault_seed is not None and (
            isinstance(self.fault_seed, bool) or not isinstance(self.fault_seed, int)
        ):
            raise ConfigurationError(
                f"Server 'fault_seed' must be an integer, not {self.fault_seed!r}"
            )
        kinds = (
            (self.fault_kinds,) if isinstance(self.fault_kinds, str) else tuple(self.fault_kinds)
        )
        unknown = sorted(set(kinds) - set(FAULT_KINDS))
        if unknown or not kinds:
            raise ConfigurationError(
                "Server 'fault_kinds' must be a non-empty subset of "
                f"{', '.join(FAULT_KINDS)} (got {list(kinds)})"
            )
        set_(self, "fault_kinds", kinds)

    @staticmethod
    def _check_resources(value: Any, option: str, *, ranking: bool) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                f"Server {option!r} must be a mapping of resource name to use case"
            )
        allowed = set(USE_CASES) | ({RANKING} if ranking else set())
        checked = {}
        for name, use_case in value.items():
            if not isinstance(name, str) or not _NAME.match(name) or len(name) > 63:
                raise ConfigurationError(
                    f"Server {option!r}: {name!r} is not a resource name "
                    "(1 to 63 letters, digits, '-' and '_', starting with a letter or digit)"
                )
            if use_case not in allowed:
                raise ConfigurationError(
                    f"Server {option!r}: {name!r} maps to {use_case!r}, "
                    f"which is none of {', '.join(sorted(allowed))}"
                )
            checked[name] = use_case
        return checked

    @staticmethod
    def _check_filters(value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                "Server 'filters' must be a mapping of filter name to expression"
            )
        checked = {}
        for name, expression in value.items():
            if not isinstance(name, str) or not _NAME.match(name) or len(name) > 63:
                raise ConfigurationError(f"Server 'filters': {name!r} is not a filter name")
            if not isinstance(expression, str) or not 1 <= len(expression) <= 2500:
                raise ConfigurationError(
                    f"Server 'filters': the expression of {name!r} must be 1 to 2500 characters"
                )
            checked[name] = expression
        return checked

    @staticmethod
    def _check_keys(value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                "Server 'access_keys' must be a mapping of access key id to secret"
            )
        for key, secret in value.items():
            if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
                raise ConfigurationError(
                    "Server 'access_keys' must map non-empty key ids to non-empty secrets"
                )
        return dict(value)

    # -- construction ----------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "ServerConfig":
        """Build from a mapping of field names (the JSON file's shape)."""
        if not isinstance(data, Mapping):
            raise ConfigurationError("The server configuration must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(
                f"Unknown server setting(s): {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        return cls(**dict(data))

    @classmethod
    def from_file(cls, path: str) -> "ServerConfig":
        """Read a JSON file holding :meth:`from_mapping`'s shape."""
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as err:
            raise ConfigurationError(
                f"Cannot read the server configuration {path!r}: {err}"
            ) from err
        except ValueError as err:
            raise ConfigurationError(
                f"The server configuration {path!r} is not valid JSON: {err}"
            ) from err
        return cls.from_mapping(data)

    def replace(self, **changes: Any) -> "ServerConfig":
        return replace(self, **changes)

    # -- ARNs ------------------------------------------------------------
    def arn(self, resource: str) -> str:
        """The ARN of ``resource`` (``"recommender/best_sellers"``) in this region and account."""
        return f"arn:{self.partition}:personalize:{self.region}:{self.account_id}:{resource}"

    def recommender_arn(self, name: str) -> str:
        return self.arn(f"recommender/{name}")

    def campaign_arn(self, name: str) -> str:
        return self.arn(f"campaign/{name}")

    def filter_arn(self, name: str) -> str:
        return self.arn(f"filter/{name}")

    @property
    def items_dataset_arn(self) -> str:
        return self.arn(f"dataset/{self.dataset_group}/ITEMS")

    @property
    def users_dataset_arn(self) -> str:
        return self.arn(f"dataset/{self.dataset_group}/USERS")

    def resolve(self, arn: str, kind: str) -> str | None:
        """The name of the ``kind`` resource (``"recommender"``, ``"campaign"``,
        ``"filter"``) that ``arn`` names here, or ``None``."""
        prefix = self.arn(f"{kind}/")
        if not arn.startswith(prefix):
            return None
        name = arn[len(prefix) :]
        table = {
            "recommender": self.recommenders,
            "campaign": self.campaigns,
            "filter": self.filters,
        }[kind]
        return name if name in table else None

    def describe(self) -> dict[str, Any]:
        """Every ARN and tracking id served, for the start-up banner and docs."""
        return {
            "tracking_ids": list(self.tracking_ids),
            "items_dataset_arn": self.items_dataset_arn,
            "users_dataset_arn": self.users_dataset_arn,
            "recommenders": {self.recommender_arn(n): uc for n, uc in self.recommenders.items()},
            "campaigns": {self.campaign_arn(n): uc for n, uc in self.campaigns.items()},
            "filters": {self.filter_arn(n): expr for n, expr in self.filters.items()},
            "authentication": "SigV4" if self.access_keys else "off",
            "fault_rate": self.fault_rate,
        }
