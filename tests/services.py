"""Deciding whether a test that needs a real service runs, skips or fails.

Without the service a test skips with a one-line reason; with
``PERSONALIZE_REQUIRE_SERVICES=1`` (CI) it fails instead, so a missing
service can never turn a CI run green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest

REQUIRE = os.environ.get("PERSONALIZE_REQUIRE_SERVICES") == "1"

POSTGRES_HOST = os.environ.get("PERSONALIZE_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("PERSONALIZE_TEST_PG_PORT", "5432"))
REDIS_URL = os.environ.get("PERSONALIZE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_HOST = os.environ.get("PERSONALIZE_TEST_RABBITMQ_HOST", "127.0.0.1")


def unavailable(reason: str) -> None:
    """Skip the calling test, or fail it when services are required."""
    if REQUIRE:
        pytest.fail(f"{reason} (PERSONALIZE_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if not port_open(POSTGRES_HOST, POSTGRES_PORT):
        unavailable(f"PostgreSQL does not answer on {POSTGRES_HOST}:{POSTGRES_PORT}")


def require_redis() -> None:
    from urllib.parse import urlparse

    parts = urlparse(REDIS_URL)
    if not port_open(parts.hostname or "127.0.0.1", parts.port or 6379):
        unavailable(f"Redis does not answer at {REDIS_URL}")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    return path  # type: ignore[return-value]
