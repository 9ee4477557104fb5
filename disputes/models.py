"""The staff workflow around a dispute: requests for more evidence, and complaints (维权)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.models import AfterSalesRequest, Dispute, Role


class EvidenceRequest(models.Model):
    """Staff ask one side for more evidence (补充凭证), with a deadline."""

    dispute = models.ForeignKey(
        Dispute,
        verbose_name=_("dispute"),
        on_delete=models.CASCADE,
        related_name="evidence_requests",
    )
    party = models.CharField(
        _("asked"),
        max_length=10,
        choices=[(Role.BUYER.value, Role.BUYER.label), (Role.SELLER.value, Role.SELLER.label)],
    )
    question = models.TextField(_("what is needed"), max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_at = models.DateTimeField(_("answer by"))
    answer = models.TextField(_("answer"), max_length=4000, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # Set by the dispute deadline pass (``disputes.deadlines``): the reminder a day before
    # ``due_at``, and the moment the request was closed unanswered.
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("closed unanswered"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence request")
        verbose_name_plural = _("evidence requests")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_party_display()}: {self.question[:40]}"

    @property
    def is_open(self) -> bool:
        return (
            self.answered_at is None
            and self.lapsed_at is None
            and self.dispute.status == Dispute.Status.OPEN
        )


class Complaint(models.Model):
    """维权 / 举报: a buyer's complaint against a shop about a finished request."""

    class Reason(models.TextChoices):
        BAD_SERVICE = "bad_service", _("Rude or unhelpful after-sales service")
        BROKEN_PROMISE = "broken_promise", _("The seller did not do what was agreed")
        COUNTERFEIT = "counterfeit", _("Counterfeit or unsafe goods")
        FALSE_ADVERTISING = "false_advertising", _("False advertising")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("received")
        INVESTIGATING = "investigating", _("being investigated")
        RESOLVED = "resolved", _("resolved")

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    shop = models.ForeignKey(
        "orders.Shop", verbose_name=_("shop"), on_delete=models.PROTECT, related_name="complaints"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("description"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN
    )
    result = models.TextField(_("result"), max_length=4000, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("filed"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the staff queue, newest first: all of it, or one status
            models.Index(fields=["-created_at", "-id"], name="complaint_queue"),
            models.Index(fields=["status", "-created_at", "-id"], name="complaint_queue_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=~Q(status="resolved"),
                name="one_open_complaint_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.shop} · {self.get_reason_display()}"
