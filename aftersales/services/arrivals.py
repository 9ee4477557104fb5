"""What a parcel's tracking sets off (issue 15): the one place that says, in order, what
follows when the carrier picks up or delivers a return parcel.

The tracking service (:mod:`.tracking`) calls these in the transaction that records the trace
line, with the request locked; each step is a service of its own capability.
"""

from datetime import datetime

from ..models import AfterSalesRequest, Shipment
from . import automation, fast_refunds, insurance


def parcel_picked_up(request: AfterSalesRequest, parcel: Shipment, *, now: datetime) -> None:
    """The carrier has the goods: a trusted buyer's return is refunded at once (极速退款)."""
    fast_refunds.refund_on_pickup(request, parcel, now=now)


def parcel_signed_for(request: AfterSalesRequest, parcel: Shipment, *, now: datetime) -> None:
    """The goods are at the shop's door, in this order: the platform's advance is settled with
    the shop, the insurer pays the buyer's postage, then the shop's rules may act (and the
    seller's receipt deadline, set by the tracking service, runs from now)."""
    fast_refunds.settle_on_sign_for(request, parcel, now=now)
    insurance.claim_on_sign_for(request, parcel, now=now)
    automation.apply_on_sign_for(request, parcel, now=now)
