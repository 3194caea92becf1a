"""Provisioning Amazon Personalize from a plain settings dict, terraform style.

    from personalize_sdk.provisioning import plan, apply, settings_snippet

    client = personalize_client(region_name="eu-west-1")   # or any boto3 "personalize" client
    the_plan = plan(client, {"dataset_group": "shop", "filters": {...}})
    print(the_plan.format())            # reads the account, changes nothing
    result = apply(client, the_plan, progress=print)
    print(settings_snippet(result))

Everything takes a boto3 ``personalize`` (control-plane) client; nothing here
imports boto3 except :func:`personalize_client`. See ``docs/aws-provisioning.rst``.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ImproperlyInstalled
from ._aws import DEFAULT_TIMEOUTS, ProgressEvent, ProvisioningError, wait_until_done
from .apply import ApplyResult, apply
from .desired import CUSTOM_SOLUTIONS, ECOMMERCE_RECIPES, RANKING, Desired, desired_state
from .jobs import (
    JobResult,
    active_solution_version,
    batch_recommendations_on_aws,
    forget_users,
    parse_s3_uri,
    read_batch_output,
    start_batch_inference_job,
    start_data_deletion_job,
    start_import_jobs,
    upload_files,
    upload_text,
    user_ids_csv,
    write_batch_input,
    write_user_ids,
)
from .plan import Action, Plan, ProvisionedState, plan
from .snippet import backend_options, settings_snippet


def personalize_client(**session_kwargs: Any) -> Any:
    """A boto3 ``personalize`` control-plane client (``region_name``, ``profile_name``... go to the session)."""
    try:
        import boto3
    except ModuleNotFoundError as err:
        if err.name != "boto3":
            raise
        raise ImproperlyInstalled("boto3", "aws", feature="AWS provisioning") from None
    return boto3.session.Session(**session_kwargs).client("personalize")


__all__ = [
    "CUSTOM_SOLUTIONS",
    "DEFAULT_TIMEOUTS",
    "ECOMMERCE_RECIPES",
    "RANKING",
    "Action",
    "ApplyResult",
    "Desired",
    "JobResult",
    "Plan",
    "ProgressEvent",
    "ProvisionedState",
    "ProvisioningError",
    "active_solution_version",
    "apply",
    "backend_options",
    "batch_recommendations_on_aws",
    "desired_state",
    "forget_users",
    "parse_s3_uri",
    "personalize_client",
    "plan",
    "read_batch_output",
    "settings_snippet",
    "start_batch_inference_job",
    "start_data_deletion_job",
    "start_import_jobs",
    "upload_files",
    "upload_text",
    "user_ids_csv",
    "wait_until_done",
    "write_batch_input",
    "write_user_ids",
]
