"""Forget users: their outbox rows, the local engine's data about them, and on AWS a
data deletion job. Prints what was removed. See docs/django/commands.rst."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalize_sdk import ConfigurationError, PersonalizeError


class Command(BaseCommand):
    help = (
        "Remove a user's events, outbox rows and backend data (the local engine's), and on "
        "Amazon Personalize start a data deletion job; report what was removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "user_ids", nargs="+", metavar="USER_ID", help="the user id(s) to forget"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be removed, remove nothing"
        )
        parser.add_argument(
            "--no-retrain",
            action="store_true",
            help="do not retrain the local engine afterwards (its saved model keeps the users "
            "until the next training)",
        )
        parser.add_argument(
            "--aws",
            choices=["auto", "yes", "no"],
            default="auto",
            help="start a data deletion job on Amazon Personalize: when the backend serves from "
            "a Personalize dataset group (auto, the default: the aws backend), always, or never",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="wait for the deletion job (it can take up to a day) and then delete the "
            "deletion list from S3",
        )
        parser.add_argument(
            "--s3-uri", help="S3 object for the deletion list (default: DATA_S3_URI/forget/...)"
        )
        parser.add_argument(
            "--role-arn", help="role the deletion job assumes (default DATA_ROLE_ARN)"
        )
        parser.add_argument(
            "--dataset-group-arn",
            help="the dataset group (default: the one PROVISIONING describes)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django import aws
        from personalize_django.forgetting import forget_locally, forget_on_aws

        user_ids = [str(u) for u in dict.fromkeys(options["user_ids"])]
        if any(not u.strip() for u in user_ids):
            raise CommandError("A user id cannot be empty")
        on_aws = options["aws"] == "yes" or (
            options["aws"] == "auto" and aws.backend_class().has_personalize_jobs
        )
        reports = [
            forget_locally(u, retrain=not options["no_retrain"], dry_run=options["dry_run"])
            for u in user_ids
        ]
        result: dict[str, Any] = {"users": [r.as_dict() for r in reports], "aws": None}
        if not options["json"]:
            for report in reports:
                self.stdout.write(str(report))
        if on_aws and options["dry_run"]:
            result["aws"] = {"skipped": "dry run"}
            if not options["json"]:
                self.stdout.write("Amazon Personalize: a data deletion job would be started.")
        elif on_aws:
            try:
                job, uri, list_removed = forget_on_aws(
                    user_ids,
                    s3_uri=options["s3_uri"],
                    role_arn=options["role_arn"],
                    dataset_group_arn=options["dataset_group_arn"],
                    wait=options["wait"],
                    progress=None if options["json"] else lambda e: self.stdout.write(str(e)),
                )
            except (ConfigurationError, PersonalizeError) as err:
                raise CommandError(
                    f"{err}\nThe local data was removed; the AWS deletion job was not started."
                ) from err
            result["aws"] = {
                "job_arn": job.arn,
                "job_name": job.name,
                "status": job.status,
                "num_deleted": job.num_deleted,
                "deletion_list": uri,
                "deletion_list_removed": list_removed,
            }
            if not options["json"]:
                self._describe_job(job, uri, list_removed)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))

    def _describe_job(self, job: Any, uri: str, list_removed: bool) -> None:
        if job.status:
            self.stdout.write(
                f"Amazon Personalize: data deletion job {job.name} {job.status}, "
                f"{job.num_deleted if job.num_deleted is not None else '?'} user(s) removed."
            )
        else:
            self.stdout.write(
                f"Amazon Personalize: data deletion job started: {job.arn}\n"
                "It can take up to a day; DescribeDataDeletionJob's numDeleted says how many "
                "users it removed."
            )
        if list_removed:
            self.stdout.write(f"The deletion list {uri} was deleted.")
        else:
            self.stdout.write(
                f"The deletion list {uri} holds the user ids: delete it once the job has finished."
            )
