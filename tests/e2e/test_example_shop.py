"""The example shop without a browser: its settings switches and a
repeatable seed. Each runs the shop's own ``manage.py`` or settings in a
subprocess (the test process is configured with the tests' settings)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from .conftest import MANAGE, ROOT, _env, new_shop_var

SHOP_DIR = ROOT / "example_shop"
PRINT_SETTINGS = """
import json
from example_shop import settings as s
print(json.dumps({
    "backend": s.PERSONALIZE["BACKEND"],
    "options": s.PERSONALIZE["OPTIONS"],
    "filters": sorted(s.PERSONALIZE.get("FILTERS", {})),
    "database": s.DATABASES["default"]["ENGINE"],
    "database_name": str(s.DATABASES["default"]["NAME"]),
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "broker": s.CELERY_BROKER_URL,
}))
"""


def shop_settings(tmp_path: Path, **env: str) -> dict:
    environ = _env(tmp_path)
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=SHOP_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_default_is_embedded(tmp_path: Path) -> None:
    s = shop_settings(tmp_path)
    assert s["backend"] == "personalize_sdk.backends.local.LocalBackend"
    assert s["options"]["path"] == str(tmp_path / "engine")
    assert 0 < s["options"]["min_data_scale"] < 1
    assert s["database"] == "django.db.backends.sqlite3"
    assert s["database_name"] == str(tmp_path / "shop.sqlite3")
    assert s["eager"] is True
    assert s["filters"] == ["in_category", "not_purchased"]


def test_postgres_and_a_celery_worker_by_environment(tmp_path: Path) -> None:
    s = shop_settings(
        tmp_path,
        DATABASE_URL="postgres://shop:secret@127.0.0.1:5432/shop",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    assert s["database"] == "django.db.backends.postgresql"
    assert s["database_name"] == "shop"
    assert s["eager"] is False
    assert s["broker"] == "redis://127.0.0.1:6379/3"


def test_amazon_personalize_by_environment(tmp_path: Path) -> None:
    arn = "arn:aws:personalize:eu-west-1:123456789012"
    s = shop_settings(
        tmp_path,
        PERSONALIZE_BACKEND="aws",
        PERSONALIZE_AWS_REGION="eu-west-1",
        PERSONALIZE_AWS_TRACKING_ID="0a1b2c3d-tracking",
        PERSONALIZE_AWS_ITEMS_DATASET_ARN=f"{arn}:dataset/shop/ITEMS",
        PERSONALIZE_AWS_RECOMMENDER_ALSO_VIEWED=f"{arn}:recommender/also-viewed",
        PERSONALIZE_AWS_RECOMMENDER_BEST_SELLERS=f"{arn}:recommender/best-sellers",
        PERSONALIZE_AWS_FILTER_NOT_PURCHASED=f"{arn}:filter/not-purchased",
    )
    assert s["backend"] == "personalize_sdk.backends.aws.AwsBackend"
    assert s["options"] == {
        "region_name": "eu-west-1",
        "tracking_id": "0a1b2c3d-tracking",
        "items_dataset_arn": f"{arn}:dataset/shop/ITEMS",
        "recommenders": {
            "also_viewed": f"{arn}:recommender/also-viewed",
            "best_sellers": f"{arn}:recommender/best-sellers",
        },
        "filters": {"not_purchased": f"{arn}:filter/not-purchased"},
    }
    # Only filters that exist in the dataset group (have an ARN) are configured.
    assert s["filters"] == ["not_purchased"]


def test_an_unknown_backend_is_refused(tmp_path: Path) -> None:
    environ = _env(tmp_path)
    environ["PERSONALIZE_BACKEND"] = "cloud"
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=SHOP_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PERSONALIZE_BACKEND must be 'local' or 'aws'" in result.stderr


def _manage(var: Path, *args: str) -> subprocess.CompletedProcess:
    """``manage.py`` of the example shop on ``var``; it must succeed."""
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=_env(var),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def _seed(var: Path, *args: str) -> subprocess.CompletedProcess:
    return _manage(var, "seed_shop", "--no-progress", *args)


def _snapshot(var: Path) -> dict:
    shop = sqlite3.connect(var / "shop.sqlite3")
    engine = sqlite3.connect(var / "engine" / "engine.sqlite3")
    try:
        return {
            "products": shop.execute(
                "SELECT name, price, stock FROM catalog_product ORDER BY id"
            ).fetchall(),
            "orders": shop.execute(
                "SELECT o.total, COUNT(l.id) FROM catalog_order o"
                " JOIN catalog_orderline l ON l.order_id = o.id GROUP BY o.id ORDER BY o.id"
            ).fetchall(),
            "events": engine.execute(
                "SELECT event_type, COUNT(*) FROM events GROUP BY event_type ORDER BY event_type"
            ).fetchall(),
            "event_ids": engine.execute(
                "SELECT event_id FROM events ORDER BY event_id LIMIT 50"
            ).fetchall(),
            "items": engine.execute("SELECT COUNT(*) FROM items").fetchone()[0],
        }
    finally:
        shop.close()
        engine.close()


def test_seed_shop_is_repeatable_skips_a_seeded_shop_and_resets(
    tmp_path: Path, migrated_database: Path
) -> None:
    args = ("--products", "60", "--shoppers", "40", "--seed", "11")
    one = new_shop_var(tmp_path / "one", migrated_database)
    two = new_shop_var(tmp_path / "two", migrated_database)
    first = _seed(one, *args)
    _seed(two, *args)
    snapshot = _snapshot(one)
    assert snapshot == _snapshot(two), "the same seed gives the same shop and history"
    assert len(snapshot["products"]) == 60 and snapshot["items"] == 60
    kinds = dict(snapshot["events"])
    assert kinds["View"] > kinds["AddToCart"] > 0 and kinds["Purchase"] > 0
    assert len(snapshot["orders"]) > 0
    assert "demo login: demo / demo" in first.stdout

    again = _seed(two, "--products", "30", "--shoppers", "10")
    assert "already seeded" in again.stdout
    assert _snapshot(two) == snapshot

    _seed(two, "--products", "30", "--shoppers", "10", "--reset")
    after = _snapshot(two)
    assert len(after["products"]) == 30 and after["items"] == 30


def test_the_export_of_the_seeded_shop_passes_the_data_check(
    tmp_path: Path, migrated_database: Path
) -> None:
    # The seed writes its history into the engine and its orders as rows; each
    # purchase is both, and must be exported once (issue: 11,310 Purchase rows
    # for 5,656 purchases).
    var = new_shop_var(tmp_path / "shop", migrated_database)
    _seed(var)  # the demo's own size: the use cases' minimums hold, as in `make demo`
    export = tmp_path / "export"
    _manage(var, "personalize_export", str(export), "--no-progress")
    engine = sqlite3.connect(var / "engine" / "engine.sqlite3")
    try:
        purchases = engine.execute(
            "SELECT COUNT(*) FROM events WHERE event_type = 'Purchase'"
        ).fetchone()[0]
    finally:
        engine.close()
    with open(export / "interactions.csv", encoding="utf-8") as rows:
        header = rows.readline().strip().split(",")
        column = header.index("EVENT_TYPE")
        exported = sum(1 for line in rows if line.split(",")[column] == "Purchase")
    assert purchases > 0 and exported == purchases
    check = subprocess.run(
        [
            sys.executable, "-m", "personalize_sdk.dataset", "check",
            str(export / "interactions.csv"), "--json",
        ],
        env=_env(var),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(check.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert "W-DUPLICATE-EVENTS" not in codes, report
    assert not [f for f in report["findings"] if f["severity"] == "error"], report
