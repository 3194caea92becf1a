from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .cart import join_guest_history

        def on_login(sender, request, user, **kwargs):
            if request is not None:
                join_guest_history(request, user)

        user_logged_in.connect(on_login, dispatch_uid="catalog.join_guest_history", weak=False)
