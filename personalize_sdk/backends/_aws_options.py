"""Checks of the aws backend's options: ARNs, credentials and the promotion.

Each error names the option and the rule it breaks (a
:class:`~personalize_sdk.exceptions.ConfigurationError`).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from ..exceptions import ConfigurationError, InvalidRequestError
from ..filters.values import encode_filter_values
from ..secrets import Secret
from ..use_cases import USE_CASES

#: what an ARN of a Personalize resource looks like (the API model's pattern)
_ARN = re.compile(r"^arn:([a-z\d-]+):personalize:.*:.*:.+$")
_PROMOTION_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
_MAX_ARN_LENGTH = 256


def check_arn(value: Any, option: str) -> str:
    if not isinstance(value, str) or not _ARN.match(value) or len(value) > _MAX_ARN_LENGTH:
        raise ConfigurationError(
            f"The aws backend's {option!r} option must be a Personalize ARN "
            "(arn:aws:personalize:<region>:<account>:<resource>, "
            f"at most {_MAX_ARN_LENGTH} characters), "
            f"not {value!r}"
        )
    return value


def check_credentials(
    access_key_id: Any, secret_access_key: Any, session_token: Any, profile_name: Any
) -> dict[str, Secret]:
    """The explicit AWS keys as boto3's Session takes them, each a
    :class:`~personalize_sdk.secrets.Secret` (never shown in a traceback).
    The error messages name the option, never its value."""
    given = {
        "aws_access_key_id": access_key_id,
        "aws_secret_access_key": secret_access_key,
        "aws_session_token": session_token,
    }
    checked: dict[str, Secret] = {}
    for option, value in given.items():
        if value is None:
            continue
        if not isinstance(value, (str, Secret)) or not value:
            raise ConfigurationError(f"The aws backend's {option!r} option must be a non-empty string")
        checked[option] = Secret(value)
    pair = {"aws_access_key_id", "aws_secret_access_key"}
    if checked and not pair <= set(checked):
        raise ConfigurationError(
            "The aws backend's 'aws_access_key_id' and 'aws_secret_access_key' options go together "
            "(or leave both out: boto3 then finds credentials in the environment or the instance role)"
        )
    if checked and profile_name:
        raise ConfigurationError(
            "The aws backend's 'profile_name' and 'aws_access_key_id' options exclude each other"
        )
    return checked


def check_arn_map(value: Any, option: str, *, use_cases: bool) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"The aws backend's {option!r} option must be a mapping of name to ARN"
        )
    checked = {}
    for key, arn in value.items():
        if use_cases and key not in USE_CASES:
            known = ", ".join(sorted(USE_CASES))
            raise ConfigurationError(
                f"The aws backend's {option!r} option names an unknown use case {key!r}; "
                f"known use cases: {known}"
            )
        checked[key] = check_arn(arn, f"{option}[{key!r}]")
    return checked



def check_promotion(
    promotion: Mapping[str, Any] | None, filter_arn: Callable[[str], str]
) -> dict[str, Any] | None:
    """The ``promotion`` option as GetRecommendations takes it; ``filter_arn``
    turns a configured filter name into its ARN."""
    if promotion is None:
        return None
    if not isinstance(promotion, Mapping):
        raise ConfigurationError("The aws backend's 'promotion' option must be a mapping")
    allowed = {"name", "percent_promoted_items", "filter", "filter_values"}
    unknown = sorted(set(promotion) - allowed)
    if unknown:
        raise ConfigurationError(
            f"Unknown key(s) in the aws backend's 'promotion' option: {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    result: dict[str, Any] = {}
    name = promotion.get("name")
    if name is not None:
        if not isinstance(name, str) or not _PROMOTION_NAME.match(name) or len(name) > 63:
            raise ConfigurationError(
                "The aws backend's promotion 'name' must be 1 to 63 characters "
                "of letters, digits, '-' and '_', "
                "starting with a letter or digit"
            )
        result["name"] = name
    percent = promotion.get("percent_promoted_items")
    if percent is not None:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            raise ConfigurationError(
                "The aws backend's promotion 'percent_promoted_items' "
                "must be an integer from 1 to 100"
            )
        result["percentPromotedItems"] = percent
    filter_ref = promotion.get("filter")
    if filter_ref is not None:
        # A configured filter name, or an ARN used as is.
        if isinstance(filter_ref, str) and filter_ref.startswith("arn:"):
            result["filterArn"] = check_arn(filter_ref, "promotion['filter']")
        else:
            result["filterArn"] = filter_arn(filter_ref)
    if promotion.get("filter_values"):
        try:
            result["filterValues"] = encode_filter_values(promotion["filter_values"])
        except InvalidRequestError as err:
            raise ConfigurationError(
                f"The aws backend's promotion 'filter_values': {err}"
            ) from err
    return result
