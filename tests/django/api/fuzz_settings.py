"""Settings of the web server the schema fuzz run talks to: the integration
settings (PostgreSQL), with events kept in the outbox (no Celery, no broker),
the in-memory backend, a filter with a placeholder, and no throttling (so
every generated request reaches the endpoint's own checks)."""

from tests.django.integration.settings import *  # noqa: F401,F403

PERSONALIZE = {
    "BACKEND": "personalize_sdk.backends.memory.MemoryBackend",
    "DELIVERY": "manual",
    "FILTERS": {"in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
    "API_THROTTLE_RATES": {"events": None, "reads": None, "trusted": None},
}
