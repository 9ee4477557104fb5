"""Reads of shops and orders, limited to what the actor may see."""

from django.db.models import F, QuerySet

from .models import OrderItem, Shop


def items_for_buyer(buyer) -> QuerySet[OrderItem]:
    return OrderItem.objects.filter(order__buyer=buyer).select_related("order__shop")


def shops_for_member(user) -> QuerySet[Shop]:
    """The user's shops, each with the user's role in it (``member_role``: owner or agent),
    read in the same query."""
    if not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(members__user=user).annotate(member_role=F("members__role"))
