"""The ASGI entry point: pages (HTTP, Django as under WSGI) and the live conversations
(WebSockets, Django Channels: a request's thread, a customer-service conversation) from one
process. Served by Daphne (``bin/serve``, Docker).

A WebSocket is accepted only from a page of this site (its Origin among ``ALLOWED_HOSTS``) and
knows its user from the session cookie, as a page does.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Django first: the consumers import models, which need the apps loaded.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from portals.live import RequestThreadConsumer, SupportThreadConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/requests/<int:pk>/", RequestThreadConsumer.as_asgi(), name="live_request"),
    path("ws/support/<int:pk>/", SupportThreadConsumer.as_asgi(), name="live_support"),
]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
