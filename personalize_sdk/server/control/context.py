"""What the control plane's handlers share: one object, built once per server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the modules below import this one
    from ..config import ServerConfig
    from .groups import GroupEngines
    from .jobs import JobRunner
    from .model import ServiceModel
    from .resources import Resources
    from .s3 import S3Mapping
    from .store import ResourceStore


@dataclass
class Context:
    """The store, the model, the configuration and the services around them.

    ``resources``, ``jobs`` and ``groups`` are set by
    :class:`~personalize_sdk.server.control.service.ControlPlane` right after
    construction (each takes the context itself).
    """

    config: "ServerConfig"
    model: "ServiceModel"
    store: "ResourceStore"
    s3: "S3Mapping"
    resources: "Resources" = None  # type: ignore[assignment]
    jobs: "JobRunner" = None  # type: ignore[assignment]
    groups: "GroupEngines" = None  # type: ignore[assignment]
