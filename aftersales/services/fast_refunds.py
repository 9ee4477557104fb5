"""极速退款 (issue 15, SPEC "Fast refunds"): for a trusted buyer the platform refunds a return
as soon as the carrier picks the parcel up, and settles with the shop once the goods are signed
for. When the goods never arrive, or fail inspection, the platform steps in and its ruling can
recover the money from the buyer.

Every movement is a ledger row of its own, each with its own idempotency key:

- the advance (``FAST_REFUND``, platform → buyer) carries the refund's key
  ``request-<id>-refund``, so it and an ordinary refund can never both be paid; it counts
  against the item's refund cap, and every later path that would refund the request pays
  nothing more (:func:`ledger.agreed_money`);
- the settlement (``SHOP_SETTLEMENT``, shop → platform, ``request-<id>-settlement``) when the
  goods are signed for;
- the recovery (``RECOVERY``, buyer → platform, ``request-<id>-recovery``) when a ruling goes
  for the seller; it lowers the item's refunded total again. If the shop had settled already,
  the settlement goes back to it (``SETTLEMENT_RETURN``, platform → shop,
  ``request-<id>-settlement-return``): the shop that wins keeps its money, and the platform is
  square (it advanced X, got X from the shop, X from the buyer, and returns X to the shop).

The tracking hooks (:mod:`.arrivals`) call :func:`refund_on_pickup` and
:func:`settle_on_sign_for` with the request locked, in the transaction that records the trace.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import deadlines, trust
from ..actors import SYSTEM, Actor
from ..errors import RefundLimitExceeded
from ..models import (
    Action,
    AfterSalesRequest,
    Dispute,
    Kind,
    LedgerEntry,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from . import ledger
from .core import Change, advance, check_may, lock, open_dispute, record_activity, write


def may_fast_refund(request: AfterSalesRequest) -> bool:
    """The request itself qualifies: a return-and-refund on its way back, not yet advanced,
    for an amount up to ``FAST_REFUND_LIMIT``. (The buyer's standing is asked separately.)"""
    return (
        request.kind == Kind.RETURN_REFUND
        and request.state == State.RETURN_SHIPPED
        and request.fast_refund_at is None
        and 0 < request.refund_amount <= settings.FAST_REFUND_LIMIT
    )


@transaction.atomic
def refund_on_pickup(
    request: AfterSalesRequest, parcel: Shipment, *, now: datetime
) -> LedgerEntry | None:
    """The carrier has picked the return parcel up: a trusted buyer is refunded now, paid by the
    platform. The request stays ``return_shipped`` (the seller still receives and inspects the
    goods); its deadline becomes the parcel's: signed for within ``fast_refund_parcel_lost`` or
    the platform steps in. The caller holds the request's lock. Returns the advance, or None
    when the request or the buyer does not qualify (nothing is written then).
    """
    if parcel.purpose != Shipment.Purpose.RETURN or not may_fast_refund(request):
        return None
    standing = trust.standing_of(request.buyer_id, now=now)
    if not trust.is_trusted(standing.level):
        return None
    paid = ledger.fast_refund_advance(request)
    try:
        with transaction.atomic():
            ledger.write_entries([paid])
    except RefundLimitExceeded:
        return None  # nothing left to refund: the ordinary path says so to the people
    request.fast_refund_at = now
    request.due_at, request.due_action = deadlines.next_deadline(request, now=now)
    request.reminded_at = None
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        fast_refund_at=now,
        due_at=request.due_at,
        due_action=request.due_action,
        reminded_at=None,
    )
    record_activity(
        request,
        actor=SYSTEM,
        roles=frozenset({Role.SYSTEM}),
        action=Action.FAST_REFUND,
        now=now,
        notify=[Role.BUYER, Role.SELLER],
    )
    return paid


def advance_of(request: AfterSalesRequest) -> LedgerEntry | None:
    """The platform's advance on the request, if it made one."""
    if request.fast_refund_at is None:
        return None
    return request.ledger_entries.filter(type=LedgerEntry.Type.FAST_REFUND).first()


@transaction.atomic
def settle_on_sign_for(
    request: AfterSalesRequest, parcel: Shipment, *, now: datetime
) -> LedgerEntry | None:
    """The return parcel is signed for: the shop is charged the advance, once (a second push
    of the same signature finds it settled). Nothing to do without an advance, or once the
    advance was recovered from the buyer. The caller holds the request's lock.
    """
    paid = advance_of(request)
    if parcel.purpose != Shipment.Purpose.RETURN or paid is None:
        return None
    if request.ledger_entries.filter(
        type__in=[LedgerEntry.Type.SHOP_SETTLEMENT, LedgerEntry.Type.RECOVERY]
    ).exists():
        return None
    settlement = ledger.shop_settlement(request, paid)
    ledger.write_entries([settlement])
    record_activity(
        request,
        actor=SYSTEM,
        roles=frozenset({Role.SYSTEM}),
        action=Action.SETTLE_FAST_REFUND,
        now=now,
        notify=[Role.SELLER],
    )
    return settlement


def recovery(request: AfterSalesRequest) -> list[LedgerEntry]:
    """What a ruling for the seller on a fast-refunded request moves: the advance back from
    the buyer and, if the shop had settled it, the settlement back to the shop. Empty if there
    was no advance or it was recovered already."""
    paid = advance_of(request)
    if paid is None:
        return []
    rows = {row.type: row for row in request.ledger_entries.all()}
    if LedgerEntry.Type.RECOVERY in rows:
        return []
    money = [ledger.recovery(request, paid)]
    if settlement := rows.get(LedgerEntry.Type.SHOP_SETTLEMENT):
        money.append(ledger.settlement_return(request, settlement))
    return money


def record_recovery(request: AfterSalesRequest, *, actor: Actor, now: datetime) -> RequestEvent:
    """The recovery on the timeline, by the arbitrator who ruled (the ruling's own event comes
    first)."""
    return record_activity(
        request,
        actor=actor,
        roles=frozenset({Role.STAFF}),
        action=Action.RECOVER_FAST_REFUND,
        now=now,
        notify=[Role.BUYER, Role.SELLER],
    )


@transaction.atomic
def escalate_undelivered(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The fast-refunded parcel was not signed for in time: the platform, which paid, steps in
    (a dispute "the returned goods never arrived")."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.ESCALATE_UNDELIVERED, request)
    write(undelivered_escalation(request, role=role, actor=actor, now=now))
    return request


def undelivered_escalation(
    request: AfterSalesRequest, *, role: Role, actor: Actor, now: datetime
) -> Change:
    change = advance(request, Action.ESCALATE_UNDELIVERED, role=role, actor=actor, now=now)
    change.dispute = open_dispute(
        request,
        actor=actor,
        role=role,
        reason=Dispute.Reason.GOODS_NEVER_ARRIVED,
        statement="",
        now=now,
    )
    change.notify = [Role.BUYER, Role.SELLER]
    return change
