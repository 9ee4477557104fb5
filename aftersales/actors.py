"""Who is acting: a user in some role on a request, or the system itself (deadline jobs)."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from orders.models import ShopMember

from .models import AfterSalesRequest, Role

ARBITRATORS_GROUP = "arbitrators"  # platform staff who rule on disputes
SUPPORT_GROUP = "support"  # platform staff who may read everything but decide nothing


@dataclass(frozen=True)
class SystemActor:
    """The platform acting on its own when a deadline passes. A real value, never ``None``."""

    name: str = "system"
    is_authenticated: bool = False

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()

Actor = AbstractBaseUser | SystemActor


def is_arbitrator(user: Actor) -> bool:
    if isinstance(user, SystemActor) or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=ARBITRATORS_GROUP).exists()


def is_platform_staff(user: Actor) -> bool:
    """May read every request, dispute and complaint (arbitrators and support)."""
    if isinstance(user, SystemActor) or not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or user.groups.filter(name__in=[ARBITRATORS_GROUP, SUPPORT_GROUP]).exists()
    )


def is_shop_member(user: Actor, shop_id: int) -> bool:
    if isinstance(user, SystemActor) or not user.is_authenticated:
        return False
    return ShopMember.objects.filter(shop_id=shop_id, user=user).exists()


def role_of(actor: Actor, request: AfterSalesRequest) -> Role | None:
    """The role in which ``actor`` may act on ``request``, or ``None`` if they may not.

    A user may be a buyer and also a member of some shop; on any one request only one role
    applies, checked in the order buyer, seller, staff.
    """
    if isinstance(actor, SystemActor):
        return Role.SYSTEM
    if not actor.is_authenticated:
        return None
    if actor.pk == request.buyer_id:
        return Role.BUYER
    if is_shop_member(actor, request.shop_id):
        return Role.SELLER
    if is_arbitrator(actor):
        return Role.STAFF
    return None
