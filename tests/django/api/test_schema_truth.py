"""The schema says what the API accepts, and the API answers what the schema
says: each test is a place where the two once disagreed."""

from __future__ import annotations

import pytest
from django.test import override_settings

from .conftest import API, ErrorResponses

MEMORY = "personalize_sdk.backends.memory.MemoryBackend"
POSTS = ("events/", "ranking/", "items/", "users/")


def schema() -> dict:
    ErrorResponses.schema = None  # the schema of the settings of the moment
    return ErrorResponses.load_schema()


def component(name: str) -> dict:
    return schema()["components"]["schemas"][name]


def operation(path: str, method: str = "post") -> dict:
    return schema()["paths"][API + path][method]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, key, request_component",
    [
        ("events/", "events", "EventBatchRequest"),
        ("items/", "items", "ItemBatchRequest"),
        ("users/", "users", "UserBatchRequest"),
    ],
)
def test_an_empty_batch_is_refused_and_the_schema_says_so(service, path, key, request_component):
    response = service.post(API + path, {key: []}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == key
    with override_settings(PERSONALIZE={"BACKEND": MEMORY, "API_MAX_BATCH": 7}):
        batch = component(request_component)["properties"][key]
    assert (batch["minItems"], batch["maxItems"]) == (1, 7)


@pytest.mark.django_db
@pytest.mark.parametrize("path", POSTS)
def test_a_multipart_body_is_a_415_in_the_error_shape_and_documented(service, path):
    body = b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--xx--\r\n"
    response = service.post(API + path, body, content_type="multipart/form-data; boundary=xx")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unsupported_media_type"
    assert "415" in operation(path)["responses"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, method, statuses",
    [
        ("recommendations/{use_case}/", "get", {"400", "401", "404", "406", "429"}),
        ("ranking/", "post", {"400", "401", "403", "406", "413", "415", "429"}),
        ("events/", "post", {"400", "401", "403", "406", "409", "413", "415", "429"}),
        ("items/", "post", {"400", "401", "403", "406", "413", "415", "429"}),
        ("users/", "post", {"400", "401", "403", "406", "413", "415", "429"}),
    ],
)
def test_every_error_status_is_documented_with_the_error_shape(path, method, statuses, db):
    responses = operation(path, method)["responses"]
    errors = {code for code in responses if code.startswith(("4", "5"))}
    assert errors == statuses
    for code in errors:
        ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Error"


@pytest.mark.django_db
def test_an_answer_in_a_media_type_other_than_json_is_a_406_in_the_error_shape(service):
    response = service.get(API + "recommendations/best_sellers/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "event, field",
    [
        ({"event_type": "View", "session_id": "s", "item_id": 5}, "item_id"),
        ({"event_type": "View", "session_id": "s", "impression": [1, 2]}, "impression"),
        ({"event_type": "View", "session_id": 7}, "session_id"),
        ({"event_type": "View", "session_id": "s", "event_id": 3}, "event_id"),
    ],
)
def test_integer_ids_are_refused_as_the_schema_says_ids_are_strings(service, event, field):
    response = service.post(API + "events/", {"events": [event]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    member = component("EventRequest")["properties"][field]
    assert "integer" not in str(member)


@pytest.mark.django_db
def test_integer_item_ids_are_refused_by_ranking_and_items(service):
    ranked = service.post(API + "ranking/", {"item_ids": [1], "user_id": "u"}, format="json")
    assert ranked.status_code == 400 and ranked.json()["field"] == "item_ids[0]"
    items = service.post(API + "items/", {"items": [{"item_id": 1}]}, format="json")
    assert items.status_code == 400 and items.json()["errors"][0]["field"] == "item_id"


@pytest.mark.django_db
def test_an_empty_filter_is_refused_and_the_schema_lists_the_configured_filters(service):
    config = {
        "BACKEND": MEMORY,
        "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    }
    with override_settings(PERSONALIZE=config):
        listed = service.get(API + "recommendations/best_sellers/?filter=")
        ranked = service.post(
            API + "ranking/", {"item_ids": ["1"], "user_id": "u", "filter": ""}, format="json"
        )
        parameters = operation("recommendations/{use_case}/", "get")["parameters"]
        [param] = [p for p in parameters if p["name"] == "filter"]
    assert listed.status_code == 400 and listed.json()["field"] == "filter"
    assert ranked.status_code == 400 and ranked.json()["field"] == "filter"
    assert "" not in param["schema"]["enum"]
    assert "in_category" in param["schema"]["enum"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, record",
    [
        ("items/", {"item_id": "1", "properties": '{"price": 3}'}),  # a JSON string
        ("users/", {"user_id": "1", "properties": {"price": {"eur": 3}}}),  # nested
    ],
)
def test_properties_are_an_object_of_columns_to_scalars(service, path, record):
    key = path.rstrip("/")
    response = service.post(API + path, {key: [record]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("properties")


@pytest.mark.django_db
def test_the_schema_of_properties_says_what_they_hold(db):
    properties = component("ItemRecordRequest")["properties"]["properties"]
    assert properties["type"] == ["object", "null"]
    assert properties["propertyNames"]["pattern"] == "^[A-Za-z_][A-Za-z0-9_]*$"
    assert properties["additionalProperties"]["type"] == ["string", "number", "boolean", "null"]
    reserved = component("EventRequest")["properties"]["properties"]["propertyNames"]
    assert "not" in reserved["allOf"][1]


@pytest.mark.django_db
def test_a_huge_event_value_is_a_400_not_a_server_error(service):
    body = '{"events": [{"event_type": "View", "session_id": "s", "event_value": 1%s}]}' % (
        "0" * 400
    )
    response = service.post(API + "events/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "event_value"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["items/", "users/"])
def test_the_trusted_endpoints_answer_401_without_a_token(browser, path):
    key = path.rstrip("/")
    response = browser.post(API + path, {key: [{f"{key[:-1]}_id": "1"}]}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert operation(path)["security"] == [{"tokenAuth": []}]


@pytest.mark.django_db
def test_a_batch_partly_refused_is_a_207_and_documented(service):
    events = [{"event_type": "View", "session_id": "s"}, {"event_type": "View", "colour": "red"}]
    response = service.post(API + "events/", {"events": events}, format="json")
    assert response.status_code == 207
    assert response.json() == {
        "accepted": 1,
        "errors": [{"index": 1, "field": "colour", "rule": "is not a known event field"}],
    }
    assert "207" in operation("events/")["responses"]
    assert component("EventRequest")["additionalProperties"] is False


@pytest.mark.django_db
def test_an_event_id_taken_by_another_event_is_a_409(service):
    first = {"event_type": "View", "session_id": "s1", "event_id": "evt-1"}
    assert service.post(API + "events/", {"events": [first]}, format="json").status_code == 200
    other = {**first, "session_id": "s2"}
    response = service.post(API + "events/", {"events": [other]}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["errors"][0]["field"] == "event_id"


@pytest.mark.django_db
def test_a_service_event_without_a_session_gets_one(service):
    from .conftest import outbox

    events = [{"event_type": "View", "user_id": "u1"}, {"event_type": "View"}]
    response = service.post(API + "events/", {"events": events}, format="json")
    assert response.status_code == 200
    first, second = outbox()
    assert first["session_id"].startswith("user-") and first["user_id"] == "u1"
    assert second["session_id"].startswith("event-")


@pytest.mark.django_db
def test_null_members_are_taken_as_absent_as_the_schema_says(service):
    event = {"event_type": "View", "session_id": "s", "event_id": None, "use_case": None}
    response = service.post(API + "events/", {"events": [event]}, format="json")
    assert response.status_code == 200
    assert component("EventRequest")["properties"]["event_id"]["type"] == ["string", "null"]
