"""Reads of shops and orders, limited to what the actor may see."""

from django.db.models import QuerySet

from .models import Order, Shop


def orders_for_buyer(buyer) -> QuerySet[Order]:
    return Order.objects.filter(buyer=buyer).select_related("shop")


def shops_for_member(user) -> QuerySet[Shop]:
    if not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(members__user=user)


def orders_for_seller(user) -> QuerySet[Order]:
    return Order.objects.filter(shop__in=shops_for_member(user)).select_related("shop", "buyer")
