"""Where the local engine stands: quality against strong baselines, and speed.

    python -m benchmarks.engine_bench            # everything (several minutes)
    python -m benchmarks.engine_bench --quick    # without the 1M-event synthetic shop
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

Speed: seeded synthetic shops (100,000 events; and 1,000,000 events over
50,000 items and 100,000 users), each ingested, trained and served in a fresh
subprocess so the peak resident memory is the engine's own.

The bench asserts nothing: it is how we see where we stand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
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

#: the repository's root: each synthetic shop's child process runs this module from there
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


# -- synthetic shops ------------------------------------------------------------
def synthetic_child(events: int, items: int, users: int, folder: str) -> dict[str, Any]:
    """Ingest, train and serve a synthetic shop in this (fresh) process."""
    shop = bench_data.synthetic_shop(events, items, users)
    filters = {"category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"}
    backend = LocalBackend(folder, auto_train=False, min_data_scale=0.1)
    try:
        backend.configure_filters(filters)
        has_filters = True
    except Exception:  # the evaluator is not installed: measure without
        has_filters = False
    backend.put_items([Item(f"p{i}", {"categoryL1": f"cat{c}", "price": 10.0}) for i, c in enumerate(shop["category"])])
    types = ("View", "AddToCart", "Purchase")
    started = time.perf_counter()
    batch: list[Event] = []
    for n in range(len(shop["item"])):
        batch.append(Event(types[shop["etype"][n]], f"s{shop['session'][n]}", f"p{shop['item'][n]}",
                           f"c{shop['user'][n]}", sent_at=float(shop["ts"][n])))
        if len(batch) == 500:
            backend.put_events(batch)
            batch = []
    if batch:
        backend.put_events(batch)
    ingest = time.perf_counter() - started
    started = time.perf_counter()
    report = backend.train()
    train = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    rng = np.random.default_rng(3)
    active = np.unique(shop["user"])
    latencies: dict[str, list[float]] = {"rfy": [], "rfy+filter": [], "also_viewed": []}
    for n in range(2000):
        user = f"c{rng.choice(active)}"
        for key, request in (
            ("rfy", RecommendationRequest("recommended_for_you", user_id=user, num_results=10)),
            ("rfy+filter", RecommendationRequest("recommended_for_you", user_id=user, num_results=10,
                                                 filter="category" if has_filters else None,
                                                 filter_values={"CATEGORY": f"cat{rng.integers(50)}"}
                                                 if has_filters else {})),
            ("also_viewed", RecommendationRequest("also_viewed", item_id=f"p{rng.choice(shop['item'])}",
                                                  num_results=10)),
        ):
            t = time.perf_counter()
            backend.recommend(request)
            latencies[key].append(time.perf_counter() - t)
    backend.close()
    result = {"events": len(shop["item"]), "items": items, "users": users, "ingest_s": ingest,
              "ingest_rate": len(shop["item"]) / ingest, "train_s": train, "peak_rss_mb": peak,
              "similarity": report.similarity, "filters": has_filters}
    for key, values in latencies.items():
        result[f"{key}_p50_ms"] = float(np.percentile(values, 50) * 1000)
        result[f"{key}_p99_ms"] = float(np.percentile(values, 99) * 1000)
    return result


def synthetic(events: int, items: int, users: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="personalize-bench-") as folder:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.engine_bench", "--child", str(events), str(items), str(users),
             folder],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_synthetic(results: list[dict[str, Any]]) -> None:
    print("\nSynthetic shops (fresh process each; peak RSS covers ingest and training)")
    cols = [("events", "events", ",d"), ("items", "items", ",d"), ("users", "users", ",d"),
            ("ingest/s", "ingest_rate", ",.0f"), ("train s", "train_s", ".1f"), ("peak MB", "peak_rss_mb", ",.0f"),
            ("rfy p50", "rfy_p50_ms", ".2f"), ("rfy p99", "rfy_p99_ms", ".2f"),
            ("+filt p50", "rfy+filter_p50_ms", ".2f"), ("+filt p99", "rfy+filter_p99_ms", ".2f"),
            ("av p50", "also_viewed_p50_ms", ".2f"), ("av p99", "also_viewed_p99_ms", ".2f")]
    print("  " + "".join(f"{label:>11}" for label, _k, _f in cols) + "  (latencies in ms)")
    for r in results:
        print("  " + "".join(f"{format(r[key], fmt):>11}" for _l, key, fmt in cols)
              + f"  [{r['similarity']}{'' if r['filters'] else ', no filter evaluator'}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-event synthetic shop")
    parser.add_argument("--tune", action="store_true", help="print the engine's validation grid too")
    parser.add_argument("--skip-real", action="store_true", help="skip MovieLens")
    parser.add_argument("--child", nargs=4, metavar=("EVENTS", "ITEMS", "USERS", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        events, items, users, folder = args.child
        print(json.dumps(synthetic_child(int(events), int(items), int(users), folder)))
        return 0
    print(f"personalize local engine bench: Python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    if not args.skip_real:
        try:
            data = bench_data.movielens_100k()
        except bench_data.MissingBenchData as err:
            print(f"{parser.prog}: {err} (or leave MovieLens out: --skip-real)", file=sys.stderr)
            return 2
        quality(data, "leave-last-out", bench_data.leave_last_out, args.tune)
        quality(data, "random", bench_data.random_holdout, args.tune)
    sizes = [(100_000, 5_000, 10_000)]
    if not args.quick:
        sizes.append((1_000_000, 50_000, 100_000))
    print_synthetic([synthetic(*size) for size in sizes])
    return 0


if __name__ == "__main__":
    sys.exit(main())
