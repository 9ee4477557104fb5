"""The seller answers a request (approve, propose another solution, reject) and the buyer
answers a proposal (SPEC §4 ``submitted`` and ``negotiating``)."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import ReturnAddress

from ..actors import Actor
from ..errors import ActionNotAllowed, InvalidInput, StaleAction
from ..evidence import PreparedFile
from ..models import (
    ZERO,
    Action,
    AfterSalesRequest,
    AutomationRule,
    Kind,
    Proposal,
    RejectionReason,
    Role,
    State,
)
from . import ledger
from .core import Change, advance, check_may, lock, write


def return_address_text(
    request: AfterSalesRequest, address: ReturnAddress | None, *, kind: str | None = None
) -> str:
    """Where the goods go: the chosen address of this shop, or else the shop's own choice for
    the request's ``kind`` (a repair goes to its repair point, if it keeps one; everything
    else to the default return address), which automatic approvals and rulings use too."""
    if address is None:
        address = request.shop.destination(repair=(kind or request.kind) == Kind.REPAIR)
    elif address.shop_id != request.shop_id:
        raise ActionNotAllowed(_("That return address belongs to another shop."))
    if address is None:
        raise InvalidInput(_("The shop has no return address yet. Add one before approving."))
    return str(address)


@transaction.atomic
def approve_request(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    return_address: ReturnAddress | None = None,
    rule: AutomationRule | None = None,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """Approve as asked. A refund-only request is refunded at once; others await the goods.

    The system approves requests the seller left past the response deadline, with the shop's
    default return address, and those a shop's automation ``rule`` agrees to at once.
    """
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.APPROVE, request)
    write(
        approval(request, role=role, actor=actor, now=now, return_address=return_address, rule=rule)
    )
    return request


def approval(
    request: AfterSalesRequest,
    *,
    role: Role,
    actor: Actor,
    now: datetime,
    return_address: ReturnAddress | None = None,
    rule: AutomationRule | None = None,
) -> Change:
    """What approving changes: a refund-only request is refunded (the money, within the cap),
    others wait for the goods at the chosen or the shop's default address."""
    address = (
        return_address_text(request, return_address) if Kind(request.kind).needs_goods_back else ""
    )
    change = advance(
        request, Action.APPROVE, role=role, actor=actor, now=now, return_address=address, rule=rule
    )
    if request.state == State.REFUNDED:
        change.money += ledger.agreed_money(request)
        ledger.check_caps(request.order_item, change.money)
    return change


