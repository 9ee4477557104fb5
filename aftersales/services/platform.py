"""Platform intervention (平台介入, SPEC §4 ``disputed``): the request enters a dispute when the
buyer escalates it or the seller sits on the goods past a deadline, and leaves it by a staff
ruling. The dispute and the ruling are written by these transitions; the staff workflow around
them (evidence requests, the case file) lives in ``disputes``."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import trust
from ..actors import SYSTEM, Actor
from ..errors import InvalidInput, RefundLimitExceeded, StaleAction
from ..evidence import PreparedFile
from ..models import ZERO, Action, AfterSalesRequest, Dispute, Role, Ruling, State
from . import fast_refunds, ledger
from .core import Change, advance, check_may, lock, open_dispute, write

# Where each ruling leaves the request.
OUTCOME_STATE = {
    Ruling.Outcome.REFUND: State.REFUNDED,
    Ruling.Outcome.COMPENSATION: State.REFUNDED,
    Ruling.Outcome.RETURN_AND_REFUND: State.AWAITING_RETURN,
    Ruling.Outcome.FOR_SELLER: State.CLOSED,
}


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

    On a fast-refunded request (极速退款) the buyer already holds the platform's advance: a
    refund ruling lets them keep it (no new refund; compensation may be added), a ruling for
    the seller recovers it from the buyer (and returns the shop's settlement, if it paid one);
    returning the goods again or compensation instead of the refund are refused.
    """
    now = now or timezone.now()
    outcome = Ruling.Outcome(outcome)
    if not rationale.strip():
        raise InvalidInput(_("Write the rationale for the ruling; both parties will read it."))
    if refund_amount < 0 or compensation_amount < 0:
        raise InvalidInput(_("Amounts cannot be negative."))

    request = lock(dispute.request)
    role = check_may(actor, Action.RULE, request)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status != Dispute.Status.OPEN or dispute.request_id != request.pk:
        raise StaleAction()
    advanced = fast_refunds.advance_of(request)
    if advanced is not None:
        if outcome not in (Ruling.Outcome.REFUND, Ruling.Outcome.FOR_SELLER):
            raise InvalidInput(
                _(
                    "The platform has already refunded this request (fast refund): rule a "
                    "refund (the buyer keeps the advance) or for the seller (the advance is "
                    "recovered from the buyer)."
                )
            )
        if outcome == Ruling.Outcome.REFUND:
            refund_amount = advanced.amount  # the advance stands as the refund
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
    item = request.order_item
    if ledger.compensation_exceeds_cap(item, compensation_amount):
        raise InvalidInput(
            _("Compensation may be at most ¥%(limit)s, what the buyer paid for the item.")
            % {"limit": item.amount_paid}
        )
    if advanced is None and ledger.refund_exceeds_cap(item, refund_amount):
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
    recovered = outcome == Ruling.Outcome.FOR_SELLER and advanced is not None
    if recovered:
        change.money += fast_refunds.recovery(request)
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
    if recovered:
        fast_refunds.record_recovery(request, actor=actor, now=now)
    # A lost dispute (or a recovered fast refund) changes the buyer's standing.
    trust.refresh_standings([request.buyer_id], now=now)
    return ruling
