"""Bad input answers the modeled exception botocore raises, naming the member
and the rule; bad data fails its job with a failureReason naming the cause."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.sdk.server.conftest import make_client
from tests.sdk.server.control.conftest import INTERACTIONS_SCHEMA, ROLE


@pytest.fixture(scope="module")
def loose(plane):
    """A client with botocore's own checks off: what reaches the server is the server's to refuse."""
    return make_client("personalize", plane.url, parameter_validation=False)


def interactions_dataset(plane, name: str) -> str:
    """An empty ECOMMERCE interactions dataset in a dataset group of its own."""
    client = plane.personalize
    group = client.create_dataset_group(name=name, domain="ECOMMERCE")["datasetGroupArn"]
    plane.wait("DatasetGroup", group)
    schema = client.create_schema(name=name, schema=json.dumps(INTERACTIONS_SCHEMA), domain="ECOMMERCE")["schemaArn"]
    arn = client.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group, datasetType="INTERACTIONS")["datasetArn"]
    plane.wait("Dataset", arn)
    return arn


@pytest.fixture(scope="module")
def dataset(plane):
    return interactions_dataset(plane, "bad")


def test_an_unknown_arn_is_resource_not_found(plane):
    with pytest.raises(plane.personalize.exceptions.ResourceNotFoundException, match="does not exist"):
        plane.personalize.describe_campaign(campaignArn="arn:aws:personalize:local:000000000000:campaign/nope")


def test_a_duplicate_name_is_resource_already_exists(plane):
    client = plane.personalize
    client.create_dataset_group(name="twice")
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException, match="twice"):
        client.create_dataset_group(name="twice")


@pytest.mark.parametrize(
    "params, where, rule",
    [
        ({"name": "n" * 64}, "name", "length less than or equal to 63"),
        ({"name": "-starts-with-a-dash"}, "name", "regular expression pattern"),
        ({"name": "ok", "domain": "GROCERY"}, "domain", "enum value set"),
        ({"name": "ok", "roleArn": "not-a-role"}, "roleArn", "regular expression pattern"),
        ({}, "name", "must not be null"),
    ],
)
def test_the_model_s_constraints_are_checked_by_the_server(plane, loose, params, where, rule):
    with pytest.raises(loose.exceptions.InvalidInputException) as info:
        loose.create_dataset_group(**params)
    message = info.value.response["Error"]["Message"]
    assert f"Value at '{where}'" in message and rule in message


def test_a_value_over_a_limit_is_invalid_input(plane, loose):
    with pytest.raises(loose.exceptions.InvalidInputException, match="maxResults"):
        loose.list_schemas(maxResults=101)


def test_a_foreign_next_token_is_refused(plane):
    with pytest.raises(plane.personalize.exceptions.InvalidNextTokenException):
        plane.personalize.list_dataset_groups(nextToken="bm90IG91cnM=")


def test_a_schema_that_is_not_avro_is_invalid_input(plane):
    with pytest.raises(plane.personalize.exceptions.InvalidInputException, match="flat"):
        plane.personalize.create_schema(name="nested", schema=json.dumps(
            {"type": "record", "name": "Items", "fields": [{"name": "TAGS", "type": {"type": "array", "items": "string"}}]}
        ))


def test_a_domain_dataset_without_its_required_field_is_invalid_input(plane, dataset):
    client = plane.personalize
    group = client.describe_dataset(datasetArn=dataset)["dataset"]["datasetGroupArn"]
    fields = [f for f in INTERACTIONS_SCHEMA["fields"] if f["name"] != "EVENT_TYPE"]
    schema = client.create_schema(name="no-event-type", domain="ECOMMERCE",
                                  schema=json.dumps(dict(INTERACTIONS_SCHEMA, fields=fields)))["schemaArn"]
    with pytest.raises(client.exceptions.InvalidInputException, match="EVENT_TYPE"):
        client.create_dataset(name="x", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")


def _import(plane, dataset, name, text):
    job = plane.personalize.create_dataset_import_job(
        jobName=name, datasetArn=dataset, roleArn=ROLE,
        dataSource={"dataLocation": plane.upload(f"bad/{name}.csv", text)},
    )["datasetImportJobArn"]
    return plane.wait("DatasetImportJob", job)


def test_an_import_missing_a_schema_field_fails_naming_it(plane, dataset):
    described = _import(plane, dataset, "no-type", "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n")
    assert described["status"] == "CREATE FAILED"
    assert "EVENT_TYPE is missing from the data" in described["failureReason"]


@pytest.mark.parametrize(
    "row, cause",
    [
        (f"u1,{'i' * 257},View,1700000000", "ITEM_ID is 257 characters; the limit is 256"),
        ("u1,i1,View,yesterday", "TIMESTAMP 'yesterday' is not a long"),
        ("u1,,View,1700000000", "ITEM_ID is required"),
        ("u1,i1,View", "has 3 cells; the header has 4"),
    ],
)
def test_an_import_with_a_bad_row_fails_naming_the_line_and_imports_nothing(plane, dataset, row, cause):
    text = "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\nu1,i1,View,1700000000\n" + row + "\n"
    described = _import(plane, dataset, f"bad-{abs(hash(row))}", text)
    assert described["status"] == "CREATE FAILED"
    assert f"line 3: {cause}" in described["failureReason"]
    group = plane.personalize.describe_dataset(datasetArn=dataset)["dataset"]["datasetGroupArn"]
    assert list(plane.app.control.ctx.groups.backend(group).iter_events()) == []


def test_an_import_from_a_missing_file_fails_naming_the_location(plane, dataset):
    job = plane.personalize.create_dataset_import_job(
        jobName="missing", datasetArn=dataset, roleArn=ROLE, dataSource={"dataLocation": "s3://bucket/none.csv"}
    )["datasetImportJobArn"]
    described = plane.wait("DatasetImportJob", job)
    assert described["status"] == "CREATE FAILED"
    assert "s3://bucket/none.csv" in described["failureReason"]


def test_a_filter_that_does_not_parse_is_invalid_input(plane, dataset):
    group = plane.personalize.describe_dataset(datasetArn=dataset)["dataset"]["datasetGroupArn"]
    with pytest.raises(plane.personalize.exceptions.InvalidInputException, match="filterExpression"):
        plane.personalize.create_filter(name="broken", datasetGroupArn=group, filterExpression="EXCLUDE ItemID WHERE")


def test_exploration_outside_its_range_is_invalid_input(plane, dataset):
    group = plane.personalize.describe_dataset(datasetArn=dataset)["dataset"]["datasetGroupArn"]
    with pytest.raises(plane.personalize.exceptions.InvalidInputException, match="explorationWeight"):
        plane.personalize.create_recommender(
            name="too-curious", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            recommenderConfig={"itemExplorationConfig": {"explorationWeight": "1.5"}},
        )


def _post(url: str, target: str, body: bytes = b"{}") -> tuple[int, dict]:
    request = urllib.request.Request(
        url + "/", data=body, method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_errors_carry_their_code_in_type_as_aws_json_does(plane):
    status, body = _post(plane.url, "AmazonPersonalize.DescribeSchema", b'{"schemaArn": "arn:aws:personalize:::x/y"}')
    assert (status, body["__type"]) == (400, "ResourceNotFoundException")
    status, body = _post(plane.url, "AmazonPersonalize.FlyToTheMoon")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = _post(plane.url, "AmazonPersonalize.ListSchemas", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_the_control_plane_checks_sigv4_when_keys_are_configured(tmp_path_factory):
    from tests.sdk.server.conftest import KEY_ID, SECRET
    from tests.sdk.server.control.conftest import make_plane

    plane, patch = make_plane(tmp_path_factory, "signed", config={"access_keys": {KEY_ID: SECRET}})
    try:
        assert plane.personalize.list_schemas()["schemas"] == []
        stranger = make_client("personalize", plane.url, key="AKIDSTRANGER", secret="nope")
        with pytest.raises(stranger.exceptions.ClientError) as info:
            stranger.list_schemas()
        response = info.value.response
        assert response["Error"]["Code"] == "UnrecognizedClientException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        plane.stop()
        patch.undo()


def test_two_textual_fields_are_invalid_input(plane, dataset):
    client = plane.personalize
    group = client.describe_dataset(datasetArn=dataset)["dataset"]["datasetGroupArn"]
    fields = [{"name": "ITEM_ID", "type": "string"}, {"name": "PRICE", "type": "float"},
              {"name": "CATEGORY_L1", "type": "string", "categorical": True},
              {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
              {"name": "SUMMARY", "type": ["null", "string"], "textual": True}]
    schema = client.create_schema(name="wordy", domain="ECOMMERCE",
                                  schema=json.dumps({"type": "record", "name": "Items", "fields": fields}))["schemaArn"]
    with pytest.raises(client.exceptions.InvalidInputException, match="at most one textual field"):
        client.create_dataset(name="wordy", schemaArn=schema, datasetGroupArn=group, datasetType="Items")


@pytest.fixture(scope="module")
def typed(plane):
    """An interactions dataset of its own (the imports below add rows)."""
    return interactions_dataset(plane, "typed")


@pytest.mark.parametrize("types, status", [(9, "ACTIVE"), (10, "CREATE FAILED")])
def test_event_types_and_optional_fields_are_at_most_ten_together(plane, typed, types, status):
    # The schema's EVENT_TYPE counts as one optional field: 9 event types fit, 10 do not.
    rows = "".join(f"u1,i1,Type{n},{1_700_000_000 + n}\n" for n in range(types))
    described = _import(plane, typed, f"types-{types}", "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + rows)
    assert described["status"] == status, described.get("failureReason")
    if status == "CREATE FAILED":
        assert "10 distinct event types and the schema 1 optional metadata fields (EVENT_TYPE)" in described["failureReason"]
        assert "at most 10" in described["failureReason"]
