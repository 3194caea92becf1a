"""Batch recommendations (for e-mail campaigns) as JSON lines: computed through
the backend one user at a time, or on Amazon Personalize by a batch inference
job on the use case's campaign. See docs/django/commands.rst."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO, Any, Iterator

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalize_sdk import ConfigurationError, PersonalizeError
from personalize_sdk.use_cases import USE_CASES

from ._progress import Progress, parse_filter_values


def _read_ids(path: str) -> Iterator[str]:
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            value = line.strip()
            if value:
                yield value


@contextmanager
def _output(path: str, stdout: Any) -> Iterator[IO[str]]:
    if path == "-":
        # The raw stream under the command's stdout (OutputWrapper styles and adds endings).
        yield getattr(stdout, "_out", sys.stdout)
        return
    with open(path, "w", encoding="utf-8") as stream:
        yield stream


class Command(BaseCommand):
    help = (
        "Write one JSON line of recommendations per user (or item, for also_viewed and "
        "bought_together), in Amazon Personalize's batch output shape."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="the JSON Lines file to write ('-': standard output)")
        parser.add_argument(
            "--use-case",
            default="recommended_for_you",
            choices=sorted(USE_CASES),
            help="default: recommended_for_you",
        )
        parser.add_argument(
            "--user", action="append", dest="users", default=[], help="a user id (repeatable)"
        )
        parser.add_argument("--users-file", help="a file with one user id per line")
        parser.add_argument(
            "--item", action="append", dest="items", default=[], help="an item id (repeatable)"
        )
        parser.add_argument("--items-file", help="a file with one item id per line")
        parser.add_argument(
            "--num-results", type=int, default=25, help="items per line (default 25)"
        )
        parser.add_argument("--filter", help="a filter name from FILTERS")
        parser.add_argument(
            "--filter-value",
            action="append",
            default=[],
            metavar="NAME=VALUE[,VALUE]",
            help="a value of the filter's placeholder (repeatable)",
        )
        parser.add_argument(
            "--aws-job",
            choices=["auto", "yes", "no"],
            default="auto",
            help="run a batch inference job: when the backend is aws and a campaign serves the "
            "use case (auto), always, or never (ask the backend one id at a time)",
        )
        parser.add_argument(
            "--s3-uri",
            help="S3 folder for the job's input and output (default DATA_S3_URI/batch/...)",
        )
        parser.add_argument("--role-arn", help="role the batch job assumes (default DATA_ROLE_ARN)")
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["num_results"] <= 500:
            raise CommandError("--num-results must be from 1 to 500")
        use_case = options["use_case"]
        by_item = USE_CASES[use_case] == "item_id"
        filter_values = parse_filter_values(options["filter_value"]) or None
        ids = self._ids(options, by_item)
        campaign = self._campaign(use_case, options["aws_job"])
        try:
            with _output(options["output"], self.stdout) as stream:
                if campaign is not None:
                    written = self._on_aws(stream, campaign, ids, by_item, filter_values, options)
                    errors = None
                else:
                    written, errors = self._through_backend(
                        stream, ids, by_item, filter_values, options
                    )
        except (ConfigurationError, PersonalizeError, ValueError) as err:
            raise CommandError(str(err)) from err
        summary = f"Wrote {written:,} line(s) of {use_case}"
        if errors:
            summary += f" ({errors:,} with an error: see their 'error' key)"
        self.stderr.write(
            summary + (f" to {options['output']}." if options["output"] != "-" else ".")
        )

    # -- whom to recommend for -----------------------------------------------------
    def _ids(self, options: dict[str, Any], by_item: bool) -> Iterator[str]:
        given = options["items"] if by_item else options["users"]
        path = options["items_file"] if by_item else options["users_file"]
        if given or path:
            return iter(list(given) + (list(_read_ids(path)) if path else []))
        from personalize_django.registry import registry

        reg = registry.item_registration() if by_item else registry.user_registration()
        if reg is None:
            kind = "item" if by_item else "user"
            raise CommandError(
                f"No {kind} model is registered: give ids with --{kind} or --{kind}s-file"
            )

        def every() -> Iterator[str]:
            for obj in reg.model._default_manager.order_by("pk").iterator(chunk_size=2000):
                if by_item and not reg.is_available(obj):
                    continue  # no point recommending around an item nobody can buy
                yield reg.item_id(obj) if by_item else reg.user_id(obj)

        return every()

    def _campaign(self, use_case: str, mode: str) -> str | None:
        """The campaign ARN for a batch inference job, or ``None`` to ask the backend."""
        from personalize_django import aws
        from personalize_django.conf import personalize_settings

        if mode == "no" or (mode == "auto" and not aws.backend_class().has_personalize_jobs):
            return None
        campaigns = (personalize_settings.OPTIONS or {}).get("campaigns") or {}
        if use_case in campaigns:
            return campaigns[use_case]
        if mode == "yes":
            raise CommandError(
                f"No campaign serves {use_case} (OPTIONS['campaigns']): batch inference jobs run "
                "on campaigns' solution versions; domain recommenders have none"
            )
        self.stderr.write(
            f"note: {use_case} is served by a recommender, which has no batch jobs: asking it "
            "one id at a time."
        )
        return None

    # -- the two ways ------------------------------------------------------------------
    def _through_backend(
        self, stream: IO[str], ids: Any, by_item: bool, filter_values: Any, options: dict[str, Any]
    ) -> tuple[int, int]:
        from personalize_django.client import get_client
        from personalize_sdk.dataset.batch import write_batch_recommendations

        progress = Progress(self, not options["no_progress"] and options["verbosity"] > 0)
        try:
            summary = write_batch_recommendations(
                get_client(),
                stream,
                use_case=options["use_case"],
                user_ids=() if by_item else ids,
                item_ids=ids if by_item else (),
                num_results=options["num_results"],
                filter=options["filter"],
                filter_values=filter_values,
                progress=lambda n: progress.update(options["use_case"], n),
                progress_every=100,
            )
        finally:
            progress.close()
        return summary.written, summary.errors

    def _on_aws(
        self,
        stream: IO[str],
        campaign: str,
        ids: Any,
        by_item: bool,
        filter_values: Any,
        options: dict[str, Any],
    ) -> int:
        from personalize_django import aws
        from personalize_django.conf import personalize_settings
        from personalize_sdk.provisioning import (
            active_solution_version,
            batch_recommendations_on_aws,
        )

        filter_arn = None
        if options["filter"]:
            arns = (personalize_settings.OPTIONS or {}).get("filters") or {}
            if options["filter"] not in arns:
                raise CommandError(
                    f"Filter {options['filter']!r} has no ARN in OPTIONS['filters']: "
                    "provision it first"
                )
            filter_arn = arns[options["filter"]]
        client = aws.personalize_client()
        folder = aws.s3_location(options["s3_uri"], "batch", f"{aws.stamp()}/")
        if not folder.endswith("/"):
            folder += "/"
        written = 0
        lines = batch_recommendations_on_aws(
            client,
            aws.s3_client(),
            solution_version_arn=active_solution_version(client, campaign),
            input_uri=folder + "input.jsonl",
            output_prefix=folder + "output/",
            role_arn=aws.role_arn(options["role_arn"]),
            user_ids=() if by_item else ids,
            item_ids=ids if by_item else (),
            filter_values=filter_values,
            num_results=options["num_results"],
            filter_arn=filter_arn,
            progress=lambda event: self.stderr.write(str(event)),
            sleep=aws.sleep,
        )
        for line in lines:
            stream.write(line)
            written += 1
        return written
