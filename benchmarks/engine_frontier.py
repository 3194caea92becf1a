"""How far apart the two quality targets of ``recommended_for_you`` are.

    python -m benchmarks.engine_frontier      # about two minutes, from the repository's root

The engine is asked to be at least 1.5x the best of EASE and ALS on a
leave-last-out split of MovieLens-100k and no worse than EASE on a random
split. This script measures the best trade-off that two *specialists* allow
when fused as well as a rank-level fusion can be:

* the **profile specialist** is EASE (lambda 200, the best on the random
  validation split);
* the **sequence specialist** is a closed-form sequential linear item-item
  model in the spirit of SLIST (Choi et al., 2021): one ridge regression
  that predicts both the other items of a user's profile and the *next* item
  from the latest ``WINDOW`` items, weighted by recency;
* each specialist's rank is turned into a probability of holding the held-out
  item (its hit rate at that rank, measured on a validation split cut from
  the training data: the profile specialist on the random one, the sequence
  specialist on the leave-last-out one), and items are ranked by
  ``a * p_profile + (1 - a) * p_sequence``. For calibrated probabilities this
  is the ranking that serves a mixture of both kinds of target best, so
  sweeping ``a`` draws the frontier of any fusion of the two.

It prints, for each ``a``, NDCG@10 as a multiple of the bench's references
(the best of EASE and ALS on leave-last-out, EASE on random, each tuned on the
validation split as :mod:`benchmarks.engine_bench` does) on both splits, validation and test. It asserts nothing; ``docs/engine.rst`` ("The
trade-off") reads the figures.
"""

from __future__ import annotations

import sys
from typing import Any

from benchmarks import engine_bench as bench, engine_bench_data as bench_data
from personalize_sdk.engine._deps import np, sp

EASE_LAMBDA = 200.0
#: the sequence specialist: latest items read, their recency decay, the share
#: of the profile objective, its ridge and the profile's weight when scoring
WINDOW, DECAY, PROFILE_SHARE, RIDGE, PROFILE_WEIGHT = 10, 0.8, 0.2, 300.0, 0.05
#: ranks beyond this share one (tiny) probability
DEPTH = 400
SHARES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)


