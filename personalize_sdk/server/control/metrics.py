"""GetSolutionMetrics' figures, computed on a held-out split.

Each user's latest item interaction is held out (leave-last-out, as
Personalize holds out the latest interactions of a sample of users); a
throw-away engine with the same settings is trained on everything else, and
for a sample of those users the solution's use case is asked for 25 items.
With one held-out item per user the figures are:

* ``precision_at_K``: hits in the top K divided by K;
* ``normalized_discounted_cumulative_gain_at_K``: ``1 / log2(rank + 1)`` for a hit in the top K;
* ``mean_reciprocal_rank_at_25``: ``1 / rank`` for a hit in the top 25;
* ``coverage``: the share of the catalogue that appears in any recommendation;

each averaged over the sampled users.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from typing import Any, Iterable, Mapping

from ...backends.local import LocalBackend
from ...use_cases import ALSO_VIEWED, BOUGHT_TOGETHER, RecommendationRequest
from ..config import RANKING

#: users sampled for the figures
SAMPLE_USERS = 500
CUTOFFS = (5, 10, 25)


def ranking_metrics(ranked: Iterable[list[str]], held_out: Iterable[str], catalogue: int) -> dict[str, float]:
    """The metrics of lists ``ranked`` against one relevant item each."""
    totals = {f"precision_at_{k}": 0.0 for k in CUTOFFS}
    totals.update({f"normalized_discounted_cumulative_gain_at_{k}": 0.0 for k in CUTOFFS})
    totals["mean_reciprocal_rank_at_25"] = 0.0
    seen: set[str] = set()
    count = 0
    for items, target in zip(ranked, held_out):
        count += 1
        seen.update(items)
        rank = items.index(target) + 1 if target in items[:25] else None
        if rank is None:
            continue
        totals["mean_reciprocal_rank_at_25"] += 1.0 / rank
        for k in CUTOFFS:
            if rank <= k:
                totals[f"precision_at_{k}"] += 1.0 / k
                totals[f"normalized_discounted_cumulative_gain_at_{k}"] += 1.0 / math.log2(rank + 1)
    metrics = {name: round(value / count, 4) if count else 0.0 for name, value in totals.items()}
    metrics["coverage"] = round(len(seen) / catalogue, 4) if catalogue else 0.0
    return dict(sorted(metrics.items()))


def _sampled(user_id: str) -> str:
    return hashlib.blake2b(user_id.encode("utf-8"), digest_size=8).hexdigest()


def evaluate(backend: LocalBackend, use_case: str, options: Mapping[str, Any]) -> dict[str, float]:
    """The metrics of ``use_case`` on ``backend``'s data (see the module docstring)."""
    return evaluate_many(backend, (use_case,), options)[use_case]


def evaluate_many(
    backend: LocalBackend, use_cases: Iterable[str], options: Mapping[str, Any]
) -> dict[str, dict[str, float]]:
    """The metrics of each of ``use_cases``, from ONE throw-away training (the
    split and the engine do not depend on the use case).

    The throw-away engine starts from a copy of ``backend``'s store (items,
    users and served lists included), from which the held-out events are
    deleted: nothing is read back as records and stored again."""
    with tempfile.TemporaryDirectory(prefix="personalize-metrics-") as folder:
        backend.engine.store.snapshot(folder)
        trial = LocalBackend(folder, **{**dict(options), "auto_train": False})
        try:
            return _measure(trial, use_cases)
        finally:
            trial.close()


def _measure(trial: LocalBackend, use_cases: Iterable[str]) -> dict[str, dict[str, float]]:
    store = trial.engine.store
    last: dict[str, tuple[int, str | None]] = {}  # user -> (held-out seq, previous item)
    latest: dict[str, tuple[int, str]] = {}  # user -> (seq, item) of the latest event
    for rows in store.iter_event_rows(item_events_only=True):  # oldest first
        for seq, _type, _session, user_id, item_id, *_ in rows:
            if user_id is None:
                continue
            previous = latest.get(user_id)
            latest[user_id] = (seq, item_id)
            if previous is not None:
                last[user_id] = (seq, previous[1])
    users = sorted(last, key=_sampled)[:SAMPLE_USERS]
    targets = {u: latest[u][1] for u in users}
    store.delete_events_by_seq([last[u][0] for u in users])
    report = trial.train()
    catalogue = max(report.items, len(set(targets.values())))
    results = {}
    for use_case in use_cases:
        served = RECOMMENDED_FOR_YOU_IF_RANKING.get(use_case, use_case)
        ranked = []
        for user in users:
            item_id = last[user][1] if served in (ALSO_VIEWED, BOUGHT_TOGETHER) else None
            request = RecommendationRequest(
                use_case=served, user_id=None if item_id else user, item_id=item_id, num_results=25
            )
            ranked.append([r.item_id for r in trial.recommend(request).items])
        results[use_case] = ranking_metrics(ranked, [targets[u] for u in users], catalogue)
    return results


#: personalized ranking is scored as the personalization it reorders by
RECOMMENDED_FOR_YOU_IF_RANKING = {RANKING: "recommended_for_you"}
