"""The adapter's app: its signal receivers are connected here; its
registrations are in ``personalize.py``, autodiscovered like a shop's."""

from __future__ import annotations

from django.apps import AppConfig


class PersonalizeOscarConfig(AppConfig):
    name = "personalize_django.contrib.oscar"
    label = "personalize_oscar"
    verbose_name = "Personalize for django-oscar"

    def ready(self) -> None:
        from oscar.apps.catalogue.signals import product_viewed

        from . import receivers

        product_viewed.connect(
            receivers.on_product_viewed,
            dispatch_uid="personalize_django.contrib.oscar.product_viewed",
        )
