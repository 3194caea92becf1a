"""Fill the example shop: a catalogue, shoppers and their history.

    python example_shop/manage.py seed_shop                 # 2,400 products, 3,000 shoppers
    python example_shop/manage.py seed_shop --products 200 --shoppers 300 --seed 1
    python example_shop/manage.py seed_shop --reset         # start over

Repeatable: the same ``--seed`` and sizes give the same products, shoppers,
sessions and orders (timestamps are spread over the weeks before the hour of
the run). Steps:

1. categories and products (bulk insert), then ``personalize_sync`` sends
   them to the backend through the outbox;
2. shoppers (Django users) and the demo user ``demo`` / ``demo``, synced
   too, and the staff user ``admin`` / ``admin`` (the admin and its console);
3. their sessions: View, AddToCart and Purchase events written straight into
   the backend in bulk (the history a shop would import once; live events go
   through the outbox), and their orders inserted as rows;
4. what ``personalize.js`` would have recorded of the recommendation blocks:
   an ``Impression`` of a block before some of the views, and a ``Click`` with
   the block's recommendation id when the view came from it, so the console's
   performance page has impressions, clicks and conversions to show.

Then ``--train`` (what ``make demo`` passes) trains the backend through the
console (:func:`personalize_django.console.training.train_now`), so its
training page has a report, offline metrics and a first history entry; on a
shop already seeded, only if the console has no training of it yet (the
model is kept on disk, so a second ``make demo`` starts at once).
"""

from __future__ import annotations

import random
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from personalize_django.conf import personalize_settings
from personalize_django.console.performance import BLOCK_PROPERTY
from personalize_sdk.backends import backend_class
from personalize_sdk.backends.local import LocalBackend

from catalog.catalogue import CATEGORIES, generate_products
from catalog.models import Cart, Category, Order, OrderLine, Product
from catalog.shoppers import Catalogue, ProductInfo, Shopper, make_shoppers, simulate

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
#: the staff user of the admin and its console (a demo's, never a real shop's)
STAFF_USERNAME = "admin"
STAFF_PASSWORD = "admin"
#: (use case, the page it is on, share of views that follow an impression of
#: it, click-through of the block): a block is named by its page's URL name,
#: as {% recommendation_block %} names it
BLOCKS = (
    ("recommended_for_you", "home", 0.07, 0.30),
    ("recommended_for_you", "product", 0.03, 0.20),
    ("also_viewed", "product", 0.12, 0.22),
    ("bought_together", "product", 0.03, 0.15),
    ("bought_together", "cart", 0.02, 0.25),
    ("best_sellers", "home", 0.08, 0.10),
)
#: items a seeded block shows
BLOCK_SIZE = 6
#: what the demo user likes (category slugs), so their home page looks personal
DEMO_LIKES = ["coffee-tea", "books"]
#: events per write to the backend (the client splits further to the backend's limit)
EVENT_CHUNK = 5000


