"""botocore's model of the ``personalize`` API, read at run time, as the spec.

Every request is checked against its operation's input shape as the model
states it (required members, types, string lengths and patterns, enums,
minimum and maximum values, list and map sizes), so every operation gets the
same validation, worded as AWS words it. Every answer is cut down to the
members of its output shape, so nothing internal leaks and the answer parses
the way botocore expects.

botocore is needed (``pip install "personalize-django[aws]"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from ...exceptions import ImproperlyInstalled
from ..errors import SerializationException
from ..shapes import Float, Integer, List, Map, Shape, String, Structure, Timestamp, validate

SERVICE = "personalize"

def java_pattern(pattern: str) -> str:
    """A Python regex equivalent to the model's Java ``pattern`` (Python's re
    has no ``\\p{...}`` classes: letters, digits, spaces and ASCII are spelled out)."""
    inside = re.sub(r"\[([^\]]*)\]", lambda m: "[" + _inside_class(m.group(1)) + "]", pattern)
    return inside.replace(r"\p{ASCII}", r"[\x00-\x7f]")


def _inside_class(body: str) -> str:
    # Inside a character class a Unicode category becomes its Python spelling.
    if r"\p{L}" in body:
        body = body.replace(r"\p{L}", r"\w")
    return body.replace(r"\p{Z}", r"\s").replace(r"\p{N}", r"\d").replace(r"\p{ASCII}", r"\x00-\x7f")


@dataclass(frozen=True)
class Enum(Shape):
    """A string member that takes one of the model's ``enum`` values."""

    values: tuple[str, ...]

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if not isinstance(value, str):
            raise SerializationException(f"Value at '{where}' must be a string")
        if value not in self.values:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(self.values)}]"
            )


@dataclass(frozen=True)
class Boolean(Shape):
    def check(self, value: Any, where: str, problems: list[str]) -> None:
        if not isinstance(value, bool):
            raise SerializationException(f"Value at '{where}' must be a boolean")


@dataclass(frozen=True)
class Double(Float):
    """A number with the model's optional ``min``/``max``."""

    min: float | None = None
    max: float | None = None

    def check(self, value: Any, where: str, problems: list[str]) -> None:
        super().check(value, where, problems)
        for relation, bound, broken in (
            ("greater than or equal to", self.min, self.min is not None and value < self.min),
            ("less than or equal to", self.max, self.max is not None and value > self.max),
        ):
            if broken:
                problems.append(f"Value at '{where}' failed to satisfy constraint: Member must have value {relation} {bound}")


def load_service_model() -> dict[str, Any]:
    """botocore's ``service-2`` model of the ``personalize`` API."""
    try:
        from botocore.loaders import Loader
    except ModuleNotFoundError as err:
        if err.name and err.name.split(".")[0] == "botocore":
            raise ImproperlyInstalled(
                "botocore", "aws", feature="The local Personalize control plane"
            ) from err
        raise
    return Loader().load_service_model(SERVICE, "service-2")


class ServiceModel:
    """The operations, input validators and output shapes of the model."""

    def __init__(self, model: Mapping[str, Any] | None = None) -> None:
        self.model = model if model is not None else load_service_model()
        self.shapes: Mapping[str, Any] = self.model["shapes"]
        self.operations: Mapping[str, Any] = self.model["operations"]
        self.target_prefix: str = self.model["metadata"]["targetPrefix"]
        self._validators: dict[str, Shape] = {}

    # -- input -----------------------------------------------------------
    def validate(self, operation: str, body: Any) -> dict[str, Any]:
        """Check ``body`` against ``operation``'s input; return it or raise
        InvalidInputException (constraints) or SerializationException (types)."""
        if operation not in self._validators:
            spec = self.operations[operation].get("input")
            self._validators[operation] = (
                self._build(spec["shape"]) if spec else Structure(members={})
            )
        return validate(self._validators[operation], body)  # type: ignore[arg-type]

    def _build(self, name: str) -> Shape:
        spec = self.shapes[name]
        kind = spec["type"]
        if kind == "structure":
            return Structure(
                members={m: self._build(s["shape"]) for m, s in spec["members"].items()},
                required=tuple(spec.get("required", ())),
            )
        if kind == "string":
            if "enum" in spec:
                return Enum(tuple(spec["enum"]))
            pattern = spec.get("pattern")
            return String(
                min=spec.get("min"),
                max=spec.get("max"),
                pattern=java_pattern(pattern) if pattern else None,
            )
        if kind in ("integer", "long"):
            return Integer(min=spec.get("min"), max=spec.get("max"))
        if kind in ("double", "float"):
            return Double(min=spec.get("min"), max=spec.get("max"))
        if kind == "boolean":
            return Boolean()
        if kind == "timestamp":
            return Timestamp()
        if kind == "list":
            return List(self._build(spec["member"]["shape"]), min=spec.get("min"), max=spec.get("max"))
        if kind == "map":
            key = self._build(spec["key"]["shape"])
            if not isinstance(key, String):
                key = String()
            return Map(key=key, value=self._build(spec["value"]["shape"]), max=spec.get("max"))
        raise NotImplementedError(f"shape type {kind!r} of {name} is not handled")

    # -- output ----------------------------------------------------------
    def output(self, operation: str, result: Mapping[str, Any] | None) -> dict[str, Any]:
        """``result`` cut down to the members of ``operation``'s output shape."""
        spec = self.operations[operation].get("output")
        if spec is None or result is None:
            return {}
        return self.shape(spec["shape"], result)

    def shape(self, name: str, value: Any) -> Any:
        """``value`` (a stored resource, a summary...) as shape ``name``."""
        spec = self.shapes[name]
        kind = spec["type"]
        if kind == "structure":
            members = spec["members"]
            return {
                member: self.shape(members[member]["shape"], item)
                for member, item in value.items()
                if member in members and item is not None
            }
        if kind == "list":
            return [self.shape(spec["member"]["shape"], item) for item in value]
        if kind == "map":
            return {key: self.shape(spec["value"]["shape"], item) for key, item in value.items()}
        return value

    def member_shape(self, structure: str, member: str) -> str:
        return self.shapes[structure]["members"][member]["shape"]

    def list_member(self, list_shape: str) -> str:
        return self.shapes[list_shape]["member"]["shape"]


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The model, read once per process (it does not change at run time)."""
    return ServiceModel()
