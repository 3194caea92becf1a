"""Secrets kept out of sight: Django's DEBUG page for an error inside the
client, and the error text the outbox stores."""

from __future__ import annotations

import sys

import pytest
from django.views.debug import technical_500_response

from personalize_django.client import get_client
from personalize_django.models import OutboxEvent
from personalize_django.outbox.delivery import deliver_pending
from personalize_django.recording import record_event
from personalize_sdk import BackendError, PersonalizeError

pytest.importorskip("boto3")

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ARN = "arn:aws:personalize:eu-west-1:123456789012"


def aws_settings(**options):
    return {
        "BACKEND": "personalize_sdk.backends.aws.AwsBackend",
        "DELIVERY": "manual",
        "OPTIONS": {
            "aws_access_key_id": KEY_ID,
            "aws_secret_access_key": SECRET,
            "region_name": "eu-west-1",
            **options,
        },
    }


def _bad_option():
    get_client()


def _failed_call():
    get_client().recommend("best_sellers")


@pytest.mark.parametrize(
    "options, call",
    [
        # fails while the backend is built, with the keys in every frame's arguments
        ({"recommenders": {"no_such_use_case": f"{ARN}:recommender/x"}}, _bad_option),
        # fails inside boto3, calling a port where nothing listens
        ({"recommenders": {"best_sellers": f"{ARN}:recommender/top"}, "endpoint_url": "http://127.0.0.1:9"},
         _failed_call),
    ],
    ids=["bad-option", "failed-call"],
)
def test_the_debug_page_of_an_error_in_the_client_never_shows_the_keys(settings, rf, options, call):
    settings.DEBUG = True
    settings.PERSONALIZE = aws_settings(**options)
    try:
        call()
    except PersonalizeError:
        response = technical_500_response(rf.get("/shop/"), *sys.exc_info())
    else:
        pytest.fail("the client did not fail")
    page = response.content.decode("utf-8")
    assert "Local vars" in page or "Local Vars" in page  # the page shows the frames' locals
    if call is _bad_option:  # the frames that hold the keys are on the page, masked
        assert "Secret(&#x27;********&#x27;)" in page
    assert page.count(SECRET) == 0
    assert page.count(KEY_ID) == 0


@pytest.mark.django_db
def test_stored_error_text_is_stripped_of_credentials(settings, backend):
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}
    record_event("View", item="1", session_id="s1")
    backend = get_client().backend
    backend.fail_next(
        BackendError(
            f"AccessDenied: request with Authorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/x, "
            f"aws_secret_access_key={SECRET} refused",
            retryable=False,
        )
    )
    deliver_pending()
    row = OutboxEvent.objects.get()
    assert row.state == OutboxEvent.DEAD and "AccessDenied" in row.last_error
    assert SECRET not in row.last_error and KEY_ID not in row.last_error

