"""The console's Celery task: "train now" on a worker.

This module imports Celery at the top: only
:func:`personalize_django.console.views.start_training` (when a worker
runs tasks) and Celery's autodiscovery import it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .training import train_now


@shared_task(name="personalize_django.console.train_model", ignore_result=True)
def train_model(user: str = "") -> dict[str, Any]:
    """Train the backend and keep the entry in the console's history."""
    return train_now("celery", user)
