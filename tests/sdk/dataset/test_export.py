"""Export to the bulk CSV format, and the round trip through the check."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime, timedelta, timezone

import pytest

from personalize_sdk.dataset import (
    CsvExporter,
    check_files,
    check_records,
    column_name,
    default_format,
    make_format,
    property_key,
)
from personalize_sdk.exceptions import ConfigurationError
from personalize_sdk.records import Event, Item, User

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
NOW = (T0 + timedelta(days=60)).timestamp()


def shop(n_events: int = 4000):
    """A small deterministic shop: 250 users, 400 items, 60% views, 40% purchases."""
    items = [
        Item(f"sku-{n}", {"price": 9.5 + n % 20, "categoryL1": f"dept{n % 6}", "categoryL2": [f"aisle{n % 25}", "all"],
                          "creationTimestamp": int((T0 - timedelta(days=n % 90)).timestamp()), "brand": f"brand{n % 12}"})
        for n in range(400)
    ]
    users = [User(f"user-{n}", {"membershipStatus": "gold" if n % 4 == 0 else "basic"}) for n in range(250)]
    events = [
        Event("View" if n % 5 < 3 else "Purchase", session_id=f"sess-{n // 6}", user_id=f"user-{n % 250}",
              item_id=f"sku-{(n * 13) % 400}", sent_at=T0 + timedelta(minutes=7 * n), event_value=n % 3 or None)
        for n in range(n_events)
    ]
    return events, items, users


ITEMS_FORMAT = make_format("Items", ["categoryL2", "creationTimestamp", "brand"])


def read(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_round_trip_export_then_check(tmp_path):
    events, items, users = shop()
    progress = []
    exporter = CsvExporter(str(tmp_path), items_format=ITEMS_FORMAT, chunk_size=1000,
                           progress=lambda kind, rows: progress.append((kind, rows)))
    result = exporter.export(events=iter(events), items=iter(items), users=iter(users))
    assert result.rows == {"Interactions": 4000, "Items": 400, "Users": 250}
    report = check_files(result.paths["Interactions"], items=result.paths["Items"], users=result.paths["Users"], now=NOW)
    assert report.errors == [] and report.warnings == []
    assert report.summary["interactions"] == 4000
    assert report.summary["event_types"] == {"View": 2400, "Purchase": 1600}
    assert report.summary["users"] == 250 and report.summary["items_with_interactions"] == 400
    assert report.summary["files"]["Items"]["distinct_ids"] == 400
    assert ("Interactions", 1000) in progress and ("Interactions", 4000) in progress and ("Users", 250) in progress


def test_checking_records_matches_checking_their_export(tmp_path):
    events, items, users = shop(2500)
    result = CsvExporter(str(tmp_path), items_format=ITEMS_FORMAT).export(events=events, items=items, users=users)
    from_files = check_files(result.paths["Interactions"], items=result.paths["Items"], users=result.paths["Users"], now=NOW)
    from_records = check_records(events, items, users, items_format=ITEMS_FORMAT, now=NOW)
    assert from_records.codes == from_files.codes
    for key in ("interactions", "event_types", "users", "items_with_interactions", "long_tail"):
        assert from_records.summary[key] == from_files.summary[key]
    assert from_records.summary["sessions"] == 2500 // 6 + 1  # records carry their session ids


def test_header_reserved_columns_timestamps_and_multi_values(tmp_path):
    events, items, users = shop(10)
    result = CsvExporter(str(tmp_path), items_format=ITEMS_FORMAT,
                         interactions_format=make_format("Interactions", ["EVENT_VALUE"])).export(events=events, items=items)
    rows = read(result.paths["Interactions"])
    assert rows[0] == ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP", "EVENT_VALUE"]
    assert rows[1] == ["user-0", "sku-0", "View", str(int(T0.timestamp())), ""]
    assert rows[2][3] == str(int(T0.timestamp()) + 7 * 60) and rows[2][4] == "1.0"
    items_rows = read(result.paths["Items"])
    assert items_rows[0] == ["ITEM_ID", "PRICE", "CATEGORY_L1", "CATEGORY_L2", "CREATION_TIMESTAMP", "BRAND"]
    assert items_rows[2] == ["sku-1", "10.5", "dept1", "aisle1|all", str(int((T0 - timedelta(days=1)).timestamp())), "brand1"]


def test_the_header_matches_the_schema_field_order():
    fmt = make_format("Items", ["CATEGORY_L2", ("rating", "float"), ("description", "textual"), ("onSale", "boolean")])
    schema = fmt.avro_schema()
    assert [f["name"] for f in schema["fields"]] == fmt.header
    assert schema["name"] == "Items"
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["CATEGORY_L2"] == {"name": "CATEGORY_L2", "type": ["null", "string"], "categorical": True}
    assert fields["RATING"]["type"] == ["null", "float"]
    assert fields["DESCRIPTION"]["textual"] is True
    assert fields["PRICE"]["type"] == "float"


def test_default_formats_are_the_reference_schemas():
    assert default_format("Interactions").header == ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]
    assert default_format("Items").header == ["ITEM_ID", "PRICE", "CATEGORY_L1"]
    assert default_format("Users").header == ["USER_ID", "MEMBERSHIP_STATUS"]


@pytest.mark.parametrize(
    ("key", "column"),
    [("categoryL1", "CATEGORY_L1"), ("numberOfRatings", "NUMBER_OF_RATINGS"), ("price", "PRICE"),
     ("CATEGORY_L2", "CATEGORY_L2"), ("creationTimestamp", "CREATION_TIMESTAMP"), ("ageGroup", "AGE_GROUP")],
)
def test_property_names_map_both_ways(key, column):
    assert column_name(key) == column
    assert column_name(property_key(column)) == column


def test_gzip_anonymous_events_and_events_without_items(tmp_path):
    events = [
        Event("View", session_id="guest-session", item_id="a", sent_at=T0),
        Event("Search", session_id="s", user_id="u", sent_at=T0),  # no item: cannot be a bulk row
        Event("View", session_id="s", user_id="u", item_id="b", sent_at=T0),
    ]
    result = CsvExporter(str(tmp_path), gzip=True).export(events=events)
    file = result.files["Interactions"]
    assert file.path.endswith("interactions.csv.gz") and file.rows == 2
    assert file.skipped == {"no_item_id": 1}
    assert [r[0] for r in read(file.path)[1:]] == ["guest-session", "u"]
    skipping = CsvExporter(str(tmp_path / "skip"), anonymous="skip").write_interactions(events)
    assert skipping.rows == 1 and skipping.skipped == {"no_item_id": 1, "anonymous": 1}


def test_date_range(tmp_path):
    events = [Event("View", session_id="s", user_id="u", item_id=str(d), sent_at=T0 + timedelta(days=d)) for d in range(10)]
    exporter = CsvExporter(str(tmp_path), since=T0 + timedelta(days=2), until=T0 + timedelta(days=5))
    file = exporter.write_interactions(events)
    assert [r[1] for r in read(file.path)[1:]] == ["2", "3", "4"]
    assert file.skipped == {"outside_date_range": 7}


def test_a_failed_export_leaves_no_file(tmp_path):
    def broken():
        yield Event("View", session_id="s", user_id="u", item_id="a", sent_at=T0)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        CsvExporter(str(tmp_path)).write_interactions(broken())
    assert list(tmp_path.iterdir()) == []


def test_bad_options_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="anonymous"):
        CsvExporter(str(tmp_path), anonymous="drop")
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        CsvExporter(str(tmp_path), since=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="required column 'PRICE'"):
        from personalize_sdk.dataset import DatasetFormat
        DatasetFormat("Items", default_format("Items").columns[:1])
