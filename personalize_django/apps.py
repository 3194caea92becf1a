from django.apps import AppConfig


class PersonalizeConfig(AppConfig):
    name = "personalize_django"
    label = "personalize"
    verbose_name = "Personalize"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks
        from django.utils.module_loading import autodiscover_modules

        from . import after_response, caching, receivers
        from . import checks as personalize_checks
        from .signals import delivered, post_record

        for check in (
            personalize_checks.check_settings,
            personalize_checks.check_backend,
            personalize_checks.check_delivery,
            personalize_checks.check_registrations,
            personalize_checks.check_outbox_database,
        ):
            checks.register(check, "personalize")
        after_response.connect()
        # The cache of lists follows what is recorded and delivered.
        post_record.connect(caching.on_post_record, dispatch_uid="personalize_django.caching.recorded")
        delivered.connect(caching.on_delivered, dispatch_uid="personalize_django.caching.delivered")
        # Saves of registered models (now and registered later) reach the outbox.
        receivers.install()
        user_logged_in.connect(
            receivers.on_login, dispatch_uid="personalize_django.receivers.on_login"
        )
        # Each installed app's personalize.py registers its models, as admin.py does.
        # (autodiscover_modules imports only modules that exist and lets their errors through.)
        autodiscover_modules("personalize")
