"""GET recommendations/<use_case>/ and POST ranking/."""

from __future__ import annotations

import pytest
from django.test import override_settings

from personalize_sdk import BackendError

from .conftest import API, csrf_token


def pid(product) -> str:
    return str(product.pk)


@pytest.mark.django_db
def test_recommendations_answer_the_contract_shape(catalogue, backend, browser):
    boot, cap, wool = catalogue["boot"], catalogue["cap"], catalogue["wool"]
    backend.set_recommendations(
        "also_viewed",
        [(pid(cap), 0.75), (pid(wool), 0.5), (pid(catalogue["cotton"]), 0.1)],
        item_id=pid(boot),
        recommendation_id="RID-42",
    )
    response = browser.get(API + "recommendations/also_viewed/", {"item": pid(boot), "limit": 2})
    assert response.status_code == 200
    assert response.json() == {
        "use_case": "also_viewed",
        "recommendation_id": "RID-42",
        "source": "model",
        "reason": None,
        "partial": False,
        "items": [
            {"item_id": pid(cap), "score": 0.75, "title": "Cap", "url": None},
            {"item_id": pid(wool), "score": 0.5, "title": "Wool", "url": None},
        ],
    }
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_filter_values_and_context_come_from_the_query(catalogue, browser):
    config = {
        "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    }
    with override_settings(PERSONALIZE=config):
        from personalize_django.client import get_backend

        backend = get_backend()
        response = browser.get(
            API
            + "recommendations/best_sellers/?limit=3&filter=in_category&CATEGORY=Shoes&CATEGORY=Socks"
            "&context.DEVICE=mobile"
        )
        sent = backend.requests[0]
    assert response.status_code == 200
    assert sent.filter == "in_category"
    assert dict(sent.filter_values) == {"CATEGORY": ("Shoes", "Socks")}
    assert dict(sent.context) == {"DEVICE": "mobile"}


@pytest.mark.django_db
def test_a_custom_item_serializer(catalogue, backend, browser):
    backend.set_recommendations("best_sellers", [pid(catalogue["cap"])])
    with override_settings(
        PERSONALIZE={
            "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
            "ITEM_SERIALIZER": "tests.django.api.test_read_endpoints.PriceSerializer",
        }
    ):
        from personalize_django.client import get_backend

        get_backend().set_recommendations("best_sellers", [pid(catalogue["cap"])])
        items = browser.get(API + "recommendations/best_sellers/?limit=1").json()["items"]
    assert items == [
        {"item_id": pid(catalogue["cap"]), "score": None, "name": "Cap", "price": "12.50"}
    ]


try:
    from rest_framework import serializers

    class PriceSerializer(serializers.Serializer):
        name = serializers.CharField()
        price = serializers.DecimalField(max_digits=9, decimal_places=2)

except ImportError:  # pragma: no cover (the conftest skips these tests then)
    pass


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, status, field",
    [
        ("recommendations/viewed_together/", 404, "use_case"),
        ("recommendations/also_viewed/", 400, "item"),
        ("recommendations/best_sellers/?limit=0", 400, "limit"),
        ("recommendations/best_sellers/?limit=501", 400, "limit"),
        ("recommendations/best_sellers/?filter=nope", 400, "filter"),
        ("recommendations/best_sellers/?bad-name=1", 400, "bad-name"),
        ("recommendations/best_sellers/?num_results=3", 400, "num_results"),
    ],
)
def test_recommendation_errors(catalogue, browser, url, status, field):
    response = browser.get(API + url)
    assert response.status_code == status
    body = response.json()
    assert body["field"] == field
    assert body["detail"].startswith(f"{field}: ") or status == 404


@pytest.mark.django_db
def test_browsers_cannot_ask_for_another_users_recommendations(catalogue, users, backend, browser):
    ann, bob = users
    backend.set_recommendations(
        "recommended_for_you", [pid(catalogue["wool"])], user_id=str(bob.pk)
    )
    backend.set_recommendations("recommended_for_you", [pid(catalogue["cap"])], user_id=str(ann.pk))
    browser.force_login(ann)
    body = browser.get(API + f"recommendations/recommended_for_you/?user={bob.pk}&limit=1").json()
    assert [i["item_id"] for i in body["items"]] == [pid(catalogue["cap"])]
    assert backend.requests[0].user_id == str(ann.pk)


@pytest.mark.django_db
def test_guests_are_served_by_session(catalogue, backend, browser):
    body = browser.get(API + "recommendations/recommended_for_you/?limit=1").json()
    session_user = backend.requests[0].user_id
    assert session_user and len(session_user) == 32  # the guest's personalize session id
    assert body["items"]  # topped up from the fallback queryset


@pytest.mark.django_db
def test_trusted_services_name_the_user(catalogue, users, backend, service):
    ann, bob = users
    backend.set_recommendations(
        "recommended_for_you", [pid(catalogue["wool"])], user_id=str(bob.pk)
    )
    body = service.get(API + f"recommendations/recommended_for_you/?user={bob.pk}&limit=1").json()
    assert [i["item_id"] for i in body["items"]] == [pid(catalogue["wool"])]


@pytest.mark.django_db
def test_backend_failure_answers_the_fallback(catalogue, backend, browser):
    backend.fail_next(BackendError("down"), times=10, method="recommend")
    response = browser.get(API + "recommendations/best_sellers/?limit=2")
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "fallback"
    assert [i["item_id"] for i in body["items"]] == [
        pid(catalogue["cotton"]),
        pid(catalogue["wool"]),
    ]


@pytest.mark.django_db
def test_ranking_for_the_browser_user(catalogue, users, backend, browser):
    ann, bob = users
    order = [pid(catalogue["wool"]), pid(catalogue["boot"]), pid(catalogue["cap"])]
    backend.set_recommendations("recommended_for_you", order, user_id=str(ann.pk))
    browser.force_login(ann)
    token = csrf_token(browser)
    response = browser.post(
        API + "ranking/",
        {
            "user_id": str(bob.pk),
            "item_ids": [pid(catalogue["cap"]), pid(catalogue["boot"]), pid(catalogue["wool"])],
        },
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["use_case"] is None
    assert [i["item_id"] for i in body["items"]] == order
    assert backend.requests[-1].user_id == str(ann.pk)  # not bob: the body's user is ignored


@pytest.mark.django_db
def test_ranking_drops_unavailable_and_unknown_items(catalogue, service, users):
    _, bob = users
    ids = [pid(catalogue["sandal"]), "999999", pid(catalogue["cap"])]
    response = service.post(
        API + "ranking/", {"user_id": str(bob.pk), "item_ids": ids}, format="json"
    )
    assert response.status_code == 200
    assert [i["item_id"] for i in response.json()["items"]] == [pid(catalogue["cap"])]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"item_ids": []}, "item_ids"),
        ({"item_ids": "42"}, "item_ids"),
        ({}, "item_ids"),
        ({"item_ids": ["1"], "filter": "nope"}, "filter"),
        ({"item_ids": ["1"], "filter_values": {"A": ['x"y']}}, "filter_values['A'][0]"),
    ],
)
def test_ranking_errors(catalogue, service, users, body, field):
    response = service.post(API + "ranking/", {"user_id": str(users[0].pk), **body}, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["field"] == field


@pytest.mark.django_db
def test_trusted_ranking_needs_a_user(catalogue, service):
    response = service.post(API + "ranking/", {"item_ids": [pid(catalogue["cap"])]}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "user_id"
