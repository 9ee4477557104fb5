"""Parcels travelling between buyer and seller: the goods going back, the replacement and the
repaired item coming out. Each is a :class:`Shipment` with a checked tracking number."""

from datetime import datetime
from decimal import Decimal

from ..actors import Actor
from ..errors import InvalidInput
from ..models import ZERO, AfterSalesRequest, Shipment
from ..shipping import normalize_tracking_number, tracking_error


def checked_tracking(carrier: str, tracking_number: str) -> str:
    """The tracking number as stored, or :class:`InvalidInput` if it has the wrong shape."""
    if error := tracking_error(carrier, tracking_number):
        raise InvalidInput(error)
    return normalize_tracking_number(tracking_number)


def add_shipment(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    purpose: str,
    carrier: str,
    tracking_number: str,
    now: datetime,
    shipping_fee: Decimal = ZERO,
) -> Shipment:
    return Shipment.objects.create(
        request=request,
        shipped_at=now,
        purpose=purpose,
        carrier=carrier,
        tracking_number=tracking_number,
        shipping_fee=shipping_fee,
        shipped_by=actor,
    )
