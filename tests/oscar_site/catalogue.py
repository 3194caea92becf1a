"""A tiny catalogue: two top categories with a sub-category, a partner, and
a few products with stock records (one of them a parent with variants)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oscar.core.loading import get_model


def build() -> dict[str, Any]:
    Category = get_model("catalogue", "Category")
    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    ProductCategory = get_model("catalogue", "ProductCategory")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")

    books = Category.add_root(name="Books", slug="books")
    fiction = books.add_child(name="Fiction", slug="fiction")
    clothing = Category.add_root(name="Clothing", slug="clothing")
    kind = ProductClass.objects.create(name="Thing", slug="thing", track_stock=True)
    partner = Partner.objects.create(name="Warehouse")

    def product(title: str, category: Any, price: str | None, stock: int = 5, **kw: Any) -> Any:
        kw.setdefault("product_class", kind)
        obj = Product.objects.create(title=title, **kw)
        if category is not None:
            ProductCategory.objects.create(product=obj, category=category)
        if price is not None:
            StockRecord.objects.create(
                product=obj, partner=partner, partner_sku=f"sku-{obj.pk}",
                price=Decimal(price), num_in_stock=stock,
            )
        return obj

    shop = {
        "novel": product("A novel", fiction, "12.00"),
        "atlas": product("An atlas", books, "30.00"),
        "scarf": product("A scarf", clothing, "20.00", stock=1),
        "poem": product("A poem", fiction, "5.00"),
    }
    for name in ("mug", "pen", "hat", "sock"):
        shop[name] = product(f"A {name}", clothing if name in ("hat", "sock") else books, "3.00")
    shirt = Product.objects.create(title="A shirt", product_class=kind, structure=Product.PARENT)
    ProductCategory.objects.create(product=shirt, category=clothing)
    small = product("", None, "15.00", structure=Product.CHILD, parent=shirt, product_class=None)
    shop.update(shirt=shirt, shirt_small=small, partner=partner, fiction=fiction, books=books,
                clothing=clothing, kind=kind)
    return shop
