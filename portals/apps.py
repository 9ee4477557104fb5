from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "portals"
    verbose_name = "Portals"

    def ready(self) -> None:
        # The open pages hear what the core announces (the live conversation, unread counts).
        # And customer service: each message, once committed, to the conversation's pages.
        from aftersales.signals import live
        from support.services import message_posted

        from .live import broadcast, broadcast_support

        live.connect(broadcast, dispatch_uid="portals.live.broadcast")
        message_posted.connect(broadcast_support, dispatch_uid="portals.live.broadcast_support")
