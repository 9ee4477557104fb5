"""A shop's webhook endpoints and the log of what was sent to them.

A delivery is one message (one event of one request, a message, a reminder, a test) to one
endpoint: written once (the database refuses a second row for the same endpoint and message
id, however often the announcing task runs), then attempted until the endpoint answers 2xx or
the attempts run out (:mod:`webhooks.delivery`). The row keeps the latest attempt's outcome.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.models import AfterSalesRequest
from aftersales.models.vocabulary import LabelledChoices
from orders.models import Shop


class Endpoint(LabelledChoices, models.Model):
    """Where a shop wants to hear about its requests, and which events."""

    class DisabledBecause(models.TextChoices):
        OWNER = "owner", _("turned off by the shop")
        FAILING = "failing", _("turned off: it kept failing")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    # The event type names (``webhooks.events``) the shop chose.
    event_types = models.JSONField(_("events"), default=list)
    # ``whsec_`` + base64 of the key the deliveries are signed with (Standard Webhooks).
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_because = models.CharField(
        _("disabled because"), max_length=10, choices=DisabledBecause.choices, blank=True
    )
    # Since the last delivery that went through: how many ran out of attempts, and when the
    # first attempt failed. Either one, past its limit, turns the endpoint off.
    failed_deliveries = models.PositiveIntegerField(_("failed deliveries in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class Delivery(LabelledChoices, models.Model):
    """One message to one endpoint, with the outcome of its latest attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "pending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery", "delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery", "failed")

    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # The ``webhook-id`` header: the same for every attempt, so the receiver can drop repeats.
    webhook_id = models.CharField(_("webhook id"), max_length=80)
    event_type = models.CharField(_("event"), max_length=60)
    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The JSON body exactly as sent (and signed) on every attempt.
    payload = models.TextField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # The task sending it holds the row until then; the per-minute pass leaves it alone, and
    # sends it again once the lease has expired (the task was lost, or its worker died).
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "webhook_id"], name="one_delivery_per_endpoint_and_message"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_deliveries_due",
            ),
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id} → {self.endpoint_id}"
