"""Who calls the API: a bearer API key (``Authorization: Bearer ak_…``), with its scopes and
its own request rate. A shop's key acts as its own user, a member of the shop, so the
selectors and services check it as they check a person."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from apikeys.models import ApiKey, Scope
from apikeys.services import key_for_token


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if there is one."""
    kind, _, token = get_authorization_header(request).decode("latin-1").partition(" ")
    if kind.lower() != "bearer":
        return None
    return token.strip()


class ApiKeyAuthentication(BaseAuthentication):
    """401 without a key, or with one that is unknown or revoked."""

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        key = key_for_token(token)
        if key is None:
            raise exceptions.AuthenticationFailed(_("This API key is not valid or was revoked."))
        return (key.user or AnonymousUser(), key)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ShopKey(BasePermission):
    """A shop's key with the view's scope: ``read`` for GET, ``act`` for POST (``act`` may read
    too); a view may name its own ``required_scope``."""

    message = _("This API key does not have the scope for this.")

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated()
        scope = getattr(view, "required_scope", None)
        if scope is not None:
            return key.allows(scope)
        if key.shop_id is None:
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return key.allows(Scope.READ) or key.allows(Scope.ACT)
        return key.allows(Scope.ACT)


class PerKeyThrottle(SimpleRateThrottle):
    """``settings.API_RATE`` requests per key (read at each request, so tests can lower it);
    past it, 429 with ``Retry-After``."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_RATE

    def get_cache_key(self, request, view) -> str:
        key = request.auth
        ident = f"key-{key.pk}" if isinstance(key, ApiKey) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def api_user(request: HttpRequest):
    """The user an evidence link is served to: an API key's own user when the request carries
    a key with a read scope, else whoever is signed in; ``None`` for a bad or revoked key."""
    token = bearer_token(request)
    if token is None:
        return request.user
    key = key_for_token(token)
    if key is None or key.user is None or not (key.allows(Scope.READ) or key.allows(Scope.ACT)):
        return None
    return key.user
