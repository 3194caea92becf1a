"""Data for the bench: MovieLens-100k from a package, and synthetic shops.

MovieLens-100k (GroupLens; 100,000 ratings by 943 users of 1,682 movies)
ships inside the RecBole 1.2.1 wheel on the Python package index. The two
files needed are read straight from that zip, which sits in a cache folder
outside the repository (``$PERSONALIZE_BENCH_CACHE``, default
``~/.cache/personalize-django``). The wheel is data here, never installed:
RecBole itself needs torch and an old ray, so it cannot be an extra of ours.
``make bench`` fetches it first (``make bench-data``: ``pip download
--no-deps``); run alone, a bench without it stops with a message saying how
to fetch it. A rating is treated as an implicit interaction, as Personalize
treats any event; genres stand in for CATEGORY_L1.

The synthetic shop is a seeded generator of sessions (views, some carts and
purchases) over a catalogue with categories and a long-tailed popularity,
scaled to any size for speed measurements.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from typing import Any

from personalize_sdk.engine._deps import np

RECBOLE_REQUIREMENT = "recbole==1.2.1"
RECBOLE_WHEEL = "recbole-1.2.1-py3-none-any.whl"
ML100K = "recbole/dataset_example/ml-100k/ml-100k"


class MissingBenchData(RuntimeError):
    """A data file the bench reads is not in the cache folder."""


def cache_dir() -> str:
    """The folder holding downloaded bench data (created on first use)."""
    folder = os.environ.get("PERSONALIZE_BENCH_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "personalize-django"
    )
    os.makedirs(folder, exist_ok=True)
    return folder


def _wheel() -> str:
    folder = cache_dir()
    path = os.path.join(folder, RECBOLE_WHEEL)
    if not os.path.exists(path):
        raise MissingBenchData(
            f"MovieLens-100k is read from {RECBOLE_WHEEL}, which is not in {folder} "
            f"($PERSONALIZE_BENCH_CACHE): fetch it with `make bench-data`, or with "
            f"`python -m pip download --no-deps {RECBOLE_REQUIREMENT} -d {folder}`"
        )
    return path


@dataclass
class Ratings:
    """Interactions as parallel arrays, in file order."""

    user: Any       # int32 (0-based)
    item: Any       # int32 (0-based)
    ts: Any         # float64 epoch seconds
    n_users: int
    n_items: int
    item_genre: list[str]   # first genre of each item ("" when unknown)
    item_names: list[str]


def movielens_100k() -> Ratings:
    """MovieLens-100k, read from the cached RecBole wheel."""
    with zipfile.ZipFile(_wheel()) as wheel:
        inter = wheel.read(f"{ML100K}.inter").decode("utf-8").splitlines()
        item_lines = wheel.read(f"{ML100K}.item").decode("latin-1").splitlines()
    raw_users, raw_items, ts = [], [], []
    for line in inter[1:]:
        user, item, _rating, stamp = line.split("\t")
        raw_users.append(user)
        raw_items.append(item)
        ts.append(float(stamp))
    users = {u: i for i, u in enumerate(dict.fromkeys(raw_users))}
    items = {v: i for i, v in enumerate(dict.fromkeys(raw_items))}
    genres = [""] * len(items)
    names = [""] * len(items)
    for line in item_lines[1:]:
        parts = line.split("\t")
        if parts[0] in items:
            names[items[parts[0]]] = parts[1]
            genres[items[parts[0]]] = (parts[3].split() or [""])[0] if len(parts) > 3 else ""
    return Ratings(
        user=np.array([users[u] for u in raw_users], dtype=np.int32),
        item=np.array([items[v] for v in raw_items], dtype=np.int32),
        ts=np.array(ts, dtype=np.float64),
        n_users=len(users),
        n_items=len(items),
        item_genre=genres,
        item_names=[name or f"item {raw}" for raw, name in zip(items, names)],
    )


@dataclass
class Split:
    """Training interactions and one held-out item per evaluated user."""

    train_user: Any
    train_item: Any
    train_ts: Any
    test_user: Any     # users evaluated
    test_item: Any     # their held-out item


def _sorted(data: Ratings) -> tuple[Any, Any, Any]:
    order = np.lexsort((np.arange(len(data.ts)), data.ts, data.user))
    return data.user[order], data.item[order], data.ts[order]


def leave_last_out(data: Ratings) -> Split:
    """Each user's last interaction (by time; ties in file order) is the
    test item; users with a single interaction are not evaluated."""
    user, item, ts = _sorted(data)
    ends = np.flatnonzero(np.r_[user[1:] != user[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    test_pos = ends[(ends - starts) >= 1]
    keep = np.ones(len(user), dtype=bool)
    keep[test_pos] = False
    return Split(user[keep], item[keep], ts[keep], user[test_pos], item[test_pos])


def random_holdout(data: Ratings, seed: int = 0) -> Split:
    """One interaction per user, chosen at random, is the test item."""
    rng = np.random.default_rng(seed)
    user, item, ts = _sorted(data)
    ends = np.flatnonzero(np.r_[user[1:] != user[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    lengths = ends - starts + 1
    eligible = lengths > 1
    pick = starts[eligible] + (rng.random(int(eligible.sum())) * lengths[eligible]).astype(int)
    keep = np.ones(len(user), dtype=bool)
    keep[pick] = False
    return Split(user[keep], item[keep], ts[keep], user[pick], item[pick])


def training_part(data: Ratings, split: Split) -> Ratings:
    """The training interactions of ``split`` as a data set of their own
    (split again, they give the validation split used for tuning)."""
    return Ratings(split.train_user, split.train_item, split.train_ts, data.n_users, data.n_items,
                   data.item_genre, data.item_names)


def synthetic_shop(n_events: int, n_items: int, n_users: int, seed: int = 11) -> dict[str, Any]:
    """Seeded sessions over a catalogue with 50 categories and Zipf popularity.

    Each session stays mostly in one category, walks to items near the last
    one (so order carries signal), and ends in a cart and a purchase now and
    then. Returns parallel arrays: user, session, item, etype (0 View,
    1 AddToCart, 2 Purchase), ts; and the item categories.
    """
    rng = np.random.default_rng(seed)
    n_cat = 50
    category = rng.integers(0, n_cat, n_items)
    by_cat = [np.flatnonzero(category == c) for c in range(n_cat)]
    weights = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rng.shuffle(weights)
    mean_len = 8
    n_sessions = n_events // mean_len + 1
    lengths = np.clip(rng.geometric(1 / mean_len, n_sessions), 1, 40)
    lengths = lengths[np.cumsum(lengths) <= n_events]
    users = rng.integers(0, n_users, len(lengths))
    start_ts = 1_700_000_000 + np.sort(rng.uniform(0, 90 * 86400, len(lengths)))
    cat_probs = [weights[c] / weights[c].sum() for c in by_cat]
    items = np.empty(int(lengths.sum()), dtype=np.int64)
    pos = 0
    for length in lengths:
        first = rng.choice(n_items, p=None) if rng.random() < 0.3 else None
        c = category[first] if first is not None else rng.integers(0, n_cat)
        pool = by_cat[c]
        picks = rng.choice(len(pool), size=length, p=cat_probs[c])
        items[pos:pos + length] = pool[picks]
        if first is not None:
            items[pos] = first
        pos += length
    session = np.repeat(np.arange(len(lengths)), lengths)
    user = users[session]
    step = np.arange(len(items)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ts = start_ts[session] + step * 45.0
    etype = np.zeros(len(items), dtype=np.int8)
    roll = rng.random(len(items))
    etype[roll < 0.08] = 1
    etype[roll < 0.03] = 2
    return {"user": user, "session": session, "item": items, "etype": etype, "ts": ts,
            "category": category, "n_items": n_items, "n_users": n_users}
