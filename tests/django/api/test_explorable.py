"""The API can be explored: Swagger UI and Redoc offline, token auth in the
schema, plain component names, one error shape, unknown parameters refused,
and exclude / partial for single-page apps."""

from __future__ import annotations

import re

import pytest

from .conftest import API


def pid(product) -> str:
    return str(product.pk)

pytestmark = pytest.mark.django_db


def schema(client) -> dict:
    return client.get(API + "schema/?format=json").json()


@pytest.mark.parametrize("page, script", [
    ("swagger-ui", "swagger-ui-bundle.js"),
    ("redoc", "redoc.standalone.js"),
])
def test_the_docs_pages_load_their_scripts_from_this_site(client, page, script):
    response = client.get(API + f"schema/{page}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert API + "schema/" in text  # the schema they read
    [src] = re.findall(r'src="([^"]*' + re.escape(script) + ')"', text)
    assert src.startswith("/") and "//" not in src  # no CDN
    asset = client.get(src)
    assert asset.status_code == 200
    assert b"".join(asset.streaming_content)


def test_only_the_docs_assets_are_served(client):
    assert client.get(API + "schema/assets/swagger-ui-dist/LICENSE").status_code == 200
    assert client.get(API + "schema/assets/../../settings.py").status_code == 404
    assert client.get(API + "schema/assets/redoc/bundles/redoc.standalone.js.map").status_code == 404


def test_items_and_users_declare_token_auth_only(client):
    doc = schema(client)
    assert doc["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"
    for path in ("items/", "users/"):
        assert doc["paths"][API + path]["post"]["security"] == [{"tokenAuth": []}]
    assert {"cookieAuth": []} in doc["paths"][API + "events/"]["post"]["security"]


def test_component_names_are_not_doubled(client):
    names = list(schema(client)["components"]["schemas"])
    for name in names:
        words = re.findall(r"[A-Z][a-z]*", name)
        assert all(a != b for a, b in zip(words, words[1:])), name
    assert "EventBatchRequest" in names and "RankingRequest" in names


def test_every_4xx_is_documented_as_the_error_shape(client):
    for path, operations in schema(client)["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (path, method, status)


@pytest.mark.parametrize("query, unknown", [
    ("num_results=3", "num_results"),
    ("limt=3", "limt"),
    ("filter=in_category&CATEGORY=x&COLOR=y", "COLOR"),
])
def test_an_unknown_query_parameter_names_the_known_ones(catalogue, browser, settings, query, unknown):
    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    }
    response = browser.get(API + f"recommendations/best_sellers/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["code"]) == (unknown, "unknown_parameter")
    assert "known: item, limit, filter, user, exclude, format" in body["rule"]
    assert "context.<KEY>" in body["rule"]


def test_the_post_endpoints_take_no_query_parameter(catalogue, service):
    response = service.post(API + "ranking/?limit=3", {"item_ids": ["1"], "user_id": "u"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "limit"
    assert "known: format" in response.json()["rule"]


@pytest.mark.parametrize("query", ["exclude={cap}&exclude={wool}", "exclude={cap},{wool}"])
def test_exclude_leaves_items_out(catalogue, backend, browser, query):
    ids = [pid(catalogue[n]) for n in ("cap", "wool", "cotton", "boot")]
    backend.set_recommendations("best_sellers", ids)
    url = API + "recommendations/best_sellers/?limit=2&" + query.format(
        cap=ids[0], wool=ids[1]
    )
    body = browser.get(url).json()
    assert [i["item_id"] for i in body["items"]] == ids[2:]
    assert body["partial"] is False


def test_a_shorter_list_says_partial_with_a_reason(catalogue, backend, browser, settings):
    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    }
    from personalize_django.client import get_backend

    get_backend().set_recommendations("best_sellers", [pid(catalogue["cap"])])
    body = browser.get(
        API + "recommendations/best_sellers/?limit=5&filter=in_category&CATEGORY=Hats"
    ).json()
    assert len(body["items"]) < 5
    assert body["partial"] is True and body["reason"]


@pytest.mark.parametrize("call, status", [
    (lambda c: c.get(API + "recommendations/nope/"), 404),
    (lambda c: c.put(API + "events/", {}, format="json"), 405),
    (lambda c: c.post(API + "items/", "x", content_type="application/xml"), 415),
    (lambda c: c.post(API + "events/", "{not json", content_type="application/json"), 400),
])
def test_drf_errors_take_the_one_shape(service, call, status):
    response = call(service)
    assert response.status_code == status
    body = response.json()
    assert set(body) >= {"detail", "code"}
    assert isinstance(body["detail"], str)


def test_a_bad_token_is_answered_in_the_one_shape(db):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.post(API + "items/", {"items": []}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert "WWW-Authenticate" in response


def test_a_serializer_error_names_the_member(catalogue, service):
    response = service.post(API + "ranking/", {"user_id": "u", "item_ids": []}, format="json")
    body = response.json()
    assert body["field"] == "item_ids" and body["detail"].startswith("item_ids: ")
    assert body["code"] == "min_length"


def test_the_error_responses_of_a_test_are_checked(error_responses, catalogue, browser):
    browser.get(API + "recommendations/best_sellers/?limit=0")
    assert [(s, b["field"]) for _p, _m, s, b in error_responses.seen] == [(400, "limit")]
    error_responses.seen.append(("/api/personalize/ranking/", "post", 400, {"field": "x"}))
    with pytest.raises(AssertionError, match="not its schema's shape"):
        error_responses.validate()
    error_responses.seen.clear()


def test_a_bad_filter_value_is_named_by_its_query_parameter(catalogue, browser, settings):
    settings.PERSONALIZE = {
        "BACKEND": "memory",
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    }
    response = browser.get(
        API + "recommendations/best_sellers/", {"filter": "in_category", "CATEGORY": 'a"b'}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "CATEGORY"
