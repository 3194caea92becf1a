"""Secrets kept out of sight: the redacting type, the client's wrapping of
sensitive options, and the redaction of error text."""

from __future__ import annotations

import pprint
import traceback

import pytest

from personalize_sdk import Client, ConfigurationError
from personalize_sdk.backends.http import HttpBackend
from personalize_sdk.secrets import MASK, RedactedDict, Secret, is_sensitive, redact_options, redact_text

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def test_a_secret_never_shows_itself():
    secret = Secret(SECRET)
    assert SECRET not in repr(secret) and SECRET not in str(secret) and SECRET not in f"{secret}"
    assert SECRET not in pprint.pformat({"k": secret})
    assert secret.reveal() == SECRET and Secret(secret) == secret
    with pytest.raises(TypeError, match="holds a string"):
        Secret(42)


@pytest.mark.parametrize(
    "name, sensitive",
    [("aws_secret_access_key", True), ("aws_access_key_id", True), ("aws_session_token", True),
     ("token", True), ("Authorization", True), ("api_key", True), ("password", True),
     ("region_name", False), ("tracking_id", False), ("base_url", False), ("recommenders", False)],
)
def test_sensitive_names(name, sensitive):
    assert is_sensitive(name) is sensitive


def test_redact_options_wraps_sensitive_strings_and_masks_header_mappings():
    options = redact_options(
        {"aws_secret_access_key": SECRET, "region_name": "eu-west-1",
         "headers": {"Authorization": "Bearer abc123", "X-Shop": "1"}}
    )
    assert isinstance(options["aws_secret_access_key"], Secret)
    assert options["region_name"] == "eu-west-1"
    assert isinstance(options["headers"], RedactedDict) and options["headers"]["Authorization"] == "Bearer abc123"
    shown = pprint.pformat(options) + repr(options) + str(options)
    assert SECRET not in shown and "abc123" not in shown and "eu-west-1" in shown


def test_a_traceback_of_a_bad_option_holds_no_secret():
    # An unknown option fails in the backend's base class: every frame's
    # locals on the way (Client, load_backend, the backends) hold the Secret.
    with pytest.raises(ConfigurationError) as info:
        Client("memory", options={"api_key": SECRET}, sync_mode=True)
    frames = traceback.TracebackException.from_exception(info.value, capture_locals=True)
    shown = "".join(frames.format())
    assert "api_key" in shown and SECRET not in shown


def test_the_http_backend_masks_its_token_in_reprs():
    backend = HttpBackend(base_url="https://shop.example.com/api/", token="tok-123456")
    assert backend.headers["Authorization"] == "Token tok-123456"
    assert "tok-123456" not in repr(backend.headers) and "tok-123456" not in pprint.pformat(vars(backend))
    backend.close()


def test_the_http_backend_refuses_a_token_on_two_lines():
    with pytest.raises(ConfigurationError, match="single-line"):
        HttpBackend(base_url="https://shop.example.com/api/", token=Secret("a\r\nX-Evil: 1"))


@pytest.mark.parametrize(
    "text",
    [
        f"request failed; headers={{'Authorization': 'Token {SECRET}'}}",
        f"Authorization: Bearer {SECRET}",
        f"aws_secret_access_key={SECRET} region=eu-west-1",
        f'{{"token": "{SECRET}", "detail": "bad"}}',
        f"The security token included in the request is invalid: {SECRET}",
        f"Credential={KEY_ID}/20260101/eu-west-1/personalize/aws4_request, Signature=abcdef0123",
    ],
)
def test_redact_text_strips_credentials(text):
    redacted = redact_text(text)
    assert SECRET not in redacted and KEY_ID not in redacted and MASK in redacted


def test_redact_text_leaves_ordinary_error_text_alone():
    text = "InvalidInputException: Event 0f1e2d3c4b5a69788796a5b4c3d2e1f0 has an unknown itemId (HTTP 400)"
    assert redact_text(text) == text
