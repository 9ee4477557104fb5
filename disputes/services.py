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
from aftersales.services import InvalidInput, apply_transition, record_activity, settle_money

from .models import Complaint, Dispute, EvidenceRequest, Ruling

SELLER = frozenset({Role.SELLER})
BUYER = frozenset({Role.BUYER})
STAFF = frozenset({Role.STAFF})

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
    limits = settings.AFTERSALES_DEADLINES
    return Dispute.objects.create(
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
        notify=[Role.BUYER, Role.SELLER],
    )
    return ruled[0]


# --- while the dispute is open -----------------------------------------------------------------


def _lock_open_dispute(dispute: Dispute) -> Dispute:
    current = Dispute.objects.select_for_update().select_related("request").get(pk=dispute.pk)
    if current.status != Dispute.Status.OPEN:
        raise StaleAction(_("The platform has already ruled on this dispute."))
    return current


@transaction.atomic
def answer_dispute(
    *,
    dispute: Dispute,
    actor: Actor,
    statement: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> Dispute:
    """The seller's side of the story (商家举证), within their window; once."""
    now = now or timezone.now()
    if not statement.strip():
        raise InvalidInput(_("Write your statement for the platform."))
    dispute = _lock_open_dispute(dispute)
    if dispute.seller_answered_at is not None:
        raise StaleAction(_("You have already answered; add more in the conversation."))
    if dispute.seller_answer_due_at and now > dispute.seller_answer_due_at:
        raise StaleAction(_("The time to answer this dispute has passed."))
    record_activity(
        dispute.request,
        actor=actor,
        roles=SELLER,
        action="answer_dispute",
        note=statement,
        files=files,
        notify=[Role.STAFF],
        now=now,
    )
    dispute.seller_statement = statement
    dispute.seller_answered_at = now
    dispute.save(update_fields=["seller_statement", "seller_answered_at"])
    return dispute


@transaction.atomic
def request_evidence(
    *,
    dispute: Dispute,
    actor: Actor,
    party: str,
    question: str,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> EvidenceRequest:
    """Staff ask the buyer or the seller for more evidence by a deadline; that side is told."""
    now = now or timezone.now()
    if party not in (Role.BUYER, Role.SELLER):
        raise InvalidInput(_("Ask the buyer or the seller."))
    if not question.strip():
        raise InvalidInput(_("Say what evidence is needed."))
    due_at = due_at or now + settings.AFTERSALES_DEADLINES["evidence_request"]
    if due_at <= now:
        raise InvalidInput(_("The deadline must be in the future."))
    dispute = _lock_open_dispute(dispute)
    record_activity(
        dispute.request,
        actor=actor,
        roles=STAFF,
        action="request_evidence",
        note=question,
        notify=[Role(party)],
        now=now,
    )
    return EvidenceRequest.objects.create(
        dispute=dispute,
        party=party,
        question=question,
        requested_by=actor,
        created_at=now,
        due_at=due_at,
    )


@transaction.atomic
def provide_evidence(
    *,
    evidence_request: EvidenceRequest,
    actor: Actor,
    answer: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> EvidenceRequest:
    """The asked side answers; the answer and files land on the dispute's timeline."""
    now = now or timezone.now()
    if not answer.strip() and not files:
        raise InvalidInput(_("Write an answer or attach evidence."))
    current = EvidenceRequest.objects.select_for_update().get(pk=evidence_request.pk)
    dispute = _lock_open_dispute(current.dispute)
    if current.answered_at is not None:
        raise StaleAction(_("This request for evidence has already been answered."))
    if now > current.due_at:
        raise InvalidInput(_("The deadline for this evidence has passed."))
    record_activity(
        dispute.request,
        actor=actor,
        roles=frozenset({Role(current.party)}),
        action="provide_evidence",
        note=answer,
        files=files,
        notify=[Role.STAFF],
        now=now,
    )
    current.answer = answer
    current.answered_at = now
    current.save(update_fields=["answer", "answered_at"])
    return current


# --- complaints (维权) ---------------------------------------------------------------------------


@transaction.atomic
def file_complaint(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    reason: str,
    description: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> Complaint:
    """The buyer complains about the shop once the request is finished; one open at a time."""
    now = now or timezone.now()
    if reason not in Complaint.Reason.values:
        raise InvalidInput(_("Choose a reason from the list."))
    if not description.strip():
        raise InvalidInput(_("Describe what went wrong."))
    request = AfterSalesRequest.objects.select_for_update().get(pk=request.pk)
    if request.is_open:
        raise StaleAction(_("You can complain about the shop once the request is finished."))
    if Complaint.objects.filter(request=request).exclude(status=Complaint.Status.RESOLVED).exists():
        raise StaleAction(_("A complaint about this request is already being handled."))
    record_activity(
        request,
        actor=actor,
        roles=BUYER,
        action="complain",
        note=description,
        files=files,
        notify=[Role.STAFF],
        now=now,
    )
    return Complaint.objects.create(
        request=request,
        buyer=actor,
        shop=request.shop,
        reason=reason,
        description=description,
        created_at=now,
    )


@transaction.atomic
def investigate_complaint(*, complaint: Complaint, actor: Actor) -> Complaint:
    complaint = _lock_complaint(complaint, actor, Complaint.Status.OPEN)
    complaint.status = Complaint.Status.INVESTIGATING
    complaint.handled_by = actor
    complaint.save(update_fields=["status", "handled_by"])
    return complaint


@transaction.atomic
def resolve_complaint(
    *, complaint: Complaint, actor: Actor, result: str, now: datetime | None = None
) -> Complaint:
    """Close the complaint with a written result, which the buyer reads in the portal."""
    if not result.strip():
        raise InvalidInput(_("Write the result for the buyer."))
    complaint = _lock_complaint(complaint, actor, Complaint.Status.INVESTIGATING)
    complaint.status = Complaint.Status.RESOLVED
    complaint.result = result
    complaint.handled_by = actor
    complaint.resolved_at = now or timezone.now()
    complaint.save(update_fields=["status", "result", "handled_by", "resolved_at"])
    return complaint


def _lock_complaint(complaint: Complaint, actor: Actor, expected: str) -> Complaint:
    from aftersales.actors import is_arbitrator
    from aftersales.errors import ActionNotAllowed

    if not is_arbitrator(actor):
        raise ActionNotAllowed()
    current = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if current.status != expected:
        raise StaleAction()
    return current
