"""Shops' automation rules (售后自动化, issue 15) and buyers' standing (the trust level that
fast refunds and rules read).

A rule is a set of conditions and one action; the system applies a shop's enabled rules in
``position`` order, right after the event that can make them match (a submission, a return
parcel signed for), through the same services people use (``aftersales.services.automation``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import ReturnAddress, Shop

from .vocabulary import LabelledChoices


class TrustLevel(models.IntegerChoices):
    """A buyer's standing, from their history (``aftersales.trust``)."""

    NEW = 0, _("new buyer")
    ORDINARY = 1, _("ordinary")
    GOOD = 2, _("good standing")
    EXCELLENT = 3, _("excellent")


class BuyerStanding(LabelledChoices, models.Model):
    """A buyer's trust level and the facts it was computed from, stored so that rules and the
    rule preview can filter on it (recomputed by ``aftersales.trust``)."""

    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="standing",
    )
    level = models.PositiveSmallIntegerField(
        _("trust level"), choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    orders_completed = models.PositiveIntegerField(_("orders completed"), default=0)
    requests_filed = models.PositiveIntegerField(_("after-sales requests filed"), default=0)
    disputes_lost = models.PositiveIntegerField(_("disputes lost"), default=0)
    fast_refunds_lost = models.PositiveIntegerField(
        _("fast refunds whose goods never arrived"), default=0
    )
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("buyer standing")
        verbose_name_plural = _("buyer standings")

    def __str__(self) -> str:
        return f"{self.buyer} · {self.get_level_display()}"


class AutomationRule(LabelledChoices, models.Model):
    class Do(models.TextChoices):
        APPROVE_REFUND_ONLY = "approve_refund_only", _("Agree to the refund at once")
        APPROVE_RETURN = "approve_return", _("Approve the return, to a chosen return address")
        REFUND_ON_SIGN_FOR = (
            "refund_on_sign_for",
            _("Refund when the return parcel is signed for"),
        )
        PASS_ON_SIGN_FOR = (
            "pass_on_sign_for",
            _("Pass the inspection when the return parcel is signed for"),
        )

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="automation_rules"
    )
    name = models.CharField(_("name"), max_length=60)
    # Applied in this order; the first rule that matches acts.
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("switched on"), default=True)
    # Conditions; an empty one matches anything.
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    amount_at_least = models.DecimalField(
        _("amount at least (¥)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_up_to = models.DecimalField(
        _("amount up to (¥)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    order_shipped = models.BooleanField(_("order shipped"), null=True, blank=True)
    days_since_delivery_up_to = models.PositiveSmallIntegerField(
        _("days since delivery, up to"), null=True, blank=True
    )
    min_trust_level = models.PositiveSmallIntegerField(
        _("buyer's trust level at least"), choices=TrustLevel.choices, null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=30, choices=Do.choices)
    return_address = models.ForeignKey(
        ReturnAddress,
        verbose_name=_("return address"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["shop", "position", "pk"]
        indexes = [models.Index(fields=["shop", "position"], name="rule_shop_order")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_up_to__isnull=True)
                | Q(amount_at_least__isnull=True)
                | Q(amount_at_least__lte=models.F("amount_up_to")),
                name="rule_amounts_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name
