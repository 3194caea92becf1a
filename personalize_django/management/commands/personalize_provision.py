"""Create the Amazon Personalize resources ``PERSONALIZE["PROVISIONING"]`` describes:
plan first (read-only), then apply, then print the settings. See docs/django/commands.rst."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalize_sdk import ConfigurationError, PersonalizeError


class Command(BaseCommand):
    help = (
        "Plan and create what is missing of the Amazon Personalize dataset group described by "
        "PERSONALIZE['PROVISIONING'] (idempotent), then print the settings with the ARNs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--plan", action="store_true", help="show what would change, and change nothing"
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="return once everything is created, without waiting for the last resources "
            "to become ACTIVE",
        )
        parser.add_argument("--region", help="AWS region (default: the settings, then AWS's own)")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation before applying",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalize_django import aws
        from personalize_sdk.provisioning import (
            ProvisioningError,
            apply,
            desired_state,
            plan,
            settings_snippet,
        )

        try:
            config = aws.desired_config()
            if options["region"]:
                config["region_name"] = options["region"]
            desired = desired_state(config)  # a typo is reported before any AWS call
            client = aws.personalize_client(options["region"])
            the_plan = plan(client, desired)
        except (ConfigurationError, ProvisioningError) as err:
            raise CommandError(str(err)) from err
        self.stdout.write(the_plan.format())
        if the_plan.blocked:
            raise CommandError(
                "The plan has blocked actions; nothing was changed: "
                + "; ".join(
                    f"{a.resource.replace('_', ' ')} {a.name}: {a.note}" for a in the_plan.blocked
                )
            )
        if options["plan"]:
            if the_plan.changes:
                self.stdout.write("Nothing was changed (--plan). Run without --plan to apply.")
            else:
                self.stdout.write("No changes: everything exists.")
                self.stdout.write(settings_snippet(the_plan))
            return
        if the_plan.is_empty:
            self.stdout.write(self.style.SUCCESS("No changes: everything exists."))
            self.stdout.write(settings_snippet(the_plan))
            return
        if any(a.resource == "solution_version" and a.kind == "create" for a in the_plan.actions):
            self.stdout.write(
                "note: training solution versions takes hours and is billed per training hour; "
                "campaigns are billed per hour while they exist."
            )
        if options["interactive"] and sys.stdin.isatty():
            answer = input("Apply these changes? Only 'yes' is accepted: ")
            if answer.strip() != "yes":
                raise CommandError("Cancelled; nothing was changed.")
        try:
            result = apply(
                client,
                the_plan,
                wait=not options["no_wait"],
                progress=lambda event: self.stdout.write(str(event)),
                sleep=aws.sleep,
            )
        except (ProvisioningError, PersonalizeError) as err:
            raise CommandError(
                f"{err}\nWhat was created before the failure stays; run the command again to see "
                "where things stand."
            ) from err
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(result.created)} resource(s); {len(result.ready)} of "
                f"{len(the_plan.actions)} ACTIVE."
            )
        )
        self.stdout.write("Add this to your settings:")
        self.stdout.write(settings_snippet(result))
