"""The data-level findings and statistics of the check, once the rows are read:
Personalize's minimums, each use case's events, the long tail, coverage,
events over time and over-fine categories."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, Sequence

from ._scan import Collector, TableScan
from .csv_format import INTERACTIONS, ITEMS, USERS
from .requirements import (
    CATEGORY_MIN_DISTINCT,
    CATEGORY_SINGLETON_SHARE,
    MIN_ACTIVE_USER_SHARE,
    MIN_ACTIVE_USERS,
    MIN_INTERACTIONS,
    RECOMMENDED_ACTIVE_USERS,
    RECOMMENDED_INTERACTIONS,
    USE_CASE_EVENTS,
)


class CheckState(Protocol):
    """What the statistics read from, and write to, a check in progress
    (:class:`.check._Check` is the one implementation)."""

    use_cases: Sequence[str]
    collector: Collector
    summary: dict[str, Any]
    scans: dict[str, TableScan]
    #: catalogue item id -> line; ``None`` when no items data was given or readable
    catalogue: dict[str, int] | None
    known_users: set[str] | None


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _timeline(days: dict[int, int]) -> dict[str, Any]:
    """Events per day, week or month (whichever gives a readable number of bars)."""
    if not days:
        return {"bucket": "day", "counts": []}
    first, last = min(days), max(days)
    span = last - first + 1
    bucket = "day" if span <= 62 else ("week" if span <= 2 * 366 else "month")
    counts: dict[str, int] = {}
    for day, n in sorted(days.items()):
        date = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=day)
        if bucket == "week":
            date -= timedelta(days=date.weekday())
        elif bucket == "month":
            date = date.replace(day=1)
        key = date.date().isoformat()
        counts[key] = counts.get(key, 0) + n
    return {"bucket": bucket, "counts": [[k, v] for k, v in counts.items()]}


def log_spaced(n: int, points: int) -> list[int]:
    """Up to ``points`` distinct indexes in ``range(n)``, denser at the start (the head of a long tail)."""
    if n <= points:
        return list(range(n))
    picked = {min(n - 1, int(round(math.exp(k * math.log(n) / (points - 1)))) - 1) for k in range(points)}
    return sorted(picked | {0, n - 1})


def _long_tail(counts: list[int], total: int) -> dict[str, Any]:
    n = len(counts)
    tail: dict[str, Any] = {"items": n}
    for pct in (1, 10, 20):
        head = max(1, math.ceil(n * pct / 100)) if n else 0
        tail[f"top_{pct}pct_share"] = round(_share(sum(counts[:head]), total), 4)
    running, half = 0, 0
    for half, c in enumerate(counts, start=1):
        running += c
        if running * 2 >= total:
            break
    tail["items_for_half_of_events"] = half if n else 0
    tail["items_with_one_event"] = sum(1 for c in counts if c == 1)
    tail["curve"] = [[i + 1, counts[i]] for i in log_spaced(n, 120)]
    return tail


def summarise(  # type: ignore[no-untyped-def]
    check: CheckState, users, items, event_types, sessions, days, repeated
) -> None:
    c = check.collector
    s = check.summary
    total = sum(event_types.values())
    unique = total - repeated
    active = sum(1 for n in users.values() if n >= 2)
    s.update(
        interactions=total,
        unique_interactions=unique,
        event_types=dict(sorted(event_types.items(), key=lambda kv: (-kv[1], kv[0]))),
        users=len(users),
        users_with_2_or_more=active,
        active_user_share=round(_share(active, len(users)), 4),
        items_with_interactions=len(items),
        sessions=len(sessions) if sessions is not None else None,
        events_over_time=_timeline(days),
    )
    if days:
        s["time_range"] = {"first": min(days) * 86400, "last": max(days) * 86400 + 86399}
    counts = sorted(items.values(), reverse=True)
    s["long_tail"] = _long_tail(counts, total)
    if check.catalogue is not None:
        catalogue = check.catalogue
        covered = sum(1 for i in catalogue if i in items)
        s["catalogue_items"] = len(catalogue)
        s["catalogue_coverage"] = round(_share(covered, len(catalogue)), 4)
        cold = [i for i in catalogue if i not in items]
        if cold:
            c.aggregate(
                "I-ITEMS-WITHOUT-INTERACTIONS", len(cold),
                f"{len(cold):,} of {len(catalogue):,} catalogue item(s) have no interactions; they reach "
                "shoppers only through exploration and item metadata (normal for new items).",
                ({"message": f"item {i!r} (items line {catalogue[i]}) has no interactions"} for i in cold[:5]),
            )
    if check.known_users is not None:
        s["users_file_users"] = len(check.known_users)

    # Personalize's minimums (reference 6.1)
    if unique < MIN_INTERACTIONS:
        c.aggregate("E-MIN-INTERACTIONS", unique,
                    f"{unique:,} unique interaction(s); Personalize needs at least {MIN_INTERACTIONS:,} to train.")
    if active < MIN_ACTIVE_USERS:
        c.aggregate("E-MIN-USERS", active,
                    f"{active:,} user(s) have at least 2 interactions; "
                    f"Personalize needs at least {MIN_ACTIVE_USERS:,}.")
    if users and _share(active, len(users)) < MIN_ACTIVE_USER_SHARE:
        c.aggregate("E-MIN-ACTIVE-USER-SHARE", active,
                    f"{_share(active, len(users)):.2%} of users have at least 2 interactions; "
                    f"Personalize needs at least {MIN_ACTIVE_USER_SHARE:.0%}.")
    if unique < RECOMMENDED_INTERACTIONS or active < RECOMMENDED_ACTIVE_USERS:
        c.aggregate("I-BELOW-RECOMMENDED", unique,
                    f"{unique:,} interaction(s) from {active:,} user(s) with 2 or more; AWS recommends at least "
                    f"{RECOMMENDED_INTERACTIONS:,} from {RECOMMENDED_ACTIVE_USERS:,} such users for good "
                    "recommendations.")

    # event types (reference 4.3)
    missing, thin = [], []
    for use_case in check.use_cases:
        needs, nice = USE_CASE_EVENTS[use_case]
        for event_type, minimum in needs.items():
            have = event_types.get(event_type, 0)
            if have < minimum:
                missing.append({"use_case": use_case, "event_type": event_type, "found": have, "needed": minimum,
                                "message": f"{use_case} needs at least {minimum:,} {event_type} events "
                                           f"(found {have:,})"})
        for event_type in nice:
            if not event_types.get(event_type):
                thin.append({"use_case": use_case, "event_type": event_type,
                             "message": f"{use_case} works better with {event_type} events (found none)"})
    s["use_cases"] = {u: not any(m["use_case"] == u for m in missing) for u in check.use_cases}
    if missing:
        names = sorted({m["use_case"] for m in missing})
        c.aggregate("E-USE-CASE-EVENTS", len(names),
                    f"{len(names)} use case(s) lack the events they need: {', '.join(names)}. "
                    "Event types are matched exactly (View, Purchase).", missing)
    if thin:
        c.aggregate("I-USE-CASE-RECOMMENDED-EVENTS", len(thin),
                    f"{len(thin)} use case(s) would work better with more event types.", thin)
    misspelt = [t for t in event_types if t.lower() in ("view", "purchase") and t not in ("View", "Purchase")]
    if misspelt:
        c.aggregate("W-EVENT-TYPE-SPELLING", sum(event_types[t] for t in misspelt),
                    f"event type(s) {', '.join(map(repr, misspelt))} differ from View/Purchase only in case; "
                    "the ECOMMERCE use cases look for View and Purchase exactly.",
                    ({"message": f"{event_types[t]:,} events of type {t!r}", "value": t} for t in misspelt))


def category_findings(check: CheckState) -> None:
    """W-CATEGORY-TOO-FINE for every categorical column most of whose values
    name a single record: such categories generalise to nothing."""
    examples, columns = [], {}
    for dataset_type in (ITEMS, USERS, INTERACTIONS):
        scan = check.scans.get(dataset_type)
        if scan is None:
            continue
        for name, values in scan.category_columns().items():
            distinct = len(values)
            singletons = sum(1 for n in values.values() if n == 1)
            key = f"{dataset_type}.{name}"
            columns[key] = {"distinct": distinct, "singleton_share": round(_share(singletons, distinct), 4)}
            if distinct >= CATEGORY_MIN_DISTINCT and _share(singletons, distinct) >= CATEGORY_SINGLETON_SHARE:
                examples.append({"file": scan.label, "column": name, "distinct": distinct, "singletons": singletons,
                                 "message": f"{scan.label}: column {name}: {distinct:,} distinct values, "
                                            f"{singletons:,} of them used once"})
    check.summary["categorical_columns"] = columns
    if examples:
        check.collector.aggregate(
            "W-CATEGORY-TOO-FINE", len(examples),
            f"{len(examples)} categorical column(s) are so fine-grained that most values name a single record. "
            "A few good general categories beat deep categorisation: merge values or drop the column.",
            examples,
        )
