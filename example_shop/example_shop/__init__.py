# Load the Celery app with Django, so that personalize_django's delivery
# finds it (and queues its tasks on it). Celery is optional for the shop.
try:
    from .celery import app as celery_app
except ModuleNotFoundError as err:  # pragma: no cover - celery not installed
    if err.name != "celery":
        raise
    celery_app = None

__all__ = ["celery_app"]
