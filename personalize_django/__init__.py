"""personalize_django: the Django app over personalize_sdk.

Add ``"personalize_django"`` to ``INSTALLED_APPS`` and configure ``PERSONALIZE``
in settings; see the docs for the rest. Nothing is imported here, so importing
the package never touches models or settings.
"""
