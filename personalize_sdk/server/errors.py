"""The errors the server answers, shaped as AWS rest-json services shape them.

An AWS rest-json error (personalize-events, personalize-runtime) is an HTTP
status, a header ``x-amzn-ErrorType`` naming the error code, and a JSON body
``{"message": "..."}``. An awsJson1_1 error (the ``personalize`` control
plane) carries the code in the body instead: ``{"__type": "<code>",
"message": "..."}``, with status 400 for the caller's faults. botocore reads
the code from either, so boto3 callers see
``ClientError.response["Error"]["Code"] == "InvalidInputException"`` (and
``client.exceptions.InvalidInputException`` is raised) exactly as against AWS.
"""

from __future__ import annotations

import json


class ServiceError(Exception):
    """An error answer: ``code`` (the ``x-amzn-ErrorType``), ``status`` (the
    HTTP status) and ``message`` (the body's ``message``)."""

    code = "InternalFailure"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def body(self) -> bytes:
        """The rest-json body."""
        return json.dumps({"message": self.message}).encode("utf-8")

    def json_body(self) -> bytes:
        """The awsJson1_1 body, with the code in ``__type``."""
        return json.dumps({"__type": self.code, "message": self.message}).encode("utf-8")

    @property
    def json_status(self) -> int:
        """The awsJson1_1 status: the modeled errors are all 400s there (the
        rest-json APIs' 404 and 409 included); authentication keeps its 403."""
        return 400 if self.status in (404, 409) else self.status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.status}, {self.message!r})"


# -- modeled errors of personalize-events and personalize-runtime ----------
class InvalidInputException(ServiceError):
    """A member breaks a limit of the API model, or the request makes no sense."""

    code = "InvalidInputException"
    status = 400


class ResourceNotFoundException(ServiceError):
    """An ARN or tracking id that names nothing this server serves."""

    code = "ResourceNotFoundException"
    status = 404


# -- modeled errors of the control plane (awsJson1_1, status 400) -----------
class ResourceAlreadyExistsException(ServiceError):
    """A resource of that kind and name exists already."""

    code = "ResourceAlreadyExistsException"
    status = 400


class ResourceInUseException(ServiceError):
    """The resource is not in a state that allows the call (still being
    created, or used by another resource)."""

    code = "ResourceInUseException"
    status = 400


class LimitExceededException(ServiceError):
    """A quota is reached."""

    code = "LimitExceededException"
    status = 400


class InvalidNextTokenException(ServiceError):
    """A nextToken this server did not hand out for this listing."""

    code = "InvalidNextTokenException"
    status = 400


class TooManyTagsException(ServiceError):
    code = "TooManyTagsException"
    status = 400


class TooManyTagKeysException(ServiceError):
    code = "TooManyTagKeysException"
    status = 400


# -- common errors of every AWS service ------------------------------------
class SerializationException(ServiceError):
    """The body is not JSON, or a member has the wrong JSON type."""

    code = "SerializationException"
    status = 400


class UnknownOperationException(ServiceError):
    """No operation lives at this method and path."""

    code = "UnknownOperationException"
    status = 404


class ThrottlingException(ServiceError):
    code = "ThrottlingException"
    status = 400


class InternalFailure(ServiceError):
    code = "InternalFailure"
    status = 500


class ServiceUnavailable(ServiceError):
    code = "ServiceUnavailable"
    status = 503


class RequestEntityTooLargeException(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413


# -- authentication (SigV4), as AWS's rest-json front ends answer them -----
class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureException(ServiceError):
    code = "IncompleteSignatureException"
    status = 400


class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"
    status = 403


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"
    status = 403


def validation_message(problems: list[str]) -> str:
    """AWS's wording for constraint violations: ``"2 validation errors
    detected: Value at 'a' failed to satisfy constraint: ...; Value at 'b' ..."``.
    (Values are never echoed: many members are marked sensitive in the model.)"""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)
