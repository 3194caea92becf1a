"""The training page: the report, offline metrics, the history and "train now"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalize_django.console import training
from personalize_django.console.metrics import HEADLINE
from personalize_sdk import Event

pytestmark = pytest.mark.django_db

URL = "/admin/personalize/console/training/"


@pytest.fixture
def local(settings, tmp_path):
    """The local engine under a temporary folder, with a small history of its own."""
    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(tmp_path / "engine"), "min_data_scale": 0.001, "auto_train": False},
    }
    from personalize_django.client import get_backend

    backend = get_backend()
    start = timezone.now() - timedelta(days=2)
    events = [
        Event("View", session_id=f"s{u}", user_id=f"u{u}", item_id=f"i{(u + k) % 12}",
              sent_at=start + timedelta(minutes=u * 20 + k))
        for u in range(30)
        for k in range(5)
    ]
    for n in range(0, len(events), 100):
        backend.put_events(events[n : n + 100])
    return backend


def test_train_now_runs_inline_and_keeps_the_report_and_metrics(admin_client, local):
    response = admin_client.post(URL, follow=True)
    assert response.status_code == 200
    assert "Trained in" in response.content.decode()
    [entry] = response.context["entries"]
    assert entry["trigger"] == "console" and entry["user"] == "admin"
    assert entry["report"]["events"] == 150
    assert set(entry["report"]["use_cases"]) >= {"recommended_for_you", "best_sellers"}
    measured = entry["metrics"]["by_use_case"]["recommended_for_you"]
    for name, _label in HEADLINE:
        assert 0.0 <= measured[name] <= 1.0
    text = response.content.decode()
    assert "NDCG@10" in text and "precision@10" in text and 'id="offline-metrics"' in text
    assert response.context["report"]["model_version"] != "untrained"


def test_the_history_survives_the_process_next_to_the_engine(admin_client, local):
    training.train_now("test")
    training.train_now("test")
    from personalize_django.client import reset_client

    reset_client()
    entries = admin_client.get(URL).context["entries"]
    assert [e["trigger"] for e in entries] == ["test", "test"]
    assert entries[0]["at"] >= entries[1]["at"]


def test_before_any_training_the_page_says_so(admin_client, local):
    response = admin_client.get(URL)
    assert response.context["entries"] == []
    assert "Not measured yet" in response.content.decode()


def test_train_now_needs_the_change_permission(staff_client, local):
    assert staff_client.get(URL).status_code == 200
    assert 'id="train-now"' not in staff_client.get(URL).content.decode()
    assert staff_client.post(URL).status_code == 403
    assert training.history() == []


def test_a_backend_that_cannot_train(admin_client):
    response = admin_client.get(URL)
    assert "trains its models itself" in response.content.decode()
    response = admin_client.post(URL, follow=True)
    assert "Training failed: CapabilityError" in response.content.decode()


def test_train_now_goes_to_a_worker_when_one_runs_tasks(admin_client, local, celery_app, monkeypatch):
    celery_app.conf.task_always_eager = False
    queued = []
    from personalize_django.console import tasks

    class Task:
        def delay(self, **kwargs):
            queued.append(kwargs)

    monkeypatch.setattr(tasks, "train_model", Task())
    response = admin_client.post(URL, follow=True)
    assert queued == [{"user": "admin"}]
    assert "queued for a Celery worker" in response.content.decode()


def test_the_task_trains_and_keeps_an_entry(local, celery_app):
    from personalize_django.console.tasks import train_model

    entry = train_model.apply(kwargs={"user": "ops"}).get()
    assert entry["trigger"] == "celery"
    assert training.history()[0]["user"] == "ops"
