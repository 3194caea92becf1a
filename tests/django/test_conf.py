"""personalize_settings: defaults, lazy reads, override_settings, import strings."""

from __future__ import annotations

import pytest
from django.test import override_settings

from personalize_django.client import get_client
from personalize_django.conf import DEFAULTS, on_reload, personalize_settings


def allow_all(request):
    return True


def test_defaults_fill_in_missing_keys():
    with override_settings(PERSONALIZE={"BACKEND": "memory"}):
        assert personalize_settings.BACKEND == "memory"
        assert personalize_settings.MAX_ATTEMPTS == DEFAULTS["MAX_ATTEMPTS"]
        assert personalize_settings.DELIVERY == "auto"


def test_override_settings_is_seen_and_undone():
    before = personalize_settings.BATCH_SIZE
    with override_settings(PERSONALIZE={"BACKEND": "memory", "BATCH_SIZE": 7}):
        assert personalize_settings.BATCH_SIZE == 7
    assert personalize_settings.BATCH_SIZE == before


def test_a_value_read_before_a_change_is_not_kept():
    with override_settings(PERSONALIZE={"BACKEND": "memory", "VIEW_EVENT_TYPE": "Seen"}):
        assert personalize_settings.VIEW_EVENT_TYPE == "Seen"
        assert personalize_settings.VIEW_EVENT_TYPE == "Seen"  # read again: remembered
        with override_settings(PERSONALIZE={"BACKEND": "memory"}):
            assert personalize_settings.VIEW_EVENT_TYPE == "View"
        assert personalize_settings.VIEW_EVENT_TYPE == "Seen"


def test_settings_fixture_changes_are_seen(settings):
    settings.PERSONALIZE = {"BACKEND": "memory", "MAX_ATTEMPTS": 3}
    assert personalize_settings.MAX_ATTEMPTS == 3


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="NOT_A_SETTING"):
        personalize_settings.NOT_A_SETTING  # noqa: B018


def test_unknown_user_key_is_ignored_at_run_time():
    # (the system check personalize.E002 reports it)
    with override_settings(PERSONALIZE={"BACKEND": "memory", "MAX_ATEMPTS": 1}):
        assert personalize_settings.MAX_ATTEMPTS == DEFAULTS["MAX_ATTEMPTS"]
        assert "MAX_ATEMPTS" not in personalize_settings.as_dict()


def test_non_dict_setting_runs_on_defaults():
    with override_settings(PERSONALIZE="memory"):
        assert personalize_settings.BATCH_SIZE == DEFAULTS["BATCH_SIZE"]


def test_consent_dotted_path_is_imported():
    with override_settings(
        PERSONALIZE={"BACKEND": "memory", "CONSENT": "tests.django.test_conf.allow_all"}
    ):
        assert personalize_settings.CONSENT is allow_all


def test_reload_hooks_run_when_the_setting_changes():
    calls = []
    hook = on_reload(lambda: calls.append(1))
    try:
        with override_settings(PERSONALIZE={"BACKEND": "memory"}):
            pass
        assert len(calls) == 2  # entering and leaving
        with override_settings(DEBUG=True):
            pass
        assert len(calls) == 2  # other settings do not reload
    finally:
        from personalize_django import conf

        conf._reload_hooks.remove(hook)


def test_client_is_rebuilt_when_settings_change():
    first = get_client()
    assert get_client() is first
    with override_settings(PERSONALIZE={"BACKEND": "memory", "FILTERS": {}}):
        second = get_client()
        assert second is not first
    assert first.backend.closed
    assert get_client() is not second


def test_client_gets_the_availability_filter():
    # testapp registers Product with available="in_stock"
    assert "available" in get_client().filters
    with override_settings(
        PERSONALIZE={
            "BACKEND": "memory",
            "FILTERS": {"available": "EXCLUDE ItemID WHERE Items.PRICE > 10"},
        }
    ):
        assert get_client().filters["available"] is not None
