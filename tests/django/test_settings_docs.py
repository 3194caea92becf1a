"""Every setting is documented, with its default (the settings reference is a contract)."""

from pathlib import Path

from personalize_django.conf import DEFAULTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "django" / "settings.rst"


def test_every_key_of_the_defaults_is_in_the_settings_reference():
    text = DOC.read_text()
    missing = [key for key in DEFAULTS if f"``{key}``" not in text]
    assert missing == []


def test_the_reference_gives_a_default_for_each_entry():
    import re

    entries = re.split(r"\n(?=``[A-Z_]+``)", DOC.read_text())[1:]
    assert entries, "no setting entries found"
    without = [entry.split("\n", 1)[0] for entry in entries if "Default:" not in entry]
    assert without == []
