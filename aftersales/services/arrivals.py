"""What a parcel's tracking sets off (issue 15): the one place that says, in order, what
follows when the carrier picks up or delivers a return parcel.

The tracking service (:mod:`.tracking`) calls these in the transaction that records the trace
line, with the request locked; each step is a service of its own capability.
"""

from datetime import datetime

from .. import deadlines
from ..actors import SYSTEM
from ..models import Action, AfterSalesRequest, Role, Shipment, State
from . import automation, fast_refunds, insurance
from .core import record_activity


def parcel_picked_up(request: AfterSalesRequest, parcel: Shipment, *, now: datetime) -> None:
    """The carrier has the goods: a trusted buyer's return is refunded at once (极速退款)."""
    fast_refunds.refund_on_pickup(request, parcel, now=now)


def parcel_signed_for(request: AfterSalesRequest, parcel: Shipment, *, now: datetime) -> None:
    """The goods are at the shop's door, in this order: the seller's receipt deadline runs from
    the signature, the platform's advance is settled with the shop, the insurer pays the
    buyer's postage, then the shop's rules may act."""
    receipt_deadline_from_signature(request, parcel, now=now)
    fast_refunds.settle_on_sign_for(request, parcel, now=now)
    insurance.claim_on_sign_for(request, parcel, now=now)
    automation.apply_on_sign_for(request, parcel, now=now)


def receipt_deadline_from_signature(
    request: AfterSalesRequest, parcel: Shipment, *, now: datetime
) -> None:
    """While the request waits for the seller to confirm receipt, its deadline is the table's
    for a parcel signed for (``deadlines.next_deadline``): the seller's, from the signature
    if that is sooner, instead of a fast refund's wait for the parcel; and the timeline says
    the parcel was signed for. The state was entered when the parcel was handed in."""
    if request.state != State.RETURN_SHIPPED:
        return
    due_at, due_action = deadlines.next_deadline(
        request, now=parcel.shipped_at, signed_at=parcel.signed_at or now
    )
    # The signature may bring the seller's deadline forward, never put it back.
    if request.due_action != due_action or request.due_at is None or due_at < request.due_at:
        request.due_at, request.due_action, request.reminded_at = due_at, due_action, None
        AfterSalesRequest.objects.filter(pk=request.pk).update(
            due_at=due_at, due_action=due_action, reminded_at=None
        )
    record_activity(
        request,
        actor=SYSTEM,
        roles=frozenset({Role.SYSTEM}),
        action=Action.PARCEL_SIGNED_FOR,
        now=now,
    )
