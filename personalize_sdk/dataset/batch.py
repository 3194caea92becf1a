"""Batch recommendations (for email campaigns) computed through any backend.

    with open("newsletter.jsonl", "w") as out:
        summary = write_batch_recommendations(client, out, user_ids=user_ids, num_results=12)

One JSON line per user (or item, for the item-based use cases), in the shape
of Amazon Personalize's batch inference output, so that whatever reads the
file works on both::

    {"input": {"userId": "42"}, "output": {"recommendedItems": ["7", "3"], "scores": [0.4, 0.2],
     "recommendationId": "...", "source": "model"}, "error": null}

This asks the client one user at a time, which is what a batch job on the
local engine does (the engine answers from memory). On AWS, campaigns have
batch inference jobs for large lists
(:func:`personalize_sdk.provisioning.start_batch_inference_job`); domain
recommenders have none, so there this loop over GetRecommendations is the way.
A failure for one user is written on that user's line and counted; it does
not stop the batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterable, Mapping

from ..exceptions import PersonalizeError
from ..use_cases import USE_CASES


@dataclass
class BatchSummary:
    written: int = 0
    errors: int = 0


def batch_line(key: str, value: str, recommendations: Any = None, error: str | None = None) -> str:
    """One output line (``key`` is ``"userId"`` or ``"itemId"``)."""
    output = None
    if recommendations is not None:
        output = {"recommendedItems": [r.item_id for r in recommendations]}
        if any(r.score is not None for r in recommendations):
            output["scores"] = [r.score for r in recommendations]
        output["recommendationId"] = recommendations.recommendation_id
        output["source"] = recommendations.source
    return json.dumps({"input": {key: value}, "output": output, "error": error}, separators=(",", ":")) + "\n"


def write_batch_recommendations(
    client: Any,
    stream: IO[str],
    *,
    use_case: str = "recommended_for_you",
    user_ids: Iterable[str] = (),
    item_ids: Iterable[str] = (),
    num_results: int = 25,
    filter: str | None = None,
    filter_values: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> BatchSummary:
    """Write one line per id to ``stream``; ``client`` is a
    :class:`~personalize_sdk.client.Client` (anything with its ``recommend``).
    User-based use cases read ``user_ids``, item-based ones ``item_ids``; the
    popular-item use cases take ``user_ids`` and give every user the same list."""
    if use_case not in USE_CASES:
        raise ValueError(f"unknown use case {use_case!r}; known use cases: {', '.join(USE_CASES)}")
    by_item = USE_CASES[use_case] == "item_id"
    key, ids = ("itemId", item_ids) if by_item else ("userId", user_ids)
    summary = BatchSummary()
    for value in ids:
        kwargs = {"item_id": value} if by_item else {"user_id": value}
        try:
            recommendations = client.recommend(use_case, num_results=num_results, filter=filter,
                                               filter_values=filter_values, **kwargs)
        except PersonalizeError as err:
            stream.write(batch_line(key, value, error=f"{type(err).__name__}: {err}"))
            summary.errors += 1
        else:
            stream.write(batch_line(key, value, recommendations))
        summary.written += 1
        if progress is not None and summary.written % progress_every == 0:
            progress(summary.written)
    if progress is not None:
        progress(summary.written)
    return summary
