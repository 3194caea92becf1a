"""Oscar's models as items, users and events, through the public API alone.

Prices and availability come from Oscar's strategy (``partner.strategy``'s
``Selector``, loaded with ``get_class`` so a shop's own strategy is used),
the way Oscar's templates ask it: ``fetch_for_parent`` for a parent product,
``fetch_for_product`` otherwise. Without a request (a save, a sync) the
strategy is the one Oscar uses for offline work; on a page, the shopper's.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from oscar.core.loading import get_class, get_model

from ...registry import register_event, register_item, register_user, registry
from .querysets import product_queryset

#: the names Oscar's catalogue is sent with (CATEGORIES: every category's
#: path, "Books > Fiction", joined with "|")
ITEM_COLUMNS = ("CATEGORY_L1", "CATEGORY_L2", "CATEGORIES", "PRICE", "CREATION_TIMESTAMP")


def canonical(product: Any) -> Any:
    """The product shoppers see: a variant's parent, else the product itself."""
    if product is None:
        return None
    return product.parent if product.parent_id else product


def purchase_info(product: Any, request: Any = None) -> Any:
    """Oscar's ``PurchaseInfo`` (price, availability) of ``product``."""
    selector = get_class("partner.strategy", "Selector")()
    user = getattr(request, "user", None) if request is not None else None
    strategy = selector.strategy(request=request, user=user)
    if product.is_parent:
        return strategy.fetch_for_parent(product)
    return strategy.fetch_for_product(product)


def _price(info: Any) -> Any:
    price = info.price
    if not price.exists:
        return None
    return price.incl_tax if price.is_tax_known else price.excl_tax


def currency(product: Any) -> str | None:
    """The currency of the product's price (Oscar's ``price.currency``)."""
    price = purchase_info(product).price
    return price.currency if price.exists else None


def category_paths(product: Any) -> list[list[str]]:
    """The names from the root to each of the product's categories, in tree order."""
    categories = sorted(product.categories.all(), key=lambda c: c.path)
    return [[c.name for c in category.get_ancestors_and_self()] for category in categories]


def item_properties(product: Any) -> dict[str, Any]:
    """CATEGORY_L1/L2 (the first category's root and next level), CATEGORIES,
    PRICE (tax included when the strategy knows the tax) and the creation time."""
    paths = category_paths(product)
    first = paths[0] if paths else []
    return {
        "CATEGORY_L1": first[0] if first else None,
        "CATEGORY_L2": first[1] if len(first) > 1 else None,
        "CATEGORIES": [" > ".join(path) for path in paths] or None,
        "PRICE": _price(purchase_info(product)),
        "CREATION_TIMESTAMP": product.date_created,
    }


def available(product: Any, request: Any = None) -> bool:
    """Public, and buyable for this shopper (Oscar's availability policy)."""
    if not product.is_public:
        return False
    return bool(purchase_info(product, request).availability.is_available_to_buy)


def stock_record_product(stock_record: Any) -> Any:
    # A variant's stock decides its parent's availability.
    return canonical(stock_record.product)


def line_product(line: Any) -> Any:
    return canonical(line.product)


def _has_product(line: Any, created: bool) -> bool:
    return line.product_id is not None  # an order line outlives a deleted product


def _view_session(view: Any) -> str:
    # One session per shopper and day: views kept by Oscar carry no session.
    return f"user-{view.user_id}-{view.date_created:%Y%m%d}"


def register() -> None:
    """Register Oscar's Product, the user model (unless the shop registered
    one), basket lines (AddToCart), order lines (Purchase) and, for
    ``personalize_import_history`` only, Oscar's record of product views."""
    Product = get_model("catalogue", "Product")
    register_item(
        Product,
        properties=item_properties,
        available=available,
        queryset=product_queryset,
        currency=currency,
        depends_on={
            get_model("partner", "StockRecord"): stock_record_product,
            get_model("catalogue", "ProductCategory"): "product",
        },
    )
    if registry.user_registration() is None:
        register_user(get_user_model())
    lines = {
        # (app label, event type): who, the session outside a request, when
        ("basket", "AddToCart"): {
            "user": "basket.owner", "fallback_session": "basket", "timestamp": "date_created",
        },
        ("order", "Purchase"): {
            "user": "order.user", "fallback_session": "order", "timestamp": "order.date_placed",
            "value": "unit_price_incl_tax",
        },
    }
    for (app_label, event_type), specs in lines.items():
        register_event(
            get_model(app_label, "Line"),
            event_type=event_type,
            item=line_product,
            when=_has_product,
            **specs,
        )
    if apps.is_installed("oscar.apps.analytics"):
        register_event(
            get_model("analytics", "UserProductView"),
            event_type="View",
            item=line_product,
            user="user",
            on="import",
            fallback_session=_view_session,
            timestamp="date_created",
        )
