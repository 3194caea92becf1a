"""The django-oscar adapter: add ``"personalize_django.contrib.oscar"`` to
INSTALLED_APPS, before Oscar's apps (its templates override Oscar's).

It registers Oscar's Product (parents only; categories, price and
availability through Oscar's strategy; creation time), records View through
``product_viewed``, AddToCart from basket lines and Purchase from order lines
(variants counted as their parent), re-sends a product when its stock records
or categories change, and shows recommendation blocks as Oscar's product
cards on the product page and the catalogue. See docs/django/oscar.rst.
"""
