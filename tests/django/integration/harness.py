"""Processes for the integration tests: a PostgreSQL database, a private
``redis-server``, a ``celery worker`` (with beat for the sweep) and a
``runserver``, each started and stopped by the test, plus polling helpers.

Every wait polls a condition with a deadline and fails with what it saw; no
fixed sleep is used to synchronise.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from tests import services

ROOT = Path(__file__).resolve().parents[3]
PG_USER = os.environ.get("PERSONALIZE_TEST_PG_USER", "postgres")
SETTINGS = "tests.django.integration.settings"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], Any], what: str, timeout: float = 60.0, every: float = 0.1
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class Database:
    """A fresh PostgreSQL database, migrated, dropped at the end."""

    def __init__(self) -> None:
        import psycopg

        self.psycopg = psycopg
        self.name = f"personalize_it_{uuid.uuid4().hex[:10]}"
        self.dsn = dict(host=services.POSTGRES_HOST, port=services.POSTGRES_PORT, user=PG_USER)
        with psycopg.connect(dbname="postgres", autocommit=True, **self.dsn) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.conn = psycopg.connect(dbname=self.name, autocommit=True, **self.dsn)

    def env(self) -> dict[str, str]:
        return {
            "PERSONALIZE_IT_DB": self.name,
            "PERSONALIZE_TEST_PG_USER": PG_USER,
            "PERSONALIZE_TEST_PG_HOST": services.POSTGRES_HOST,
            "PERSONALIZE_TEST_PG_PORT": str(services.POSTGRES_PORT),
        }

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        cursor = self.conn.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []

    def value(self, sql: str, params: tuple = ()) -> Any:
        return self.query(sql, params)[0][0]

    def states(self) -> dict[str, int]:
        return dict(
            self.query("SELECT state, count(*) FROM personalize_outboxevent GROUP BY state")
        )

    def drop(self) -> None:
        self.conn.close()
        with self.psycopg.connect(dbname="postgres", autocommit=True, **self.dsn) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Ledger:
    """Reads the recording backend's SQLite ledger."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _value(self, sql: str) -> int:
        if not self.path.exists():
            return 0
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # tables not created yet
            return 0
        finally:
            conn.close()

    def received(self) -> int:
        return self._value("SELECT count(*) FROM received")

    def distinct(self) -> int:
        return self._value("SELECT count(DISTINCT event_id) FROM received")

    def engine(self) -> int:
        return self._value("SELECT count(*) FROM engine")

    def throttled(self) -> int:
        return self._value("SELECT count(*) FROM throttled")


class Process:
    """A subprocess in its own process group (so SIGKILL takes its children too)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log_path = log
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group, at once (what an OOM killer or a crash does)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.log.close()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Stack:
    """Redis + worker + web server of one scenario, sharing one database."""

    def __init__(self, db: Database, tmp: Path, **options: str) -> None:
        if shutil.which("redis-server") is None:
            services.unavailable("redis-server is not installed (apt-get install redis-server)")
        self.db = db
        self.tmp = tmp
        self.redis_port = free_port()
        self.web_port = free_port()
        self.ledger = Ledger(tmp / "ledger.sqlite3")
        self.env = dict(os.environ)
        self.env.update(db.env())
        self.env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            PYTHONPATH=str(ROOT),
            PERSONALIZE_IT_BROKER=f"redis://127.0.0.1:{self.redis_port}/0",
            PERSONALIZE_IT_LEDGER=str(self.ledger.path),
        )
        self.env.update({f"PERSONALIZE_IT_{k.upper()}": str(v) for k, v in options.items()})
        self.processes: list[Process] = []
        self.redis: Process | None = None
        self.worker: Process | None = None
        self.workers_started = 0

    def _start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(name, args, dict(self.env, **(env or {})), self.tmp / f"{name}.log")
        self.processes.append(process)
        return process

    def start_redis(self) -> None:
        self.redis = self._start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.tmp),
            ],
        )
        wait_for(
            lambda: services.port_open("127.0.0.1", self.redis_port, 0.2),
            "redis-server to listen",
            20,
        )

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.stop()
        wait_for(
            lambda: not services.port_open("127.0.0.1", self.redis_port, 0.2),
            "redis-server to stop",
            20,
        )

    def start_worker(self, **env: str) -> Process:
        """A ``celery worker -B`` (beat runs the sweep every second); ``env``
        adds PERSONALIZE_IT_* options for this worker only."""
        self.workers_started += 1
        self.worker = self._start(
            f"worker{self.workers_started}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.django.integration.celery_app",
                "worker",
                "-B",
                "--schedule",
                str(self.tmp / f"beat{self.workers_started}"),
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-n",
                f"it{self.workers_started}@%h",
            ],
            {f"PERSONALIZE_IT_{k.upper()}": str(v) for k, v in env.items()},
        )
        return self.worker

    def start_web(self) -> None:
        web = self._start(
            "web",
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                f"127.0.0.1:{self.web_port}",
                "--noreload",
                "--skip-checks",
            ],
        )

        def answers() -> bool:
            if not web.alive():
                raise AssertionError(f"runserver exited:\n{web.tail()}")
            return services.port_open("127.0.0.1", self.web_port, 0.2)

        wait_for(answers, "runserver to listen", 60)

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.web_port}{path}", timeout=30
            ) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    def views(self, product_ids: list[int], count: int, threads: int = 16) -> list[int]:
        """``count`` product-page requests from ``threads`` concurrent clients
        (each request a new visitor, so a new session); returns the statuses."""
        paths = [f"/products/{product_ids[i % len(product_ids)]}/" for i in range(count)]
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.get, paths))

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.processes)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def run_python(
    db: Database, args: list[str], timeout: float = 240, **env: str
) -> subprocess.CompletedProcess:
    """``python *args`` on the integration settings and ``db``; output captured."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=dict(
            os.environ, **db.env(), DJANGO_SETTINGS_MODULE=SETTINGS, PYTHONPATH=str(ROOT), **env
        ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def migrate(db: Database, tmp: Path) -> None:
    result = run_python(db, ["-m", "django", "migrate", "--noinput", "-v", "0"])
    if result.returncode != 0:
        raise AssertionError(f"migrate failed:\n{result.stdout}\n{result.stderr}")


def create_products(db: Database, count: int = 20) -> list[int]:
    """Products inserted with SQL (no signals: the outbox holds only the test's events)."""
    category = db.value("INSERT INTO testapp_category (name) VALUES ('Shoes') RETURNING id")
    ids = []
    for i in range(count):
        ids.append(
            db.value(
                "INSERT INTO testapp_product (category_id, name, slug, price, stock) "
                "VALUES (%s, %s, %s, %s, 10) RETURNING id",
                (category, f"Product {i}", f"product-{i}-{uuid.uuid4().hex[:6]}", 10 + i),
            )
        )
    return ids
