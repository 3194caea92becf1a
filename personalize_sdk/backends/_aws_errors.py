"""How botocore's errors become ours, for the AWS backend.

Kept apart from :mod:`.aws` so the mapping reads as one table. botocore is
imported when an error is translated, which only happens after an AWS client
made a call, so this module imports without it.
"""

from __future__ import annotations

from ..exceptions import BackendError, NotReadyError, ThrottledError

#: error codes that mean "slow down"
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    }
)
#: error codes of transient service-side failures
TRANSIENT_CODES = frozenset(
    {"InternalFailure", "InternalServerError", "ServiceUnavailable", "RequestTimeout"}
)
#: PutItems/PutUsers on a dataset busy with an import job: worth retrying later
BUSY_CODES = frozenset({"ResourceInUseException"})
#: the runtime operations, where a missing resource means "not ready": serve a fallback
READ_OPERATIONS = frozenset({"GetRecommendations", "GetPersonalizedRanking"})


def translate_error(
    err: Exception, operation: str, *, backend: str, use_case: str | None = None
) -> Exception:
    """The exception to raise for ``err``, raised by the botocore call ``operation``.

    Errors that are not botocore's are returned unchanged.
    """
    from botocore import exceptions as exc

    if isinstance(err, exc.ClientError):
        error = err.response.get("Error", {})
        code = error.get("Code") or "Unknown"
        message = f"{operation}: {error.get('Message') or err}"
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        kwargs = dict(backend=backend, code=code, status_code=status, payload=err.response)
        if code in THROTTLING_CODES or status == 429:
            return ThrottledError(message, **kwargs)
        if code == "ResourceNotFoundException" and operation in READ_OPERATIONS:
            # A recommender or campaign that does not exist (yet); a wrong ARN looks
            # the same, which is why the message carries the service's words.
            return NotReadyError(message, use_case=use_case)
        retryable = (
            code in TRANSIENT_CODES or code in BUSY_CODES or (status is not None and status >= 500)
        )
        return BackendError(message, retryable=retryable, **kwargs)
    connection_errors = (
        exc.EndpointConnectionError,
        exc.ConnectTimeoutError,
        exc.ReadTimeoutError,
        exc.ConnectionClosedError,
    )
    if isinstance(err, connection_errors):
        # A read timeout on PutEvents may mean the events arrived: a retry is still safe,
        # because each event carries its eventId and Personalize drops repeats.
        return BackendError(
            f"{operation}: {err}", retryable=True, backend=backend, code=type(err).__name__
        )
    if isinstance(err, exc.NoCredentialsError):
        return BackendError(
            f"{operation}: {err} (configure credentials for boto3, "
            "or the aws backend's 'profile_name' option)",
            backend=backend,
            code=type(err).__name__,
        )
    if isinstance(err, exc.BotoCoreError):
        return BackendError(f"{operation}: {err}", backend=backend, code=type(err).__name__)
    return err
