"""``python -m personalize_sdk.dataset check``: output shapes and exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys

from personalize_sdk.dataset.__main__ import main

from .conftest import NOW


def test_json_output_shape(tables, tmp_path, capsys):
    tables.set("interactions", 0, "TIMESTAMP", "x")
    paths = tables.write(tmp_path)
    status = main(["check", paths["interactions"], "--items", paths["items"], "--users", paths["users"],
                   "--json", "--now", str(NOW)])
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    assert set(data) >= {"findings", "summary", "ok", "errors", "warnings"}
    assert data["ok"] is False
    finding = next(f for f in data["findings"] if f["code"] == "E-TIMESTAMP-INVALID")
    assert set(finding) == {"code", "severity", "count", "message", "examples"}
    assert finding["severity"] == "error" and finding["count"] == 1
    assert finding["examples"][0]["line"] == 2


def test_exit_status_zero_without_errors_even_with_warnings(tables, tmp_path, capsys):
    tables.set("interactions", 0, "TIMESTAMP", str(int(NOW) + 10 * 86400))
    paths = tables.write(tmp_path)
    assert main(["check", paths["interactions"], "--now", str(NOW)]) == 0
    out = capsys.readouterr().out
    assert "W-TIMESTAMP-FUTURE" in out and "0 error(s), 1 warning(s)" in out


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main([]) == 2
    assert main(["check"]) == 2
    assert main(["check", str(tmp_path / "missing.csv")]) == 2
    assert main(["check", str(tmp_path / "x.csv"), "--use-case", "nope"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_html_report_has_svg_charts(tables, tmp_path, capsys):
    tables.set("interactions", 3, "ITEM_ID", "<script>alert(1)</script>")
    paths = tables.write(tmp_path)
    html_path = tmp_path / "report.html"
    assert main(["check", paths["interactions"], "--items", paths["items"], "--html", str(html_path), "--now", str(NOW)]) == 0
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<svg") == 3
    assert "Events per type" in html and "Events over time" in html and "polyline" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # data is escaped


def test_runs_as_a_module(tables, tmp_path):
    paths = tables.write(tmp_path)
    done = subprocess.run([sys.executable, "-m", "personalize_sdk.dataset", "check", paths["interactions"], "--json",
                           "--now", str(NOW)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
