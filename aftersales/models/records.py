"""What hangs off a request: its event log, messages, evidence, shipments, proposals, the
notifications about it, and files waiting for a form to come back."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .request import ZERO, AfterSalesRequest
from .vocabulary import (
    Action,
    Carrier,
    Kind,
    LabelledChoices,
    RejectionReason,
    Role,
    ShipmentPurpose,
    State,
)


class RequestEvent(LabelledChoices, models.Model):
    """Append-only log of every transition: who did what, from which state to which."""

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_role = models.CharField(_("by"), max_length=10, choices=Role.choices)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    # The shop's automation rule the system applied, if a rule took this step (issue 15).
    rule = models.ForeignKey(
        "aftersales.AutomationRule",
        verbose_name=_("automation rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    created_at = models.DateTimeField(
        _("time"), default=timezone.now, editable=False, db_index=True
    )

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["created_at", "pk"]
        indexes = [
            # What the shops' rules did lately: the seller dashboard's "handled by your rules
            # this week" (``aftersales.rules.handled_since``).
            models.Index(
                fields=["rule", "created_at"],
                condition=Q(rule__isnull=False),
                name="event_by_rule_recent",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=Action.values), name="event_action_in_vocabulary"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Request events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Request events are append-only.")

    @property
    def action_label(self) -> str:
        """What happened, in the words of the request's kind ("sent the item for repair"); an
        automatic step says why it happened by itself."""
        return self.request.words("action", self.action, role=self.actor_role, rule=self.rule_name)

    @property
    def rule_name(self) -> str:
        """The name of the shop's automation rule that took this step, if one did."""
        return self.rule.name if self.rule_id else ""

    @property
    def to_state_label(self) -> str:
        return self.request.words("state", self.to_state)


