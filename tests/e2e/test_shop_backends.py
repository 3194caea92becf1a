"""The example shop's other configurations, switched by environment
variables, each run for real in subprocesses:

- ``PERSONALIZE_BACKEND=aws`` against the local Personalize server
  (boto3 over HTTP, no account, no credentials);
- PostgreSQL, with a Celery worker delivering the outbox through Redis.
"""

from __future__ import annotations

import http.cookiejar
import sqlite3
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from .conftest import ROOT, _env, manage, new_shop_var, running, shop_server

ARN = "arn:aws:personalize:local:000000000000"
USE_CASES = ("recommended_for_you", "also_viewed", "bought_together", "best_sellers", "most_viewed")
FILTERS = {
    "available": 'INCLUDE ItemID WHERE Items.AVAILABLE IN ("True")',
    "not_purchased": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    "in_category": "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
}
SMALL = ("--products", "120", "--shoppers", "80", "--seed", "5", "--no-progress")


def browse(url: str, opener: urllib.request.OpenerDirector) -> str:
    with opener.open(url, timeout=30) as answer:
        assert answer.status == 200
        return answer.read().decode()


def aws_env(endpoint: str) -> dict[str, str]:
    env = {
        "PERSONALIZE_BACKEND": "aws",
        "PERSONALIZE_AWS_REGION": "us-east-1",
        "PERSONALIZE_AWS_ENDPOINT_URL": endpoint,
        "PERSONALIZE_AWS_TRACKING_ID": "local-tracking-id",
        "PERSONALIZE_AWS_ITEMS_DATASET_ARN": f"{ARN}:dataset/local/ITEMS",
        "PERSONALIZE_AWS_USERS_DATASET_ARN": f"{ARN}:dataset/local/USERS",
        "PERSONALIZE_AWS_RANKING_CAMPAIGN": f"{ARN}:campaign/personalized-ranking",
        # botocore signs requests: any key will do for the local server (authentication off)
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
    env.update(
        {f"PERSONALIZE_AWS_RECOMMENDER_{uc.upper()}": f"{ARN}:recommender/{uc}" for uc in USE_CASES}
    )
    env.update(
        {f"PERSONALIZE_AWS_FILTER_{name.upper()}": f"{ARN}:filter/{name}" for name in FILTERS}
    )
    return env


def test_the_shop_on_the_aws_backend_against_a_local_personalize_server(
    tmp_path: Path, migrated_database: Path
) -> None:
    from .conftest import free_port, wait_for_port

    var = new_shop_var(tmp_path / "shop", migrated_database)
    port = free_port()
    server_args = [
        sys.executable,
        "-m",
        "personalize_sdk.server",
        "--path",
        str(tmp_path / "personalize"),
        "--port",
        str(port),
        "--backend-option",
        "min_data_scale=0.05",
    ]
    for name, expression in FILTERS.items():
        server_args += ["--filter", f"{name}={expression}"]
    env = aws_env(f"http://127.0.0.1:{port}")
    with running(server_args, log=tmp_path / "personalize.log", env=_env(var)) as server:
        wait_for_port(port, server, tmp_path / "personalize.log")
        out = manage(var, "seed_shop", *SMALL, "--history-to-backend", env=env)
        assert "Recorded" in out
        engine = sqlite3.connect(tmp_path / "personalize" / "engine.sqlite3")
        try:
            # The catalogue and the history reached "Personalize" through PutItems and PutEvents.
            assert engine.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 120
            assert (
                engine.execute(
                    "SELECT COUNT(*) FROM events WHERE event_type = 'Purchase'"
                ).fetchone()[0]
                > 0
            )
            product_id = engine.execute(
                "SELECT item_id FROM items ORDER BY CAST(item_id AS INTEGER) LIMIT 1"
            ).fetchone()[0]
        finally:
            engine.close()
        with shop_server(var, env) as shop:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            home = browse(shop.url + "/", opener)
            assert 'data-testid="recs-best_sellers"' in home
            page = browse(f"{shop.url}/p/{product_id}/", opener)  # redirects to the slugged URL
            assert 'data-testid="recs-also_viewed"' in page
            assert "More in " in page, "the in_category filter is used, since it has an ARN"

            def viewed() -> bool:
                conn = sqlite3.connect(tmp_path / "personalize" / "engine.sqlite3")
                try:
                    return (
                        conn.execute(
                            "SELECT COUNT(*) FROM events WHERE event_type = 'View' AND item_id = ?"
                            " AND session_id NOT LIKE 'seed-%'",
                            (product_id,),
                        ).fetchone()[0]
                        > 0
                    )
                finally:
                    conn.close()

            shop.wait_for("the page view to reach the local Personalize server", viewed)


@pytest.mark.integration
def test_the_shop_on_postgresql_with_a_celery_worker(tmp_path: Path) -> None:
    from tests.services import (
        POSTGRES_HOST,
        POSTGRES_PORT,
        REDIS_URL,
        require_postgres,
        require_redis,
    )

    require_postgres()
    require_redis()
    import psycopg

    name = f"example_shop_e2e_{uuid.uuid4().hex[:8]}"
    admin = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    var = tmp_path / "shop"
    var.mkdir()
    env = {
        "DATABASE_URL": f"postgres://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}",
        "CELERY_BROKER_URL": REDIS_URL,
    }

    def view_rows() -> list[tuple[str]]:
        with psycopg.connect(
            f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname={name}"
        ) as conn:
            return conn.execute(
                "SELECT state FROM personalize_outboxevent WHERE payload->>'event_type' = 'View'"
            ).fetchall()

    try:
        manage(var, "migrate", "--noinput", env=env)
        manage(var, "seed_shop", *SMALL, env=env)
        manage(var, "personalize_train", env=env)
        with shop_server(var, env) as shop:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            page = browse(f"{shop.url}/p/1/", opener)
            assert 'data-testid="recs-also_viewed"' in page
            # With a broker, the web process only queues the task: nothing delivers yet.
            assert view_rows() == [("pending",)]
            worker_args = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "example_shop",
                "worker",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ]
            with running(
                worker_args,
                log=tmp_path / "worker.log",
                env=_env(var, env),
                cwd=ROOT / "example_shop",
            ):
                shop.wait_for(
                    "the worker to deliver the view",
                    lambda: view_rows() == [("delivered",)],
                    timeout=60,
                )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
