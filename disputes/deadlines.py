"""A dispute's own deadlines, and what happens when they pass (SPEC §4 "evidence requests carry
their own deadline", §8 reminders). The request's deadlines are :mod:`aftersales.sweep`'s; a
disputed request has none of its own, so these are the ones that keep a dispute moving.

- A request for evidence (``EvidenceRequest.due_at``): a day before (``reminder_before``) the
  side asked is reminded. When it passes unanswered the request is closed (``lapsed_at``), the
  timeline notes that the side did not send the evidence in time, and staff are told; they
  rule on what they have.
- The seller's answer to the dispute (``Dispute.seller_answer_due_at``): a day before, the
  shop is reminded. When it passes unanswered the timeline notes that the seller did not
  answer in time (``seller_answer_lapsed_at``), staff are told, and the case shows as ready for
  a ruling once no request for evidence is open (``disputes.selectors.with_readiness``).

Nothing else changes: the request stays with the platform, which rules (a late answer is
refused by ``disputes.services`` already). A deadline met in time has no consequence.

Every step is stamped on its row in the same transaction as its effect, so a pass run twice,
or two passes at once, does everything once: each row is locked with ``SKIP LOCKED`` (a row
another pass or a person holds is left for the next pass, never waited for) and read again
under the lock.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from aftersales.actors import SYSTEM
from aftersales.models import Action, Dispute, Role
from aftersales.services import record_activity

from . import notifications
from .models import EvidenceRequest

SYSTEM_ONLY = frozenset({Role.SYSTEM})
MISSED_EVIDENCE = {
    Role.BUYER: Action.BUYER_MISSED_EVIDENCE,
    Role.SELLER: Action.SELLER_MISSED_EVIDENCE,
}


@dataclass
class DisputeSweepResult:
    lapsed: int = 0
    reminded: int = 0

    def __str__(self) -> str:
        return f"dispute deadlines passed {self.lapsed}, reminded {self.reminded}"


def sweep(*, now: datetime) -> DisputeSweepResult:
    """Apply what is due at ``now`` for every open dispute's deadlines, then remind."""
    result = DisputeSweepResult()
    for pk in list(evidence_requests_past_due(now=now).values_list("pk", flat=True)):
        result.lapsed += close_unanswered(pk, now=now)
    for pk in list(answers_past_due(now=now).values_list("pk", flat=True)):
        result.lapsed += note_missed_answer(pk, now=now)
    for pk in list(evidence_requests_to_remind(now=now).values_list("pk", flat=True)):
        result.reminded += remind_evidence(pk, now=now)
    for pk in list(answers_to_remind(now=now).values_list("pk", flat=True)):
        result.reminded += remind_answer(pk, now=now)
    return result


# --- what is due -------------------------------------------------------------------------------


def _open_evidence_requests() -> QuerySet[EvidenceRequest]:
    return EvidenceRequest.objects.filter(
        dispute__status=Dispute.Status.OPEN, answered_at__isnull=True, lapsed_at__isnull=True
    )


def _waiting_for_answers() -> QuerySet[Dispute]:
    return Dispute.objects.filter(
        status=Dispute.Status.OPEN,
        seller_answered_at__isnull=True,
        seller_answer_lapsed_at__isnull=True,
        seller_answer_due_at__isnull=False,
    )


def evidence_requests_past_due(*, now: datetime) -> QuerySet[EvidenceRequest]:
    return _open_evidence_requests().filter(due_at__lte=now)


def answers_past_due(*, now: datetime) -> QuerySet[Dispute]:
    return _waiting_for_answers().filter(seller_answer_due_at__lte=now)


def evidence_requests_to_remind(*, now: datetime) -> QuerySet[EvidenceRequest]:
    window = now + settings.AFTERSALES_DEADLINES["reminder_before"]
    return _open_evidence_requests().filter(
        reminded_at__isnull=True, due_at__gt=now, due_at__lte=window
    )


def answers_to_remind(*, now: datetime) -> QuerySet[Dispute]:
    window = now + settings.AFTERSALES_DEADLINES["reminder_before"]
    return _waiting_for_answers().filter(
        seller_reminded_at__isnull=True,
        seller_answer_due_at__gt=now,
        seller_answer_due_at__lte=window,
    )


# --- when a deadline passes --------------------------------------------------------------------


@transaction.atomic
def close_unanswered(evidence_request_id: int, *, now: datetime) -> bool:
    """Close a request for evidence nobody answered in time. False if there was nothing to do
    (answered, closed already, the dispute ruled) or another pass holds it."""
    ask = (
        evidence_requests_past_due(now=now)
        .select_related("dispute__request")
        .select_for_update(skip_locked=True, of=("self", "dispute", "dispute__request"))
        .filter(pk=evidence_request_id)
        .first()
    )
    if ask is None:
        return False
    record_activity(
        ask.dispute.request,
        actor=SYSTEM,
        roles=SYSTEM_ONLY,
        action=MISSED_EVIDENCE[Role(ask.party)],
        note=ask.question,
        notify=[Role.STAFF],
        now=now,
    )
    ask.lapsed_at = now
    ask.save(update_fields=["lapsed_at"])
    return True


@transaction.atomic
def note_missed_answer(dispute_id: int, *, now: datetime) -> bool:
    """The seller let the answer window pass: noted on the timeline, staff are told."""
    dispute = (
        answers_past_due(now=now)
        .select_related("request")
        .select_for_update(skip_locked=True, of=("self", "request"))
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        return False
    record_activity(
        dispute.request,
        actor=SYSTEM,
        roles=SYSTEM_ONLY,
        action=Action.SELLER_MISSED_ANSWER,
        notify=[Role.STAFF],
        now=now,
    )
    dispute.seller_answer_lapsed_at = now
    dispute.save(update_fields=["seller_answer_lapsed_at"])
    return True


# --- a day before ------------------------------------------------------------------------------


@transaction.atomic
def remind_evidence(evidence_request_id: int, *, now: datetime) -> bool:
    ask = (
        evidence_requests_to_remind(now=now)
        .select_related("dispute__request__order_item", "dispute__request__buyer")
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk=evidence_request_id)
        .first()
    )
    if ask is None:
        return False
    ask.reminded_at = now
    ask.save(update_fields=["reminded_at"])
    notifications.remind_of_evidence(ask)
    return True


@transaction.atomic
def remind_answer(dispute_id: int, *, now: datetime) -> bool:
    dispute = (
        answers_to_remind(now=now)
        .select_related("request__order_item")
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        return False
    dispute.seller_reminded_at = now
    dispute.save(update_fields=["seller_reminded_at"])
    notifications.remind_of_answer(dispute)
    return True
