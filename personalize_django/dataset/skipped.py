"""Records left out of an export or a check, and why: counted by reason, and
those the SDK refused turned into the check's findings.

    skipped = Skipped()
    events = ShopEvents(skipped=skipped)     # fills it while iterating
    report = merge_findings(report, skipped.findings(), max_examples=5)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from personalize_sdk import InvalidRecordError
from personalize_sdk.dataset import CODES, CheckReport, Finding


#: refused records kept as examples per finding code
MAX_REFUSED_EXAMPLES = 20
#: what each finding code says of the records the SDK refused
REFUSAL_MESSAGES = {
    "E-ID-TOO-LONG": "have an id longer than Personalize accepts (256 characters); the backend "
    "refuses them, so they were left out of the check",
    "E-VALUE-TOO-LONG": "have properties (or a whole event) larger than Personalize accepts; the "
    "backend refuses them, so they were left out of the check",
    "E-REQUIRED-EMPTY": "lack a required value; the backend refuses them, so they were left out "
    "of the check",
    "E-VALUE-INVALID": "have a value the backend refuses (see the examples); they were left out of "
    "the check",
}


@dataclass
class Skipped:
    """Records left out, by reason (printed by the commands)."""

    counts: dict[str, int] = field(default_factory=dict)
    #: one example per reason (``"shop.orderline 12: ..."``)
    examples: dict[str, str] = field(default_factory=dict)

    #: records the SDK refused, by the check's finding code: (count, examples)
    refused: dict[str, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)

    def add(self, reason: str, example: str = "") -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        if example and reason not in self.examples:
            self.examples[reason] = example

    def refuse(self, reason: str, where: str, err: InvalidRecordError) -> None:
        """A record the SDK refused (as delivery would): counted under ``reason``
        and under the finding code of the rule it broke (:func:`refusal_code`)."""
        self.add(reason, f"{where}: {err}")
        code = refusal_code(err)
        count, examples = self.refused.get(code, (0, []))
        if len(examples) < MAX_REFUSED_EXAMPLES:
            dataset = {"invalid_item": "items", "invalid_user": "users"}.get(reason, "events")
            examples.append({"message": f"{where}: {err}", "file": dataset, "column": err.field})
        self.refused[code] = (count + 1, examples)

    def findings(self, max_examples: int = 5) -> list[Finding]:
        """The refused records as data-quality findings (errors: the backend would refuse them)."""
        return [
            Finding(
                code,
                count,
                f"{count:,} record(s) {REFUSAL_MESSAGES[code]}",
                examples[:max_examples],
            )
            for code, (count, examples) in self.refused.items()
        ]

    def __bool__(self) -> bool:
        return bool(self.counts)


def refusal_code(err: InvalidRecordError) -> str:
    """The check's finding code for a record the SDK refused."""
    field_name, rule = str(getattr(err, "field", "")), str(getattr(err, "rule", ""))
    if rule.startswith(("must not be empty", "is required")):
        return "E-REQUIRED-EMPTY"
    if "at most" in rule:
        if field_name.endswith("_id") or field_name.startswith("impression"):
            return "E-ID-TOO-LONG"
        return "E-VALUE-TOO-LONG"
    return "E-VALUE-INVALID"


def merge_findings(report: CheckReport, extra: Sequence[Finding], max_examples: int) -> CheckReport:
    """``report`` with ``extra`` findings added (counts summed for a code found
    in both), in the check's order."""
    by_code = {f.code: f for f in report.findings}
    for finding in extra:
        known = by_code.get(finding.code)
        if known is None:
            by_code[finding.code] = finding
        else:
            by_code[finding.code] = Finding(
                known.code,
                known.count + finding.count,
                f"{known.message} Also: {finding.message}.",
                (known.examples + finding.examples)[:max_examples],
            )
    order = {code: n for n, code in enumerate(CODES)}
    findings = sorted(by_code.values(), key=lambda f: order.get(f.code, len(order)))
    return CheckReport(findings, report.summary)


__all__ = [
    "MAX_REFUSED_EXAMPLES",
    "REFUSAL_MESSAGES",
    "Skipped",
    "merge_findings",
    "refusal_code",
]
