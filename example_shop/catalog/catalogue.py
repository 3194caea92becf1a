"""The synthetic catalogue: categories, kinds of products, brands, prices,
and the pairs of kinds that shoppers buy together.

Plain data and one generator; :mod:`catalog.management.commands.seed_shop`
turns it into rows, :mod:`catalog.shoppers` into behaviour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.text import slugify


@dataclass(frozen=True)
class CategorySpec:
    name: str
    slug: str
    tagline: str
    color: str
    motif: str
    brands: tuple[str, ...]
    #: kind -> (lowest price, highest price)
    kinds: dict[str, tuple[int, int]]


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "Coffee & Tea",
        "coffee-tea",
        "Beans, leaves and everything to brew them",
        "#8a5a3c",
        "cup",
        ("Roastery 9", "Kettle & Co", "Morning Ritual", "Crema"),
        {
            "Espresso beans": (9, 28),
            "Filter coffee": (8, 24),
            "Green tea": (5, 19),
            "French press": (19, 65),
            "Pour-over kit": (24, 79),
            "Grinder": (35, 240),
            "Mug": (8, 26),
            "Milk frother": (15, 89),
        },
    ),
    CategorySpec(
        "Books",
        "books",
        "Stories, guides and cookbooks",
        "#3b5b92",
        "book",
        ("Lantern Press", "Northbound", "Paper Crane", "Atlas House"),
        {
            "Novel": (9, 26),
            "Cookbook": (18, 45),
            "Travel guide": (12, 32),
            "Poetry collection": (8, 22),
            "Graphic novel": (14, 35),
            "Biography": (12, 34),
        },
    ),
    CategorySpec(
        "Kitchen",
        "kitchen",
        "Tools for cooks who mean it",
        "#b5523b",
        "pan",
        ("Forge & Field", "Cucina", "Oakline", "Steelworks"),
        {
            "Frying pan": (25, 120),
            "Chef's knife": (30, 180),
            "Cutting board": (15, 70),
            "Saucepan": (22, 110),
            "Kettle": (25, 95),
            "Baking tray": (9, 35),
            "Spice rack": (15, 60),
        },
    ),
    CategorySpec(
        "Outdoor",
        "outdoor",
        "Sleep under the stars, comfortably",
        "#2f6f6a",
        "tent",
        ("Trailhead", "Summit Gear", "Wildcamp", "Ridgeway"),
        {
            "Tent": (90, 480),
            "Sleeping bag": (45, 260),
            "Backpack": (40, 220),
            "Headlamp": (15, 70),
            "Camping stove": (30, 140),
            "Trekking poles": (25, 110),
            "Water filter": (20, 90),
        },
    ),
    CategorySpec(
        "Shoes",
        "shoes",
        "From the trail to the office",
        "#a23b5a",
        "shoe",
        ("Stride", "Pathfinder", "Cobble", "Swift"),
        {
            "Running shoes": (60, 180),
            "Hiking boots": (80, 240),
            "Sneakers": (45, 140),
            "Sandals": (25, 90),
            "Loafers": (55, 170),
            "Sports socks": (8, 24),
            "Shoe care kit": (12, 35),
        },
    ),
    CategorySpec(
        "Music",
        "music",
        "Listen, play, repeat",
        "#6a3f8f",
        "note",
        ("Groove", "Resonance", "Blue Note Audio", "Fretwork"),
        {
            "Vinyl record": (18, 45),
            "Headphones": (35, 350),
            "Ukulele": (40, 190),
            "Bluetooth speaker": (30, 220),
            "Guitar strings": (6, 22),
            "Turntable": (120, 520),
        },
    ),
    CategorySpec(
        "Sports & Fitness",
        "sports",
        "Move more, every day",
        "#c0563b",
        "dumbbell",
        ("Pulse", "Kinetic", "Core Labs", "Peak Form"),
        {
            "Yoga mat": (18, 90),
            "Dumbbells": (25, 160),
            "Resistance bands": (10, 40),
            "Jump rope": (8, 30),
            "Foam roller": (15, 55),
            "Water bottle": (9, 38),
            "Gym bag": (25, 90),
        },
    ),
    CategorySpec(
        "Home Office",
        "home-office",
        "Work well from anywhere",
        "#44607a",
        "lamp",
        ("Deskcraft", "Inkwell", "Lumen", "Tidy"),
        {
            "Desk lamp": (25, 140),
            "Notebook": (6, 28),
            "Fountain pen": (18, 160),
            "Monitor stand": (30, 120),
            "Desk organiser": (15, 60),
            "Keyboard": (40, 190),
        },
    ),
    CategorySpec(
        "Garden",
        "garden",
        "Grow something this season",
        "#4f7d3a",
        "leaf",
        ("Greenhand", "Terra", "Bloom & Root", "Allotment"),
        {
            "Trowel": (9, 35),
            "Planter": (15, 90),
            "Watering can": (14, 55),
            "Seed kit": (8, 30),
            "Garden gloves": (8, 28),
            "Pruning shears": (15, 70),
        },
    ),
    CategorySpec(
        "Toys & Games",
        "toys-games",
        "For rainy afternoons",
        "#d08a1e",
        "puzzle",
        ("Playwise", "Tinker Town", "Meeple", "Kitewood"),
        {
            "Jigsaw puzzle": (12, 40),
            "Board game": (20, 75),
            "Building blocks": (18, 120),
            "Kite": (15, 60),
            "Plush bear": (12, 45),
            "Card game": (8, 25),
        },
    ),
    CategorySpec(
        "Beauty",
        "beauty",
        "Simple care, good ingredients",
        "#b0608a",
        "bottle",
        ("Pure Leaf", "Aurora", "Botanica", "Saltwater"),
        {
            "Face cream": (14, 80),
            "Shampoo": (7, 28),
            "Body lotion": (9, 35),
            "Lip balm": (4, 14),
            "Perfume": (35, 140),
            "Hand soap": (5, 18),
        },
    ),
    CategorySpec(
        "Pets",
        "pets",
        "For the family members with paws",
        "#8a6d3b",
        "paw",
        ("Good Boy", "Whiskers", "Tailwag", "Pawsome"),
        {
            "Dog bed": (30, 140),
            "Cat toy": (5, 22),
            "Dog leash": (12, 45),
            "Pet bowl": (8, 35),
            "Cat scratcher": (20, 90),
            "Dog treats": (5, 18),
        },
    ),
)

#: kinds shoppers buy together (the first, then often the second): the planted
#: "frequently bought together" pairs of the demo
KIND_PAIRS: tuple[tuple[str, str], ...] = (
    ("French press", "Filter coffee"),
    ("Grinder", "Espresso beans"),
    ("Espresso beans", "Milk frother"),
    ("Pour-over kit", "Filter coffee"),
    ("Tent", "Sleeping bag"),
    ("Camping stove", "Headlamp"),
    ("Running shoes", "Sports socks"),
    ("Hiking boots", "Trekking poles"),
    ("Ukulele", "Guitar strings"),
    ("Turntable", "Vinyl record"),
    ("Chef's knife", "Cutting board"),
    ("Frying pan", "Cookbook"),
    ("Yoga mat", "Foam roller"),
    ("Fountain pen", "Notebook"),
    ("Dog leash", "Dog treats"),
    ("Planter", "Seed kit"),
    ("Board game", "Card game"),
    ("Face cream", "Lip balm"),
)

ADJECTIVES = (
    "Classic",
    "Compact",
    "Deluxe",
    "Everyday",
    "Handmade",
    "Lightweight",
    "Premium",
    "Vintage",
    "Urban",
    "Nordic",
    "Pro",
    "Essential",
    "Signature",
    "Studio",
    "Travel",
    "Heritage",
)
VARIANTS = (
    "Slate",
    "Sand",
    "Forest",
    "Ocean",
    "Crimson",
    "Charcoal",
    "Ivory",
    "Amber",
    "Sage",
    "Midnight",
)
PHRASES = (
    "Made to last and pleasant to use every day.",
    "A customer favourite, reworked for this season.",
    "Thoughtfully designed, with nothing you do not need.",
    "Small details, carefully finished.",
    "Our team's pick in its range.",
    "Built with materials we would use ourselves.",
)


@dataclass(frozen=True)
class ProductSpec:
    category: str  # the category's slug
    kind: str
    brand: str
    name: str
    slug: str
    description: str
    price: Decimal
    stock: int
    created_at: datetime


def generate_products(rng: random.Random, count: int, now: datetime) -> list[ProductSpec]:
    """``count`` products spread over the categories (round robin, so every
    category and kind is present even in a small shop)."""
    kinds = [(cat, kind) for cat in CATEGORIES for kind in cat.kinds]
    # Interleave categories so that the first N products cover them all.
    order = sorted(range(len(kinds)), key=lambda i: (list(kinds[i][0].kinds).index(kinds[i][1]), i))
    products = []
    for index in range(count):
        cat, kind = kinds[order[index % len(order)]]
        low, high = cat.kinds[kind]
        brand = rng.choice(cat.brands)
        adjective = rng.choice(ADJECTIVES)
        variant = rng.choice(VARIANTS)
        name = f"{brand} {adjective} {kind} · {variant}"
        price = Decimal(round(rng.uniform(low, high))) - Decimal("0.01")
        # Mostly older products; about one in ten arrived in the last three weeks.
        age_days = rng.uniform(0, 21) if rng.random() < 0.1 else rng.uniform(40, 500)
        description = (
            f"The {adjective.lower()} {kind.lower()} from {brand}, in {variant.lower()}. "
            + rng.choice(PHRASES)
        )
        products.append(
            ProductSpec(
                category=cat.slug,
                kind=kind,
                brand=brand,
                name=name,
                slug=slugify(name)[:200],
                description=description,
                price=max(price, Decimal("1.99")),
                stock=0 if rng.random() < 0.06 else rng.randint(1, 60),
                created_at=now - timedelta(days=age_days),
            )
        )
    return products