class _Counter:
    """A plain progress line when tqdm is not installed."""

    def __init__(self, total: int, desc: str, stream: Any) -> None:
        self.total, self.desc, self.stream, self.n = total, desc, stream, 0

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.n == self.total or self.n % max(1, self.total // 50) == 0:
            self.stream.write(f"\r{self.desc}: {self.n}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


class _Quiet:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class Command(BaseCommand):
    help = (
        "Create a repeatable demo catalogue, shoppers and their history (see the module docstring)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products", type=int, default=2400, help="number of products (default 2400)"
        )
        parser.add_argument(
            "--shoppers",
            type=int,
            default=3000,
            help="number of registered shoppers (default 3000)",
        )
        parser.add_argument(
            "--guests", type=int, default=None, help="guest sessions (default: half the shoppers)"
        )
        parser.add_argument(
            "--days", type=float, default=42.0, help="history spread over this many days"
        )
        parser.add_argument(
            "--seed", type=int, default=7, help="random seed (same seed, same shop)"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the shop's data and the local engine's first",
        )
        parser.add_argument(
            "--no-events", action="store_true", help="catalogue and users only, no history"
        )
        parser.add_argument(
            "--history-to-backend",
            action="store_true",
            help=(
                "write the history into any backend (default: only the local and memory ones; use "
                "it for a local Personalize server, never for a real AWS account: PutEvents is "
                "billed and throttled)"
            ),
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        parser.add_argument(
            "--train",
            action="store_true",
            help="train the backend afterwards, through the console (report, metrics, history)",
        )

    # -- helpers ---------------------------------------------------------
    def progress(self, total: int, desc: str) -> Any:
        if self.quiet:
            return _Quiet()
        stream = getattr(self.stderr, "_out", sys.stderr)
        try:
            from tqdm import tqdm
        except ImportError:
            return _Counter(total, desc, stream)
        return tqdm(total=total, desc=desc, unit="", file=stream, leave=True)

    def say(self, text: str) -> None:
        if self.verbosity > 0:
            self.stdout.write(text)

    # -- the command -----------------------------------------------------
    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        self.quiet = options["no_progress"] or self.verbosity == 0
        started = time.monotonic()
        if options["reset"]:
            self.reset()
        elif Product.objects.exists():
            self.say("The shop is already seeded (seed_shop --reset starts over).")
            self.ensure_demo_user()
            self.ensure_staff_user()
            if options["train"] and not self.trained_before():
                self.train()
            self.print_login()
            return
        rng = random.Random(options["seed"])
        # Anchored to the hour, so two runs in the same hour give identical data.
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        products = self.create_catalogue(rng, options["products"], now)
        users = self.create_shoppers(rng, options["shoppers"])
        self.say("Syncing products and users to the backend…")
        call_command(
            "personalize_sync", deliver=True, no_progress=self.quiet, verbosity=self.verbosity
        )
        if not options["no_events"]:
            guests = (
                options["guests"] if options["guests"] is not None else options["shoppers"] // 2
            )
            self.create_history(
                rng, products, users, guests, now, options["days"], options["history_to_backend"]
            )
        self.ensure_staff_user()
        self.say(self.style.SUCCESS(f"Seeded in {time.monotonic() - started:.1f} s."))
        if options["train"]:
            self.train()
        self.print_login()

    def reset(self) -> None:
        """Delete the shop's rows, the outbox and the local engine's folder."""
        from personalize_django.models import OutboxEvent

        with transaction.atomic():
            OrderLine.objects.all().delete()
            Order.objects.all().delete()
            Cart.objects.all().delete()
            Product.objects.all().delete()
            Category.objects.all().delete()
            get_user_model().objects.filter(is_superuser=False).delete()
            OutboxEvent.objects.all().delete()
        config = getattr(settings, "PERSONALIZE", {}) or {}
        path = (config.get("OPTIONS") or {}).get("path")
        if issubclass(backend_class(config.get("BACKEND")), LocalBackend):
            from personalize_django.client import reset_client

            reset_client()  # close the engine's database before its folder goes
            if path and Path(path).exists():
                shutil.rmtree(path)
        self.say(
            "Deleted the shop's data" + (f" and the local engine under {path}." if path else ".")
        )

    @transaction.atomic
    def create_catalogue(self, rng: random.Random, count: int, now: Any) -> list[ProductInfo]:
        categories = {
            spec.slug: Category(
                name=spec.name,
                slug=spec.slug,
                tagline=spec.tagline,
                color=spec.color,
                motif=spec.motif,
                position=index,
            )
            for index, spec in enumerate(CATEGORIES)
        }
        Category.objects.bulk_create(categories.values())
        categories = {c.slug: c for c in Category.objects.all()}
        specs = generate_products(rng, count, now)
        rows = [
            Product(
                category=categories[s.category],
                name=s.name,
                slug=s.slug,
                brand=s.brand,
                kind=s.kind,
                description=s.description,
                price=s.price,
                stock=s.stock,
                created_at=s.created_at,
            )
            for s in specs
        ]
        Product.objects.bulk_create(rows, batch_size=500)
        self.say(f"Created {len(categories)} categories and {len(rows)} products.")
        return [
            ProductInfo(pk, slug, kind, price, stock > 0)
            for pk, slug, kind, price, stock in Product.objects.order_by("pk").values_list(
                "pk", "category__slug", "kind", "price", "stock"
            )
        ]

    @transaction.atomic
    def create_shoppers(self, rng: random.Random, count: int) -> list[int]:
        User = get_user_model()
        # One unusable password for all: shoppers never log in, and hashing
        # thousands of passwords would take most of the seeding time.
        unusable = make_password(None)
        first = (
            "Alex",
            "Sam",
            "Robin",
            "Kim",
            "Noa",
            "Jo",
            "Lee",
            "Mika",
            "Ari",
            "Charlie",
            "Dana",
            "Eli",
        )
        users = [
            User(
                username=f"shopper{index:05d}",
                first_name=rng.choice(first),
                email=f"shopper{index:05d}@example.com",
                password=unusable,
                date_joined=timezone.now() - timedelta(days=rng.uniform(1, 400)),
            )
            for index in range(count)
        ]
        User.objects.bulk_create(users, batch_size=1000)
        self.ensure_demo_user()
        self.say(f"Created {count} shoppers and the demo user.")
        return list(
            User.objects.filter(username__startswith="shopper")
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def ensure_demo_user(self) -> Any:
        User = get_user_model()
        user = User.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            user = User.objects.create_user(
                DEMO_USERNAME, email="demo@example.com", password=DEMO_PASSWORD, first_name="Demo"
            )
        return user

    def ensure_staff_user(self) -> Any:
        """The superuser ``admin`` / ``admin`` (created once; its password is reset to the demo's)."""
        User = get_user_model()
        user = User.objects.filter(username=STAFF_USERNAME).first()
        if user is None:
            return User.objects.create_superuser(
                STAFF_USERNAME, email="admin@example.com", password=STAFF_PASSWORD
            )
        return user

    def trained_before(self) -> bool:
        """Whether the console keeps a training of this shop (its model is on disk)."""
        from personalize_django.console.training import history

        return bool(history())

    def train(self) -> None:
        from personalize_django.client import get_backend
        from personalize_django.console.training import train_now

        if not get_backend().can_train:
            self.say("The backend trains its models itself: nothing to train here.")
            return
        self.say("Training the backend and measuring it on a held-out split…")
        entry = train_now("demo", STAFF_USERNAME)
        report = entry["report"]
        ready = [name for name, status in report["use_cases"].items() if status["ready"]]
        measured = entry["metrics"]["by_use_case"].get("recommended_for_you", {})
        ndcg = measured.get("normalized_discounted_cumulative_gain_at_10")
        self.say(
            f"Trained on {report['interactions']} interactions in {report['seconds']:.1f} s; "
            f"ready: {', '.join(ready) or 'none'}"
            + (f"; NDCG@10 of recommended_for_you {ndcg:.3f}" if ndcg is not None else "")
        )

    def print_login(self) -> None:
        self.say(f"demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
        self.say(
            f"staff login: {STAFF_USERNAME} / {STAFF_PASSWORD} "
            "(the admin, and its console at /admin/personalize/console/overview/)"
        )

    def create_history(
        self,
        rng: random.Random,
        products: list[ProductInfo],
        users: list[int],
        guests: int,
        now: Any,
        days: float,
        any_backend: bool = False,
    ) -> None:
        from personalize_django.client import get_client

        client = get_client()
        if client.backend.name not in ("local", "memory") and not any_backend:
            self.say(
                f"Not writing the synthetic history into the {client.backend.name} backend "
                "(PutEvents would bill and throttle it): import history in bulk instead (a dataset "
                "import job). Against a local Personalize server, pass --history-to-backend."
            )
            return
        catalogue = Catalogue(rng, products)
        shoppers = make_shoppers(rng, catalogue, [*users, *([None] * guests)])
        demo = self.ensure_demo_user()
        demo_likes = [
            slug for slug in DEMO_LIKES if slug in catalogue.by_category
        ] or catalogue.categories[:1]
        shoppers.append(Shopper(demo.pk, demo_likes, 6))
        total_sessions = sum(s.sessions for s in shoppers)
        bar = self.progress(total_sessions, "history (sessions)")
        pending: list[Any] = []
        orders = []
        counts = {"View": 0, "AddToCart": 0, "Purchase": 0}
        history_views: list[Any] = []
        for events, order in simulate(rng, catalogue, shoppers, now=now, days=days):
            pending.extend(events)
            for event in events:
                counts[event.event_type] = counts.get(event.event_type, 0) + 1
                if event.event_type == "View":
                    history_views.append(event)
            if order is not None:
                orders.append(order)
            if len(pending) >= EVENT_CHUNK:
                client.record_many(pending)
                pending = []
            bar.update(1)
        if pending:
            client.record_many(pending)
        bar.close()
        blocks = self.block_events(random.Random(rng.random()), catalogue, history_views)
        for n in range(0, len(blocks), EVENT_CHUNK):
            client.record_many(blocks[n : n + EVENT_CHUNK])
        for event in blocks:
            counts[event.event_type] = counts.get(event.event_type, 0) + 1
        self.save_orders(orders)
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        self.say(f"Recorded {total_sessions} sessions ({summary}) and {len(orders)} orders.")

    def block_events(self, rng: random.Random, catalogue: Catalogue, views: list[Any]) -> list[Any]:
        """Impressions of recommendation blocks before some views, and the
        clicks that led to them (see the module docstring); repeatable for a seed."""
        from personalize_sdk import Event

        key = personalize_settings.USE_CASE_PROPERTY
        products = [p.pk for p in catalogue.products]
        events = []
        for number, view in enumerate(views):
            pick = rng.random()
            for use_case, page, share, click_through in BLOCKS:
                if pick >= share:
                    pick -= share
                    continue
                shown = rng.sample(products, min(BLOCK_SIZE - 1, len(products)))
                clicked = rng.random() < click_through
                ids = [str(pk) for pk in shown if str(pk) != view.item_id][: BLOCK_SIZE - 1]
                if clicked:
                    ids.insert(rng.randrange(len(ids) + 1), view.item_id)
                common = dict(
                    session_id=view.session_id,
                    user_id=view.user_id,
                    recommendation_id=f"seed-rec-{number:07d}",
                    impression=ids,
                    properties={key: use_case, BLOCK_PROPERTY: page},
                )
                events.append(
                    Event(
                        personalize_settings.IMPRESSION_EVENT_TYPE,
                        sent_at=view.sent_at - timedelta(seconds=20),
                        event_id=f"seed-imp-{number:07d}",
                        **common,
                    )
                )
                if clicked:
                    events.append(
                        Event(
                            personalize_settings.CLICK_EVENT_TYPE,
                            item_id=view.item_id,
                            sent_at=view.sent_at - timedelta(seconds=1),
                            event_id=f"seed-click-{number:07d}",
                            **common,
                        )
                    )
                break
        return events

    @transaction.atomic
    def save_orders(self, orders: list[Any]) -> None:
        User = get_user_model()
        emails = dict(User.objects.values_list("pk", "email"))
        rows = [
            Order(
                customer_id=o.user_pk,
                email=emails.get(o.user_pk, "guest@example.com"),
                total=sum(price for _, price in o.lines),
                created_at=o.created_at,
            )
            for o in orders
        ]
        # bulk_create sends no signals: these Purchases are already in the history.
        Order.objects.bulk_create(rows, batch_size=1000)
        lines = [
            OrderLine(order=row, product_id=pk, quantity=1, price=price)
            for row, order in zip(rows, orders, strict=True)
            for pk, price in order.lines
        ]
        OrderLine.objects.bulk_create(lines, batch_size=1000)
