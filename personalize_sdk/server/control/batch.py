"""Batch inference and batch segment jobs, over the local S3 mapping.

A job reads the JSON-lines files at its input path (a file, or every file
under a folder) and writes, for each, ``<output path>/<input file name>.out``
in the output folder, one line per input line, as Personalize does:

* inference: ``{"input": {...}, "output": {"recommendedItems": [...], "scores": [...]}, "error": null}``
  (scores for user-personalization and ranking models only);
* segments: ``{"input": {"itemId": "..."}, "output": {"usersList": [...]}, "error": null}``.

A bad line is answered on its own output line (``"output": null`` and the
``error``); it does not stop the job.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator, Mapping

from ...exceptions import PersonalizeError
from ...filters.values import decode_filter_values
from ...use_cases import USE_CASES, RankingRequest, RecommendationRequest
from ..config import RANKING
from ..errors import InvalidInputException
from .context import Context
from .groups import ExploringBackend
from .jobs import JobFailed
from .resources import require

#: numResults of a batch job that sets none (the API reference's default)
DEFAULT_BATCH_RESULTS = 25


def _lines(ctx: Context, url: str) -> Iterator[tuple[str, Iterator[str]]]:
    try:
        files = ctx.s3.files(url, "jobInput.s3DataSource.path")
    except (FileNotFoundError, InvalidInputException) as err:
        raise JobFailed(str(err)) from None
    for path in files:
        with open(path, encoding="utf-8") as handle:
            yield os.path.basename(path), (line for line in handle if line.strip())


def _output_folder(ctx: Context, job: Mapping[str, Any]) -> str:
    url = job["jobOutput"]["s3DataDestination"]["path"]
    try:
        folder = ctx.s3.path(url if url.endswith("/") else url + "/", "jobOutput.s3DataDestination.path")
    except InvalidInputException as err:
        raise JobFailed(str(err)) from None
    os.makedirs(folder, exist_ok=True)
    return folder


def _run(ctx: Context, job: Mapping[str, Any], answer: Any) -> None:
    folder = _output_folder(ctx, job)
    for name, lines in _lines(ctx, job["jobInput"]["s3DataSource"]["path"]):
        with open(os.path.join(folder, name + ".out"), "w", encoding="utf-8") as out:
            for line in lines:
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ValueError("each line must be a JSON object")
                except ValueError as err:
                    out.write(json.dumps({"input": line.strip(), "output": None, "error": f"Invalid JSON: {err}"}) + "\n")
                    continue
                try:
                    output, error = answer(request), None
                except (PersonalizeError, ValueError, KeyError, TypeError) as err:
                    output, error = None, f"{type(err).__name__}: {err}"
                out.write(json.dumps({"input": request, "output": output, "error": error},
                                     separators=(",", ":")) + "\n")


def _job_context(ctx: Context, job: Mapping[str, Any]) -> tuple[dict[str, Any], Any, str | None]:
    version = ctx.store.get(job["solutionVersionArn"])
    if version is None:
        raise JobFailed(f"Solution version {job['solutionVersionArn']} does not exist any more.")
    backend: Any = ctx.groups.backend(version["datasetGroupArn"])
    exploration = (job.get("batchInferenceJobConfig") or {}).get("itemExplorationConfig")
    if exploration:
        backend = ExploringBackend(backend, exploration)
    return version, backend, job.get("filterArn")


def _infer(ctx: Context, job: dict) -> dict[str, Any]:
    version, backend, filter_arn = _job_context(ctx, job)
    use_case = version["_useCase"]
    solution = ctx.store.get(version["solutionArn"]) or {}
    scored = solution.get("_recipeType") in ("USER_PERSONALIZATION", "PERSONALIZED_RANKING")
    size = job.get("numResults") or DEFAULT_BATCH_RESULTS

    def answer(line: Mapping[str, Any]) -> dict[str, Any]:
        values = decode_filter_values(line.get("filterValues")) if line.get("filterValues") else {}
        if use_case == RANKING:
            result = backend.rank(RankingRequest(
                user_id=line["userId"], item_ids=tuple(line["itemList"]),
                filter=filter_arn, filter_values=values,
            ))
        else:
            needs = USE_CASES[use_case]
            key = "itemId" if needs == "item_id" else "userId"
            if needs and not line.get(key):
                raise ValueError(f"{key} is required by this model")
            result = backend.recommend(RecommendationRequest(
                use_case=use_case, user_id=line.get("userId"), item_id=line.get("itemId"),
                num_results=size, filter=filter_arn, filter_values=values,
            ))
        output: dict[str, Any] = {"recommendedItems": [r.item_id for r in result.items]}
        if scored:
            output["scores"] = [r.score for r in result.items]
        return output

    _run(ctx, job, answer)
    return {}


def _segment(ctx: Context, job: dict) -> dict[str, Any]:
    """Users most likely to interact with each item: each user's
    personalized score of the job's items, the top ``numResults`` users per item."""
    version, backend, filter_arn = _job_context(ctx, job)
    size = job.get("numResults") or DEFAULT_BATCH_RESULTS
    users = sorted({e.user_id for e in backend.iter_events() if e.user_id})

    def answer(line: Mapping[str, Any]) -> dict[str, Any]:
        if "itemAttributes" in line:
            raise ValueError("itemAttributes queries are not available in the local Personalize")
        item_id = line["itemId"]
        scores = []
        for user_id in users:
            ranked = backend.recommend(RecommendationRequest(
                use_case="recommended_for_you", user_id=user_id, num_results=100, filter=filter_arn,
            ))
            for position, rec in enumerate(ranked.items):
                if rec.item_id == item_id:
                    scores.append((position, user_id))
                    break
        return {"usersList": [user for _, user in sorted(scores)[:size]]}

    _run(ctx, job, answer)
    return {}


