"""Reads of shops and orders, limited to what the actor may see."""

from django.db.models import QuerySet

from .models import OrderItem, Shop


def items_for_buyer(buyer) -> QuerySet[OrderItem]:
    return OrderItem.objects.filter(order__buyer=buyer).select_related("order__shop")


def shops_for_member(user) -> QuerySet[Shop]:
    if not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(members__user=user)
