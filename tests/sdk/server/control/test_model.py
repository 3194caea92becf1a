"""The validation and output shaping driven by botocore's model."""

from __future__ import annotations

import re

import pytest

from personalize_sdk.server.control.model import java_pattern, service_model
from personalize_sdk.server.errors import InvalidInputException, SerializationException

MODEL = service_model()


@pytest.mark.parametrize("operation", sorted(MODEL.operations))
def test_every_operation_s_required_members_are_enforced(operation):
    spec = MODEL.operations[operation].get("input")
    required = MODEL.shapes[spec["shape"]].get("required", []) if spec else []
    if not required:
        assert MODEL.validate(operation, {}) == {}
        return
    with pytest.raises(InvalidInputException) as info:
        MODEL.validate(operation, {})
    for member in required:
        assert f"Value at '{member}' failed to satisfy constraint: Member must not be null" in info.value.message


@pytest.mark.parametrize(
    "java, good, bad",
    [
        (r"\p{ASCII}{0,1500}", "token-1", "tökén"),
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "Team A:b/c", "semi;colon"),
        (r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*", "my-group", "-dash"),
    ],
)
def test_java_patterns_match_as_in_java(java, good, bad):
    pattern = java_pattern(java)
    assert re.fullmatch(pattern, good)
    assert not re.fullmatch(pattern, bad)


def test_nested_members_are_checked_with_their_path():
    with pytest.raises(InvalidInputException) as info:
        MODEL.validate("CreateDatasetImportJob", {
            "jobName": "j", "datasetArn": "arn:aws:personalize:local:0:dataset/g/ITEMS",
            "dataSource": {"dataLocation": "ftp://nowhere"}, "importMode": "SOMETIMES",
        })
    message = info.value.message
    assert "Value at 'dataSource.dataLocation' failed to satisfy constraint" in message
    assert "Value at 'importMode' failed to satisfy constraint: Member must satisfy enum value set: [FULL, INCREMENTAL]" in message


def test_a_member_of_the_wrong_json_type_is_a_serialization_error():
    with pytest.raises(SerializationException, match="performHPO"):
        MODEL.validate("CreateSolution", {"name": "s", "datasetGroupArn": "arn:aws:personalize:l:0:dataset-group/g",
                                          "performHPO": "yes"})


def test_answers_keep_only_the_output_shape_s_members():
    record = {"name": "g", "datasetGroupArn": "arn:x", "status": "ACTIVE", "_tags": {"a": "b"}, "kmsKeyArn": None}
    assert MODEL.output("DescribeDatasetGroup", {"datasetGroup": record}) == {
        "datasetGroup": {"name": "g", "datasetGroupArn": "arn:x", "status": "ACTIVE"}
    }
