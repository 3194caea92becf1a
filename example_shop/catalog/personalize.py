"""What the shop tells personalize_django (autodiscovered, like admin.py).

- Products are the items, with their category, price, creation time and
  availability (out-of-stock products are never recommended);
- Django users are the users;
- a cart line created is an AddToCart, an order line created is a Purchase.
  Both are recorded in the same transaction as the row, so a failed checkout
  sends nothing.
"""

from django.contrib.auth import get_user_model

import personalize_django as personalize

from .models import CartLine, OrderLine, Product

personalize.register_item(
    Product,
    properties={
        "CATEGORY_L1": "category.name",
        "CATEGORY_L2": "kind",
        "BRAND": "brand",
        "PRICE": "price",
        "CREATION_TIMESTAMP": "created_at",
    },
    available="available",
)
personalize.register_user(get_user_model())
personalize.register_event(CartLine, event_type="AddToCart", user="cart.user", item="product")
personalize.register_event(
    OrderLine, event_type="Purchase", user="order.customer", item="product", value="price"
)
