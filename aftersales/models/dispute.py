"""Platform intervention (平台介入): the dispute a request enters when it is escalated, and the
staff ruling that ends it. Both are written by the request's own transitions (``escalate``,
``escalate_overdue``, ``rule``); the case file and the staff workflow around them (evidence
requests, complaints, the admin) live in the ``disputes`` app.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .request import AfterSalesRequest
from .vocabulary import LabelledChoices, Role


class Dispute(LabelledChoices, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a ruling")
        RULED = "ruled", _("ruled")

    class Reason(models.TextChoices):
        UNFAIR_REJECTION = "unfair_rejection", _("The seller rejected my request unfairly")
        UNACCEPTABLE_PROPOSAL = (
            "unacceptable_proposal",
            _("The seller's solution is not acceptable"),
        )
        DISPUTED_INSPECTION = "disputed_inspection", _("I disagree with the inspection result")
        SELLER_UNRESPONSIVE = "seller_unresponsive", _("The seller did not act in time")
        # After a fast refund the platform has paid: it steps in by itself (issue 15).
        GOODS_NEVER_ARRIVED = "goods_never_arrived", _("The returned goods never arrived")
        FAILED_AFTER_FAST_REFUND = (
            "failed_after_fast_refund",
            _("The goods failed inspection after a fast refund"),
        )
        OTHER = "other", _("Other")

        @classmethod
        def system_only(cls) -> tuple[str, ...]:
            return (cls.SELLER_UNRESPONSIVE, cls.GOODS_NEVER_ARRIVED, cls.FAILED_AFTER_FAST_REFUND)

        @classmethod
        def buyer_choices(cls) -> list[tuple[str, str]]:
            """What a buyer may give as the reason; the system alone escalates for lateness."""
            return [(r.value, r.label) for r in cls if r not in cls.system_only()]

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by (user)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_by_role = models.CharField(_("opened by"), max_length=10, choices=Role.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    buyer_statement = models.TextField(_("buyer's statement"), max_length=4000, blank=True)
    seller_statement = models.TextField(_("seller's statement"), max_length=4000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    seller_answer_due_at = models.DateTimeField(_("seller answers by"), null=True, blank=True)
    seller_answered_at = models.DateTimeField(_("seller answered"), null=True, blank=True)
    # Set by the dispute deadline pass (``disputes.deadlines``): the reminder a day before the
    # seller's answer is due, and the moment the window passed unanswered.
    seller_reminded_at = models.DateTimeField(_("seller reminded"), null=True, blank=True)
    seller_answer_lapsed_at = models.DateTimeField(
        _("seller did not answer in time"), null=True, blank=True
    )
    ruling_due_at = models.DateTimeField(_("ruling target"))

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["opened_at", "pk"]
        indexes = [
            # the staff queue (``DisputeAdmin.ordering`` and the admin's "-pk" tie-break): open
            # before ruled, the most urgent first
            models.Index(fields=["status", "ruling_due_at", "-id"], name="dispute_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="open"), name="one_open_dispute_per_request"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.request}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and timezone.now() > self.ruling_due_at

    @property
    def seller_has_spoken(self) -> bool:
        """The seller answered, or let the answer window pass: staff need not wait for them."""
        return (
            self.seller_answered_at is not None
            or self.seller_answer_lapsed_at is not None
            or self.seller_answer_due_at is None
        )

    @property
    def waiting_for_seller(self) -> bool:
        """The seller may still answer: not yet answered and inside their window."""
        return (
            self.status == self.Status.OPEN
            and self.seller_answered_at is None
            and self.seller_answer_due_at is not None
            and timezone.now() <= self.seller_answer_due_at
        )


class Ruling(LabelledChoices, models.Model):
    class Outcome(models.TextChoices):
        REFUND = "refund", _("Refund (full or partial), the buyer keeps the goods")
        RETURN_AND_REFUND = "return_and_refund", _("Return the goods, then refund")
        COMPENSATION = "compensation", _("Compensation")
        FOR_SELLER = "for_seller", _("For the seller: close the request")

    dispute = models.OneToOneField(
        Dispute, verbose_name=_("dispute"), on_delete=models.PROTECT, related_name="ruling"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    refund_amount = models.DecimalField(
        _("refund amount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    compensation_amount = models.DecimalField(
        _("compensation"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    rationale = models.TextField(_("rationale"), max_length=4000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        verbose_name = _("ruling")
        verbose_name_plural = _("rulings")
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0) & Q(compensation_amount__gte=0),
                name="ruling_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.get_outcome_display()
