"""The adapter's registrations, autodiscovered like any app's personalize.py."""

from .registration import register

register()
