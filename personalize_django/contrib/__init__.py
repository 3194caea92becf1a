"""Adapters for shop frameworks: one INSTALLED_APPS line each.

Each adapter registers the framework's models, hooks its signals and
overrides its templates with nothing but the public integration API
(``register_item``, ``register_event``, ``record_event``, the template tags),
so a shop on another framework can do by hand what an adapter does.
"""
