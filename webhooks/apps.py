from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from aftersales.signals import committed

        from .services import on_committed

        committed.connect(on_committed, dispatch_uid="webhooks.deliveries")
