"""Where the local engine stands: quality against strong baselines, and speed.

    python -m benchmarks.engine_bench            # everything (a few minutes)
    python -m benchmarks.engine_bench --tune     # also the validation grid behind the defaults

Run from the repository's root (``make bench`` does). Quality: MovieLens-100k
(see :mod:`benchmarks.engine_bench_data`), split leave-last-out by
time (each user's last interaction is the test item) and at random (one
random interaction per user). ``recommended_for_you`` is served by a real
:class:`~personalize_sdk.backends.local.LocalBackend` (events stored, model
trained, one request per user) next to most-popular, EASE and implicit's ALS
computed in the same run on the same training data. Every method skips the
user's training items. The baselines' hyperparameters are tuned on a
validation split cut from the training data the same way (never on the test
items). Printed: HR@10, NDCG@10, catalogue coverage of the top-10 lists,
training seconds and, for the engine, peak traced memory while training and
request latency.

Speed at scale (ingest, training, memory and every use case's latency from
100,000 to 4,000,000 events) is :mod:`benchmarks.scale_bench`'s.

The bench asserts nothing: it is how we see where we stand.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from typing import Any, Callable

from benchmarks import engine_bench_data as bench_data
from personalize_sdk.backends.local import LocalBackend
from personalize_sdk.engine import model as model_module
from personalize_sdk.engine._deps import np, sp
from personalize_sdk.engine.config import EngineConfig
from personalize_sdk.engine.filtering import FilterSet
from personalize_sdk.engine.scoring import Scorer
from personalize_sdk.records import Event, Item
from personalize_sdk.use_cases import RecommendationRequest

K = 10
#: the engine's settings for a ratings data set: every rated movie counts as
#: consumed (not only purchases) however long the history, as it does for the
#: baselines, and no slots are spent on exploration
BENCH_OPTIONS: dict[str, Any] = {"exclude_event_types": "all", "exploration_weight": 0.0,
                                 "history_scan": 5000, "filter_interactions_per_type": 5000}


# -- metrics -------------------------------------------------------------------
def evaluate(top: Any, targets: Any, n_items: int) -> dict[str, float]:
    """HR@K, NDCG@K and coverage from a users x K array of recommended items."""
    hits = top == targets[:, None]
    rank = np.argmax(hits, axis=1)
    hit = hits.any(axis=1)
    return {
        "hr": float(hit.mean()),
        "ndcg": float(np.where(hit, 1.0 / np.log2(rank + 2), 0.0).mean()),
        "coverage": len(np.unique(top)) / n_items,
    }


def top_k(scores: Any, seen: Any) -> Any:
    scores = np.asarray(scores, dtype=np.float64)
    scores[seen.nonzero()] = -np.inf
    part = np.argpartition(-scores, K, axis=1)[:, :K]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


# -- baselines (they live here, not in the package) ----------------------------
def matrix(split: bench_data.Split, data: bench_data.Ratings) -> Any:
    x = sp.csr_matrix((np.ones(len(split.train_user), dtype=np.float32), (split.train_user, split.train_item)),
                      shape=(data.n_users, data.n_items))
    x.data[:] = 1.0
    return x


def most_popular(x: Any, users: Any, _param: Any = None) -> Any:
    pop = np.asarray(x.sum(axis=0)).ravel()
    return np.tile(pop, (len(users), 1))


def ease(x: Any, users: Any, lam: float) -> Any:
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0.0
    return x[users].toarray() @ b


def als(x: Any, users: Any, params: tuple[int, float]) -> Any:
    import implicit
    from threadpoolctl import threadpool_limits

    factors, reg = params
    model = implicit.cpu.als.AlternatingLeastSquares(factors=factors, regularization=reg, iterations=15,
                                                     random_state=0)
    with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, single-threaded BLAS
        model.fit(x, show_progress=False)
    return model.user_factors[users] @ model.item_factors.T


BASELINES: dict[str, tuple[Callable, list]] = {
    "most-popular": (most_popular, [None]),
    "EASE": (ease, [50.0, 100.0, 200.0, 500.0, 1000.0]),
    "ALS (implicit)": (als, [(32, 0.01), (32, 0.1), (64, 0.01), (64, 0.1), (128, 0.1)]),
}


def run_baseline(fn: Callable, param: Any, split: bench_data.Split, data: bench_data.Ratings) -> dict[str, float]:
    x = matrix(split, data)
    started = time.perf_counter()
    scores = fn(x, split.test_user, param)
    seconds = time.perf_counter() - started
    result = evaluate(top_k(scores, x[split.test_user]), split.test_item, data.n_items)
    result["train_s"] = seconds
    return result


# -- the engine -----------------------------------------------------------------
class EngineRun:
    """A LocalBackend holding one split's training events."""

    def __init__(self, split: bench_data.Split, data: bench_data.Ratings, **options: Any) -> None:
        self.options = {**BENCH_OPTIONS, **options}
        self.backend = LocalBackend(None, auto_train=False, **self.options)
        self.backend.put_items([Item(f"m{i}", {"categoryL1": data.item_genre[i] or "unknown"})
                                for i in range(data.n_items)])
        events = [Event("View", f"u{u}", f"m{i}", f"u{u}", sent_at=float(t), event_id=str(n))
                  for n, (u, i, t) in enumerate(zip(split.train_user, split.train_item, split.train_ts))]
        for start in range(0, len(events), 500):
            self.backend.put_events(events[start:start + 500])
        self.split, self.data = split, data

    def score(self, model: Any = None, config: EngineConfig | None = None) -> dict[str, float]:
        """Quality (and latency) of one request per test user, through the serving path."""
        engine = self.backend.engine
        model = model or engine.model
        server = engine.scorer if config is None else Scorer(engine.store, config, FilterSet())
        index = {f"m{i}": i for i in range(self.data.n_items)}
        top, latencies = [], []
        for user in self.split.test_user:
            request = RecommendationRequest("recommended_for_you", user_id=f"u{user}", num_results=K)
            started = time.perf_counter()
            result = server.recommend(model, request)
            latencies.append(time.perf_counter() - started)
            ids = [index[r.item_id] for r in result] + [-1] * (K - len(result))
            top.append(ids[:K])
        top_arr = np.asarray(top)
        scores = evaluate(top_arr, self.split.test_item, self.data.n_items)
        scores["coverage"] = len(np.unique(top_arr[top_arr >= 0])) / self.data.n_items
        scores["p50_ms"] = float(np.percentile(latencies, 50) * 1000)
        scores["p99_ms"] = float(np.percentile(latencies, 99) * 1000)
        return scores

    def train(self) -> dict[str, float]:
        started = time.perf_counter()
        self.backend.train()
        seconds = time.perf_counter() - started
        tracemalloc.start()
        model_module.build(self.backend.engine.store, self.backend.engine.config)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"train_s": seconds, "peak_mb": peak / 2**20}

    def close(self) -> None:
        self.backend.close()


