"""The staff workflow around a dispute (SPEC §1 platform staff): the seller's answer, requests
for more evidence and their answers, and complaints about a shop (维权).

Escalation and rulings move the request, so they are the request's own transitions in
:mod:`aftersales.services`; everything here is logged on the same timeline through
:func:`aftersales.services.record_activity` without moving it.
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.actors import Actor, is_arbitrator
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.evidence import PreparedFile
from aftersales.models import Action, AfterSalesRequest, Dispute, Role
from aftersales.services import record_activity

from .models import Complaint, EvidenceRequest

SELLER = frozenset({Role.SELLER})
BUYER = frozenset({Role.BUYER})
STAFF = frozenset({Role.STAFF})


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
        action=Action.ANSWER_DISPUTE,
        note=statement,
        files=files,
        notify=[Role.STAFF],
        now=now,
    )
    dispute.seller_statement = statement
    dispute.seller_answered_at = now
    dispute.save(update_fields=["seller_statement", "seller_answered_at"])
    _count_as_first_response(dispute.request_id, role=Role.SELLER, now=now)
    return dispute


def _count_as_first_response(request_id: int, *, role: str, now: datetime) -> None:
    """A seller who speaks first to the platform (the system had acted for them until then)
    has responded: the shop's first-response score counts it, as it counts their first
    transition (set by ``aftersales.services.core.advance``). The row is locked already."""
    if role == Role.SELLER:
        AfterSalesRequest.objects.filter(pk=request_id, first_response_at__isnull=True).update(
            first_response_at=now
        )


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
        action=Action.REQUEST_EVIDENCE,
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
        action=Action.PROVIDE_EVIDENCE,
        note=answer,
        files=files,
        notify=[Role.STAFF],
        now=now,
    )
    current.answer = answer
    current.answered_at = now
    current.save(update_fields=["answer", "answered_at"])
    _count_as_first_response(dispute.request_id, role=current.party, now=now)
    return current


# --- complaints (维权) ---------------------------------------------------------------------------

COMPLAIN_ONCE_FINISHED = _("You can complain about the shop once the request is finished.")


def may_complain(request: AfterSalesRequest) -> bool:
    """A complaint is about how a request ended, so it waits until the request has."""
    return not request.is_open


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
    if not may_complain(request):
        raise StaleAction(COMPLAIN_ONCE_FINISHED)
    if Complaint.objects.filter(request=request).exclude(status=Complaint.Status.RESOLVED).exists():
        raise StaleAction(_("A complaint about this request is already being handled."))
    record_activity(
        request,
        actor=actor,
        roles=BUYER,
        action=Action.COMPLAIN,
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
def investigate_complaint(
    *, complaint: Complaint, actor: Actor, now: datetime | None = None
) -> Complaint:
    """Staff take the complaint up; the request's timeline says so and the buyer is told."""
    complaint = _lock_complaint(complaint, actor, Complaint.Status.OPEN)
    record_activity(
        complaint.request,
        actor=actor,
        roles=STAFF,
        action=Action.INVESTIGATE_COMPLAINT,
        notify=[Role.BUYER],
        now=now or timezone.now(),
    )
    complaint.status = Complaint.Status.INVESTIGATING
    complaint.handled_by = actor
    complaint.save(update_fields=["status", "handled_by"])
    return complaint


@transaction.atomic
def resolve_complaint(
    *, complaint: Complaint, actor: Actor, result: str, now: datetime | None = None
) -> Complaint:
    """Close the complaint with a written result, which the buyer reads in the portal; the
    timeline says it was resolved (the result itself stays between the buyer and the platform)
    and the buyer is told."""
    now = now or timezone.now()
    if not result.strip():
        raise InvalidInput(_("Write the result for the buyer."))
    complaint = _lock_complaint(complaint, actor, Complaint.Status.INVESTIGATING)
    record_activity(
        complaint.request,
        actor=actor,
        roles=STAFF,
        action=Action.RESOLVE_COMPLAINT,
        notify=[Role.BUYER],
        now=now,
    )
    complaint.status = Complaint.Status.RESOLVED
    complaint.result = result
    complaint.handled_by = actor
    complaint.resolved_at = now
    complaint.save(update_fields=["status", "result", "handled_by", "resolved_at"])
    return complaint


def _lock_complaint(complaint: Complaint, actor: Actor, expected: str) -> Complaint:
    if not is_arbitrator(actor):
        raise ActionNotAllowed()
    current = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if current.status != expected:
        raise StaleAction()
    return current