def histories(split: bench_data.Split) -> dict[int, Any]:
    """Each training user's items, oldest first."""
    order = np.lexsort((np.arange(len(split.train_ts)), split.train_ts, split.train_user))
    user, item = split.train_user[order], split.train_item[order]
    ends = np.flatnonzero(np.r_[user[1:] != user[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    return {int(user[a]): item[a:b + 1] for a, b in zip(starts, ends)}


def recent(items: Any, n_items: int) -> Any:
    """The recency-weighted vector of a history's latest ``WINDOW`` items."""
    latest = items[::-1][:WINDOW]
    vector = np.zeros(n_items, dtype=np.float64)
    np.add.at(vector, latest, DECAY ** np.arange(len(latest)))
    return vector


def sequence_model(split: bench_data.Split, x: Any, n_items: int) -> Any:
    """Closed-form weights of the sequence specialist (n x n)."""
    rows, cols, vals, targets = [], [], [], []
    for items in histories(split).values():
        for t in range(1, len(items)):
            latest = items[max(0, t - WINDOW):t][::-1]
            rows.extend([len(targets)] * len(latest))
            cols.extend(latest.tolist())
            vals.extend((DECAY ** np.arange(len(latest))).tolist())
            targets.append(items[t])
    past = sp.csr_matrix((vals, (rows, cols)), shape=(len(targets), n_items))
    nxt = sp.csr_matrix((np.ones(len(targets)), (np.arange(len(targets)), targets)), shape=(len(targets), n_items))
    profile = (x.T @ x).toarray().astype(np.float64)
    pp = (past.T @ past).toarray()
    scale = np.trace(pp) / max(np.trace(profile), 1.0)  # both objectives weigh alike
    lhs = PROFILE_SHARE * scale * profile + (1 - PROFILE_SHARE) * pp + RIDGE * np.eye(n_items)
    rhs = PROFILE_SHARE * scale * profile + (1 - PROFILE_SHARE) * (past.T @ nxt).toarray()
    weights = np.linalg.solve(lhs, rhs)
    np.fill_diagonal(weights, 0.0)
    return weights


def specialists(split: bench_data.Split, data: bench_data.Ratings) -> tuple[Any, Any, Any]:
    """Scores of both specialists for the split's test users, and their seen items."""
    x = bench.matrix(split, data)
    users = split.test_user
    profile = bench.ease(x, users, EASE_LAMBDA)
    weights = sequence_model(split, x, data.n_items)
    hist = histories(split)
    vectors = np.stack([recent(hist[int(u)], data.n_items) for u in users])
    sequence = (vectors + PROFILE_WEIGHT * x[users].toarray()) @ weights
    return profile, sequence, x[users]


def ranks(scores: Any, seen: Any) -> Any:
    scores = np.array(scores, dtype=np.float64)
    scores[seen.nonzero()] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(scores.shape[1])[None, :], axis=1)
    return np.minimum(out, DEPTH)


def hit_rate_by_rank(rank: Any, split: bench_data.Split) -> Any:
    """P(the held-out item sits at rank r), smoothed over neighbouring ranks
    (ranks from ``DEPTH`` on share the rest, spread thin)."""
    at = rank[np.arange(len(split.test_item)), split.test_item]
    counts = np.bincount(at, minlength=DEPTH + 1).astype(np.float64) / len(at)
    smooth = np.array([counts[max(0, r - r // 4):r + r // 4 + 1].mean() for r in range(DEPTH)])
    # A calibrated curve never rises with rank; share 1.0 then is EASE's own order.
    return np.minimum.accumulate(np.r_[smooth, counts[DEPTH] / 1e4])


def references(data: bench_data.Ratings, splits: dict[str, dict[str, bench_data.Split]]) -> dict[tuple[str, str], float]:
    """The bench's reference NDCG@10 per split kind and part."""
    out = {}
    for name, parts in splits.items():
        labels = ["EASE", "ALS (implicit)"] if name == "leave-last-out" else ["EASE"]
        best = {part: 0.0 for part in parts}
        for label in labels:
            fn, grid = bench.BASELINES[label]
            if label.startswith("ALS"):
                try:
                    import implicit  # noqa: F401
                except ImportError:
                    print("(implicit is not installed: the leave-last-out reference is EASE alone)")
                    continue
            param = max(grid, key=lambda p: bench.run_baseline(fn, p, parts["validation"], data)["ndcg"])
            for part, split in parts.items():
                best[part] = max(best[part], bench.run_baseline(fn, param, split, data)["ndcg"])
        out.update({(name, part): value for part, value in best.items()})
    return out


def main(argv: list[str] | None = None) -> int:
    try:
        data = bench_data.movielens_100k()
    except bench_data.MissingBenchData as err:
        print(f"python -m benchmarks.engine_frontier: {err}", file=sys.stderr)
        return 2
    splits = {}
    for name, splitter in (("leave-last-out", bench_data.leave_last_out), ("random", bench_data.random_holdout)):
        test = splitter(data)
        splits[name] = {"test": test, "validation": splitter(bench_data.training_part(data, test))}
    prepared: dict[tuple[str, str], Any] = {}
    for name, parts in splits.items():
        for part, split in parts.items():
            profile, sequence, seen = specialists(split, data)
            prepared[name, part] = (ranks(profile, seen), ranks(sequence, seen), split)
    profile_curve = hit_rate_by_rank(prepared["random", "validation"][0], splits["random"]["validation"])
    sequence_curve = hit_rate_by_rank(prepared["leave-last-out", "validation"][1], splits["leave-last-out"]["validation"])

    def ndcg(name: str, part: str, share: float) -> float:
        profile_rank, sequence_rank, split = prepared[name, part]
        fused = share * profile_curve[profile_rank] + (1 - share) * sequence_curve[sequence_rank]
        fused -= 1e-12 * profile_rank  # ties go to the profile's order
        top = np.argsort(-fused, axis=1)[:, :bench.K]
        return bench.evaluate(top, split.test_item, data.n_items)["ndcg"]

    reference = references(data, splits)
    print("Fusing a profile specialist (EASE) and a sequence specialist (SLIST-like), MovieLens-100k")
    print("NDCG@10 as a multiple of the bench's references (targets: >= 1.5 on leave-last-out, >= 1.0 on random)")
    print(f"  {'a (profile share)':<20}{'LLO valid':>11}{'rnd valid':>11}{'LLO test':>11}{'rnd test':>11}")
    for share in SHARES:
        cells = [ndcg(name, part, share) / reference[name, part]
                 for part in ("validation", "test") for name in ("leave-last-out", "random")]
        print(f"  {share:<20.1f}" + "".join(f"{c:>11.2f}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
