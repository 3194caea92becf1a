"""A clean synthetic data set, as CSV tables that tests plant faults into."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pytest

T0 = 1_700_000_000  # 2023-11-14
NOW = T0 + 30 * 86400
N_EVENTS = 3000
N_ITEMS = 300
N_USERS = 200


@dataclass
class Tables:
    """Header + rows per file; ``write`` turns them into CSV files."""

    interactions: list[list[str]] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)
    users: list[list[str]] = field(default_factory=list)

    def column(self, table: str, name: str) -> int:
        return getattr(self, table)[0].index(name)

    def set(self, table: str, row: int, name: str, value: str) -> None:
        """Set a cell of data row ``row`` (0-based, header excluded)."""
        getattr(self, table)[row + 1][self.column(table, name)] = value

    def write(self, directory: Path) -> dict[str, str]:
        paths = {}
        for name in ("interactions", "items", "users"):
            rows = getattr(self, name)
            if not rows:
                continue
            path = directory / f"{name}.csv"
            with open(path, "w", newline="", encoding="utf-8") as stream:
                csv.writer(stream, lineterminator="\n").writerows(rows)
            paths[name] = str(path)
        return paths


def clean_tables() -> Tables:
    """3,000 events (1,800 View, 1,200 Purchase) by 200 users on 300 items,
    every item touched, one minute apart, with a few good general categories."""
    t = Tables()
    t.interactions.append(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP", "SESSION_ID"])
    for n in range(N_EVENTS):
        t.interactions.append(
            [f"u{n % N_USERS}", f"i{(n * 7) % N_ITEMS}", "View" if n % 5 < 3 else "Purchase", str(T0 + n * 60), f"s{n // 5}"]
        )
    t.items.append(["ITEM_ID", "PRICE", "CATEGORY_L1", "CATEGORY_L2"])
    for n in range(N_ITEMS):
        t.items.append([f"i{n}", f"{5 + n % 40}.99", f"cat{n % 8}", f"sub{n % 30}|all"])
    t.users.append(["USER_ID", "MEMBERSHIP_STATUS"])
    for n in range(N_USERS):
        t.users.append([f"u{n}", "gold" if n % 3 else "basic"])
    return t


@pytest.fixture
def tables() -> Tables:
    return clean_tables()
