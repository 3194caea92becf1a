"""Train the embedded local engine now (other backends train themselves)."""

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
        train = getattr(backend, "train", None)
        if train is None:
            self.stdout.write(f"The {backend.display_name} backend trains itself; nothing to do.")
            return
        report = train()
        self.stdout.write(self.style.SUCCESS(f"Trained: {report}"))
