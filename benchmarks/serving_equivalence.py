"""Do two versions of the serving code answer the same? A dump and a diff.

    python -m benchmarks.serving_equivalence dump OUT.json          # answers of this checkout
    python -m benchmarks.serving_equivalence compare OLD.json NEW.json

``dump`` builds seeded shops (the tests' small shop trained, not ready and
untrained; two synthetic shops, one on EASE and one on item-kNN; MovieLens-100k
split leave-last-out, on EASE and on item-kNN, when its file is cached, see
:mod:`benchmarks.engine_bench_data`), trains each, and answers a few
thousand requests: every use case and ranking, without a filter and with
filters on a property, a price, the user's interactions and a rare category,
with exploration off and on (a fixed clock, so the draws repeat). Each answer
is written as its item ids, scores, reasons, source and reason.

``compare`` prints every request whose answer differs (ids, reasons, source
or reason; scores beyond a relative 1e-6) and the count. It asserts nothing:
it is how a change to the serving path shows that it answers as before.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, Iterator

from benchmarks import engine_bench_data as bench_data
from personalize_sdk import Event, Item
from personalize_sdk.backends.local import LocalBackend
from personalize_sdk.engine._deps import np
from personalize_sdk.engine.scoring import Scorer
from personalize_sdk.use_cases import RankingRequest, RecommendationRequest

FILTERS = {
    "category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
    "cheap": "INCLUDE ItemID WHERE Items.PRICE < 12",
    "not_viewed": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")',
    "rare": 'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("rare")',
    "cheaper": "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE",
}
#: the clock of every scorer (exploration rotates with it)
CLOCK = 1_800_000_000.0
USE_CASES = ("recommended_for_you", "best_sellers", "most_viewed", "also_viewed", "bought_together")


def _items(categories: list[str], rare: int = 7) -> list[Item]:
    """One item per category, priced 10 to 29; every ``rare``-th item from the
    end of the catalogue is in the category ``rare`` (the filter's few items)."""
    n = len(categories)
    return [Item(f"p{i}", {"categoryL1": "rare" if (n - i) % (rare * 97) == 1 else categories[i],
                           "price": float(10 + (i * 7) % 20)}) for i in range(n)]


def _backend(items: list[Item], events: list[Event], train: bool = True, **options: Any) -> LocalBackend:
    backend = LocalBackend(None, auto_train=False, record_impressions=False, **options)
    backend.configure_filters(FILTERS)
    backend.put_items(items)
    for start in range(0, len(events), 500):
        backend.put_events(events[start:start + 500])
    if train:
        backend.train()
    return backend


def _tests_shop(**options: Any) -> tuple[LocalBackend, list[str], list[str]]:
    from tests.sdk.engine import shop

    items = [Item(f"p{i.item_id[1:]}", {**i.properties, "categoryL1": "rare" if i.item_id in ("i1", "i117")
                                         else i.properties["categoryL1"]}) for i in shop.items()]
    events = [dataclasses.replace(e, item_id=f"p{e.item_id[1:]}") for e in shop.events()]
    train = options.pop("train", True)
    backend = _backend(items, events, train, min_data_scale=options.pop("min_data_scale", 0.05), **options)
    return backend, [f"u{u}" for u in range(0, 80, 3)], [f"p{i}" for i in range(0, 120, 4)]


def _synthetic(events: int, n_items: int, users: int, **options: Any) -> tuple[LocalBackend, list[str], list[str]]:
    shop = bench_data.synthetic_shop(events, n_items, users)
    types = ("View", "AddToCart", "Purchase")
    stream = [Event(types[t], f"s{s}", f"p{i}", f"c{u}", sent_at=float(ts))
              for u, s, i, t, ts in zip(shop["user"], shop["session"], shop["item"], shop["etype"], shop["ts"])]
    backend = _backend(_items([f"cat{c}" for c in shop["category"]]), stream, min_data_scale=0.1, **options)
    rng = np.random.default_rng(5)
    return (backend, [f"c{u}" for u in rng.choice(np.unique(shop["user"]), 60, replace=False)],
            [f"p{i}" for i in rng.choice(shop["item"], 60)])


def _movielens(**options: Any) -> tuple[LocalBackend, list[str], list[str]]:
    data = bench_data.movielens_100k()
    split = bench_data.leave_last_out(data)
    stream = [Event("View", f"u{u}", f"p{i}", f"u{u}", sent_at=float(t))
              for u, i, t in zip(split.train_user, split.train_item, split.train_ts)]
    backend = _backend(_items([g or "unknown" for g in data.item_genre]), stream, exclude_event_types="all",
                       history_scan=5000, filter_interactions_per_type=5000, **options)
    return backend, [f"u{u}" for u in split.test_user[:60]], [f"p{i}" for i in split.test_item[:60]]


def shops() -> Iterator[tuple[str, LocalBackend, list[str], list[str]]]:
    yield "tests-shop", *_tests_shop()
    yield "tests-shop-not-ready", *_tests_shop(min_data_scale=1.0)
    yield "tests-shop-untrained", *_tests_shop(train=False)
    yield "synthetic-ease", *_synthetic(40_000, 2_000, 4_000)
    yield "synthetic-knn", *_synthetic(100_000, 5_000, 10_000)
    try:
        yield "movielens-ease", *_movielens()
        yield "movielens-knn", *_movielens(ease_max_items=0)
    except bench_data.MissingBenchData as err:
        print(f"MovieLens left out: {err}", file=sys.stderr)


def _filters(rng: Any, item: bool, categories: list[str]) -> list[tuple[str | None, dict]]:
    chosen = [(None, {}), ("category", {"CATEGORY": (str(rng.choice(categories)),)}), ("cheap", {}),
              ("not_viewed", {}), ("rare", {})]
    return chosen + [("cheaper", {})] if item else chosen


def requests(users: list[str], items: list[str], categories: list[str], seed: int) -> Iterator[Any]:
    rng = np.random.default_rng(seed)
    for user in users + ["nobody"]:
        for name, values in _filters(rng, False, categories):
            yield RecommendationRequest("recommended_for_you", user_id=user, num_results=int(rng.choice([5, 10, 25])),
                                        filter=name, filter_values=values)
        for name, values in _filters(rng, False, categories)[:3]:
            ranked = tuple(rng.choice(items, 20)) + ("p-unknown",)
            yield RankingRequest(user, ranked, filter=name, filter_values=values)
    for use_case in ("best_sellers", "most_viewed"):
        for user in users[:8] + [None]:
            for name, values in _filters(rng, False, categories):
                yield RecommendationRequest(use_case, user_id=user, num_results=10, filter=name, filter_values=values)
    for item in items + ["p-unknown"]:
        user = str(rng.choice(users))
        for use_case in ("also_viewed", "bought_together"):
            for name, values in _filters(rng, item != "p-unknown", categories):
                yield RecommendationRequest(use_case, user_id=user, item_id=item, num_results=int(rng.choice([5, 20])),
                                            filter=name, filter_values=values)


def _key(shop: str, weight: float, request: Any) -> str:
    fields = {k: v for k, v in dataclasses.asdict(request).items() if v not in (None, {}, ())}
    return f"{shop} exploration={weight} " + json.dumps(fields, sort_keys=True, default=list)


def dump(path: str) -> None:
    answers: dict[str, Any] = {}
    for shop, backend, users, items in shops():
        engine = backend.engine
        model = engine._current()
        for weight in (0.0, 0.3):
            config = dataclasses.replace(engine.config, exploration_weight=weight)
            scorer = Scorer(engine.store, config, engine.filters, engine.stored_counts, clock=lambda: CLOCK)
            for request in requests(users, items, model.category_names or ["none"], seed=len(shop)):
                try:
                    result = (scorer.rank(model, request) if isinstance(request, RankingRequest)
                              else scorer.recommend(model, request))
                except Exception as err:  # an invalid request answers the same error, or not
                    answers[_key(shop, weight, request)] = {"error": f"{type(err).__name__}: {err}"}
                    continue
                answers[_key(shop, weight, request)] = {
                    "ids": list(result.item_ids), "scores": [r.score for r in result],
                    "reasons": [list(r.reason or ()) for r in result], "source": result.source,
                    "reason": result.reason,
                }
        print(f"{shop}: {model.n_items} items, {model.report.similarity or 'untrained'}; "
              f"{len(answers)} answers so far", file=sys.stderr)
        backend.close()
    with open(path, "w") as out:
        json.dump(answers, out, sort_keys=True)


def _differs(old: dict, new: dict) -> str | None:
    for field in ("error", "ids", "reasons", "source", "reason"):
        if old.get(field) != new.get(field):
            return f"{field}: {old.get(field)!r} -> {new.get(field)!r}"
    for a, b in zip(old.get("scores", ()), new.get("scores", ())):
        if abs(a - b) > 1e-6 * max(abs(a), abs(b), 1e-12):
            return f"scores: {old['scores']} -> {new['scores']}"
    return None


def compare(old_path: str, new_path: str) -> int:
    with open(old_path) as a, open(new_path) as b:
        old, new = json.load(a), json.load(b)
    mismatches = 0
    for key in sorted(set(old) | set(new)):
        if key not in old or key not in new:
            print(f"only in {'new' if key not in old else 'old'}: {key}")
            mismatches += 1
            continue
        why = _differs(old[key], new[key])
        if why:
            mismatches += 1
            if mismatches <= 50:
                print(f"{key}\n    {why}")
    print(f"{mismatches} of {len(set(old) | set(new))} answers differ")
    return mismatches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving_equivalence", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump").add_argument("out")
    diff = commands.add_parser("compare")
    diff.add_argument("old")
    diff.add_argument("new")
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump(args.out)
    else:
        compare(args.old, args.new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
