"""The test shop's registrations, autodiscovered like admin.py."""

from django.contrib.auth import get_user_model

import personalize_django as personalize

from .models import CartLine, OrderLine, Product

personalize.register_item(
    Product,
    properties={"CATEGORY_L1": "category.name", "PRICE": "price"},
    available="in_stock",
)
personalize.register_user(get_user_model(), properties={"USERNAME": "username"})
personalize.register_event(
    OrderLine, event_type="Purchase", user="order.customer", item="product", value="price"
)
personalize.register_event(CartLine, event_type="AddToCart", user="user", item="product")
