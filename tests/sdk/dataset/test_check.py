"""The quality check: a clean data set has no errors; each planted fault is found, and only it."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from personalize_sdk.dataset import CODES, check_files

from .conftest import N_EVENTS, NOW, T0, Tables, clean_tables


def run(tables: Tables, tmp_path, **kwargs):
    paths = tables.write(tmp_path)
    return check_files(paths["interactions"], items=paths.get("items"), users=paths.get("users"), now=NOW, **kwargs)


def problems(report) -> set[str]:
    """Codes of errors and warnings (information is not a fault)."""
    return {f.code for f in report.findings if f.severity != "info"}


def test_clean_data_has_no_errors_or_warnings(tables, tmp_path):
    report = run(tables, tmp_path)
    assert report.ok and report.exit_status == 0
    assert problems(report) == set()
    assert report.codes == {"I-BELOW-RECOMMENDED"}  # 3,000 events is below AWS's 50,000
    s = report.summary
    assert s["interactions"] == N_EVENTS
    assert s["event_types"] == {"View": 1800, "Purchase": 1200}
    assert (s["users"], s["users_with_2_or_more"], s["items_with_interactions"]) == (200, 200, 300)
    assert s["sessions"] == N_EVENTS // 5
    assert s["catalogue_items"] == 300 and s["catalogue_coverage"] == 1.0
    assert s["use_cases"] == dict.fromkeys(s["use_cases"], True)
    assert s["files"]["Interactions"]["rows"] == N_EVENTS


# -- planted faults ----------------------------------------------------------------
def duplicate_events(t: Tables):
    t.interactions.extend(list(t.interactions[k]) for k in (1, 2, 3, 4, 5))
    return 5


def missing_values(t: Tables):
    for row in (10, 20, 30):
        t.set("interactions", row, "USER_ID", "")
    t.set("items", 7, "PRICE", "")
    return 4


def future_timestamps(t: Tables):
    for row in range(4):
        t.set("interactions", row, "TIMESTAMP", str(NOW + 10 * 86400))
    return 4


def timestamps_before_2000(t: Tables):
    for row in range(6):
        t.set("interactions", row, "TIMESTAMP", "900000000")
    return 6


def millisecond_timestamps(t: Tables):
    for row in range(7):
        t.set("interactions", row, "TIMESTAMP", str((T0 + row) * 1000))
    return 7


def unjoined_items(t: Tables):
    for row in range(3):
        t.set("interactions", row, "ITEM_ID", f"ghost-{row}")
    return 3


def ids_over_256(t: Tables):
    t.set("interactions", 0, "USER_ID", "u" * 257)
    t.items.append(["i" * 300, "1.0", "cat1", "sub1"])
    return 2


def properties_too_large(t: Tables):
    t.set("items", 3, "CATEGORY_L2", "x" * 1001)
    return 1


def over_fine_categories(t: Tables):
    t.items[0].append("CATEGORY_L3")
    for n, row in enumerate(t.items[1:]):
        row.append(f"sku-family-{n}")
    return 1


def too_few_interactions(t: Tables):
    del t.interactions[901:]
    return 900


def too_few_users(t: Tables):
    for n in range(N_EVENTS):
        t.set("interactions", n, "USER_ID", f"u{n % 20}")
    return 20


def missing_event_types(t: Tables):
    for n in range(N_EVENTS):
        if t.interactions[n + 1][2] == "Purchase":
            t.set("interactions", n, "EVENT_TYPE", "Click")
    return 2  # best_sellers and bought_together


def too_small_active_share(t: Tables):
    # 25 regulars with 40 events each, then 3,000 one-off visitors: 25 / 3,025 < 1%
    del t.interactions[1:]
    for n in range(1000):
        t.interactions.append([f"u{n % 25}", f"i{n % 300}", "View", str(T0 + n), "s"])
    for n in range(3000):
        t.interactions.append([f"guest{n}", f"i{n % 300}", "Purchase", str(T0 + n), "s"])
    return 25


PLANTED = [
    (duplicate_events, "W-DUPLICATE-EVENTS", {}),
    (missing_values, "E-REQUIRED-EMPTY", {}),
    (future_timestamps, "W-TIMESTAMP-FUTURE", {}),
    (timestamps_before_2000, "W-TIMESTAMP-BEFORE-2000", {}),
    (millisecond_timestamps, "W-TIMESTAMP-MILLISECONDS", {}),
    (unjoined_items, "W-UNJOINED-ITEMS", {}),
    (ids_over_256, "E-ID-TOO-LONG", {}),
    (properties_too_large, "E-VALUE-TOO-LONG", {}),
    (over_fine_categories, "W-CATEGORY-TOO-FINE", {}),
    (too_few_users, "E-MIN-USERS", {}),
    (missing_event_types, "E-USE-CASE-EVENTS", {}),
    # too few events for View/Purchase too: look at the one use case that needs only the total
    (too_few_interactions, "E-MIN-INTERACTIONS", {"use_cases": ("recommended_for_you",)}),
    (too_small_active_share, "E-MIN-ACTIVE-USER-SHARE", {"use_cases": ()}),
]


@pytest.mark.parametrize(("plant", "code", "options"), PLANTED, ids=[p[1] for p in PLANTED])
def test_each_planted_fault_is_found_alone(plant, code, options, tmp_path):
    tables = clean_tables()
    expected_count = plant(tables)
    report = run(tables, tmp_path, **options)
    assert problems(report) == {code}
    finding = report.get(code)
    assert finding.count == expected_count
    assert finding.severity == CODES[code].severity
    assert finding.message
    assert report.exit_status == (1 if finding.severity == "error" else 0)


def test_row_examples_name_file_line_column_and_rule(tables, tmp_path):
    tables.set("interactions", 41, "TIMESTAMP", "2024-01-01")
    report = run(tables, tmp_path)
    example = report.get("E-TIMESTAMP-INVALID").examples[0]
    assert example["file"] == "interactions.csv"
    assert example["line"] == 43  # header is line 1, data row 0 is line 2
    assert example["column"] == "TIMESTAMP"
    assert example["message"] == (
        "interactions.csv:43: column TIMESTAMP: must be a whole number of Unix epoch seconds (got '2024-01-01')"
    )


def test_a_bad_header_is_reported_and_the_file_not_interpreted(tables, tmp_path):
    for row in tables.interactions:
        del row[2]  # EVENT_TYPE
    report = run(tables, tmp_path)
    assert problems(report) == {"E-HEADER-MISSING-COLUMN"}
    assert report.get("E-HEADER-MISSING-COLUMN").examples[0]["column"] == "EVENT_TYPE"


def test_rows_of_the_wrong_shape(tables, tmp_path):
    tables.interactions[5].append("extra")
    report = run(tables, tmp_path)
    assert problems(report) == {"E-ROW-SHAPE"}
    assert report.get("E-ROW-SHAPE").examples[0]["line"] == 6


def test_event_types_that_differ_only_in_case(tables, tmp_path):
    tables.interactions.extend([["u1", "i1", "purchase", str(T0), "s"]] * 1)
    report = run(tables, tmp_path)
    assert problems(report) == {"W-EVENT-TYPE-SPELLING"}


def test_too_many_metadata_columns(tables, tmp_path):
    for k in range(5):  # SESSION_ID is already one
        tables.interactions[0].append(f"EXTRA_{k}")
        for row in tables.interactions[1:]:
            row.append("x")
    report = run(tables, tmp_path)
    assert problems(report) == {"E-TOO-MANY-COLUMNS"}


def test_examples_are_capped_and_counts_are_not(tables, tmp_path):
    for row in range(50):
        tables.set("interactions", row, "TIMESTAMP", str(NOW + 86400 * 5))
    finding = run(tables, tmp_path, max_examples=3).get("W-TIMESTAMP-FUTURE")
    assert finding.count == 50 and len(finding.examples) == 3


def test_gzip_files_are_read(tables, tmp_path):
    paths = tables.write(tmp_path)
    with open(paths["interactions"], "rb") as src, gzip.open(tmp_path / "interactions.csv.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    report = check_files(str(tmp_path / "interactions.csv.gz"), now=NOW)
    assert report.summary["interactions"] == N_EVENTS and report.ok


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_bytes(b"USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\nu\xff,i,View,1700000000\n")
    report = check_files(str(path), now=NOW)
    assert "E-FILE-UNREADABLE" in report.codes and not report.ok


def test_unknown_use_case_is_refused(tables, tmp_path):
    with pytest.raises(ValueError, match="unknown use case 'nope'"):
        run(tables, tmp_path, use_cases=("nope",))


def test_every_code_is_documented():
    docs_page = Path(__file__).resolve().parents[3] / "docs" / "data-quality.rst"
    with open(docs_page, encoding="utf-8") as stream:
        docs = stream.read()
    missing = [code for code in CODES if f"``{code}``" not in docs]
    assert missing == []
