"""The server's request shapes against botocore's service models: every
member, required flag, length, size, range and pattern must agree, so the
server refuses exactly what the model says Personalize refuses."""

from __future__ import annotations

import pytest

botocore_session = pytest.importorskip("botocore.session")

from personalize_sdk.server import shapes  # noqa: E402
from personalize_sdk.server.shapes import MAX_INPUT_LIST, MAX_NUM_RESULTS  # noqa: E402

SERVICES = {
    "PutEvents": "personalize-events",
    "PutItems": "personalize-events",
    "PutUsers": "personalize-events",
    "GetRecommendations": "personalize-runtime",
    "GetPersonalizedRanking": "personalize-runtime",
}
#: limits we enforce that the model leaves to the documentation (reference 2.2)
DOCUMENTED = {
    ("GetRecommendations", "numResults", "max"): MAX_NUM_RESULTS,
    ("GetPersonalizedRanking", "inputList", "max"): MAX_INPUT_LIST,
}


def compare(ours, theirs, where: str, operation: str, problems: list[str]) -> None:
    """Walk both shapes together, recording every difference."""
    kind = {
        "structure": shapes.Structure,
        "list": shapes.List,
        "map": shapes.Map,
        "string": shapes.String,
        "integer": shapes.Integer,
        "float": shapes.Float,
        "double": shapes.Float,
        "timestamp": shapes.Timestamp,
    }[theirs.type_name]
    if not isinstance(ours, kind):
        problems.append(f"{where}: ours is {type(ours).__name__}, the model's {theirs.type_name}")
        return
    if theirs.type_name == "structure":
        if set(ours.members) != set(theirs.members):
            problems.append(f"{where}: members {sorted(ours.members)} != {sorted(theirs.members)}")
        if set(ours.required) != set(theirs.required_members):
            problems.append(
                f"{where}: required {sorted(ours.required)} != {sorted(theirs.required_members)}"
            )
        for name in set(ours.members) & set(theirs.members):
            compare(
                ours.members[name],
                theirs.members[name],
                f"{where}.{name}".lstrip("."),
                operation,
                problems,
            )
        return
    metadata = theirs.metadata
    for bound in ("min", "max", "pattern"):
        if not hasattr(ours, bound):
            continue
        expected = metadata.get(bound)
        documented = DOCUMENTED.get((operation, where, bound))
        if documented is not None:
            assert (
                expected is None
            ), f"{where}: the model now has a {bound}; drop the documented one"
            expected = documented
        if getattr(ours, bound) != expected:
            problems.append(f"{where}: {bound} {getattr(ours, bound)!r} != {expected!r}")
    if theirs.type_name == "list":
        compare(ours.member, theirs.member, f"{where}[]", operation, problems)
    if theirs.type_name == "map":
        compare(ours.key, theirs.key, f"{where}{{key}}", operation, problems)
        compare(ours.value, theirs.value, f"{where}{{value}}", operation, problems)


@pytest.mark.parametrize("operation", sorted(SERVICES))
def test_the_shape_matches_botocores_model(operation):
    model = botocore_session.get_session().get_service_model(SERVICES[operation])
    problems: list[str] = []

    compare(
        shapes.SHAPES[operation],
        model.operation_model(operation).input_shape,
        "",
        operation,
        problems,
    )

    assert problems == []


@pytest.mark.parametrize("operation", sorted(SERVICES))
def test_the_route_matches_botocores_model(operation):
    from personalize_sdk.server.app import ROUTES

    http = (
        botocore_session.get_session()
        .get_service_model(SERVICES[operation])
        .operation_model(operation)
        .http
    )
    assert ROUTES[(http["method"], http["requestUri"])][0] == operation


def test_a_drift_would_be_caught():
    model = botocore_session.get_session().get_service_model("personalize-events")
    loose = shapes.Structure(
        members={**shapes.PUT_ITEMS.members, "datasetArn": shapes.String(max=2048)},
        required=("items",),
    )
    problems: list[str] = []

    compare(loose, model.operation_model("PutItems").input_shape, "", "PutItems", problems)

    assert any("required" in p for p in problems) and any("datasetArn: max" in p for p in problems)
