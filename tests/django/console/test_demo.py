"""``make demo`` fills the console: the example shop's seed creates the staff
user, seeds block impressions and clicks, and trains through the console."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHOP = ROOT / "example_shop"


def run_shop(var: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PERSONALIZE_"))}
    env.update(EXAMPLE_SHOP_VAR=str(var), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(SHOP / "manage.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    pytest.importorskip("numpy")
    var = tmp_path_factory.mktemp("demo")
    run_shop(var, "migrate", "--noinput", "-v", "0")
    out = run_shop(var, "seed_shop", "--no-progress", "--products", "80", "--shoppers", "60", "--train")
    return var, out


def test_the_seed_prints_both_logins(seeded):
    _var, out = seeded
    assert "demo login: demo / demo" in out
    assert "staff login: admin / admin" in out


def test_the_staff_user_is_a_superuser_with_the_demo_password(seeded):
    var, _out = seeded
    with sqlite3.connect(var / "shop.sqlite3") as db:
        [(is_staff, is_superuser, password)] = db.execute(
            "SELECT is_staff, is_superuser, password FROM auth_user WHERE username = 'admin'"
        ).fetchall()
    assert is_staff and is_superuser and password.startswith("pbkdf2_")


def test_blocks_have_impressions_and_clicks_with_recommendation_ids(seeded):
    var, _out = seeded
    with sqlite3.connect(var / "engine" / "engine.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "events" in tables
        counts = dict(db.execute("SELECT event_type, COUNT(*) FROM events GROUP BY event_type"))
    assert counts["Impression"] > counts["Click"] > 0


def test_the_console_has_a_training_with_metrics_and_data_in_every_chart(seeded):
    var, out = seeded
    assert "NDCG@10 of recommended_for_you" in out
    script = (
        "import re, django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(); assert c.login(username='admin', password='admin')\n"
        "for page in ('overview', 'training', 'performance'):\n"
        "    text = c.get(f'/admin/personalize/console/{page}/').content.decode()\n"
        "    print(page, ','.join(re.findall(r'data-points=\"(\\d+)\"', text)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PERSONALIZE_"))}
    env.update(EXAMPLE_SHOP_VAR=str(var), DJANGO_SETTINGS_MODULE="example_shop.settings",
               PYTHONPATH=f"{SHOP}{os.pathsep}{ROOT}")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=SHOP,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        page, points = line.split(" ", 1)
        values = [int(v) for v in points.split(",") if v]
        assert values and all(v > 0 for v in values), line


def test_a_second_run_keeps_the_trained_model(seeded):
    var, _out = seeded
    again = run_shop(var, "seed_shop", "--no-progress", "--train")
    assert "already seeded" in again and "Training the backend" not in again
    assert "staff login: admin / admin" in again