class Message(models.Model):
    """The negotiation thread (协商历史) between buyer, seller and platform."""

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_role = models.CharField(_("by"), max_length=10, choices=Role.choices)
    body = models.TextField(_("message"), max_length=2000)
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    # When the other party (the shop for a buyer's message, the buyer for the shop's) first
    # had it in front of them: the read receipt (已读). Staff messages get none.
    read_at = models.DateTimeField(_("read"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:50]


def evidence_path(instance: "Evidence", filename: str) -> str:
    return f"evidence/{instance.request_id}/{filename}"


class Evidence(models.Model):
    """A photo or video. Stored outside any public URL; served by access-checked views."""

    class MediaType(models.TextChoices):
        PHOTO = "photo", _("photo")
        VIDEO = "video", _("video")

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploader_role = models.CharField(_("by"), max_length=10, choices=Role.choices)
    # What the file was attached to: the transition it came with, or a message.
    event = models.ForeignKey(
        RequestEvent,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    media_type = models.CharField(_("type"), max_length=10, choices=MediaType.choices)
    file = models.FileField(_("file"), upload_to=evidence_path)
    thumbnail = models.FileField(_("thumbnail"), upload_to=evidence_path, blank=True)
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Shipment(LabelledChoices, models.Model):
    Purpose = ShipmentPurpose

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="shipments",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    carrier = models.CharField(_("carrier"), max_length=10, choices=Carrier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    shipping_fee = models.DecimalField(
        _("shipping fee claimed"),
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        help_text=_("Return shipping the buyer paid and the seller reimburses."),
    )
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shipped by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    shipped_at = models.DateTimeField(_("shipped"), default=timezone.now, editable=False)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    # What the carrier's trace said (``trace``, issue 15): copied here when it happens, so that
    # the deadlines and the pages need not read the trace.
    picked_up_at = models.DateTimeField(_("picked up by the carrier"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["shipped_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="shipping_fee_not_negative"
            )
        ]
        indexes = [
            # The parcels the per-minute tracking pull asks about (``parcel_watch``), and the
            # parcel a tracking service's push names.
            models.Index(
                fields=["shipped_at"],
                condition=Q(signed_at__isnull=True, received_at__isnull=True),
                name="parcels_moving",
            ),
            models.Index(fields=["tracking_number", "carrier"], name="parcel_by_tracking_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_number}"

    @property
    def purpose_label(self) -> str:
        return self.request.words("purpose", self.purpose)


class TrackingEvent(LabelledChoices, models.Model):
    """One line of a parcel's trace, as the carrier-tracking provider reported it (pulled from
    the simulated provider, or pushed by a real tracking service). ``external_id`` is the
    provider's id for the line: the same line reported twice is stored once."""

    class Status(models.TextChoices):
        PICKED_UP = "picked_up", _("picked up by the carrier")
        IN_TRANSIT = "in_transit", _("in transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
        SIGNED = "signed", _("signed for")

    class Source(models.TextChoices):
        SIMULATED = "simulated", _("simulated provider")
        PUSH = "push", _("pushed by the tracking service")

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="trace"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    happened_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    external_id = models.CharField(_("provider's id"), max_length=100)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["happened_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "external_id"], name="tracking_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {timezone.localtime(self.happened_at):%Y-%m-%d %H:%M}"


class Proposal(LabelledChoices, models.Model):
    """A seller's counter-offer (协商方案). Versioned: each new offer is a new row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the buyer")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        LAPSED = "lapsed", _("lapsed")

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="proposals",
    )
    version = models.PositiveSmallIntegerField(_("version"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(
        _("solution"),
        max_length=20,
        choices=Kind.choices,
        help_text=_("Refund only means the buyer keeps the goods."),
    )
    refund_amount = models.DecimalField(
        _("refund amount"), max_digits=12, decimal_places=2, default=ZERO
    )
    compensation_amount = models.DecimalField(
        _("compensation"), max_digits=12, decimal_places=2, default=ZERO
    )
    repair_fee = models.DecimalField(
        _("repair fee"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_("For a repair outside the warranty: what the buyer pays for it."),
    )
    note = models.TextField(_("explanation"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now, editable=False)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["request", "version"], name="unique_proposal_version"),
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0)
                & Q(compensation_amount__gte=0)
                & Q(repair_fee__gte=0),
                name="proposal_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.get_kind_display()}"


def pending_upload_path(instance: "PendingUpload", filename: str) -> str:
    return f"pending/{instance.owner_id}/{filename}"


class PendingUpload(models.Model):
    """A checked file waiting for its form to be submitted again.

    When a form comes back with an error, the files that passed are kept here, so the user does
    not have to choose them again. Only their owner can see or use them; they become evidence
    when the form succeeds and are deleted then, or by the daily clean-up.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    media_type = models.CharField(max_length=10, choices=Evidence.MediaType.choices)
    file = models.FileField(upload_to=pending_upload_path)
    thumbnail = models.FileField(upload_to=pending_upload_path, blank=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class Notification(LabelledChoices, models.Model):
    """An entry in a user's notification centre (消息中心).

    The text is not stored: it is rendered from the request and event in the reader's
    language when shown, so a switch of language translates old notifications too.
    """

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("update")
        REMINDER = "reminder", _("reminder")
        # Reminders of a dispute's deadlines (``disputes.deadlines``): the platform's request
        # for evidence, and the seller's answer to the dispute.
        EVIDENCE_DUE = "evidence_due", _("evidence due")
        ANSWER_DUE = "answer_due", _("dispute answer due")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        RequestEvent, verbose_name=_("event"), on_delete=models.CASCADE, null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Which side the recipient is on, so the link opens the buyer's or the seller's page.
    audience = models.CharField(max_length=10, choices=Role.choices)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail that goes with it: owed while ``email_pending`` (set when the recipient has an
    # address), sent once by whichever task claims the row first (``aftersales.notifications``).
    email_pending = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="unread_notifications"
            ),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_pending=True),
                name="notifications_owing_mail",
            ),
        ]
        constraints = [
            # Exactly once, whatever the tasks do: one notice of an event per person, one
            # reminder of a deadline per person.
            models.UniqueConstraint(
                fields=["event", "recipient"],
                condition=Q(kind="transition"),
                name="one_notification_per_event_and_recipient",
            ),
            models.UniqueConstraint(
                fields=["request", "recipient", "due_at"],
                condition=Q(kind="reminder"),
                name="one_reminder_per_deadline_and_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.request_id} → {self.recipient}"
