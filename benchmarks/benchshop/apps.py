from django.apps import AppConfig


class BenchShopConfig(AppConfig):
    name = "benchmarks.benchshop"
    label = "benchshop"
    default_auto_field = "django.db.models.BigAutoField"
