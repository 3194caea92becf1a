"""Train the backend's model now: the local engine's (a backend without
``can_train`` trains itself, or has no model)."""

from django.core.management.base import BaseCommand, CommandError

from personalize_sdk import PersonalizeError


class Command(BaseCommand):
    help = "Train the local engine on the events it holds and print its report."

    def handle(self, *args, **options):
        from personalize_django.client import get_client

        try:
            backend = get_client().backend
        except PersonalizeError as err:  # configuration problems are for a person to read
            raise CommandError(f"Cannot load the personalize backend: {err}") from err
        if not backend.can_train:
            name = backend.display_name
            self.stdout.write(f"The {name} backend trains itself (or has no model); nothing to do.")
            return
        report = backend.train()
        self.stdout.write(self.style.SUCCESS(f"Trained: {report}"))
