"""The REST API for browsers, single-page apps and trusted services.

Mount it with one include (``path("api/personalize/", include("personalize_django.api.urls"))``).
It needs Django REST framework and drf-spectacular (``pip install "personalize-django[drf]"``);
nothing else in personalize_django imports this package, so shops without DRF never load it.
See ``docs/django/rest-api.rst`` for the endpoints, their shapes and their errors.
"""

from __future__ import annotations

for _package, _module in (
    ("djangorestframework", "rest_framework"),
    ("drf-spectacular", "drf_spectacular"),
):
    try:
        __import__(_module)
    except ModuleNotFoundError as err:
        if err.name != _module:
            raise
        from personalize_sdk import ImproperlyInstalled

        raise ImproperlyInstalled(_package, "drf", feature="personalize_django.api") from err