# -- printing -----------------------------------------------------------------
def table(title: str, rows: list[tuple[str, dict[str, float]]], columns: list[tuple[str, str, str]]) -> None:
    print(f"\n{title}")
    head = f"  {'method':<34}" + "".join(f"{label:>11}" for label, _k, _f in columns)
    print(head)
    print("  " + "-" * (len(head) - 2))
    for name, values in rows:
        cells = "".join(f"{format(values[key], fmt) if key in values else '-':>11}" for _l, key, fmt in columns)
        print(f"  {name:<34}{cells}")


QUALITY = [("HR@10", "hr", ".4f"), ("NDCG@10", "ndcg", ".4f"), ("coverage", "coverage", ".3f"),
           ("train s", "train_s", ".2f"), ("peak MB", "peak_mb", ".0f"), ("p50 ms", "p50_ms", ".2f"),
           ("p99 ms", "p99_ms", ".2f")]


def quality(data: bench_data.Ratings, name: str, splitter: Callable, tune: bool) -> None:
    test = splitter(data)
    validation = splitter(bench_data.training_part(data, test))
    rows: list[tuple[str, dict[str, float]]] = []
    for label, (fn, grid) in BASELINES.items():
        if label.startswith("ALS"):
            try:
                import implicit  # noqa: F401
            except ImportError:
                rows.append((f"{label}: not installed", {}))
                continue
        best = max(grid, key=lambda p: run_baseline(fn, p, validation, data)["ndcg"]) if len(grid) > 1 else grid[0]
        shown = "" if best is None else f" [{best}]"
        rows.append((f"{label}{shown}", run_baseline(fn, best, test, data)))
    if tune:
        tune_engine(validation, data, name)
    run = EngineRun(test, data)
    figures = run.train()
    figures.update(run.score())
    run.close()
    # What catalogues beyond ease_max_items get: item-kNN instead of EASE.
    knn = EngineRun(test, data, ease_max_items=0)
    knn_figures = knn.train()
    knn_figures.update(knn.score())
    knn.close()
    rows.append(("engine, item-kNN similarity", knn_figures))
    rows.append(("local engine recommended_for_you", figures))
    best_baseline = max(v["ndcg"] for label, v in rows[1:3] if v)
    table(f"MovieLens-100k, {name} split ({len(test.test_user)} test users, {len(test.train_user)} training "
          f"interactions, {data.n_items} items)", rows, QUALITY)
    print(f"  engine NDCG@10 vs best of EASE/ALS: {figures['ndcg'] / best_baseline - 1:+.1%}")


def tune_engine(validation: bench_data.Split, data: bench_data.Ratings, name: str) -> None:
    """The validation grid the defaults came from (never the test split)."""
    import dataclasses

    run = EngineRun(validation, data)
    store = run.backend.engine.store
    rows = []
    for lam in (200.0, 300.0):
        built = model_module.build(store, EngineConfig(**{**run.options, "ease_lambda": lam}))
        for floor in (0.0, 0.3, 0.5, 1.0):
            for hd in (0.93, 0.95):
                for hl in (7.0, None):
                    for tw in (0.25, 0.3):
                        # Only scoring settings vary: the matrices are built once per lambda.
                        config = EngineConfig(**{**run.options, "ease_lambda": lam, "history_floor": floor,
                                                 "history_decay": hd, "history_half_life_days": hl,
                                                 "transition_weight": tw})
                        personal = dataclasses.replace(built.personal, history_floor=floor, history_decay=hd,
                                                       transition_weight=tw)
                        model = dataclasses.replace(built, personal=personal)
                        rows.append((f"lambda={lam:g} floor={floor} hd={hd} hl={hl} tw={tw}",
                                     run.score(model, config)))
    run.close()
    rows.sort(key=lambda row: -row[1]["ndcg"])
    table(f"tuning on the {name} validation split (best first)", rows[:10], QUALITY[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="print the engine's validation grid too")
    parser.add_argument("--quick", action="store_true",
                        help="no effect, kept for old scripts (the speed rows are benchmarks.scale_bench's)")
    args = parser.parse_args(argv)
    print(f"personalize local engine bench: Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    try:
        data = bench_data.movielens_100k()
    except bench_data.MissingBenchData as err:
        print(f"{parser.prog}: {err}", file=sys.stderr)
        return 2
    quality(data, "leave-last-out", bench_data.leave_last_out, args.tune)
    quality(data, "random", bench_data.random_holdout, args.tune)
    return 0


if __name__ == "__main__":
    sys.exit(main())
