"""SigV4: off by default; with access keys configured, every request must be
signed by a configured key, and is checked with botocore's own signer."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.exceptions import ImproperlyInstalled
from personalize_sdk.server import PersonalizeServer
from personalize_sdk.server.auth import SigV4Verifier
from personalize_sdk.server.errors import InvalidSignatureException

from .conftest import KEY_ID, REGION, SECRET, make_client, start

BODY = {
    "trackingId": "local-tracking-id",
    "sessionId": "s1",
    "eventList": [{"eventType": "View", "itemId": "1", "sentAt": 1767225600}],
}


@pytest.fixture(scope="module")
def secured():
    served = start(MemoryBackend(), access_keys={KEY_ID: SECRET, "AKIDOTHER": "other-secret"})
    yield served
    served.thread.stop()


@pytest.fixture
def backend(secured) -> MemoryBackend:
    secured.backend.reset()
    return secured.backend


def put_one(client) -> None:
    client.put_events(
        **{**BODY, "eventList": [{"eventType": "View", "itemId": "1", "sentAt": 1767225600}]}
    )


def code_of(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_a_good_signature_passes(secured, backend):
    put_one(secured.events)
    other = make_client("personalize-runtime", secured.url, key="AKIDOTHER", secret="other-secret")
    other.get_recommendations(campaignArn=secured.config.campaign_arn("best_sellers"))

    assert len(backend.events) == 1 and len(backend.requests) == 1


def test_a_wrong_secret_is_an_invalid_signature(secured, backend):
    client = make_client("personalize-events", secured.url, secret="not-the-secret")

    code, status, message = code_of(lambda: put_one(client))

    assert (code, status) == ("InvalidSignatureException", 403)
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert backend.events == []


def test_an_unknown_access_key_is_unrecognized(secured, backend):
    client = make_client("personalize-runtime", secured.url, key="AKIDSTRANGER", secret=SECRET)

    code, status, message = code_of(
        lambda: client.get_recommendations(campaignArn=secured.config.campaign_arn("best_sellers"))
    )

    assert (code, status) == ("UnrecognizedClientException", 403)
    assert message == "The security token included in the request is invalid."
    assert backend.requests == []


def test_an_unsigned_request_is_missing_its_token(secured, backend):
    client = make_client("personalize-events", secured.url, signature_version=UNSIGNED)

    code, status, message = code_of(lambda: put_one(client))

    assert (code, status, message) == (
        "MissingAuthenticationTokenException",
        403,
        "Missing Authentication Token",
    )
    assert backend.events == []


def signed_request(
    url: str, body: bytes, *, service: str = "personalize", secret: str = SECRET
) -> AWSRequest:
    request = AWSRequest(
        method="POST", url=url + "/events", data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(KEY_ID, secret), service, REGION).add_auth(request)
    return request


def send(request: AWSRequest, body: bytes | None = None) -> tuple[int, str, str]:
    raw = urllib.request.Request(
        request.url,
        data=request.body if body is None else body,
        method="POST",
        headers=dict(request.headers.items()),
    )
    try:
        with urllib.request.urlopen(raw) as response:
            return response.status, "", ""
    except urllib.error.HTTPError as err:
        return err.code, err.headers["x-amzn-ErrorType"], json.loads(err.read())["message"]


def test_a_signed_raw_request_passes_and_a_tampered_body_does_not(secured, backend):
    body = json.dumps(BODY).encode()
    assert send(signed_request(secured.url, body))[0] == 200

    tampered = json.dumps({**BODY, "sessionId": "s2"}).encode()
    status, code, _ = send(signed_request(secured.url, body), tampered)

    assert (status, code) == (403, "InvalidSignatureException")
    assert [e.session_id for e in backend.events] == ["s1"]


def test_a_signature_scoped_to_another_service_is_refused(secured, backend):
    status, code, message = send(
        signed_request(secured.url, json.dumps(BODY).encode(), service="execute-api")
    )

    assert (status, code) == (403, "InvalidSignatureException")
    assert "'personalize'" in message


def test_an_authorization_header_without_its_parts_is_incomplete(secured, backend):
    request = signed_request(secured.url, json.dumps(BODY).encode())
    request.headers.replace_header(
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={KEY_ID}/20260101/{REGION}/personalize/aws4_request",
    )

    status, code, message = send(request)

    assert (status, code) == (400, "IncompleteSignatureException")
    assert "'SignedHeaders'" in message


def test_a_signature_older_than_five_minutes_has_expired():
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8900/events",
        data=b"{}",
        headers={"Host": "127.0.0.1:8900"},
    )
    SigV4Auth(Credentials(KEY_ID, SECRET), "personalize", REGION).add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    verifier = SigV4Verifier({KEY_ID: SECRET})
    assert verifier.verify("POST", request.url, headers, b"{}") == KEY_ID

    verifier.clock = lambda: SigV4Verifier({}).clock() + timedelta(minutes=6)
    with pytest.raises(InvalidSignatureException, match="Signature expired"):
        verifier.verify("POST", request.url, headers, b"{}")


def test_authentication_is_off_by_default(memory_server, memory):
    client = make_client("personalize-events", memory_server.url, key="anything", secret="at-all")

    put_one(client)

    assert len(memory.events) == 1


def test_access_keys_without_botocore_is_improperly_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "botocore.auth", None)

    with pytest.raises(ImproperlyInstalled, match="botocore"):
        PersonalizeServer(MemoryBackend(), {"access_keys": {KEY_ID: SECRET}})
