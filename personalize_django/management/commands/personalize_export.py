"""Export the shop's history in Amazon Personalize's bulk-import CSV format
(and optionally upload it to S3 and import it). See docs/django/commands.rst."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalize_sdk import ConfigurationError, PersonalizeError
from personalize_sdk.dataset import INTERACTIONS, ITEMS, USERS

from ._progress import Progress, parse_moment

#: an interactions import job needs at least this many rows (reference 6.1)
MIN_IMPORT_INTERACTIONS = 1000
_FILES = {"interactions": INTERACTIONS, "items": ITEMS, "users": USERS}


class Command(BaseCommand):
    help = (
        "Write interactions.csv, items.csv and users.csv in Amazon Personalize's bulk-import "
        "format (ECOMMERCE), streaming; optionally upload them to S3 and start import jobs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="folder to write the files into (created if missing)")
        parser.add_argument(
            "--only",
            action="append",
            choices=sorted(_FILES),
            help="write only this file (repeatable; default: every dataset the shop has)",
        )
        parser.add_argument(
            "--source",
            action="append",
            dest="sources",
            choices=["outbox", "backend", "models"],
            help="read events only from this source (repeatable; default: all three)",
        )
        parser.add_argument("--since", help="first day (or date-time) of events to export")
        parser.add_argument("--until", help="day (or date-time) the export stops before")
        parser.add_argument("--gzip", action="store_true", help="write .csv.gz files")
        parser.add_argument(
            "--anonymous",
            choices=["session", "skip"],
            default="session",
            help="events without a user: the session id as USER_ID (default) or left out",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=10_000,
            help="rows per database read and progress step",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        parser.add_argument(
            "--upload",
            nargs="?",
            const="",
            metavar="S3_URI",
            help="upload the files to this S3 folder (default: DATA_S3_URI/exports/<time>/)",
        )
        parser.add_argument(
            "--import",
            nargs="?",
            const="FULL",
            choices=["FULL", "INCREMENTAL"],
            dest="import_mode",
            help="after uploading, start dataset import jobs (FULL, the default, or INCREMENTAL)",
        )
        parser.add_argument(
            "--role-arn", help="role the import jobs assume (default DATA_ROLE_ARN)"
        )
        parser.add_argument(
            "--no-wait", action="store_true", help="start the import jobs and return at once"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except (ConfigurationError, PersonalizeError, ValueError) as err:
            raise CommandError(str(err)) from err

    def _handle(self, options: dict[str, Any]) -> None:
        from personalize_django.dataset import (
            ShopEvents,
            Skipped,
            iter_items,
            iter_users,
            shop_formats,
        )
        from personalize_sdk.dataset import CsvExporter

        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        since = parse_moment(options["since"], "--since")
        until = parse_moment(options["until"], "--until")
        if since and until and since >= until:
            raise CommandError("--since must be before --until")
        importing = options["import_mode"] is not None
        if importing and options["gzip"]:
            self.stderr.write(
                "warning: --gzip with --import: whether import jobs read gzip files is not "
                "documented; upload plain CSV for imports."
            )
        wanted = {_FILES[name] for name in options["only"] or _FILES}
        formats = shop_formats()
        why_not = {
            ITEMS: "no item model is registered",
            USERS: "no user model is registered with properties (Personalize's Users dataset "
            "needs at least one metadata column)",
        }
        for dataset_type in sorted(wanted - set(formats)):
            if options["only"]:
                raise CommandError(f"Cannot write {dataset_type}: {why_not[dataset_type]}")
            self.stderr.write(f"note: no {dataset_type} file: {why_not[dataset_type]}.")
        show = not options["no_progress"] and options["verbosity"] > 0
        progress = Progress(self, show)
        skipped = Skipped()
        events = ShopEvents(
            sources=tuple(options["sources"] or ("outbox", "backend", "models")),
            chunk_size=options["chunk_size"],
            skipped=skipped,
        )
        exporter = CsvExporter(
            options["directory"],
            interactions_format=formats[INTERACTIONS],
            items_format=formats.get(ITEMS),
            users_format=formats.get(USERS),
            gzip=options["gzip"],
            chunk_size=options["chunk_size"],
            progress=lambda dataset_type, n: progress.update(dataset_type, n),
            since=since,
            until=until,
            anonymous=options["anonymous"],
        )
        size = options["chunk_size"]
        try:
            result = exporter.export(
                events=events if INTERACTIONS in wanted else None,
                items=iter_items(chunk_size=size, skipped=skipped)
                if ITEMS in wanted and ITEMS in formats
                else None,
                users=iter_users(chunk_size=size, skipped=skipped)
                if USERS in wanted and USERS in formats
                else None,
            )
        finally:
            progress.close()
        self._report(result, events if INTERACTIONS in wanted else None, skipped)
        if options["upload"] is not None or importing:
            self._upload_and_import(result, options)

    def _report(self, result: Any, events: Any, skipped: Any) -> None:
        for dataset_type, written in result.files.items():
            line = (
                f"{dataset_type}: {written.rows:,} rows, {written.bytes:,} bytes -> {written.path}"
            )
            if written.skipped:
                left_out = ", ".join(f"{n:,} {why}" for why, n in sorted(written.skipped.items()))
                line += f" (left out: {left_out})"
            self.stdout.write(line)
        if events is not None:
            sources = ", ".join(f"{source} {n:,}" for source, n in events.read.items()) or "none"
            self.stdout.write(
                f"events read: {sources}; {events.duplicates:,} duplicate(s) exported once"
            )
        for reason, count in sorted(skipped.counts.items()):
            example = skipped.examples.get(reason)
            self.stderr.write(
                f"skipped {count:,} record(s): {reason}" + (f" (e.g. {example})" if example else "")
            )

    def _upload_and_import(self, result: Any, options: dict[str, Any]) -> None:
        from personalize_django import aws
        from personalize_sdk.provisioning import plan, start_import_jobs, upload_files

        prefix = aws.s3_location(options["upload"] or None, "exports", aws.stamp() + "/")
        if not prefix.endswith("/"):
            prefix += "/"
        uris = upload_files(aws.s3_client(), result.paths, prefix)
        for dataset_type, uri in uris.items():
            self.stdout.write(f"uploaded {dataset_type} -> {uri}")
        if options["import_mode"] is None:
            return
        rows = result.rows.get(INTERACTIONS)
        if rows is not None and rows < MIN_IMPORT_INTERACTIONS:
            self.stderr.write(
                f"warning: {rows:,} interactions; an import job needs at least "
                f"{MIN_IMPORT_INTERACTIONS:,} and will fail."
            )
        client = aws.personalize_client()
        datasets = plan(client, aws.desired_config()).state.datasets
        missing = sorted(t for t in uris if t not in datasets)
        if missing:
            raise CommandError(
                f"No {', '.join(missing)} dataset in the dataset group yet: run "
                "personalize_provision first (or export them with --only)"
            )
        jobs = start_import_jobs(
            client,
            {datasets[t]: uri for t, uri in uris.items()},
            role_arn=aws.role_arn(options["role_arn"]),
            mode=options["import_mode"],
            wait=not options["no_wait"],
            progress=lambda event: self.stdout.write(str(event)),
            sleep=aws.sleep,
        )
        for job in jobs:
            self.stdout.write(
                self.style.SUCCESS(f"import job {job.name}: {job.status or 'started'} ({job.arn})")
            )
