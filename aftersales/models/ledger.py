"""The money ledger: one row per money movement (SPEC §5)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderItem

from .request import AfterSalesRequest
from .vocabulary import LabelledChoices


class LedgerEntry(LabelledChoices, models.Model):
    """One money movement. The idempotency key makes each one happen once, whatever retries."""

    class Type(models.TextChoices):
        REFUND = "refund", _("refund")
        COMPENSATION = "compensation", _("compensation")
        SHIPPING_REIMBURSEMENT = "shipping", _("shipping reimbursement")
        # The one movement the other way: the buyer pays the shop's fee for a repair after
        # the warranty, charged to the order's payment method.
        REPAIR_FEE = "repair_fee", _("repair fee charged")
        # 极速退款: the platform pays the buyer the agreed refund before the shop has the goods
        # (the same idempotency key as the refund, so the two can never both be paid) ...
        FAST_REFUND = "fast_refund", _("fast refund advanced by the platform")
        # ... and takes it from the shop once the goods are signed for,
        SHOP_SETTLEMENT = "shop_settlement", _("fast refund settled by the shop")
        # or, when the goods never arrive or fail inspection and the platform so rules, back
        # from the buyer.
        RECOVERY = "recovery", _("fast refund recovered from the buyer")
        # A shop that paid the settlement and then won the ruling gets it back from the
        # platform (the recovery from the buyer covers it).
        SETTLEMENT_RETURN = "settlement_return", _("fast refund settlement returned to the shop")
        # 退货运费险: the insurer pays the buyer's return postage.
        INSURANCE_CLAIM = "insurance_claim", _("return-shipping insurance claim")

    # Rows of these types take money from the buyer; all others pay it to them, except the
    # rows between the shop and the platform (a settlement, and its return).
    CHARGES = (Type.REPAIR_FEE, Type.RECOVERY)
    SHOP_MOVEMENTS = (Type.SHOP_SETTLEMENT, Type.SETTLEMENT_RETURN)
    # Rows that pay the buyer the request's refund: they count against the item's refund cap.
    REFUNDS = (Type.REFUND, Type.FAST_REFUND)

    class Status(models.TextChoices):
        PENDING = "pending", _("pending payout")
        PAID = "paid", _("paid")
        FAILED = "failed", _("payout failed — needs staff")

    request = models.ForeignKey(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    order_item = models.ForeignKey(
        OrderItem,
        verbose_name=_("order item"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payment_method = models.CharField(
        _("paid back to"), max_length=10, choices=Order.PaymentMethod.choices
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("payout attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # Who may try to pay the row, until when: an attempt in flight, the retry of a failed one,
    # or a task re-sent for it. Another task leaves a row with a live lease alone; once the
    # lease has expired (its worker died, its message was lost) the per-minute pass sends the
    # row again (``aftersales.payments``).
    payout_lease_until = models.DateTimeField(_("payout held until"), null=True, blank=True)

    # Only these change once the row is written; on PostgreSQL a trigger refuses the rest
    # (migration 0012_history_cannot_be_rewritten).
    PAYOUT_COLUMNS = (
        "status",
        "attempts",
        "last_error",
        "gateway_reference",
        "paid_at",
        "payout_lease_until",
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["payout_lease_until"],
                condition=Q(status="pending"),
                name="pending_payouts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ¥{self.amount}"

    @property
    def is_charge(self) -> bool:
        return self.type in self.CHARGES

    @property
    def is_shop_movement(self) -> bool:
        return self.type in self.SHOP_MOVEMENTS
