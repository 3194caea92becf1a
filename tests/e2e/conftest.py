"""A live example shop in a subprocess, seeded small, for the browser tests.

The shop runs with its embedded defaults (SQLite, the local engine, eager
Celery tasks) under a temporary ``EXAMPLE_SHOP_VAR``, on a free port of
127.0.0.1, with ``manage.py runserver --noreload``. Tests read its SQLite
database (the outbox) directly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "example_shop" / "manage.py"
#: environment variables that would switch the shop away from its embedded defaults
FOREIGN_ENV = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "PERSONALIZE_BACKEND",
    "DJANGO_SETTINGS_MODULE",
)
#: a small shop: quick to seed and train, big enough for every use case to be ready
SEED_ARGS = ("--products", "240", "--shoppers", "300", "--seed", "3", "--no-progress")
STARTUP_TIMEOUT = 60.0
#: screenshots copied into the docs when this is "1"
UPDATE_SCREENSHOTS = os.environ.get("PERSONALIZE_UPDATE_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = ROOT / "docs" / "_static" / "screenshots"


@dataclass
class Shop:
    url: str
    var: Path
    process: subprocess.Popen

    @property
    def database(self) -> Path:
        return self.var / "shop.sqlite3"

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Read the shop's database (a fresh read-only connection each time)."""
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def wait_for(self, what: str, probe: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Poll ``probe`` until it returns something truthy (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(var: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in FOREIGN_ENV and not k.startswith("PERSONALIZE_AWS_")
    }
    env.update(EXAMPLE_SHOP_VAR=str(var), DJANGO_DEBUG="1", PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def manage(var: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run the shop's ``manage.py``; its stdout, or RuntimeError with its output."""
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=_env(var, env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_answering(
    url: str, process: subprocess.Popen, log: Path, timeout: float = STARTUP_TIMEOUT
) -> None:
    """Poll ``url`` (bounded) until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[:3]} exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()}")
        time.sleep(0.2)


def wait_for_port(
    port: int, process: subprocess.Popen, log: Path, timeout: float = STARTUP_TIMEOUT
) -> None:
    """Poll 127.0.0.1:``port`` (bounded) until it accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[:3]} exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"nothing listens on port {port} after {timeout:.0f} s:\n{log.read_text()}"
            )
        time.sleep(0.1)


@contextlib.contextmanager
def running(
    args: list[str], *, log: Path, env: dict[str, str], cwd: Path = ROOT
) -> Iterator[subprocess.Popen]:
    """A subprocess, stopped (terminate, then kill) when the block ends."""
    with open(log, "w") as out:
        process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def shop_server(var: Path, env: dict[str, str] | None = None) -> Iterator[Shop]:
    """``manage.py runserver --noreload`` on a free port, answering when the block starts."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = var / "server.log"
    args = [sys.executable, str(MANAGE), "runserver", "--noreload", f"127.0.0.1:{port}"]
    with running(args, log=log, env=_env(var, env)) as process:
        wait_until_answering(url + "/", process, log)
        yield Shop(url, var, process)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty shop database, made once and copied by each shop
    (SQLite migrations fsync a lot: seconds each time)."""
    var = tmp_path_factory.mktemp("example_shop_template")
    manage(var, "migrate", "--noinput")
    return var / "shop.sqlite3"


def new_shop_var(parent: Path, migrated_database: Path) -> Path:
    """A fresh ``EXAMPLE_SHOP_VAR`` holding a copy of the migrated database."""
    parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_database, parent / "shop.sqlite3")
    return parent


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory, migrated_database: Path) -> Iterator[Shop]:
    from tests.services import require_chromium

    require_chromium()  # no point in seeding a shop nobody can browse
    var = new_shop_var(tmp_path_factory.mktemp("example_shop_var"), migrated_database)
    manage(var, "seed_shop", *SEED_ARGS)
    manage(var, "personalize_train")
    with shop_server(var) as shop:
        yield shop


@pytest.fixture(scope="session")
def browser(shop: Shop) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from tests.services import require_chromium

    path = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies: a new guest) and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    # expect() has its own bound (5 s by default), too short on a loaded 2-core CI machine
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[..., Path]:
    """``screenshot(page, "shop-home")``: a PNG in the test's tmp dir, copied into
    the docs when ``PERSONALIZE_UPDATE_SCREENSHOTS=1``."""

    def take(page: Any, name: str, *, full_page: bool = False) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if UPDATE_SCREENSHOTS:
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (DOCS_SCREENSHOTS / path.name).write_bytes(path.read_bytes())
        return path

    return take
