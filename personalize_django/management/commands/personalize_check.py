"""Check the shop's data for Amazon Personalize's requirements and data-quality
problems, as it would be exported. See docs/django/commands.rst and docs/data-quality.rst."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalize_sdk import ConfigurationError
from personalize_sdk.dataset import INTERACTIONS, ITEMS, USE_CASE_EVENTS, USERS

from ._progress import Progress


class Command(BaseCommand):
    help = (
        "Report what Amazon Personalize would refuse and what would teach a model something "
        "wrong in the shop's events, items and users. Exits with status 1 when there are errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--html", metavar="PATH", help="also write an HTML report with charts")
        parser.add_argument(
            "--use-case",
            action="append",
            dest="use_cases",
            choices=sorted(USE_CASE_EVENTS),
            help="a use case whose event needs must be met (repeatable; default: all five)",
        )
        parser.add_argument(
            "--source",
            action="append",
            dest="sources",
            choices=["outbox", "backend", "models"],
            help="read events only from this source (repeatable; default: all three)",
        )
        parser.add_argument(
            "--anonymous",
            choices=["session", "skip"],
            default="session",
            help="events without a user: the session id as USER_ID (default) or left out",
        )
        parser.add_argument(
            "--max-examples", type=int, default=5, help="examples kept per finding (default 5)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django.dataset import (
            ShopEvents,
            Skipped,
            iter_items,
            iter_users,
            merge_findings,
            shop_formats,
        )
        from personalize_django.outbox import held_by_configuration
        from personalize_sdk.dataset import check_records
        from personalize_sdk.dataset.report_html import write_html

        if options["max_examples"] < 0:
            raise CommandError("--max-examples must not be negative")
        try:
            formats = shop_formats(session_id=True)
        except (ConfigurationError, ValueError) as err:
            raise CommandError(str(err)) from err
        show = not options["no_progress"] and options["verbosity"] > 0 and not options["json"]
        progress = Progress(self, show)
        skipped = Skipped()
        sources = tuple(options["sources"] or ("outbox", "backend", "models"))
        # A backend the settings cannot build holds the outbox back: the check
        # still reads the rest, says why, and fails.
        unbuildable = _backend_error() if "backend" in sources else None
        if unbuildable:
            sources = tuple(s for s in sources if s != "backend")
        events = ShopEvents(sources=sources, skipped=skipped)
        try:
            report = check_records(
                events,
                iter_items(skipped=skipped) if ITEMS in formats else None,
                iter_users(skipped=skipped) if USERS in formats else None,
                interactions_format=formats[INTERACTIONS],
                items_format=formats.get(ITEMS),
                users_format=formats.get(USERS),
                anonymous=options["anonymous"],
                use_cases=tuple(options["use_cases"] or USE_CASE_EVENTS),
                max_examples=options["max_examples"],
                progress=lambda dataset_type, n: progress.update(dataset_type, n),
            )
        finally:
            progress.close()
        # Records the SDK refused never reached the check's rows: report them as
        # the errors they are (delivery would refuse them too).
        report = merge_findings(
            report, skipped.findings(options["max_examples"]), options["max_examples"]
        )
        report.summary["sources"] = {
            "events_read": dict(events.read),
            "duplicates_exported_once": events.duplicates,
            "skipped": dict(skipped.counts),
        }
        # Rows a misconfigured backend holds back never reach it: say so first.
        held = held_by_configuration()
        report.summary["outbox"] = {
            "held_by_configuration": [{"error": error, "rows": n} for error, n in held]
        }
        if options["html"]:
            write_html(report, options["html"], title="Data-quality report of the shop")
        self.stdout.write(report.to_json() if options["json"] else report.format_text())
        for reason, count in sorted(skipped.counts.items()):
            example = skipped.examples.get(reason)
            self.stderr.write(
                f"not checked: {count:,} record(s), {reason}"
                + (f" (e.g. {example})" if example else "")
            )
        for error, count in held:
            self.stderr.write(
                f"outbox: {count:,} row(s) held back, not delivered, because the backend is "
                f"misconfigured: {error}. Fix PERSONALIZE['BACKEND'] / PERSONALIZE['OPTIONS']."
            )
        if options["html"]:
            self.stderr.write(f"HTML report written to {options['html']}")
        if unbuildable:
            raise CommandError(
                f"the backend cannot be built from the settings: {unbuildable}. Fix "
                "PERSONALIZE['BACKEND'] / PERSONALIZE['OPTIONS']; its stored events were not checked"
            )
        if held and report.ok:
            raise CommandError(
                f"{sum(n for _, n in held):,} outbox row(s) are held back by a configuration "
                "error of the backend (see above)"
            )
        if not report.ok:
            raise CommandError(
                f"the data has {len(report.errors)} kind(s) of error: "
                + ", ".join(f.code for f in report.errors),
                returncode=report.exit_status,
            )


def _backend_error() -> str | None:
    """Why the backend cannot be built from the settings, or ``None``."""
    from personalize_django.client import get_backend

    try:
        get_backend()
    except ConfigurationError as err:
        return str(err)
    return None
