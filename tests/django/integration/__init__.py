"""Integration tests: PostgreSQL, a private Redis, real `celery worker` and
`runserver` processes. Nothing here creates a Celery app in the test process
(that would switch the unit tests' "auto" delivery to Celery)."""
