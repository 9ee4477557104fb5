from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .preferences import remember_language_on_login

        user_logged_in.connect(remember_language_on_login, dispatch_uid="orders.language")
