"""Reads for the staff workflow: whom an open dispute is still waiting for."""

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from aftersales.models import Dispute

from .models import EvidenceRequest

# The seller has answered, or let the answer window pass (or was never asked: old cases).
SELLER_HAS_SPOKEN = (
    Q(seller_answered_at__isnull=False)
    | Q(seller_answer_lapsed_at__isnull=False)
    | Q(seller_answer_due_at__isnull=True)
)


def with_readiness(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Each dispute with ``awaiting_evidence`` (a request for evidence is neither answered nor
    closed unanswered) and ``ready_for_ruling``: open, the seller has spoken or let the window
    pass, and no evidence is awaited. Staff may rule at any time; this says when they need not
    wait for anyone (SPEC §4: the dispute deadlines, ``disputes.deadlines``)."""
    open_asks = EvidenceRequest.objects.filter(
        dispute=OuterRef("pk"), answered_at__isnull=True, lapsed_at__isnull=True
    )
    return disputes.annotate(awaiting_evidence=Exists(open_asks)).annotate(
        ready_for_ruling=ExpressionWrapper(
            Q(status=Dispute.Status.OPEN) & SELLER_HAS_SPOKEN & Q(awaiting_evidence=False),
            output_field=BooleanField(),
        )
    )
