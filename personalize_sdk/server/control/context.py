"""What the control plane's handlers share: one object, built once per server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import ServerConfig
from .model import ServiceModel
from .s3 import S3Mapping
from .store import ResourceStore


@dataclass
class Context:
    """The store, the model, the configuration and the services around them.

    ``resources`` (a :class:`~personalize_sdk.server.control.resources.Resources`),
    ``jobs`` (a :class:`~personalize_sdk.server.control.jobs.JobRunner`) and
    ``groups`` (a :class:`~personalize_sdk.server.control.groups.GroupEngines`)
    are set by :class:`~personalize_sdk.server.control.service.ControlPlane`
    right after construction. Each of them takes the context itself, so they
    are typed ``Any`` here: naming their classes would make this module and
    theirs import each other.
    """

    config: ServerConfig
    model: ServiceModel
    store: ResourceStore
    s3: S3Mapping
    resources: Any = None
    jobs: Any = None
    groups: Any = None
