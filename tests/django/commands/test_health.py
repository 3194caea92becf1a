"""personalize_health: exit 1 and one line when the oldest waiting outbox row is too old."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from personalize_django.models import OutboxEvent
from personalize_django.outbox import delivery_health
from personalize_django.outbox.delivery import CONFIGURATION_ERROR_PREFIX, deliver_pending
from personalize_django.recording import record_event

from .conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def manual(settings):
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}


def age_rows(seconds):
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_an_empty_outbox_is_healthy():
    out, _ = run("personalize_health")
    assert out.strip() == "OK: no outbox row is waiting"


def test_young_waiting_rows_are_healthy():
    record_event("View", item="1", session_id="s")
    age_rows(10)
    out, _ = run("personalize_health", "--max-age", "60")
    assert out.startswith("OK: 1 row(s) waiting, the oldest for 10s")


def test_an_old_pending_row_exits_1_with_one_line():
    record_event("View", item="1", session_id="s")
    record_event("View", item="2", session_id="s")
    age_rows(600)
    with pytest.raises(SystemExit) as info:
        run("personalize_health", "--max-age", "300")
    assert info.value.code == 1


def test_the_reason_is_one_line_naming_the_age_and_the_limit(capsys):
    from django.core.management import call_command

    record_event("View", item="1", session_id="s")
    age_rows(600)
    with pytest.raises(SystemExit):
        call_command("personalize_health", "--max-age", "300")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("STALLED: delivery has stalled: the oldest of 1 waiting outbox row(s) was written 600s ago")
    assert "(more than 300s)" in out


def test_json_output(capsys):
    from django.core.management import call_command

    record_event("View", item="1", session_id="s")
    age_rows(30)
    call_command("personalize_health", "--json", "--max-age", "60")
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["waiting"] == 1 and data["max_age"] == 60.0
    assert 30 <= data["oldest_age"] < 60


def test_delivered_and_dead_rows_do_not_count_as_waiting():
    record_event("View", item="1", session_id="s")
    deliver_pending()
    age_rows(10_000)
    health = delivery_health(max_age=1)
    assert health.ok and health.waiting == 0


def test_rows_held_by_a_configuration_error_are_named():
    record_event("View", item="1", session_id="s")
    OutboxEvent.objects.update(last_error=f"{CONFIGURATION_ERROR_PREFIX}: no tracking_id")
    age_rows(1000)
    health = delivery_health(max_age=100)
    assert not health.ok and health.held == 1
    assert "1 held by a configuration error" in health.reason


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_max_age_names_the_option(value):
    with pytest.raises(CommandError, match="--max-age must be"):
        run("personalize_health", "--max-age", value)
