"""Fast refunds in tests: a buyer with a good history, and the tracking hooks called the way
the tracking service calls them (in a transaction, the request locked, the parcel's moment
recorded first)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Shipment
from aftersales.services import arrivals
from aftersales.services.core import lock
from tests.orders.factories import OrderItemFactory


def give_history(buyer, shop, *, items: int = 9) -> None:
    """``items`` more delivered order items for the buyer: with one request filed, ten items
    make a GOOD standing (at most 25 % after-sales, at least 5 items)."""
    for _ in range(items):
        OrderItemFactory(order__buyer=buyer, order__shop=shop)


def return_parcel(request: AfterSalesRequest) -> Shipment:
    return request.shipments.get(purpose=Shipment.Purpose.RETURN)


def pick_up(request: AfterSalesRequest, *, now: datetime | None = None) -> AfterSalesRequest:
    """The carrier picks the return parcel up (what the tracking service does)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(request)
        parcel = return_parcel(locked)
        Shipment.objects.filter(pk=parcel.pk).update(picked_up_at=now)
        parcel.picked_up_at = now
        arrivals.parcel_picked_up(locked, parcel, now=now)
    return AfterSalesRequest.objects.get(pk=request.pk)


def sign_for(request: AfterSalesRequest, *, now: datetime | None = None) -> AfterSalesRequest:
    """The return parcel is signed for at the shop (what the tracking service does)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(request)
        parcel = return_parcel(locked)
        Shipment.objects.filter(pk=parcel.pk).update(signed_at=now)
        parcel.signed_at = now
        arrivals.parcel_signed_for(locked, parcel, now=now)
    return AfterSalesRequest.objects.get(pk=request.pk)


LOST_AFTER = timedelta(days=10)
