"""Customer service (在线客服) and phone call backs (电话回访): the platform's own channels
beside the request's thread between buyer and shop.

A conversation is between one person (a buyer or a seller) and the platform's support staff,
optionally about one request; a call back is asked on a request, and its number is for staff
only: the request's history says that a call back was asked and how it went, never the number.
"""

import phonenumbers
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.models import AfterSalesRequest, Dispute, Role


class Conversation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for support")
        ANSWERED = "answered", _("answered by customer service")
        CLOSED = "closed", _("closed")

    class Handover(models.TextChoices):
        DISPUTE = "dispute", _("as a dispute")
        COMPLAINT = "complaint", _("as a complaint about the shop")

    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person asking"),
        on_delete=models.PROTECT,
        related_name="support_conversations",
    )
    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="support_conversations",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    # Since when the asker waits: their first message after the last answer; none once
    # answered. The queue is ordered by it, the longest wait first.
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    # The asker has not read the latest answer yet (their list and the header say so).
    unread_by_asker = models.BooleanField(_("answer unread"), default=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Handed to the arbitrators (a dispute opened, or a complaint filed, on the request).
    handed_over = models.CharField(
        _("handed over"), max_length=10, choices=Handover.choices, blank=True
    )
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dispute = models.ForeignKey(
        Dispute,
        verbose_name=_("dispute"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    complaint = models.ForeignKey(
        "disputes.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), max_length=1000, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer-service conversation")
        verbose_name_plural = _("customer-service conversations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "waiting_since"], name="support_queue"),
            models.Index(fields=["asker", "-created_at"], name="support_by_asker"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="support_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return _("Conversation #%(id)s") % {"id": self.pk}

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT
    )
    from_support = models.BooleanField(_("from customer service"), default=False)
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("customer-service message")
        verbose_name_plural = _("customer-service messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:40]


class QuickReply(models.Model):
    """常用回复: an answer to a common question, in both languages, for support staff to send
    with one choice (edited in the admin)."""

    title = models.CharField(_("quick reply title"), max_length=80)
    text_zh = models.TextField(_("text (Chinese)"), max_length=2000)
    text_en = models.TextField(_("text (English)"), max_length=2000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> str:
        return self.text_en if language.startswith("en") else self.text_zh


class Callback(models.Model):
    """电话回访: a buyer or seller asks the platform to call them about a request."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("reached")
        NO_ANSWER = "no_answer", _("no answer")
        WRONG_NUMBER = "wrong_number", _("wrong number")

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person asking"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    asker_role = models.CharField(
        _("side"),
        max_length=10,
        choices=[(Role.BUYER.value, Role.BUYER.label), (Role.SELLER.value, Role.SELLER.label)],
    )
    # E.164 (+8613812345678): for staff only, never on the request's history or API.
    phone = models.CharField(_("phone number"), max_length=20)
    window_start = models.DateTimeField(_("call from"))
    window_end = models.DateTimeField(_("call by"))
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("call back asked at"), default=timezone.now)
    outcome = models.CharField(
        _("call outcome"), max_length=15, choices=Outcome.choices, blank=True
    )
    outcome_note = models.TextField(_("outcome note"), max_length=2000, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("called"), null=True, blank=True)

    class Meta:
        verbose_name = _("call back")
        verbose_name_plural = _("call backs")
        ordering = ["window_start", "pk"]
        indexes = [
            models.Index(fields=["window_start"], condition=Q(outcome=""), name="callback_queue")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=models.F("window_start")), name="callback_window"
            )
        ]

    def __str__(self) -> str:
        return _("Call back #%(id)s") % {"id": self.pk}

    @property
    def phone_display(self) -> str:
        """+86 138 0013 8000: for staff to dial."""
        number = phonenumbers.parse(self.phone)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
