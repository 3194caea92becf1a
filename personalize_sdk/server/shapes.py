"""The request shapes of the operations served, with the limits of the API
model, and the validator that enforces them.

The limits are those of botocore's service models for personalize-events
(2018-03-22) and personalize-runtime (2018-05-22), plus the two documented
maxima the model does not encode (``numResults`` and ``inputList`` at most
500). ``tests/sdk/server/test_shapes.py`` compares every constraint here with
botocore's model, so a drift in either is caught.

Validation follows AWS's split: a member of the wrong JSON type is a
``SerializationException`` (the body cannot be read as the operation's
input); a member that breaks a constraint (required, length, size, range,
pattern) is an ``InvalidInputException`` listing every violation, worded as
AWS words them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import InvalidInputException, SerializationException, validation_message

_ARN_PATTERN = r"arn:([a-z\d-]+):personalize:.*:.*:.+"


class Shape:
    """A node of a request shape. Subclasses check one JSON value."""

    def check(
        self, value: Any, where: str, problems: list[str]
    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement check()")


def _type_error(where: str, expected: str) -> SerializationException:
    return SerializationException(f"Value at '{where}' must be {expected}")


def _check_length(length: int, low: int | None, high: int | None, where: str, problems: list[str]) -> None:
    """AWS's wording for a string or list outside its length bounds."""
    if low is not None and length < low:
        problems.append(
            f"Value at '{where}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {low}"
        )
    if high is not None and length > high:
        problems.append(
            f"Value at '{where}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {high}"
        )


@dataclass(frozen=True)
class String(Shape):
    min: int | None = None
    max: int | None = None
    pattern: str | None = None

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if not isinstance(value, str):
            raise _type_error(where, "a string")
        _check_length(len(value), self.min, self.max, where, problems)
        # The model's patterns are Java regexes matched against the whole value.
        if self.pattern is not None and not re.fullmatch(self.pattern, value, flags=re.DOTALL):
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {self.pattern}"
            )


@dataclass(frozen=True)
class Integer(Shape):
    min: int | None = None
    max: int | None = None

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(where, "an integer")
        if isinstance(value, float) and not value.is_integer():
            raise _type_error(where, "an integer")
        if self.min is not None and value < self.min:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {self.min}"
            )
        if self.max is not None and value > self.max:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {self.max}"
            )


@dataclass(frozen=True)
class Float(Shape):
    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise _type_error(where, "a number")


@dataclass(frozen=True)
class Timestamp(Shape):
    """rest-json's default timestamp format: epoch seconds as a JSON number."""

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise _type_error(where, "a timestamp in epoch seconds")


@dataclass(frozen=True)
class List(Shape):
    member: Shape
    min: int | None = None
    max: int | None = None

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if not isinstance(value, list):
            raise _type_error(where, "a list")
        _check_length(len(value), self.min, self.max, where, problems)
        for index, element in enumerate(value, start=1):
            # AWS numbers list members from 1 ("eventList.1.member.eventType").
            self.member.check(element, f"{where}.{index}.member", problems)


@dataclass(frozen=True)
class Map(Shape):
    key: String
    value: Shape
    max: int | None = None

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if not isinstance(value, dict):
            raise _type_error(where, "a JSON object")
        if self.max is not None and len(value) > self.max:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {self.max}"
            )
        for key, element in value.items():
            self.key.check(key, f"{where}.key", problems)
            self.value.check(element, f"{where}.{key}", problems)


