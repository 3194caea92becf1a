from django.apps import AppConfig


class PersonalizeConfig(AppConfig):
    name = "personalize_django"
    label = "personalize"
    verbose_name = "Personalize"
    default_auto_field = "django.db.models.BigAutoField"
