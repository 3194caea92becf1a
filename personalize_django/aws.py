"""AWS plumbing shared by the data-pipeline commands: boto3 clients, the
desired state from settings, the job role and S3 locations.

The commands call :func:`personalize_client` and :func:`s3_client` through
this module (``aws.personalize_client()``), so tests can hand them real boto3
clients wrapped in botocore's ``Stubber``. Nothing here imports boto3 until a
client is asked for.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable

from personalize_sdk import ConfigurationError, ImproperlyInstalled
from personalize_sdk.backends import Backend
from personalize_sdk.backends import backend_class as sdk_backend_class
from personalize_sdk.dataset import DATASET_TYPES
from personalize_sdk.provisioning import personalize_client as make_personalize_client

from .conf import personalize_settings
from .dataset.formats import shop_formats

#: how the waits of apply and the job helpers sleep (tests replace it)
sleep: Callable[[float], None] = time.sleep


def region_name() -> str | None:
    """The region: ``PROVISIONING["region_name"]``, else the AWS backend's option."""
    provisioning = personalize_settings.PROVISIONING or {}
    options = personalize_settings.OPTIONS or {}
    return provisioning.get("region_name") or options.get("region_name")


def personalize_client(region: str | None = None) -> Any:
    """A boto3 ``personalize`` (control-plane) client."""
    region = region or region_name()
    return make_personalize_client(**({"region_name": region} if region else {}))


def s3_client(region: str | None = None) -> Any:
    """A boto3 ``s3`` client."""
    try:
        import boto3
    except ModuleNotFoundError as err:
        if err.name != "boto3":
            raise
        raise ImproperlyInstalled("boto3", "aws", feature="S3 uploads") from None
    region = region or region_name()
    return boto3.session.Session(**({"region_name": region} if region else {})).client("s3")


def backend_class() -> type[Backend]:
    """The configured backend's class, without building it: its capability
    flags (``has_personalize_jobs``, ``can_train``...) say what the commands
    may do with it."""
    return sdk_backend_class(personalize_settings.BACKEND)


def backend_name() -> str:
    """The configured backend's ``name`` (``"aws"``, ``"local"``...); ask
    :func:`backend_class`'s flags rather than comparing names."""
    return backend_class().name


def desired_config() -> dict[str, Any]:
    """``PROVISIONING`` with what it leaves out filled from the registrations:
    ``datasets`` (Interactions, plus Items and Users when registered with
    properties) and the schema of each dataset (the columns the export
    writes and the shop's records carry). Raises ``ConfigurationError`` when
    ``PROVISIONING`` is not set."""
    provisioning = personalize_settings.PROVISIONING
    if not provisioning:
        raise ConfigurationError(
            "PERSONALIZE['PROVISIONING'] is not set: it describes the dataset group to create "
            "(see the AWS provisioning docs)"
        )
    if not isinstance(provisioning, dict):
        raise ConfigurationError("PERSONALIZE['PROVISIONING'] must be a dict")
    config = dict(provisioning)
    formats = shop_formats()
    if "datasets" not in config:
        config["datasets"] = [t for t in DATASET_TYPES if t in formats]
    schemas = dict(config.get("schemas") or {})
    for dataset_type in config["datasets"]:
        if schemas.get(dataset_type) in (None, True) and dataset_type in formats:
            schemas[dataset_type] = formats[dataset_type]
    config["schemas"] = schemas
    if "region_name" not in config and region_name():
        config["region_name"] = region_name()
    return config


def role_arn(given: str | None) -> str:
    """The role for a job: ``given`` (a command option), else ``DATA_ROLE_ARN``."""
    role = given or personalize_settings.DATA_ROLE_ARN
    if not role:
        raise ConfigurationError(
            "AWS jobs need a role Personalize assumes to reach S3: pass --role-arn or set "
            "PERSONALIZE['DATA_ROLE_ARN']"
        )
    return role


def s3_location(given: str | None, *parts: str) -> str:
    """``given`` (a command option), else ``DATA_S3_URI`` joined with ``parts``
    (an S3 folder ends in ``/``)."""
    if given:
        return given
    base = personalize_settings.DATA_S3_URI
    if not base:
        raise ConfigurationError(
            "No S3 location: pass one on the command line or set PERSONALIZE['DATA_S3_URI'] "
            "(s3://bucket/prefix/)"
        )
    return (
        base.rstrip("/")
        + "/"
        + "/".join(p.strip("/") for p in parts if p)
        + ("/" if parts and parts[-1].endswith("/") else "")
    )


def stamp() -> str:
    """A UTC time stamp for S3 keys and job names (``20240601T120000Z``)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
