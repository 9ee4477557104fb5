"""The goods come back: the buyer ships them, the seller confirms receipt and inspects them
(SPEC §4 ``awaiting_return`` → ``return_shipped`` → ``inspecting``)."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..actors import SYSTEM, Actor
from ..errors import InvalidInput
from ..evidence import PreparedFile
from ..models import (
    ZERO,
    Action,
    AfterSalesRequest,
    AutomationRule,
    Dispute,
    Role,
    Shipment,
    State,
)
from . import insurance, ledger
from .core import Change, advance, check_may, lock, open_dispute, write
from .parcels import add_shipment, checked_tracking
from .seller_review import check_refusal


@transaction.atomic
def ship_return(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    shipping_fee: Decimal = ZERO,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """寄回商品. When the seller pays return shipping, the buyer may claim what it cost, up to
    ``RETURN_SHIPPING_REIMBURSEMENT_LIMIT``; it is paid once the seller has the goods."""
    now = now or timezone.now()
    limit = settings.RETURN_SHIPPING_REIMBURSEMENT_LIMIT
    if shipping_fee < 0 or shipping_fee > limit:
        raise InvalidInput(
            _("The shipping fee must be between ¥0.00 and ¥%(limit)s.") % {"limit": limit}
        )
    number = checked_tracking(carrier, tracking_number)
    request = lock(request)
    role = check_may(actor, Action.SHIP_RETURN, request)
    if shipping_fee and not request.seller_pays_return_shipping:
        raise InvalidInput(_("For a no-reason return you pay the return shipping yourself."))
    write(advance(request, Action.SHIP_RETURN, role=role, actor=actor, now=now))
    add_shipment(
        request,
        actor=actor,
        purpose=Shipment.Purpose.RETURN,
        carrier=carrier,
        tracking_number=number,
        shipping_fee=shipping_fee,
        now=now,
    )
    return request


def receive_return(change: Change) -> Change:
    """The goods are back with the seller: the return parcels arrive, and the return shipping
    the buyer claimed is reimbursed (one ledger row per parcel), less what return-shipping
    insurance pays, and the insurer's claim if no sign-for paid it
    (:func:`insurance.postage_on_arrival`)."""
    request = change.request
    arriving = [
        parcel
        for parcel in request.shipments.all()
        if parcel.purpose == Shipment.Purpose.RETURN and parcel.received_at is None
    ]
    change.received += arriving
    change.money += insurance.postage_on_arrival(request, arriving)
    return change


@transaction.atomic
def confirm_return_received(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    rule: AutomationRule | None = None,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """确认收货: the seller has the goods back (or the system, for a shop's ``rule`` that passes
    the inspection once the parcel is signed for)."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.CONFIRM_RETURN_RECEIVED, request)
    change = advance(
        request, Action.CONFIRM_RETURN_RECEIVED, role=role, actor=actor, now=now, rule=rule
    )
    write(receive_return(change))
    return request


@transaction.atomic
def refund_on_sign_for(
    *,
    request: AfterSalesRequest,
    parcel: Shipment | None,
    rule: AutomationRule | None = None,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """签收后自动退款: the shop's ``rule`` refunds the buyer as soon as the return ``parcel`` is
    signed for. The parcels arrive (with the return shipping the buyer claimed) and the agreed
    refund is paid, within the item's cap, as if the seller had confirmed receipt and passed
    the inspection."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.REFUND_ON_SIGN_FOR, request)
    if (
        parcel is None
        or parcel.request_id != request.pk
        or parcel.purpose != Shipment.Purpose.RETURN
    ):
        raise InvalidInput(_("That parcel is not this request's return parcel."))
    change = receive_return(
        advance(request, Action.REFUND_ON_SIGN_FOR, role=role, actor=actor, now=now, rule=rule)
    )
    change.money += ledger.agreed_money(request)
    ledger.check_caps(request.order_item, change.money)
    write(change)
    return request


@transaction.atomic
def refund_without_receipt(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The seller did not confirm receipt of returned goods in time: refund the buyer."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.REFUND_WITHOUT_RECEIPT, request)
    write(unconfirmed_return_refund(request, role=role, actor=actor, now=now))
    return request


def unconfirmed_return_refund(
    request: AfterSalesRequest, *, role: Role, actor: Actor, now: datetime
) -> Change:
    """Refunded as if received: the parcel counts as arrived, postage and refund are paid."""
    change = receive_return(
        advance(request, Action.REFUND_WITHOUT_RECEIPT, role=role, actor=actor, now=now)
    )
    change.money += ledger.agreed_money(request)
    ledger.check_caps(request.order_item, change.money)
    return change


@transaction.atomic
def pass_inspection(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    rule: AutomationRule | None = None,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """质检通过: a return is refunded, a repair starts. At the deadline the system deems it
    passed; a shop's ``rule`` may pass it as soon as the parcel is signed for."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.PASS_INSPECTION, request)
    write(inspection_pass(request, role=role, actor=actor, now=now, rule=rule))
    return request


def inspection_pass(
    request: AfterSalesRequest,
    *,
    role: Role,
    actor: Actor,
    now: datetime,
    rule: AutomationRule | None = None,
) -> Change:
    change = advance(request, Action.PASS_INSPECTION, role=role, actor=actor, now=now, rule=rule)
    if request.state == State.REFUNDED:
        change.money += ledger.agreed_money(request)
        ledger.check_caps(request.order_item, change.money)
    return change


@transaction.atomic
def fail_inspection(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    reason: str,
    explanation: str,
    files: Sequence[PreparedFile],
    now: datetime | None = None,
) -> AfterSalesRequest:
    """质检不通过: needs a reason and photos, and hands the request back to the buyer; after a
    fast refund, to the platform instead (it paid the buyer and decides whether to recover
    the money), which opens the dispute by itself."""
    check_refusal(reason, explanation, _("Explain why the goods failed inspection."))
    if not files:
        raise InvalidInput(_("Add at least one photo showing why the goods failed inspection."))
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.FAIL_INSPECTION, request)
    change = advance(
        request, Action.FAIL_INSPECTION, role=role, actor=actor, now=now, refusal=reason,
        note=explanation, files=files,
    )  # fmt: skip
    if request.state == State.DISPUTED:
        change.dispute = open_dispute(
            request,
            actor=SYSTEM,
            role=Role.SYSTEM,
            reason=Dispute.Reason.FAILED_AFTER_FAST_REFUND,
            statement="",
            now=now,
        )
        change.notify = [Role.BUYER, Role.SELLER]
    write(change)
    return request
