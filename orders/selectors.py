"""Reads of shops and orders, limited to what the actor may see."""

from django.db.models import IntegerField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from aftersales.models import OPEN_STATES, AfterSalesRequest, State

from .models import Order, OrderItem, Shop


def items_for_buyer(buyer) -> QuerySet[OrderItem]:
    return OrderItem.objects.filter(order__buyer=buyer).select_related("order__shop")


def orders_for_buyer(buyer) -> QuerySet[Order]:
    """已买到的宝贝: the buyer's orders, newest first, with what each item's after-sales
    standing needs (units already refunded, the open request) fetched in two more queries."""
    items = OrderItem.objects.annotate(
        units_refunded=Coalesce(
            Sum(
                "aftersales_requests__quantity",
                filter=Q(aftersales_requests__state=State.REFUNDED),
            ),
            Value(0),
            output_field=IntegerField(),
        )
    ).order_by("pk")
    open_requests = AfterSalesRequest.objects.filter(state__in=OPEN_STATES)
    return (
        Order.objects.filter(buyer=buyer)
        .select_related("shop")
        .prefetch_related(
            Prefetch("items", queryset=items),
            Prefetch("items__aftersales_requests", queryset=open_requests, to_attr="open_requests"),
        )
        .order_by("-paid_at", "-pk")
    )


def shops_for_member(user) -> QuerySet[Shop]:
    if not user.is_authenticated:
        return Shop.objects.none()
    return Shop.objects.filter(members__user=user)
