"""A small seeded shop with structure the engine should find.

* 120 items in 4 categories (``c0``..``c3``), ids ``i0``..``i119``; item ``i``
  is in category ``i % 4``. Items ``i112``..``i119`` are created late
  (young) and have no events.
* Users browse *chains*: a session views ``i``, ``i+4``, ``i+8`` (same
  category, in that order), so "what comes next" and "also viewed" are known.
* Items ``2k`` and ``2k+1`` are bought together in the same session.
"""

from __future__ import annotations

import random

from personalize_sdk import Event, Item

START = 1_700_000_000.0
DAY = 86400.0
N_ITEMS = 120
YOUNG = range(112, 120)


def items() -> list[Item]:
    result = []
    for i in range(N_ITEMS):
        created = START + (40 * DAY if i in YOUNG else -100 * DAY)
        props = {"categoryL1": f"c{i % 4}", "price": float(10 + i), "creationTimestamp": int(created)}
        result.append(Item(f"i{i}", props))
    return result


def events(users: int = 80, sessions: int = 4, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    result = []
    for u in range(users):
        for s in range(sessions):
            t = START + rng.uniform(0, 40 * DAY)
            start = rng.randrange(0, 100)
            session = f"s{u}-{s}"
            for step in range(3):
                item = start + 4 * step
                result.append(Event("View", session, f"i{item}", f"u{u}", sent_at=t + step * 60))
            if rng.random() < 0.6:
                a = start - start % 2
                for k, item in enumerate((a, a + 1)):
                    result.append(Event("Purchase", session, f"i{item}", f"u{u}", sent_at=t + 600 + k))
    return result
