"""The console's SVG charts, and what loading the console costs a shop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from personalize_django.console.charts import bar_chart, line_chart


def test_a_line_chart_counts_its_points_with_data_and_escapes_names():
    svg = line_chart("Clicks <per day>", ["1 Dec", "2 Dec", "3 Dec"], {"a&b": [0, 2, 5]})
    assert 'data-points="2"' in svg
    assert "Clicks &lt;per day&gt;" in svg and "<per day>" not in svg
    assert "a&amp;b, 3 Dec: 5" in svg  # the point's tooltip
    assert svg.count("<circle") == 3


def test_an_empty_chart_says_so():
    assert 'data-points="0"' in line_chart("Nothing", ["1 Dec"], {})
    assert 'data-points="0"' in bar_chart("Nothing", [("x", 0)])


def test_percentages_and_bars():
    svg = line_chart("CTR", ["1 Dec", "2 Dec"], {"also_viewed": [0.25, 0.5]}, percent=True)
    assert "also_viewed, 2 Dec: 50.0%" in svg
    bars = bar_chart("Conversions", [("also_viewed", 3), ("best_sellers", 1)])
    assert bars.count("<rect") == 2 and 'data-points="2"' in bars


def test_the_admin_and_console_load_without_the_engine_or_celery():
    root = Path(__file__).resolve().parents[3]
    script = (
        "import sys, django; django.setup()\n"
        "import personalize_django.admin, personalize_django.console.views\n"
        "print(sorted(m for m in ('numpy', 'scipy', 'celery') if m in sys.modules))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.django.settings", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
