"""Fixtures for the data-pipeline commands: a shop with history, the local engine,
and real boto3 clients behind botocore's Stubber in place of AWS."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import FakeSleep

REGION = "us-east-1"
ACCOUNT = "123456789012"
#: a fixed "now" well in the past of the real one, so no planted time is in the future
BASE = datetime(2024, 3, 1, tzinfo=timezone.utc)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:personalize:{REGION}:{ACCOUNT}:{kind}/{name}"


def run(*args, **options):
    """``call_command`` with stdout and stderr captured; returns both."""
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def manual_delivery(settings):
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}


@pytest.fixture
def history(db, django_user_model):
    """A shop with enough history to train: 60 users, 40 products in 4
    categories, 1,200 purchases (order lines written in bulk, as before the app
    was installed: no outbox rows) and 1,200 views recorded through the app
    (outbox rows). Each (user, item, type) happens once, at its own minute."""
    from personalize_django.recording import record_event
    from tests.django.testapp.models import Category, Order, OrderLine, Product

    rng = random.Random(7)
    categories = [Category.objects.create(name=f"Category {n}") for n in range(4)]
    products = Product.objects.bulk_create(
        [Product(category=categories[n % 4], name=f"P{n}", price=10 + n) for n in range(40)]
    )
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"shopper{n}") for n in range(60)]
    )
    pairs = [(u, p) for u in users for p in products]
    rng.shuffle(pairs)
    bought, viewed = pairs[:1200], pairs[1200:2400]
    orders = Order.objects.bulk_create([Order(customer=u) for u, _ in bought])
    # created_at is auto_now_add: give each order its own minute afterwards
    for n, order in enumerate(orders):
        order.created_at = BASE - timedelta(minutes=n)
    Order.objects.bulk_update(orders, ["created_at"])
    OrderLine.objects.bulk_create(
        [OrderLine(order=o, product=p, price=p.price) for o, (_, p) in zip(orders, bought)]
    )
    for n, (user, product) in enumerate(viewed):
        record_event(
            "View", user=user, item=product, sent_at=BASE - timedelta(minutes=n, seconds=30)
        )
    return {"users": users, "products": products, "bought": bought, "viewed": viewed}


@pytest.fixture
def fake_sleep(monkeypatch):
    from personalize_django import aws

    sleep = FakeSleep()
    monkeypatch.setattr(aws, "sleep", sleep)
    return sleep


class Stubs:
    """A real ``personalize`` and ``s3`` client, each wrapped in a Stubber."""

    def __init__(self, personalize, s3):
        self.personalize, self.s3 = personalize, s3

    def expect(self, method: str, response: dict | None = None, **params) -> None:
        self.personalize.add_response(method, response or {}, params or None)

    def expect_s3(self, method: str, response: dict | None = None, **params) -> None:
        self.s3.add_response(method, response or {}, params or None)


@pytest.fixture
def stubs(monkeypatch, fake_sleep):
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber

    from personalize_django import aws

    credentials = {"aws_access_key_id": "x", "aws_secret_access_key": "y", "region_name": REGION}
    personalize = boto3.client("personalize", **credentials)
    s3 = boto3.client("s3", **credentials)
    monkeypatch.setattr(aws, "personalize_client", lambda region=None: personalize)
    monkeypatch.setattr(aws, "s3_client", lambda region=None: s3)
    with Stubber(personalize) as p_stub, Stubber(s3) as s3_stub:
        yield Stubs(p_stub, s3_stub)
        p_stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()
