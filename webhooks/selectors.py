"""Reads of webhook endpoints and deliveries, limited to what the actor may see: a shop's
owner sees the shop's endpoints; nobody else sees any (another shop's is a 404)."""

from django.db.models import QuerySet

from orders.models import ShopMember

from .models import Delivery, Endpoint


def owned_shop_ids(user) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        ShopMember.objects.filter(user=user, role=ShopMember.Role.OWNER).values_list(
            "shop_id", flat=True
        )
    )


def endpoints_for_owner(user) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(shop_id__in=owned_shop_ids(user)).select_related("shop")


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return endpoint.deliveries.order_by("-created_at", "-pk")
