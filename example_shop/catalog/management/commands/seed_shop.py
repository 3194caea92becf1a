"""Fill the catalogue with a repeatable set of categories and products."""

import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from catalog.models import Category, Product

CATEGORIES = ["Books", "Coffee", "Garden", "Kitchen", "Music", "Outdoor", "Shoes", "Toys"]
ADJECTIVES = ["Classic", "Compact", "Deluxe", "Eco", "Handmade", "Light", "Smart", "Sturdy", "Vintage", "Urban"]
NOUNS = {
    "Books": ["Novel", "Cookbook", "Atlas", "Guide", "Anthology"],
    "Coffee": ["Espresso Beans", "Grinder", "French Press", "Mug", "Filter"],
    "Garden": ["Trowel", "Planter", "Hose", "Seed Kit", "Gloves"],
    "Kitchen": ["Knife", "Pan", "Cutting Board", "Whisk", "Kettle"],
    "Music": ["Vinyl", "Headphones", "Ukulele", "Speaker", "Capo"],
    "Outdoor": ["Tent", "Backpack", "Lantern", "Sleeping Bag", "Bottle"],
    "Shoes": ["Sneakers", "Boots", "Sandals", "Loafers", "Socks"],
    "Toys": ["Puzzle", "Kite", "Blocks", "Board Game", "Plush Bear"],
}


class Command(BaseCommand):
    help = "Create the example catalogue (repeatable: the same seed gives the same shop)."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=400)
        parser.add_argument("--seed", type=int, default=7)

    @transaction.atomic
    def handle(self, *args, **options):
        if Product.objects.exists():
            self.stdout.write("The catalogue is already seeded.")
            return
        rng = random.Random(options["seed"])
        categories = {name: Category.objects.create(name=name, slug=name.lower()) for name in CATEGORIES}
        products = []
        for index in range(options["products"]):
            category = CATEGORIES[index % len(CATEGORIES)]
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[category])} #{index + 1}"
            price = Decimal(rng.randint(300, 20000)) / 100
            products.append(Product(category=categories[category], name=name, price=price, stock=rng.randint(0, 40)))
        Product.objects.bulk_create(products)
        self.stdout.write(self.style.SUCCESS(f"Created {len(categories)} categories and {len(products)} products."))
