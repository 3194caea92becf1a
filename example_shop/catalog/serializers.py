"""What the REST API says about each recommended product (``ITEM_SERIALIZER``).

personalize_django's default gives only a title and a URL; the single-page
view also wants the price, the category and the picture.
"""

from __future__ import annotations

from rest_framework import serializers


class ProductSerializer(serializers.Serializer):
    title = serializers.CharField(source="name")
    url = serializers.CharField(source="get_absolute_url")
    image = serializers.CharField(source="get_image_url")
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    category = serializers.CharField(source="category.name")
    kind = serializers.CharField()
    available = serializers.BooleanField()