@dataclass(frozen=True)
class Structure(Shape):
    members: Mapping[str, Shape]
    required: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if not isinstance(value, dict):
            raise _type_error(where or "body", "a JSON object")
        prefix = f"{where}." if where else ""
        for name in self.required:
            if value.get(name) is None:
                problems.append(
                    f"Value at '{prefix}{name}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        # Members the model does not know are ignored, as AWS services ignore them.
        for name, shape in self.members.items():
            if value.get(name) is not None:
                shape.check(value[name], f"{prefix}{name}", problems)


def validate(shape: Structure, body: Any) -> dict[str, Any]:
    """Check ``body`` against ``shape``; return it, or raise the error AWS would."""
    problems: list[str] = []
    shape.check(body, "", problems)
    if problems:
        raise InvalidInputException(validation_message(problems))
    return body


# -- the operations ----------------------------------------------------------
_ID = String(min=1, max=256)
_ARN = String(max=256, pattern=_ARN_PATTERN)
_CONTEXT = Map(key=String(max=150, pattern=r"[A-Za-z\d_]+"), value=String(max=1000), max=150)
_FILTER_VALUES = Map(key=String(max=50, pattern=r"[A-Za-z0-9_]+"), value=String(max=1000), max=25)
_METADATA_COLUMNS = Map(key=String(max=256), value=List(String(max=150), max=99), max=1)
_PROMOTION_NAME = String(min=1, max=63, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*")

EVENT = Structure(
    members={
        "eventId": _ID,
        "eventType": _ID,
        "eventValue": Float(),
        "itemId": _ID,
        "properties": String(min=1, max=1024),
        "sentAt": Timestamp(),
        "recommendationId": String(min=1, max=40),
        "impression": List(_ID, min=1, max=25),
        "metricAttribution": Structure(
            members={
                "eventAttributionSource": String(
                    max=1024, pattern=r"^[\x20-\x7E]*[\x21-\x7E]+[\x20-\x7E]*$"
                )
            },
            required=("eventAttributionSource",),
        ),
    },
    required=("eventType", "sentAt"),
)

PUT_EVENTS = Structure(
    members={
        "trackingId": _ID,
        "userId": _ID,
        "sessionId": _ID,
        "eventList": List(EVENT, min=1, max=10),
    },
    required=("trackingId", "sessionId", "eventList"),
)

PUT_ITEMS = Structure(
    members={
        "datasetArn": _ARN,
        "items": List(
            Structure(
                members={"itemId": _ID, "properties": String(min=1, max=32000)},
                required=("itemId",),
            ),
            min=1,
            max=10,
        ),
    },
    required=("datasetArn", "items"),
)

PUT_USERS = Structure(
    members={
        "datasetArn": _ARN,
        "users": List(
            Structure(
                members={"userId": _ID, "properties": String(min=1, max=24000)},
                required=("userId",),
            ),
            min=1,
            max=10,
        ),
    },
    required=("datasetArn", "users"),
)

#: documented maxima the model leaves out (reference 2.2)
MAX_NUM_RESULTS = 500
MAX_INPUT_LIST = 500

GET_RECOMMENDATIONS = Structure(
    members={
        "campaignArn": _ARN,
        "itemId": String(max=256),
        "userId": String(max=256),
        "numResults": Integer(min=0, max=MAX_NUM_RESULTS),
        "context": _CONTEXT,
        "filterArn": _ARN,
        "filterValues": _FILTER_VALUES,
        "recommenderArn": _ARN,
        "promotions": List(
            Structure(
                members={
                    "name": _PROMOTION_NAME,
                    "percentPromotedItems": Integer(min=1, max=100),
                    "filterArn": _ARN,
                    "filterValues": _FILTER_VALUES,
                }
            ),
            max=1,
        ),
        "metadataColumns": _METADATA_COLUMNS,
    },
)

GET_PERSONALIZED_RANKING = Structure(
    members={
        "campaignArn": _ARN,
        "inputList": List(String(max=256), max=MAX_INPUT_LIST),
        "userId": String(max=256),
        "context": _CONTEXT,
        "filterArn": _ARN,
        "filterValues": _FILTER_VALUES,
        "metadataColumns": _METADATA_COLUMNS,
    },
    required=("campaignArn", "inputList", "userId"),
)

#: operation name -> input shape
SHAPES: dict[str, Structure] = {
    "PutEvents": PUT_EVENTS,
    "PutItems": PUT_ITEMS,
    "PutUsers": PUT_USERS,
    "GetRecommendations": GET_RECOMMENDATIONS,
    "GetPersonalizedRanking": GET_PERSONALIZED_RANKING,
}
