"""The modules personalize_django.dataset replaced still import, warn, and
hand out the very objects of their new homes."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

from personalize_django.dataset import formats, records, skipped


@pytest.mark.parametrize(
    "old, new, names",
    [
        (
            "personalize_django.datasets",
            "personalize_django.dataset.records",
            ["ShopEvents", "iter_items", "iter_users", "timestamp_spec", "SOURCES"],
        ),
        (
            "personalize_django.datasets",
            "personalize_django.dataset.skipped",
            ["Skipped", "merge_findings", "refusal_code"],
        ),
        (
            "personalize_django.dataset_formats",
            "personalize_django.dataset.formats",
            ["shop_formats", "items_format", "format_from_schema", "COLUMN_SAMPLE"],
        ),
    ],
)
def test_an_old_module_warns_and_re_exports_the_new_one(monkeypatch, old, new, names):
    monkeypatch.delitem(sys.modules, old, raising=False)  # so that importing runs it again
    with pytest.warns(DeprecationWarning, match=rf"^{re.escape(old)} is now .*{re.escape(new)}"):
        module = importlib.import_module(old)
    moved = importlib.import_module(new)
    for name in names:
        assert getattr(module, name) is getattr(moved, name), name


def test_the_package_exports_what_its_modules_declare():
    import personalize_django.dataset as package

    assert len(package.__all__) == len(set(package.__all__))  # no name in two modules
    for module in (formats, records, skipped):
        for name in module.__all__:
            assert name in package.__all__ and getattr(package, name) is getattr(module, name)
