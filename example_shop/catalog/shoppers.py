"""Synthetic shoppers: tastes, sessions of views, carts and purchases.

Each shopper likes one to three categories. A session starts on a popular
product of a liked category and wanders: mostly to products of the same kind
(comparing), sometimes elsewhere in the category, now and then to another
liked category, and from a product with a planted partner (a French press and
its coffee) often to that partner. Some viewed products go into the cart; a
cart is often bought, and a planted partner is then often bought with it.

Everything comes from one ``random.Random``, so a seed gives the same shop.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterator

from personalize_sdk import Event

from .catalogue import KIND_PAIRS

#: probabilities of the walk from one viewed product to the next
SAME_KIND, SAME_CATEGORY, PARTNER = 0.5, 0.3, 0.3
ADD_TO_CART = 0.15
BUY_CART = 0.55
BUY_PARTNER = 0.7


@dataclass(frozen=True)
class ProductInfo:
    pk: int
    category: str
    kind: str
    price: Decimal
    available: bool


@dataclass
class SimulatedOrder:
    user_pk: int | None
    created_at: datetime
    lines: list[tuple[int, Decimal]] = field(default_factory=list)


@dataclass
class Shopper:
    user_pk: int | None
    likes: list[str]
    sessions: int


class Catalogue:
    """The products, indexed for fast weighted picks."""

    def __init__(self, rng: random.Random, products: list[ProductInfo]) -> None:
        self.products = products
        self.by_category: dict[str, list[ProductInfo]] = {}
        self.by_kind: dict[str, list[ProductInfo]] = {}
        for p in products:
            self.by_category.setdefault(p.category, []).append(p)
            self.by_kind.setdefault(p.kind, []).append(p)
        # Popularity: a long tail (Zipf-like) in a random order per category.
        self.weight: dict[int, float] = {}
        for group in self.by_category.values():
            ranks = list(range(len(group)))
            rng.shuffle(ranks)
            for product, rank in zip(group, ranks, strict=True):
                self.weight[product.pk] = 1.0 / (rank + 1) ** 0.9
        self._cum: dict[tuple[str, str], list[float]] = {}
        self.categories = sorted(self.by_category)
        # Planted partners: each product of a paired kind gets one partner.
        self.partner: dict[int, ProductInfo] = {}
        for first, second in KIND_PAIRS:
            seconds = self.by_kind.get(second)
            for product in self.by_kind.get(first, ()):
                if seconds:
                    self.partner[product.pk] = rng.choice(seconds)

    def pick(self, rng: random.Random, group_by: str, key: str) -> ProductInfo:
        group = (self.by_category if group_by == "category" else self.by_kind)[key]
        cum = self._cum.get((group_by, key))
        if cum is None:
            total, cum = 0.0, []
            for p in group:
                total += self.weight[p.pk]
                cum.append(total)
            self._cum[(group_by, key)] = cum
        return rng.choices(group, cum_weights=cum)[0]


def _event_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


def make_shoppers(
    rng: random.Random, catalogue: Catalogue, user_pks: list[int | None]
) -> list[Shopper]:
    shoppers = []
    for user_pk in user_pks:
        likes = rng.sample(
            catalogue.categories, k=min(len(catalogue.categories), rng.choice((1, 2, 2, 3)))
        )
        # Guests come once; members come back (a few very often).
        sessions = 1 if user_pk is None else min(12, 1 + int(rng.expovariate(1 / 2.5)))
        shoppers.append(Shopper(user_pk, likes, sessions))
    return shoppers


def simulate(
    rng: random.Random,
    catalogue: Catalogue,
    shoppers: list[Shopper],
    *,
    now: datetime,
    days: float = 42.0,
) -> Iterator[tuple[list[Event], SimulatedOrder | None]]:
    """Each session's events (oldest first) and its order, if one was placed."""
    for index, shopper in enumerate(shoppers):
        starts = sorted(
            now - timedelta(days=rng.uniform(0.05, days)) for _ in range(shopper.sessions)
        )
        for number, start in enumerate(starts):
            yield _session(rng, catalogue, shopper, f"seed-{index:05d}-{number:02d}", start, now)


def _session(
    rng: random.Random,
    catalogue: Catalogue,
    shopper: Shopper,
    session_id: str,
    start: datetime,
    now: datetime,
) -> tuple[list[Event], SimulatedOrder | None]:
    user_id = str(shopper.user_pk) if shopper.user_pk is not None else None
    events: list[Event] = []
    at = start
    category = rng.choice(shopper.likes) if rng.random() < 0.9 else rng.choice(catalogue.categories)
    current = catalogue.pick(rng, "category", category)
    cart: list[ProductInfo] = []
    length = min(20, 2 + int(rng.expovariate(1 / 5)))

    def add(event_type: str, product: ProductInfo, value: float | None = None) -> None:
        events.append(
            Event(
                event_type,
                session_id=session_id,
                user_id=user_id,
                item_id=str(product.pk),
                sent_at=min(at, now),
                event_value=value,
                event_id=_event_id(rng),
            )
        )

    for _ in range(length):
        add("View", current)
        if current.available and rng.random() < ADD_TO_CART and current not in cart:
            add("AddToCart", current)
            cart.append(current)
        at += timedelta(seconds=rng.uniform(15, 150))
        partner = catalogue.partner.get(current.pk)
        roll = rng.random()
        if partner is not None and rng.random() < PARTNER:
            current = partner
        elif roll < SAME_KIND:
            current = catalogue.pick(rng, "kind", current.kind)
        elif roll < SAME_KIND + SAME_CATEGORY:
            current = catalogue.pick(rng, "category", current.category)
        else:
            current = catalogue.pick(rng, "category", rng.choice(shopper.likes))
    order = None
    if cart and rng.random() < BUY_CART:
        bought = list(cart)
        for product in cart:
            partner = catalogue.partner.get(product.pk)
            if (
                partner is not None
                and partner.available
                and partner not in bought
                and rng.random() < BUY_PARTNER
            ):
                add("AddToCart", partner)
                bought.append(partner)
        at += timedelta(seconds=rng.uniform(30, 240))
        order = SimulatedOrder(shopper.user_pk, min(at, now))
        for product in bought:
            add("Purchase", product, float(product.price))
            order.lines.append((product.pk, product.price))
    return events, order
