"""The example shop's data: a catalogue, carts and orders.

Nothing here knows about recommendations: ``catalog/personalize.py`` tells
personalize_django which model is the item (Product), which is the user
(Django's User) and which rows mean which events (a CartLine created is an
AddToCart, an OrderLine created is a Purchase).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    tagline = models.CharField(max_length=200, blank=True, default="")
    #: the base colour of the category's product pictures (#rrggbb)
    color = models.CharField(max_length=7, default="#1f3a5f")
    #: the motif drawn on the category's product pictures (see catalog.pictures)
    motif = models.CharField(max_length=20, default="box")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("category", args=[self.slug])


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    brand = models.CharField(max_length=60, blank=True, default="")
    #: the kind of product inside its category ("French press", "Tent"): what shoppers compare
    kind = models.CharField(max_length=60, blank=True, default="")
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=9, decimal_places=2)
    stock = models.PositiveIntegerField(default=10)
    # Not auto_now_add: the seed backdates products so that only some are "new".
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["category", "created_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("product", args=[self.pk, self.slug])

    def get_image_url(self) -> str:
        return reverse("product-image", args=[self.pk])

    @property
    def available(self) -> bool:
        return self.stock > 0

    @property
    def is_new(self) -> bool:
        return (timezone.now() - self.created_at).days < 14


class Cart(models.Model):
    """A shopper's cart. A guest's cart is found through the session; at login
    it becomes the user's (merged into theirs if they had one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"cart {self.pk}"

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines.all()), Decimal("0"))

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines.all())


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="catalog_cartline_unique")
        ]

    @property
    def subtotal(self) -> Decimal:
        return self.product.price * self.quantity


class Order(models.Model):
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    email = models.EmailField(blank=True, default="")
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"order {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("order", args=[self.pk])


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)
    #: the unit price paid (the product's price may change later)
    price = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    @property
    def subtotal(self) -> Decimal:
        return self.price * self.quantity
