"""A real boto3 ``personalize`` client with botocore's Stubber, and helpers to queue its answers."""

from __future__ import annotations

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import ANY, Stubber  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:personalize:{REGION}:{ACCOUNT}:{kind}/{name}"


class Account:
    """Queues Stubber answers in call order: ``expect`` for one call, helpers for common ones."""

    def __init__(self, client, stubber: Stubber):
        self.client = client
        self.stubber = stubber

    def expect(self, method: str, response: dict | None = None, **params) -> None:
        self.stubber.add_response(method, response or {}, params or None)

    def fail(self, method: str, code: str, message: str, **params) -> None:
        self.stubber.add_client_error(method, service_error_code=code, service_message=message,
                                      expected_params=params or None)

    def describe(self, method: str, key: str, arn_param: str, the_arn: str, *statuses: str, **extra) -> None:
        for status in statuses:
            self.expect(method, {key: {arn_param: the_arn, "status": status, **extra}}, **{arn_param: the_arn})


@pytest.fixture
def account():
    client = boto3.client("personalize", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stubber:
        yield Account(client, stubber)
        stubber.assert_no_pending_responses()


__all__ = ["ANY", "ACCOUNT", "REGION", "Account", "arn"]
