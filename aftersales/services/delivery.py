"""The seller sends a replacement or the repaired item, and the buyer confirms receipt
(SPEC §4 ``inspecting``/``repairing`` → ``…_shipped`` → ``exchanged``/``repaired``)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..actors import Actor
from ..models import Action, AfterSalesRequest, Role, Shipment
from .core import Change, advance, check_may, lock, write
from .parcels import add_shipment, checked_tracking


def _ship_to_buyer(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    action: str,
    purpose: str,
    carrier: str,
    tracking_number: str,
    now: datetime | None,
) -> AfterSalesRequest:
    now = now or timezone.now()
    number = checked_tracking(carrier, tracking_number)
    request = lock(request)
    role = check_may(actor, action, request)
    write(advance(request, action, role=role, actor=actor, now=now))
    add_shipment(
        request,
        actor=actor,
        purpose=purpose,
        carrier=carrier,
        tracking_number=number,
        now=now,
    )
    return request


@transaction.atomic
def ship_replacement(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """The returned goods passed inspection and the replacement is on its way (换货)."""
    return _ship_to_buyer(
        request,
        actor=actor,
        action=Action.SHIP_REPLACEMENT,
        purpose=Shipment.Purpose.REPLACEMENT,
        carrier=carrier,
        tracking_number=tracking_number,
        now=now,
    )


@transaction.atomic
def ship_repaired(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> AfterSalesRequest:
    return _ship_to_buyer(
        request,
        actor=actor,
        action=Action.SHIP_REPAIRED,
        purpose=Shipment.Purpose.REPAIRED,
        carrier=carrier,
        tracking_number=tracking_number,
        now=now,
    )


@transaction.atomic
def confirm_delivery(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    """The buyer has the replacement or repaired item (the system confirms at the deadline)."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.CONFIRM_DELIVERY, request)
    write(delivery_confirmation(request, role=role, actor=actor, now=now))
    return request


TO_THE_BUYER = (Shipment.Purpose.REPLACEMENT, Shipment.Purpose.REPAIRED)


def delivery_confirmation(
    request: AfterSalesRequest, *, role: Role, actor: Actor, now: datetime
) -> Change:
    """The replacement or the repaired item has arrived."""
    change = advance(request, Action.CONFIRM_DELIVERY, role=role, actor=actor, now=now)
    change.received = [
        parcel
        for parcel in request.shipments.all()
        if parcel.purpose in TO_THE_BUYER and parcel.received_at is None
    ]
    return change
