"""Batch recommendations through a client, in Personalize's batch output shape."""

from __future__ import annotations

import io
import json

import pytest

from personalize_sdk.dataset.batch import write_batch_recommendations
from personalize_sdk.exceptions import NotReadyError
from personalize_sdk.provisioning import read_batch_output


def test_one_line_per_user_in_the_batch_output_shape(memory_backend, sync_client):
    memory_backend.set_recommendations("recommended_for_you", [("7", 0.5), ("3", 0.25)], user_id="u1",
                                       recommendation_id="rid-1")
    memory_backend.set_recommendations("recommended_for_you", ["9"], user_id="u2")
    memory_backend.fail_next(NotReadyError("no model yet"), method="recommend")
    out = io.StringIO()
    summary = write_batch_recommendations(sync_client, out, user_ids=["u0", "u1", "u2"], num_results=5)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (summary.written, summary.errors) == (3, 1)
    assert lines[0] == {"input": {"userId": "u0"}, "output": None, "error": "NotReadyError: no model yet"}
    assert lines[1]["output"] == {"recommendedItems": ["7", "3"], "scores": [0.5, 0.25],
                                  "recommendationId": "rid-1", "source": "model"}
    assert "scores" not in lines[2]["output"]
    # the same reader parses these and AWS's files
    parsed = list(read_batch_output(out.getvalue().splitlines()))
    assert parsed[1]["items"] == [{"item_id": "7", "score": 0.5}, {"item_id": "3", "score": 0.25}]
    assert [r.num_results for r in memory_backend.requests] == [5, 5]  # the failed call is not kept


def test_item_based_use_cases_read_item_ids(memory_backend, sync_client):
    memory_backend.set_recommendations("also_viewed", ["b"], item_id="a")
    out = io.StringIO()
    write_batch_recommendations(sync_client, out, use_case="also_viewed", item_ids=["a"], user_ids=["ignored"])
    assert json.loads(out.getvalue())["input"] == {"itemId": "a"}


def test_unknown_use_case(sync_client):
    with pytest.raises(ValueError, match="unknown use case"):
        write_batch_recommendations(sync_client, io.StringIO(), use_case="trending", user_ids=["u"])
