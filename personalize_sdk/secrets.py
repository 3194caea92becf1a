"""Keeping keys and tokens out of sight: :class:`Secret`, and redaction of text.

A backend's options may hold credentials (the aws backend's
``aws_secret_access_key``, the http backend's ``token``). Anything that shows
a traceback's local variables (Django's DEBUG page, an error tracker) prints
them as their ``repr``. So the :class:`~personalize_sdk.client.Client` wraps
every option whose name looks sensitive (:func:`is_sensitive`) in a
:class:`Secret` before anything can fail, and backends reveal the value only
in the one expression that hands it to boto3 or requests. This module imports
no framework: Django's ``sensitive_variables`` is not available to the SDK, a
redacting type is.

:func:`redact_text` strips what looks like a credential from error text
before it is stored (the Django outbox's ``last_error``) or shown.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

#: what a redacted value prints as
MASK = "********"

#: option and header names whose values are credentials
_SENSITIVE_NAME = re.compile(
    r"secret|token|passw|credential|api_?key|access_?key|authorization|signature|cookie", re.IGNORECASE
)


def is_sensitive(name: Any) -> bool:
    """Whether an option or header called ``name`` holds a credential."""
    return isinstance(name, str) and _SENSITIVE_NAME.search(name) is not None


class Secret:
    """A string that never shows itself: ``repr`` and ``str`` print
    :data:`MASK`; :meth:`reveal` gives the value to the code that needs it."""

    __slots__ = ("_value",)

    def __init__(self, value: "str | Secret") -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds a string, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The value itself: pass it straight to the library that needs it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return other._value == self._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


def reveal(value: Any) -> Any:
    """``value.reveal()`` for a :class:`Secret`, ``value`` itself otherwise."""
    return value.reveal() if isinstance(value, Secret) else value


class RedactedDict(dict):
    """A dict (headers, options) whose ``repr`` masks the values of sensitive
    keys; the values themselves are untouched, for the library that sends them."""

    def __repr__(self) -> str:
        shown = {key: (MASK if is_sensitive(key) else value) for key, value in self.items()}
        return repr(shown)

    __str__ = __repr__


def redact_options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A copy of a backend's ``options`` whose sensitive strings are
    :class:`Secret` and whose mappings with sensitive keys (headers) are
    :class:`RedactedDict`; ``None`` stays ``None``."""
    if options is None:
        return None
    redacted: dict[str, Any] = RedactedDict()
    for name, value in options.items():
        if isinstance(value, str) and is_sensitive(name):
            value = Secret(value)
        elif isinstance(value, Mapping) and any(is_sensitive(key) for key in value):
            value = RedactedDict(value)
        redacted[name] = value
    return redacted


_AUTHORIZATION = re.compile(
    r"""(?P<name>authorization|x-api-key|x-amz-security-token|cookie)(?P<sep>["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>[^"'\r\n,}]+)""",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"\b(?P<name>Token|Bearer|Basic|AWS4-HMAC-SHA256)\s+(?P<value>[^\s\"',}]+)")
_NAMED = re.compile(
    r"""(?P<name>[\w-]*(?:secret|token|passw|credential|api_?key|access_?key|signature)[\w-]*)"""
    r"""(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^\s"'&,;}]+)""",
    re.IGNORECASE,
)
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b")
# An AWS secret access key: 40 characters of base64 with both cases and a digit.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _looks_like_a_secret_key(match: re.Match[str]) -> str:
    text = match.group()
    mixed = any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c.isdigit() for c in text)
    return MASK if mixed else text


def redact_text(text: str) -> str:
    """``text`` with Authorization headers, ``Token``/``Bearer`` credentials,
    values of keys named like credentials (``aws_secret_access_key=...``,
    ``"token": "..."``), AWS access key ids and what looks like an AWS secret
    key replaced by :data:`MASK`."""
    text = _AUTHORIZATION.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", text)
    text = _SCHEME.sub(lambda m: f"{m.group('name')} {MASK}", text)
    text = _NAMED.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", text)
    text = _AWS_KEY_ID.sub(MASK, text)
    return _AWS_SECRET.sub(_looks_like_a_secret_key, text)