@transaction.atomic
def propose_solution(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    kind: str,
    refund_amount: Decimal,
    compensation_amount: Decimal,
    note: str,
    repair_fee: Decimal = ZERO,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """Offer the buyer another solution: a partial refund with or without the goods coming
    back, compensation, another kind of service, or a repair for a fee (the fault is not
    covered by the warranty). Money offers are bounded like requests. After the warranty the
    only offer is the quote of the repair fee (:func:`quote_repair_fee`)."""
    now = now or timezone.now()
    kind = Kind(kind)
    refund_amount = refund_amount if kind.is_money else ZERO
    if refund_amount < 0 or compensation_amount < 0 or repair_fee < 0:
        raise InvalidInput(_("Amounts cannot be negative."))
    if compensation_amount and kind != Kind.REFUND_ONLY:
        raise InvalidInput(
            _("Compensation can only be offered with a refund that keeps the goods.")
        )
    if repair_fee and kind != Kind.REPAIR:
        raise InvalidInput(_("A repair fee only goes with a repair."))
    if not note.strip():
        raise InvalidInput(_("Explain the proposal to the buyer."))
    request = lock(request)
    role = check_may(actor, Action.PROPOSE, request)
    if request.buyer_pays_repair() and (kind != Kind.REPAIR or repair_fee <= 0):
        raise InvalidInput(
            _("After the warranty, quote the repair fee: the buyer pays it if they accept.")
        )
    item = request.order_item
    refund_too_high = ledger.refund_exceeds_cap(item, refund_amount)
    if (
        refund_too_high
        or ledger.compensation_exceeds_cap(item, compensation_amount)
        or ledger.repair_fee_exceeds_cap(item, repair_fee)
    ):
        raise InvalidInput(
            _("Amounts may not exceed what the buyer paid for the item (¥%(limit)s).")
            % {"limit": item.refundable_amount if refund_too_high else item.amount_paid}
        )
    if kind.is_money and refund_amount + compensation_amount <= 0:
        raise InvalidInput(_("A money offer needs an amount above ¥0.00."))
    if kind == Kind.RETURN_REFUND and refund_amount <= 0:
        raise InvalidInput(_("A return needs a refund above ¥0.00."))
    write(advance(request, Action.PROPOSE, role=role, actor=actor, now=now, note=note))
    last = request.proposals.order_by("-version").values_list("version", flat=True).first() or 0
    Proposal.objects.create(
        request=request,
        created_at=now,
        version=last + 1,
        proposed_by=actor,
        kind=kind,
        refund_amount=refund_amount,
        compensation_amount=compensation_amount,
        repair_fee=repair_fee,
        note=note,
    )
    return request


def quote_repair_fee(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    repair_fee: Decimal,
    note: str,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """报价: the shop names its fee for a repair after the warranty. It is a proposal (a repair
    for that fee) the buyer accepts and pays, or declines, which closes the request."""
    if repair_fee <= 0:
        raise InvalidInput(_("Quote a fee above ¥0.00. To repair it for free, approve instead."))
    return propose_solution(
        request=request,
        actor=actor,
        kind=Kind.REPAIR,
        refund_amount=ZERO,
        compensation_amount=ZERO,
        repair_fee=repair_fee,
        note=note,
        now=now,
    )


@transaction.atomic
def reject_request(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    reason: str,
    explanation: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> AfterSalesRequest:
    """拒绝: a reason from the list and an explanation the buyer (and later the platform) reads."""
    check_refusal(reason, explanation, _("Explain to the buyer why you reject the request."))
    return refuse(
        request, Action.REJECT, actor=actor, reason=reason, explanation=explanation, files=files,
        now=now,
    )  # fmt: skip


def refuse(
    request: AfterSalesRequest,
    action: str,
    *,
    actor: Actor,
    reason: str,
    explanation: str,
    files: Sequence[PreparedFile],
    now: datetime | None,
) -> AfterSalesRequest:
    """The seller's refusal (a rejection or a failed inspection), checked by the caller: the
    transition with its reason, explanation and photos on the event."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, action, request)
    write(
        advance(
            request,
            action,
            role=role,
            actor=actor,
            now=now,
            refusal=reason,
            note=explanation,
            files=files,
        )  # fmt: skip
    )
    return request


def check_refusal(reason: str, explanation: str, missing_explanation: str) -> None:
    """A refusal (rejection, failed inspection) needs a reason from the list and words."""
    if reason not in RejectionReason.values:
        raise InvalidInput(_("Choose a reason from the list."))
    if not explanation.strip():
        raise InvalidInput(missing_explanation)


def pending_proposal(request: AfterSalesRequest) -> Proposal:
    proposal = request.proposals.filter(status=Proposal.Status.PENDING).order_by("-version").first()
    if proposal is None:
        raise StaleAction()
    return proposal


@transaction.atomic
def accept_proposal(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    """Take the seller's offer. The request becomes the proposal's kind and amount; a repair
    fee is charged to the order's payment method, once (its ledger row's key), whatever the
    clicks: a second click finds the request moved on."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.ACCEPT_PROPOSAL, request)
    proposal = pending_proposal(request)
    address = (
        return_address_text(request, None, kind=proposal.kind)
        if Kind(proposal.kind).needs_goods_back
        else ""
    )
    change = advance(
        request,
        Action.ACCEPT_PROPOSAL,
        role=role,
        actor=actor,
        now=now,
        kind=proposal.kind,
        refund_amount=proposal.refund_amount,
        return_address=address,
        repair_fee=proposal.repair_fee,
    )
    if request.state == State.REFUNDED:
        change.money += ledger.agreed_money(request, compensation=proposal.compensation_amount)
    change.money += ledger.repair_fee_charge(request)
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.ACCEPTED, answered_at=now)
    write(change)
    return request


@transaction.atomic
def decline_proposal(
    *, request: AfterSalesRequest, actor: Actor, note: str = "", now: datetime | None = None
) -> AfterSalesRequest:
    """Say no to the offer: the request goes back to ``rejected`` (revise, escalate, withdraw);
    a declined repair fee after the warranty closes it, with nothing charged."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.DECLINE_PROPOSAL, request)
    write(advance(request, Action.DECLINE_PROPOSAL, role=role, actor=actor, now=now, note=note))
    request.proposals.filter(status=Proposal.Status.PENDING).update(
        status=Proposal.Status.DECLINED, answered_at=now
    )
    return request
