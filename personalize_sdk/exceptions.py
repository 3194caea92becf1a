"""The exceptions raised by personalize_sdk.

Everything derives from :class:`PersonalizeError`, so ``except PersonalizeError``
catches whatever the SDK raises on purpose. Errors about bad input are also
``ValueError``\\ s, and the missing-dependency error is also an ``ImportError``,
so callers that already catch the builtin kinds keep working.
"""

from __future__ import annotations

from typing import Any


class PersonalizeError(Exception):
    """Root of every error the SDK raises on purpose."""


class InvalidRecordError(PersonalizeError, ValueError):
    """An event, item or user breaks one of Personalize's limits.

    ``field`` names the offending field (``"event_type"``, ``"impression[3]"``)
    and ``rule`` says which rule it broke, in words.
    """

    def __init__(self, field: str, rule: str, *, record: str | None = None) -> None:
        self.field = field
        self.rule = rule
        self.record = record
        prefix = f"{record}." if record else ""
        super().__init__(f"{prefix}{field}: {rule}")


class InvalidRequestError(PersonalizeError, ValueError):
    """A recommendation or ranking request is malformed (unknown use case,
    missing user or item id, bad ``num_results`` or filter values)."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class FilterSyntaxError(PersonalizeError, ValueError):
    """A filter expression that Personalize would refuse.

    ``position`` is the 0-based character offset of the fault in ``expression``;
    ``str(error)`` shows the expression with a caret under that position.
    """

    def __init__(self, message: str, expression: str = "", position: int | None = None) -> None:
        self.message = message
        self.expression = expression
        self.position = position
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.position is None:
            return self.message
        text = f"{self.message} (at position {self.position})"
        if self.expression and "\n" not in self.expression and len(self.expression) <= 200:
            text += f"\n  {self.expression}\n  {' ' * self.position}^"
        return text


class ConfigurationError(PersonalizeError):
    """The SDK was set up wrongly: an unknown option, a backend that cannot be
    loaded, a use case mapped to nothing. Never swallowed by the "don't break
    the host application" guards, because only a person can fix it."""


class ImproperlyInstalled(ConfigurationError, ImportError):
    """A backend or feature needs a package that is not installed."""

    def __init__(self, missing_package: str, install_extra: str, *, feature: str = "") -> None:
        self.missing_package = missing_package
        self.install_extra = install_extra
        what = feature or f"this part of personalize-django"
        super().__init__(
            f"{what} needs the {missing_package!r} package, which is not installed. "
            f'Install it with: pip install "personalize-django[{install_extra}]"'
        )


class BackendError(PersonalizeError):
    """A backend call failed.

    ``retryable`` says whether the same call may succeed if tried again
    (throttling, 5xx, connection errors); ``code`` is the service's error
    code where there is one (``"InvalidInputException"``), ``status_code`` the
    HTTP status, and ``backend`` the backend's ``name``.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        backend: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
        payload: Any = None,
    ) -> None:
        self.message = message
        self.retryable = retryable
        self.backend = backend
        self.code = code
        self.status_code = status_code
        self.payload = payload
        super().__init__(message)

    def __str__(self) -> str:
        parts = []
        if self.backend:
            parts.append(f"[{self.backend}]")
        if self.code:
            parts.append(f"{self.code}:")
        parts.append(self.message)
        if self.status_code is not None:
            parts.append(f"(HTTP {self.status_code})")
        return " ".join(parts)


class ThrottledError(BackendError):
    """The backend asked us to slow down. Always retryable."""

    def __init__(self, message: str = "request was throttled", **kwargs: Any) -> None:
        kwargs["retryable"] = True
        super().__init__(message, **kwargs)


class NotReadyError(PersonalizeError):
    """The backend cannot answer this use case yet (no trained model, too little
    data, a recommender still being created). Callers serve a fallback."""

    def __init__(self, message: str, *, use_case: str | None = None) -> None:
        self.use_case = use_case
        super().__init__(message)
