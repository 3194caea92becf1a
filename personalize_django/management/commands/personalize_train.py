"""Train the embedded local engine now (other backends train themselves)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Train the local engine on the events it holds and print its report."

    def handle(self, *args, **options):
        from personalize_sdk.backends import load_backend

        config = getattr(settings, "PERSONALIZE", {}) or {}
        try:
            backend = load_backend(config.get("BACKEND"), config.get("OPTIONS"))
        except Exception as err:  # configuration problems are for a person to read
            raise CommandError(f"Cannot load the personalize backend: {err}") from err
        train = getattr(backend, "train", None)
        if train is None:
            self.stdout.write(f"The {backend.display_name} backend trains itself; nothing to do.")
            return
        report = train()
        self.stdout.write(self.style.SUCCESS(f"Trained: {report}"))
        backend.close()
