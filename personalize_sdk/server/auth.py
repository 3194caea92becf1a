"""SigV4 verification with botocore's own signer.

The server recomputes the signature of each request with
:class:`botocore.auth.SigV4Auth`, over exactly what it received (method,
path, query, the headers the client says it signed, and the body), with the
secret configured for the access key, and compares it with the one in the
``Authorization`` header. What a client did wrong is answered as AWS answers
it on a rest-json service:

========================================  ====  ======================================
what                                      HTTP  error code
========================================  ====  ======================================
no ``Authorization`` header               403   ``MissingAuthenticationTokenException``
a malformed header, no ``X-Amz-Date``     400   ``IncompleteSignatureException``
an access key not configured              403   ``UnrecognizedClientException``
a wrong signature, scope or service,
a body whose hash does not match,
a date more than 5 minutes off            403   ``InvalidSignatureException``
========================================  ====  ======================================

botocore is needed only when authentication is on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from ..exceptions import ImproperlyInstalled
from .errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

#: the service name in the credential scope of both Personalize data-plane APIs
SIGNING_NAME = "personalize"
#: how far the request's X-Amz-Date may be from the server's clock
MAX_SKEW = timedelta(minutes=5)

_ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_PART = re.compile(r"\s*(Credential|SignedHeaders|Signature)\s*=\s*([^,\s]*)\s*")
_UNSIGNED_PAYLOADS = {"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SigV4Verifier:
    """Checks requests against ``access_keys`` (access key id -> secret)."""

    def __init__(
        self, access_keys: Mapping[str, str], *, clock: Callable[[], datetime] = _now
    ) -> None:
        try:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
        except ModuleNotFoundError as err:
            if err.name and err.name.split(".")[0] == "botocore":
                raise ImproperlyInstalled(
                    "botocore", "aws", feature="SigV4 authentication of the local server"
                ) from err
            raise
        self._sigv4 = SigV4Auth
        self._request = AWSRequest
        self._credentials = Credentials
        self.access_keys = dict(access_keys)
        self.clock = clock

    def verify(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> str:
        """Check one request; return its access key id or raise the error AWS answers.

        ``url`` is the full URL the client addressed (scheme, host, raw path and
        query); ``headers`` maps lower-case names to values.
        """
        header = headers.get("authorization")
        if not header:
            raise MissingAuthenticationTokenException("Missing Authentication Token")
        algorithm, _, rest = header.strip().partition(" ")
        if algorithm != _ALGORITHM:
            raise IncompleteSignatureException(
                f"Authorization header requires the {_ALGORITHM} algorithm (got {algorithm!r})"
            )
        parts = {}
        for piece in rest.split(","):
            match = _AUTH_PART.fullmatch(piece)
            if match:
                parts[match.group(1)] = match.group(2)
        for name in ("Credential", "SignedHeaders", "Signature"):
            if not parts.get(name):
                raise IncompleteSignatureException(
                    f"Authorization header requires '{name}' parameter. Authorization={header}"
                )
        scope = parts["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise IncompleteSignatureException(
                "Credential must have exactly 5 slash-delimited elements, "
                f"e.g. keyid/date/region/service/term, got '{parts['Credential']}'"
            )
        access_key, date, region, service, _ = scope
        secret = self.access_keys.get(access_key)
        if secret is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        if service != SIGNING_NAME:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SIGNING_NAME}'. "
            )
        amz_date = headers.get("x-amz-date")
        if not amz_date:
            raise IncompleteSignatureException(
                "Authorization header requires existence of either a 'X-Amz-Date' or "
                "a 'Date' header. "
                f"Authorization={header}"
            )
        try:
            sent = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise IncompleteSignatureException(
                f"X-Amz-Date must be in the ISO8601 basic format, got '{amz_date}'"
            ) from None
        if amz_date[:8] != date:
            raise InvalidSignatureException(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                "of date from HTTP: "
                f"'{date}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        now = self.clock()
        if sent < now - MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier than {_basic(now - MAX_SKEW)} "
                f"({_basic(now)} - 5 min.)"
            )
        if sent > now + MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature not yet current: {amz_date} is still later than "
                f"{_basic(now + MAX_SKEW)} "
                f"({_basic(now)} + 5 min.)"
            )
        # A declared payload hash must be the body's: the canonical request signs
        # the header's value, so an unchecked header would let the body change.
        declared = headers.get("x-amz-content-sha256")
        if (
            declared
            and declared not in _UNSIGNED_PAYLOADS
            and declared != hashlib.sha256(body).hexdigest()
        ):
            raise InvalidSignatureException(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            )

        signed = [name for name in parts["SignedHeaders"].split(";") if name]
        if "host" not in signed:
            raise InvalidSignatureException("'Host' must be a signed header.")
        missing = [name for name in signed if name not in headers]
        if missing:
            raise InvalidSignatureException(
                f"Signed header(s) missing from the request: {', '.join(missing)}"
            )
        request = self._request(
            method=method, url=url, data=body, headers={n: headers[n] for n in signed}
        )
        request.context["timestamp"] = amz_date
        signer = self._sigv4(self._credentials(access_key, secret), SIGNING_NAME, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, parts["Signature"]):
            raise InvalidSignatureException(
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. "
                "Consult the service documentation for details."
            )
        return access_key


def _basic(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")
