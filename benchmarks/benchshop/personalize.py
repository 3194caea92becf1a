import personalize_django as personalize

from .models import Product

personalize.register_item(
    Product, properties={"CATEGORY_L1": "category.name", "PRICE": "price"}, available="available"
)
