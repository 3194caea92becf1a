"""The data-quality check from the command line::

    python -m personalize_sdk.dataset check interactions.csv [--items items.csv] [--users users.csv]
                                            [--json] [--html report.html] [--use-case NAME ...]

Exit status: 0 when the data has no errors (warnings are fine), 1 when it
has errors, 2 on a usage error (a bad option, a file that does not exist).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .check import USE_CASE_EVENTS, check_files
from .report_html import write_html

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m personalize_sdk.dataset",
        description="Check Amazon Personalize bulk-import CSV files (ECOMMERCE format) for data-quality problems.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = commands.add_parser("check", help="check interactions (and optionally items and users) CSV files")
    check.add_argument("interactions", help="the Interactions CSV file (plain or gzip)")
    check.add_argument("--items", help="the Items CSV file")
    check.add_argument("--users", help="the Users CSV file")
    check.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    check.add_argument("--html", metavar="PATH", help="also write an HTML report with charts to PATH")
    check.add_argument(
        "--use-case",
        action="append",
        choices=sorted(USE_CASE_EVENTS),
        dest="use_cases",
        help="a use case whose event needs must be met (repeatable; default: all five)",
    )
    check.add_argument("--max-examples", type=int, default=5, help="examples kept per finding (default 5)")
    check.add_argument("--now", type=float, help="epoch seconds taken as now, for future timestamps (default: now)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)
    if args.command != "check":
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: a command is required (check)", file=sys.stderr)
        return USAGE_ERROR
    for option, path in (("interactions", args.interactions), ("--items", args.items), ("--users", args.users)):
        if path is not None and not os.path.isfile(path):
            print(f"{parser.prog} check: error: {option}: no such file: {path}", file=sys.stderr)
            return USAGE_ERROR
    if args.max_examples < 0:
        print(f"{parser.prog} check: error: --max-examples must not be negative", file=sys.stderr)
        return USAGE_ERROR
    report = check_files(
        args.interactions,
        items=args.items,
        users=args.users,
        use_cases=tuple(args.use_cases) if args.use_cases else tuple(USE_CASE_EVENTS),
        now=args.now,
        max_examples=args.max_examples,
    )
    if args.html:
        write_html(report, args.html)
    print(report.to_json() if args.json else report.format_text())
    return report.exit_status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
