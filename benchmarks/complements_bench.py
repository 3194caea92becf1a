"""Does bought_together find complements, not substitutes? Planted shops.

    python -m benchmarks.complements_bench

Run from the repository's root (``make bench`` does). The shops are seeded
and their truth is known.

*The kitchen shop* (the reference, seed 5, also printed with seed 6):

* items come in *families* of substitutes (six baking trays), each family in
  a department (categoryL1) and with its own categoryL2;
* each family has two complementary families, one in its own department and
  one in another (trays go with oven mitts and with parchment), and each item
  has planted complements among their items;
* an order views the item and a few of its substitutes, buys the item, and
  buys each planted complement now and then; some orders also buy a second
  substitute (two sizes of tray) or a random popular item, and many sessions
  only browse.

*The phone shop*, shaped differently: phones and accessories. Each phone
fits one case of each of two case lines and one of a few chargers every
phone family shares (a popular complement of many items); lines and phone
families are categoryL2 (cases one level deeper, categoryL3); an order is
built around a phone (its accessories bought often) or an accessory (its
phone bought rarely), and a quarter of the orders carry a second, unrelated
intent with its own accessories (two hubs in one basket).

Printed per shop: precision@5 of ``bought_together`` against the planted
complements, over every item bought at least once, next to the ceiling the
data allows (per item, the planted complements bought with it at least once,
at most 5, over 5), and their ratio; and how many lists were marked as a
fallback. The bench asserts nothing: it is how we see where we stand.
"""

from __future__ import annotations

import sys
from typing import Any

from personalize_sdk.backends.local import LocalBackend
from personalize_sdk.engine._deps import np
from personalize_sdk.records import Event, Item
from personalize_sdk.use_cases import RecommendationRequest

K = 5
FAMILIES = 60
PER_FAMILY = 6
FAMILIES_PER_DEPARTMENT = 3


