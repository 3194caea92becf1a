"""The findings of the data-quality check: stable codes, severities, the report.

Codes read ``<severity letter>-<AREA>-<WHAT>``: ``E`` errors (an import job
or training would fail, or the data is broken), ``W`` warnings (the data is
accepted but teaches the model something wrong), ``I`` information (worth
knowing, nothing to fix). A code keeps its meaning and severity forever;
retired codes stay listed, commented out, so that nobody reuses them.
``docs/data-quality.rst`` describes each one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class FindingCode:
    code: str
    severity: str
    title: str


def _codes(*entries: tuple[str, str]) -> dict[str, FindingCode]:
    letters = {"E": ERROR, "W": WARNING, "I": INFO}
    return {code: FindingCode(code, letters[code[0]], title) for code, title in entries}


#: every finding the check can report, in report order
CODES: dict[str, FindingCode] = _codes(
    # files and rows
    ("E-FILE-UNREADABLE", "file cannot be read as UTF-8 CSV with a header"),
    ("E-HEADER-MISSING-COLUMN", "a required column is missing from the header"),
    ("E-HEADER-INVALID", "a header column name is invalid or repeated"),
    ("E-TOO-MANY-COLUMNS", "more metadata columns than the dataset type allows"),
    ("E-ROW-SHAPE", "a row has more or fewer cells than the header"),
    ("E-REQUIRED-EMPTY", "a required value is missing or empty"),
    ("E-ID-TOO-LONG", "an id is longer than 256 characters"),
    ("E-VALUE-TOO-LONG", "a value is longer than its column allows"),
    ("E-TIMESTAMP-INVALID", "a timestamp is not a whole number of epoch seconds"),
    ("E-VALUE-INVALID", "a value does not parse as its column's type (number, boolean)"),
    # Personalize's minimums (reference 6.1, 4.3)
    ("E-MIN-INTERACTIONS", "fewer than 1,000 interactions"),
    ("E-MIN-USERS", "fewer than 25 users with at least 2 interactions"),
    ("E-MIN-ACTIVE-USER-SHARE", "fewer than 1% of users have at least 2 interactions"),
    ("E-USE-CASE-EVENTS", "a use case lacks the events it needs"),
    # plausibility
    ("W-DUPLICATE-EVENTS", "identical interaction rows"),
    ("W-DUPLICATE-IDS", "an item or user appears more than once"),
    ("W-TIMESTAMP-FUTURE", "timestamps in the future"),
    ("W-TIMESTAMP-BEFORE-2000", "timestamps before the year 2000"),
    ("W-TIMESTAMP-MILLISECONDS", "timestamps in milliseconds instead of seconds"),
    ("W-EVENT-TYPE-SPELLING", "an event type differs from View or Purchase only in case"),
    ("W-UNJOINED-ITEMS", "events on items missing from the items data"),
    ("W-CATEGORY-TOO-FINE", "a categorical column so fine-grained that it helps nobody"),
    # information
    ("I-BELOW-RECOMMENDED", "less data than AWS recommends for good recommendations"),
    ("I-USE-CASE-RECOMMENDED-EVENTS", "a use case would work better with another event type"),
    ("I-ITEMS-WITHOUT-INTERACTIONS", "catalogue items nobody interacted with"),
    ("I-UNJOINED-USERS", "users with events but no row in the users data"),
)


@dataclass
class Finding:
    """One kind of problem, with how often it occurred and a few examples.

    Each example is a dict with at least ``message``; row-level examples also
    carry ``file``, ``line``, ``column`` and ``value``.
    """

    code: str
    count: int
    message: str
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "count": self.count,
            "message": self.message,
            "examples": list(self.examples),
        }


@dataclass
class CheckReport:
    """What the check found: ``findings`` (in :data:`CODES` order) and a ``summary`` of the data."""

    findings: list[Finding]
    summary: dict[str, Any]

    def by_severity(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.by_severity(ERROR)

    @property
    def warnings(self) -> list[Finding]:
        return self.by_severity(WARNING)

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def get(self, code: str) -> Finding | None:
        return next((f for f in self.findings if f.code == code), None)

    @property
    def ok(self) -> bool:
        """No errors (warnings and information do not fail a pipeline)."""
        return not self.errors

    @property
    def exit_status(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def format_text(self) -> str:
        """A plain-text report for terminals and logs."""
        s = self.summary
        lines = ["Data-quality report", ""]
        lines.append(
            f"  interactions: {s.get('interactions', 0):,}   users: {s.get('users', 0):,} "
            f"({s.get('users_with_2_or_more', 0):,} with 2 or more)   items: {s.get('items_with_interactions', 0):,}"
            + (f"   sessions: {s['sessions']:,}" if s.get("sessions") is not None else "")
        )
        if s.get("event_types"):
            types = ", ".join(f"{k} {v:,}" for k, v in s["event_types"].items())
            lines.append(f"  event types: {types}")
        if s.get("catalogue_items") is not None:
            lines.append(
                f"  catalogue: {s['catalogue_items']:,} items, coverage {s.get('catalogue_coverage', 0.0):.1%}"
            )
        lines.append("")
        if not self.findings:
            lines.append("No findings.")
        for finding in self.findings:
            lines.append(f"{finding.severity.upper():7} {finding.code} ({finding.count:,}): {finding.message}")
            for example in finding.examples:
                lines.append(f"          {example['message']}")
        lines.append("")
        lines.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s), "
            f"{len(self.by_severity(INFO))} note(s)."
        )
        return "\n".join(lines)
