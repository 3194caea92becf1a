"""The API's schema against the API itself: schemathesis, every check, a
fixed seed and a bounded number of examples, against a ``runserver`` on
PostgreSQL (``tests.django.api.fuzz_settings``). It must find no failure:
no 5xx, every answer in its documented status and shape, everything the
schema allows accepted and everything it forbids refused.

Two callers: a trusted service (a token) on every operation, and a browser
(no credentials) on the read endpoint; a browser's posts need a CSRF token,
which tests/django/api covers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import services

from .harness import (
    ROOT,
    Database,
    Process,
    create_products,
    free_port,
    migrate,
    run_python,
    wait_for,
)

pytestmark = pytest.mark.integration

FUZZ_SETTINGS = "tests.django.api.fuzz_settings"
SEED = 42
#: examples per operation and phase (the run takes about two minutes on two cores)
MAX_EXAMPLES = 30
API = "/api/personalize/"

#: a batch keeps its good records and names each refused one (207): a
#: refusal of part of the request, as 413 (too many records) is one of all.
#: (What else the schema cannot say is in tests/django/api/fuzz_hooks.py.)
CONFIG = """\
[checks.negative_data_rejection]
expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "207",
]
"""
HOOKS = "tests.django.api.fuzz_hooks"

TOKEN = """
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("fuzz-service")
user.user_permissions.add(Permission.objects.get(codename="add_outboxevent"))
print(Token.objects.create(user=user).key)
"""


def schemathesis_command() -> list[str]:
    script = Path(sys.executable).with_name("schemathesis")
    if not script.exists():
        services.unavailable("schemathesis is not installed (pip install -e '.[dev]')")
    return [str(script)]


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    """A runserver on a fresh, migrated PostgreSQL database with products and
    a trusted service's token; yields (base URL, token, item id)."""
    services.require_postgres()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        services.unavailable("psycopg is not installed (pip install -e '.[dev]')")
    tmp = tmp_path_factory.mktemp("schema-fuzz")
    db = Database()
    web = None
    try:
        migrate(db, tmp)
        products = create_products(db, 5)
        made = run_python(db, ["-m", "django", "shell", "-c", TOKEN])
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        port = free_port()
        env = dict(
            os.environ, **db.env(), DJANGO_SETTINGS_MODULE=FUZZ_SETTINGS, PYTHONPATH=str(ROOT)
        )
        web = Process(
            "web",
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--skip-checks",
            ],
            env,
            tmp / "web.log",
        )

        def listening() -> bool:
            if not web.alive():
                raise AssertionError(f"runserver exited:\n{web.tail()}")
            return services.port_open("127.0.0.1", port, 0.2)

        wait_for(listening, "runserver to listen", 60)
        yield f"http://127.0.0.1:{port}", token, str(products[0]), tmp, web
    finally:
        if web is not None:
            web.stop()
        db.drop()


def fuzz(live_api, name: str, *options: str) -> None:
    base, _, item, tmp, web = live_api
    config = tmp / "schemathesis.toml"
    config.write_text(CONFIG)
    run = subprocess.run(
        [
            *schemathesis_command(),
            "--config-file",
            str(config),
            "run",
            f"{base}{API}schema/?format=json",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--continue-on-failure",
            "--no-color",
            *options,
        ],
        cwd=tmp,
        env=dict(
            os.environ, SCHEMATHESIS_HOOKS=HOOKS, PERSONALIZE_FUZZ_ITEM=item, PYTHONPATH=str(ROOT)
        ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    (tmp / f"{name}.txt").write_text(output)
    assert run.returncode == 0, f"schemathesis ({name}) found failures:\n{output[-12000:]}"
    assert "Traceback" not in Path(web.log_path).read_text(errors="replace"), web.tail(80)


def test_a_trusted_service_finds_the_schema_true(live_api):
    _, token, *_ = live_api
    fuzz(live_api, "trusted", "--header", f"Authorization: Token {token}")


def test_a_browser_finds_the_read_endpoint_true(live_api):
    fuzz(live_api, "browser", "--include-method", "GET")
