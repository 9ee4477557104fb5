from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "portals"
    verbose_name = "Portals"

    def ready(self) -> None:
        # The open pages hear what the core announces (the live conversation, unread counts).
        from aftersales.signals import live

        from .live import broadcast

        live.connect(broadcast, dispatch_uid="portals.live.broadcast")
