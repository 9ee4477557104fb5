"""Creating, finding and revoking API keys. A shop's keys are its owner's to manage."""

import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from orders.models import Shop, ShopMember

from .models import SHOP_SCOPES, ApiKey, Scope

TOKEN_START = "ak_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str, str]:
    """A fresh ``(prefix, secret, token)``; the token is what the client sends."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return prefix, secret, f"{TOKEN_START}{prefix}.{secret}"


def is_owner(user, shop: Shop) -> bool:
    return ShopMember.objects.filter(shop=shop, user=user, role=ShopMember.Role.OWNER).exists()


@transaction.atomic
def create_shop_key(*, shop: Shop, actor, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A key that acts as ``shop``, and its token (shown once, never stored).

    The key gets a user of its own, a member of the shop, so the permission checks of every
    service apply to it unchanged and the event log names it ("<name> (API)")."""
    if not is_owner(actor, shop):
        raise PermissionDenied
    scopes = [scope for scope in SHOP_SCOPES if scope in scopes]
    prefix, secret, token = _new_secret()
    user = get_user_model()(username=f"api-{shop.pk}-{prefix}", first_name=f"{name} (API)")
    user.set_unusable_password()
    user.save()
    ShopMember.objects.create(shop=shop, user=user, role=ShopMember.Role.AGENT)
    key = ApiKey.objects.create(
        shop=shop,
        user=user,
        name=name,
        scopes=scopes,
        prefix=prefix,
        secret_hash=_hash(secret),
        created_by=actor,
    )
    return key, token


def create_platform_key(*, name: str, actor=None) -> tuple[ApiKey, str]:
    """A key of the platform's own order system: it may only import orders."""
    prefix, secret, token = _new_secret()
    key = ApiKey.objects.create(
        name=name,
        scopes=[Scope.ORDERS_IMPORT.value],
        prefix=prefix,
        secret_hash=_hash(secret),
        created_by=actor,
    )
    return key, token


@transaction.atomic
def revoke_key(*, key: ApiKey, actor) -> ApiKey:
    """The key stops working at once; its user is deactivated (its events keep its name)."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.shop_id is not None and not is_owner(actor, key.shop):
        raise PermissionDenied
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        if key.user_id:
            get_user_model().objects.filter(pk=key.user_id).update(is_active=False)
    return key


def key_for_token(token: str) -> ApiKey | None:
    """The active key this token belongs to, or ``None``."""
    if not token.startswith(TOKEN_START) or "." not in token:
        return None
    prefix, _, secret = token[len(TOKEN_START) :].partition(".")
    key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    if not key.is_active or (key.user is not None and not key.user.is_active):
        return None
    return key