def _check_job(ctx: Context, body: Mapping[str, Any], segment: bool) -> dict[str, Any]:
    version = ctx.resources.active(body["solutionVersionArn"], "solution-version", "solutionVersionArn")
    solution = ctx.resources.get(version["solutionArn"], "solution")
    is_segmentation = solution["_recipeType"] == "USER_SEGMENTATION"
    require(is_segmentation == segment,
            f"solutionVersionArn: a {solution['_recipeType']} model serves "
            f"{'batch segment' if is_segmentation else 'batch inference'} jobs.")
    if body.get("batchInferenceJobMode") == "THEME_GENERATION":
        raise InvalidInputException("batchInferenceJobMode THEME_GENERATION is not available in the local Personalize.")
    if body.get("filterArn"):
        record = ctx.resources.active(body["filterArn"], "filter", "filterArn")
        require(record["datasetGroupArn"] == version["datasetGroupArn"],
                "filterArn: the filter belongs to another dataset group.")
    ctx.s3.path(body["jobInput"]["s3DataSource"]["path"], "jobInput.s3DataSource.path")
    ctx.s3.path(body["jobOutput"]["s3DataDestination"]["path"], "jobOutput.s3DataDestination.path")
    return version


def create_batch_inference_job(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    _check_job(ctx, body, segment=False)
    record = ctx.resources.create("batch-inference-job", body, parent=body["solutionVersionArn"])
    return {"batchInferenceJobArn": record["batchInferenceJobArn"]}


def create_batch_segment_job(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    _check_job(ctx, body, segment=True)
    record = ctx.resources.create("batch-segment-job", body, parent=body["solutionVersionArn"])
    return {"batchSegmentJobArn": record["batchSegmentJobArn"]}


HANDLERS = {
    "CreateBatchInferenceJob": create_batch_inference_job,
    "CreateBatchSegmentJob": create_batch_segment_job,
}
WORK = {"batch-inference-job": _infer, "batch-segment-job": _segment}
