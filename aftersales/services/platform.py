"""Platform intervention (平台介入, SPEC §4 ``disputed``): the request enters a dispute when the
buyer escalates it or the seller sits on the goods past a deadline, and leaves it by a staff
ruling. The dispute and the ruling are written by these transitions; the staff workflow around
them (evidence requests, the case file) lives in ``disputes``."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..actors import SYSTEM, Actor
from ..errors import InvalidInput, RefundLimitExceeded, StaleAction
from ..evidence import PreparedFile
from ..models import ZERO, Action, AfterSalesRequest, Dispute, Role, Ruling, State
from . import ledger
from .core import Change, advance, check_may, lock, write

# Where each ruling leaves the request.
OUTCOME_STATE = {
    Ruling.Outcome.REFUND: State.REFUNDED,
    Ruling.Outcome.COMPENSATION: State.REFUNDED,
    Ruling.Outcome.RETURN_AND_REFUND: State.AWAITING_RETURN,
    Ruling.Outcome.FOR_SELLER: State.CLOSED,
}


def open_dispute(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    role: Role,
    reason: str,
    statement: str,
    now: datetime,
) -> Dispute:
    """The case the platform works, with the seller's answer window and the ruling target."""
    limits = settings.AFTERSALES_DEADLINES
    return Dispute(
        request=request,
        opened_by=None if actor is SYSTEM else actor,
        opened_by_role=role,
        reason=reason,
        buyer_statement=statement,
        opened_at=now,
        seller_answer_due_at=now + limits["seller_dispute_answer"],
        ruling_due_at=now + limits["ruling_target"],
    )


@transaction.atomic
def escalate_to_platform(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    reason: str,
    statement: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> Dispute:
    """The buyer asks the platform to step in after a rejection, a declined proposal or a
    failed inspection (all of which leave the request ``rejected``)."""
    now = now or timezone.now()
    if reason not in dict(Dispute.Reason.buyer_choices()):
        raise InvalidInput(_("Choose why you ask the platform to step in."))
    if not statement.strip():
        raise InvalidInput(_("Tell the platform what happened."))
    request = lock(request)
    role = check_may(actor, Action.ESCALATE, request)
    change = advance(
        request, Action.ESCALATE, role=role, actor=actor, now=now, note=statement, files=files
    )
    change.dispute = open_dispute(
        request, actor=actor, role=role, reason=reason, statement=statement, now=now
    )
    write(change)
    return change.dispute


@transaction.atomic
def escalate_overdue(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The seller let a deadline pass while holding the buyer's goods: the platform steps in."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.ESCALATE_OVERDUE, request)
    write(overdue_escalation(request, role=role, actor=actor, now=now))
    return request


def overdue_escalation(
    request: AfterSalesRequest, *, role: Role, actor: Actor, now: datetime
) -> Change:
    change = advance(request, Action.ESCALATE_OVERDUE, role=role, actor=actor, now=now)
    change.dispute = open_dispute(
        request,
        actor=actor,
        role=role,
        reason=Dispute.Reason.SELLER_UNRESPONSIVE,
        statement="",
        now=now,
    )
    return change


@transaction.atomic
def rule_dispute(
    *,
    dispute: Dispute,
    actor: Actor,
    outcome: str,
    rationale: str,
    refund_amount: Decimal = ZERO,
    compensation_amount: Decimal = ZERO,
    now: datetime | None = None,
) -> Ruling:
    """Decide a dispute. Arbitrators only; the rationale is shown to both parties.

    Refund outcomes are bounded by what is still refundable for the item; a ruling that
    returns the goods first turns the request into a return whose refund follows inspection.
    """
    now = now or timezone.now()
    outcome = Ruling.Outcome(outcome)
    if not rationale.strip():
        raise InvalidInput(_("Write the rationale for the ruling; both parties will read it."))
    if refund_amount < 0 or compensation_amount < 0:
        raise InvalidInput(_("Amounts cannot be negative."))
    if outcome in (Ruling.Outcome.REFUND, Ruling.Outcome.RETURN_AND_REFUND) and refund_amount <= 0:
        raise InvalidInput(_("A refund ruling needs a refund amount above ¥0.00."))
    if outcome == Ruling.Outcome.COMPENSATION and compensation_amount <= 0:
        raise InvalidInput(_("A compensation ruling needs an amount above ¥0.00."))
    if outcome == Ruling.Outcome.FOR_SELLER:
        refund_amount = compensation_amount = ZERO
    if outcome == Ruling.Outcome.RETURN_AND_REFUND:
        compensation_amount = ZERO
    if outcome == Ruling.Outcome.COMPENSATION:
        refund_amount = ZERO

    request = lock(dispute.request)
    role = check_may(actor, Action.RULE, request)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != Dispute.Status.OPEN or dispute.request_id != request.pk:
        raise StaleAction()
    item = request.order_item
    if ledger.compensation_exceeds_cap(item, compensation_amount):
        raise InvalidInput(
            _("Compensation may be at most ¥%(limit)s, what the buyer paid for the item.")
            % {"limit": item.amount_paid}
        )
    if ledger.refund_exceeds_cap(item, refund_amount):
        raise RefundLimitExceeded(
            _("The refund may be at most ¥%(limit)s, what is still refundable for the item.")
            % {"limit": item.refundable_amount}
        )
    change = advance(
        request,
        Action.RULE,
        role=role,
        actor=actor,
        now=now,
        note=rationale,
        outcome=OUTCOME_STATE[outcome],
        refund_amount=refund_amount,
        return_address=str(request.shop.default_return_address or ""),
    )
    change.notify = [Role.BUYER, Role.SELLER]
    if request.state == State.REFUNDED:
        change.money += ledger.agreed_money(request, compensation=compensation_amount)
    dispute.status = Dispute.Status.RULED
    dispute.save(update_fields=["status"])
    ruling = Ruling.objects.create(
        dispute=dispute,
        outcome=outcome,
        refund_amount=refund_amount,
        compensation_amount=compensation_amount,
        rationale=rationale,
        decided_by=actor,
        decided_at=now,
    )
    write(change)
    return ruling
