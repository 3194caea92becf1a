"""Every setting is documented, with its default (the settings reference is a contract)."""

from pathlib import Path

from personalize_django.conf import DEFAULTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "django" / "settings.rst"


def test_every_key_of_the_defaults_is_in_the_settings_reference():
    text = DOC.read_text()
    missing = [key for key in DEFAULTS if f"``{key}``" not in text]
    assert missing == []


def test_the_reference_gives_a_default_for_each_entry():
    text = DOC.read_text()
    assert text.count("Default:") >= len(DEFAULTS) - 1  # two event types share one entry
