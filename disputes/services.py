"""Escalation to the platform and staff rulings (SPEC §4, 平台介入).

They move the request through the same locked path as every other action
(:func:`aftersales.services.apply_transition`); the dispute rows are written in the same
transaction.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.actors import SYSTEM, Actor
from aftersales.errors import RefundLimitExceeded, StaleAction
from aftersales.evidence import PreparedFile
from aftersales.models import AfterSalesRequest, RequestEvent, Role, State
from aftersales.services import InvalidInput, apply_transition, settle_money

from .models import Dispute, Ruling

OUTCOME_STATE = {
    Ruling.Outcome.REFUND: State.REFUNDED,
    Ruling.Outcome.COMPENSATION: State.REFUNDED,
    Ruling.Outcome.RETURN_AND_REFUND: State.AWAITING_RETURN,
    Ruling.Outcome.FOR_SELLER: State.CLOSED,
}


def _open_dispute(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    role: Role,
    reason: str,
    statement: str,
    now: datetime,
) -> Dispute:
    return Dispute.objects.create(
        request=request,
        opened_by=None if actor is SYSTEM else actor,
        opened_by_role=role,
        reason=reason,
        buyer_statement=statement,
        opened_at=now,
        ruling_due_at=now + settings.AFTERSALES_DEADLINES["ruling_target"],
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
    if reason not in Dispute.Reason.values or reason == Dispute.Reason.SELLER_UNRESPONSIVE:
        raise InvalidInput(_("Choose why you ask the platform to step in."))
    if not statement.strip():
        raise InvalidInput(_("Tell the platform what happened."))
    opened: list[Dispute] = []

    def record(req: AfterSalesRequest, event: RequestEvent) -> None:
        opened.append(
            _open_dispute(
                req, actor=actor, role=Role.BUYER, reason=reason, statement=statement, now=now
            )
        )

    apply_transition(
        request,
        actor=actor,
        action="escalate",
        apply=lambda req: req.escalate(),
        note=statement,
        files=files,
        now=now,
        then=record,
    )
    return opened[0]


@transaction.atomic
def escalate_overdue(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The seller let a deadline pass while holding the buyer's goods: the platform steps in."""
    now = now or timezone.now()
    return apply_transition(
        request,
        actor=actor,
        action="escalate_overdue",
        apply=lambda req: req.escalate(),
        now=now,
        then=lambda req, event: _open_dispute(
            req,
            actor=actor,
            role=Role.SYSTEM,
            reason=Dispute.Reason.SELLER_UNRESPONSIVE,
            statement="",
            now=now,
        ),
    )


@transaction.atomic
def rule_dispute(
    *,
    dispute: Dispute,
    actor: Actor,
    outcome: str,
    rationale: str,
    refund_amount: Decimal = Decimal("0.00"),
    compensation_amount: Decimal = Decimal("0.00"),
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
        refund_amount = compensation_amount = Decimal("0.00")
    if outcome == Ruling.Outcome.RETURN_AND_REFUND:
        compensation_amount = Decimal("0.00")
    if outcome == Ruling.Outcome.COMPENSATION:
        refund_amount = Decimal("0.00")
    ruled: list[Ruling] = []

    def apply(req: AfterSalesRequest) -> None:
        current = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if current.status != Dispute.Status.OPEN or current.request_id != req.pk:
            raise StaleAction()
        if compensation_amount > req.order_item.amount_paid:
            raise InvalidInput(
                _("Compensation may be at most ¥%(limit)s, what the buyer paid for the item.")
                % {"limit": req.order_item.amount_paid}
            )
        if refund_amount > req.order_item.refundable_amount:
            raise RefundLimitExceeded(
                _("The refund may be at most ¥%(limit)s, what is still refundable for the item.")
                % {"limit": req.order_item.refundable_amount}
            )
        req.rule(
            outcome=OUTCOME_STATE[outcome],
            refund_amount=refund_amount,
            return_address=str(req.shop.default_return_address or ""),
        )

    def record(req: AfterSalesRequest, event: RequestEvent) -> None:
        Dispute.objects.filter(pk=dispute.pk).update(status=Dispute.Status.RULED)
        ruled.append(
            Ruling.objects.create(
                dispute=dispute,
                outcome=outcome,
                refund_amount=refund_amount,
                compensation_amount=compensation_amount,
                rationale=rationale,
                decided_by=actor,
                decided_at=now,
            )
        )
        if req.state == State.REFUNDED:
            settle_money(req, event, compensation=compensation_amount)

    apply_transition(
        dispute.request,
        actor=actor,
        action="rule",
        apply=apply,
        note=rationale,
        now=now,
        then=record,
    )
    return ruled[0]
