"""The outbox and dead-letter admin pages."""

from __future__ import annotations

import pytest

from personalize_django.outbox import deliver_pending
from personalize_django.models import OutboxEvent
from personalize_django.recording import record_event
from personalize_sdk import BackendError

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(admin_client, settings):
    """One delivered, one dead and one pending event (and nothing else)."""
    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}
    from personalize_django.client import get_backend

    OutboxEvent.objects.all().delete()  # the admin user's own row
    backend = get_backend()
    for i in range(3):
        record_event("View", item=str(i), session_id="s", user="u9")
    deliver_pending(max_rows=1)
    backend.fail_next(BackendError("InvalidInputException: bad item", retryable=False), times=2)
    deliver_pending(max_rows=1)
    return backend


def test_outbox_changelist_shows_counts_by_state(admin_client, outbox):
    response = admin_client.get("/admin/personalize/outboxevent/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "pending: <strong>1</strong>" in text
    assert "delivered: <strong>1</strong>" in text
    assert "dead: <strong>1</strong>" in text
    assert "View item=0 user=u9" in text


def test_dead_letters_list_their_reasons(admin_client, outbox):
    response = admin_client.get("/admin/personalize/deadletter/")
    text = response.content.decode()
    assert "BackendError: InvalidInputException: bad item" in text
    assert "item=0" not in text and "item=1" in text  # only the dead one


def test_replay_action(admin_client, outbox):
    dead = OutboxEvent.objects.get(state="dead")
    response = admin_client.post(
        "/admin/personalize/deadletter/",
        {"action": "replay_selected", "_selected_action": [dead.pk]},
        follow=True,
    )
    assert "1 dead letter(s) queued for delivery again." in response.content.decode()
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == ("pending", 0)


def test_rows_cannot_be_added_or_edited(admin_client, outbox):
    assert admin_client.get("/admin/personalize/outboxevent/add/").status_code == 403
    row = OutboxEvent.objects.first()
    response = admin_client.post(
        f"/admin/personalize/outboxevent/{row.pk}/change/", {"state": "dead"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.state != "dead"


@pytest.mark.parametrize("admin_page", ["outboxevent", "deadletter"])
def test_the_change_page_is_read_only(admin_client, outbox, admin_page):
    row = OutboxEvent.objects.get(state="dead")
    response = admin_client.get(f"/admin/personalize/{admin_page}/{row.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="_save"' not in text and 'name="_continue"' not in text
    assert "/delete/" not in text
    assert response.context["has_change_permission"] is False


@pytest.mark.parametrize("admin_page", ["outboxevent", "deadletter"])
def test_rows_cannot_be_deleted(admin_client, outbox, admin_page):
    row = OutboxEvent.objects.get(state="dead")
    response = admin_client.post(f"/admin/personalize/{admin_page}/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert OutboxEvent.objects.filter(pk=row.pk).exists()
    actions = admin_client.get(f"/admin/personalize/{admin_page}/").context["action_form"]
    choices = [name for name, _label in actions.fields["action"].choices]
    assert "delete_selected" not in choices and "replay_selected" in choices


def test_replay_needs_the_change_permission(client, django_user_model, outbox):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_deadletter"]))
    client.force_login(user)
    response = client.get("/admin/personalize/deadletter/")
    assert response.status_code == 200
    assert response.context["action_form"] is None  # replay was the only action
    assert "replay_selected" not in response.content.decode()