def planted_shop(orders: int = 2500, browsing: int = 4000, seed: int = 5) -> dict[str, Any]:
    """Seeded sessions over the planted catalogue (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_items = FAMILIES * PER_FAMILY
    family = np.repeat(np.arange(FAMILIES), PER_FAMILY)
    members = [list(range(f * PER_FAMILY, (f + 1) * PER_FAMILY)) for f in range(FAMILIES)]
    complements: list[set[int]] = [set() for _ in range(n_items)]
    for f in range(FAMILIES):
        department = f // FAMILIES_PER_DEPARTMENT
        inside = department * FAMILIES_PER_DEPARTMENT + (f + 1) % FAMILIES_PER_DEPARTMENT
        outside = (f + FAMILIES_PER_DEPARTMENT * 7 + 1) % FAMILIES
        for k, item in enumerate(members[f]):
            for other in (members[inside][k], members[inside][(k + 1) % PER_FAMILY], members[outside][k]):
                complements[item].add(other)
                complements[other].add(item)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.7
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    sessions: list[list[tuple[int, str]]] = []
    for n in range(orders + browsing):
        anchor = int(rng.choice(n_items, p=popularity))
        substitutes = [i for i in members[family[anchor]] if i != anchor]
        viewed = list(rng.choice(substitutes, size=int(rng.integers(1, 4)), replace=False))
        events = [(int(i), "View") for i in viewed] + [(anchor, "View")]
        if n < orders:
            events.append((anchor, "Purchase"))
            for other in sorted(complements[anchor]):
                if rng.random() < 0.25:
                    events += [(other, "View"), (other, "Purchase")]
            if rng.random() < 0.3:
                events.append((int(viewed[0]), "Purchase"))
            if rng.random() < 0.3:
                events.append((int(rng.choice(n_items, p=popularity)), "Purchase"))
        sessions.append(events)
    properties = [{"categoryL1": f"dept{family[i] // FAMILIES_PER_DEPARTMENT}", "categoryL2": f"family{family[i]}"}
                  for i in range(n_items)]
    return {"family": family, "complements": complements, "sessions": sessions, "n_items": n_items,
            "properties": properties, "name": f"kitchen shop, seed {seed}"}


PHONE_FAMILIES = 24
PHONES_PER_FAMILY = 5
CHARGERS = 4


def phone_shop(orders: int = 3000, browsing: int = 3000, seed: int = 11) -> dict[str, Any]:
    """Seeded sessions over phones and accessories (see the module docstring)."""
    rng = np.random.default_rng(seed)
    per = PHONES_PER_FAMILY
    n_phones = PHONE_FAMILIES * per
    # phones, then one case line per phone family, then the chargers
    n_items = 2 * n_phones + CHARGERS
    family = np.r_[np.repeat(np.arange(PHONE_FAMILIES), per),
                   PHONE_FAMILIES + np.repeat(np.arange(PHONE_FAMILIES), per),
                   np.full(CHARGERS, 2 * PHONE_FAMILIES)]
    properties = [{"categoryL1": "Phones", "categoryL2": f"brand{f}"} for f in family[:n_phones]]
    properties += [{"categoryL1": "Accessories", "categoryL2": "Cases", "categoryL3": f"line{f}"}
                   for f in family[n_phones:2 * n_phones]]
    properties += [{"categoryL1": "Accessories", "categoryL2": "Chargers"}] * CHARGERS
    complements: list[set[int]] = [set() for _ in range(n_items)]
    for phone in range(n_phones):
        f, k = divmod(phone, per)
        fits = (n_phones + f * per + k, n_phones + ((f + 7) % PHONE_FAMILIES) * per + k, 2 * n_phones + k % CHARGERS)
        for other in fits:
            complements[phone].add(other)
            complements[other].add(phone)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    phones = np.r_[popularity[:n_phones], np.zeros(n_items - n_phones)]
    phones /= phones.sum()

    def intent(anchor: int) -> list[tuple[int, str]]:
        substitutes = [i for i in np.flatnonzero(family == family[anchor]) if i != anchor]
        viewed = [int(i) for i in rng.choice(substitutes, size=min(len(substitutes), int(rng.integers(1, 3))),
                                               replace=False)]
        events = [(i, "View") for i in viewed] + [(anchor, "View"), (anchor, "Purchase")]
        odds = 0.4 if anchor < n_phones else 0.15
        for other in sorted(complements[anchor]):
            if rng.random() < odds:
                events += [(other, "View"), (other, "Purchase")]
        if rng.random() < 0.2:
            events.append((viewed[0], "Purchase"))
        return events

    sessions: list[list[tuple[int, str]]] = []
    for n in range(orders + browsing):
        source = phones if rng.random() < 0.7 else popularity
        events = intent(int(rng.choice(n_items, p=source)))
        if n >= orders:
            events = [(i, kind) for i, kind in events if kind == "View"]
        elif rng.random() < 0.25:
            events += intent(int(rng.choice(n_items, p=popularity)))
        sessions.append(events)
    return {"family": family, "complements": complements, "sessions": sessions, "n_items": n_items,
            "properties": properties, "name": f"phone shop, seed {seed}"}


def ceiling(shop: dict[str, Any]) -> dict[int, float]:
    """Per item bought at least once: the precision@5 the data allows."""
    together: dict[int, set[int]] = {}
    for events in shop["sessions"]:
        bought = {i for i, kind in events if kind == "Purchase"}
        for item in bought:
            together.setdefault(item, set()).update(bought - {item})
    return {item: min(K, len(others & shop["complements"][item])) / K for item, others in together.items()}


def run(shop: dict[str, Any]) -> dict[str, float]:
    backend = LocalBackend(None, auto_train=False, min_data_scale=0.1, exploration_weight=0.0)
    family = shop["family"]
    backend.put_items([Item(f"p{i}", props) for i, props in enumerate(shop["properties"])])
    batch: list[Event] = []
    t = 1_700_000_000.0
    for n, events in enumerate(shop["sessions"]):
        for step, (item, kind) in enumerate(events):
            batch.append(Event(kind, f"s{n}", f"p{item}", f"c{n // 2}", sent_at=t + n * 600 + step * 30))
    for start in range(0, len(batch), 500):
        backend.put_events(batch[start:start + 500])
    backend.train()
    allowed = ceiling(shop)
    precision, fallbacks, substitutes = [], 0, []
    for item in sorted(allowed):
        result = backend.recommend(RecommendationRequest("bought_together", item_id=f"p{item}", num_results=K))
        got = [int(r.item_id[1:]) for r in result][:K]
        precision.append(len(set(got) & shop["complements"][item]) / K)
        substitutes.append(sum(family[g] == family[item] for g in got) / K)
        fallbacks += result.source == "fallback"
    backend.close()
    mean_ceiling = float(np.mean(list(allowed.values())))
    mean_precision = float(np.mean(precision))
    return {"items": len(allowed), "precision": mean_precision, "ceiling": mean_ceiling,
            "ratio": mean_precision / mean_ceiling if mean_ceiling else 0.0,
            "substitutes": float(np.mean(substitutes)), "fallbacks": fallbacks}


def main(argv: list[str] | None = None) -> int:
    for shop in (planted_shop(), planted_shop(seed=6), phone_shop()):
        r = run(shop)
        print(f"\nbought_together on the {shop['name']} ({shop['n_items']} items in "
              f"{len(set(shop['family'].tolist()))} families of substitutes, {len(shop['sessions'])} sessions)")
        print(f"  items evaluated (bought at least once)   {r['items']:>8}")
        print(f"  precision@5 against the complements      {r['precision']:>8.4f}")
        print(f"  ceiling the data allows                  {r['ceiling']:>8.4f}")
        print(f"  precision@5 / ceiling                    {r['ratio']:>8.3f}")
        print(f"  share of the top 5 that are substitutes  {r['substitutes']:>8.3f}")
        print(f"  lists marked as a fallback               {r['fallbacks']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
