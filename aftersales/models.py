"""After-sales requests and everything that hangs off them.

The request's ``state`` is a protected django-fsm field: the ``@transition`` methods below are
the only way it changes, and they only change the row. Locking, permission checks, the event
log, deadlines and side effects live in ``aftersales.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, FSMField, FSMModelMixin, transition

from orders.models import Order, OrderItem, Shop

ZERO = Decimal("0.00")


class Kind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_REFUND = "return_refund", _("Return and refund")
    EXCHANGE = "exchange", _("Exchange")
    REPAIR = "repair", _("Repair")

    @property
    def is_money(self) -> bool:
        return self in (Kind.REFUND_ONLY, Kind.RETURN_REFUND)

    @property
    def needs_goods_back(self) -> bool:
        return self is not Kind.REFUND_ONLY


class Reason(models.TextChoices):
    # 七天无理由: the buyer's own choice.
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    WRONG_SIZE = "wrong_size", _("Bought the wrong size or variant")
    # The seller is responsible.
    QUALITY_PROBLEM = "quality_problem", _("Quality problem")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("Damaged in transit")
    MISSING_PARTS = "missing_parts", _("Missing parts or accessories")
    NOT_RECEIVED = "not_received", _("Not received")

    @property
    def is_no_reason(self) -> bool:
        return self in (Reason.CHANGED_MIND, Reason.WRONG_SIZE)


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for the seller")
    NEGOTIATING = "negotiating", _("Waiting for the buyer to answer the proposal")
    REJECTED = "rejected", _("Rejected by the seller")
    AWAITING_RETURN = "awaiting_return", _("Waiting for the buyer to ship back")
    RETURN_SHIPPED = "return_shipped", _("Waiting for the seller to confirm receipt")
    INSPECTING = "inspecting", _("Seller inspecting")
    REPAIRING = "repairing", _("Being repaired")
    REPLACEMENT_SHIPPED = "replacement_shipped", _("Replacement on its way")
    REPAIR_SHIPPED = "repair_shipped", _("Repaired item on its way")
    DISPUTED = "disputed", _("Platform intervening")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchange completed")
    REPAIRED = "repaired", _("Repair completed")
    CLOSED = "closed", _("Closed")


TERMINAL_STATES = (State.REFUNDED, State.EXCHANGED, State.REPAIRED, State.CLOSED)
OPEN_STATES = tuple(s for s in State if s not in TERMINAL_STATES)
WITHDRAWABLE_STATES = tuple(s for s in OPEN_STATES if s != State.DISPUTED)


class CloseReason(models.TextChoices):
    WITHDRAWN = "withdrawn", _("Withdrawn by the buyer")
    TIMED_OUT = "timed_out", _("Timed out")
    RULED_FOR_SELLER = "ruled_for_seller", _("Platform ruled for the seller")


class DueAction(models.TextChoices):
    """What the deadline sweep does when ``due_at`` passes (SPEC §4)."""

    AUTO_APPROVE = "auto_approve", _("approved automatically")
    CLOSE = "close", _("closed automatically")
    AUTO_REFUND = "auto_refund", _("refunded automatically")
    PASS_INSPECTION = "pass_inspection", _("inspection deemed passed")
    ESCALATE = "escalate", _("handed to the platform")
    CONFIRM_RECEIPT = "confirm_receipt", _("receipt confirmed automatically")


class RejectionReason(models.TextChoices):
    """Why a seller refuses a request or fails the inspection of returned goods."""

    USED = "used", _("The goods were used or damaged after delivery")
    INCOMPLETE = "incomplete", _("Parts, tags or packaging are missing")
    OUTSIDE_POLICY = "outside_policy", _("Outside the shop's after-sales policy")
    NO_EVIDENCE = "no_evidence", _("The evidence does not show the problem")
    NOT_OUR_ITEM = "not_our_item", _("The returned item is not the one we sold")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    BUYER = "buyer", _("buyer")
    SELLER = "seller", _("seller")
    STAFF = "staff", _("platform")
    SYSTEM = "system", _("system")


# Who must act next in each open state (SPEC §4): they get the reminders and notifications.
NEXT_ACTOR: dict[str, Role] = {
    State.SUBMITTED: Role.SELLER,
    State.NEGOTIATING: Role.BUYER,
    State.REJECTED: Role.BUYER,
    State.AWAITING_RETURN: Role.BUYER,
    State.RETURN_SHIPPED: Role.SELLER,
    State.INSPECTING: Role.SELLER,
    State.REPAIRING: Role.SELLER,
    State.REPLACEMENT_SHIPPED: Role.BUYER,
    State.REPAIR_SHIPPED: Role.BUYER,
    State.DISPUTED: Role.STAFF,
}


class Carrier(models.TextChoices):
    SF = "sf", _("SF Express")
    JD = "jd", _("JD Logistics")
    EMS = "ems", _("China Post EMS")
    ZTO = "zto", _("ZTO Express")
    YTO = "yto", _("YTO Express")
    STO = "sto", _("STO Express")
    YUNDA = "yunda", _("Yunda Express")


class AfterSalesRequest(FSMModelMixin, models.Model):
    order_item = models.ForeignKey(
        OrderItem,
        verbose_name=_("order item"),
        on_delete=models.PROTECT,
        related_name="aftersales_requests",
    )
    # Copied from the order so that the buyer's and the seller's queues are one indexed query.
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="aftersales_requests"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="aftersales_requests",
    )
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="aftersales_requests"
    )

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    refund_amount = models.DecimalField(
        _("refund amount"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_(
            "What the buyer asks back; becomes the agreed amount when a proposal is accepted."
        ),
    )
    description = models.TextField(_("description"), max_length=2000)

    state = FSMField(_("state"), default=State.SUBMITTED, choices=State.choices, protected=True)
    close_reason = models.CharField(
        _("close reason"), max_length=20, choices=CloseReason.choices, blank=True
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    due_action = models.CharField(
        _("when due"), max_length=20, choices=DueAction.choices, blank=True
    )
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    return_address = models.TextField(_("return address"), blank=True)
    repair_fee = models.DecimalField(
        _("repair fee"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_("Zero for a repair under warranty; otherwise the fee the buyer accepted."),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("after-sales request")
        verbose_name_plural = _("after-sales requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"]),
            models.Index(fields=["shop", "state", "due_at"]),
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="request_due"),
        ]
        constraints = [
            # One open request per order item (SPEC §5), enforced by the database.
            models.UniqueConstraint(
                fields=["order_item"],
                condition=~Q(state__in=TERMINAL_STATES),
                name="one_open_request_per_item",
            ),
            models.CheckConstraint(condition=Q(refund_amount__gte=0), name="refund_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="request_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.order_item}"

    # --- derived facts -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    @property
    def seller_pays_return_shipping(self) -> bool:
        return not Reason(self.reason).is_no_reason or self.shop.pays_no_reason_return_shipping

    # --- conditions: pure predicates on the row ------------------------------------------

    def is_refund_only(self) -> bool:
        return self.kind == Kind.REFUND_ONLY

    def is_return_refund(self) -> bool:
        return self.kind == Kind.RETURN_REFUND

    def is_exchange(self) -> bool:
        return self.kind == Kind.EXCHANGE

    def is_repair(self) -> bool:
        return self.kind == Kind.REPAIR

    def is_not_exchange(self) -> bool:
        return self.kind != Kind.EXCHANGE

    def is_exchange_or_repair(self) -> bool:
        return self.kind in (Kind.EXCHANGE, Kind.REPAIR)

    # --- targets decided by the row -----------------------------------------------------

    def _approved_state(self, **kwargs) -> str:
        return State.AWAITING_RETURN if Kind(self.kind).needs_goods_back else State.REFUNDED

    def _inspection_passed_state(self) -> str:
        return State.REPAIRING if self.kind == Kind.REPAIR else State.REFUNDED

    def _delivered_state(self) -> str:
        return State.REPAIRED if self.kind == Kind.REPAIR else State.EXCHANGED

    def _ruled_state(self, *, outcome: str, **kwargs) -> str:
        return outcome

    # --- transitions --------------------------------------------------------------------

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=GET_STATE(_approved_state, states=[State.REFUNDED, State.AWAITING_RETURN]),
    )
    def approve(self, *, return_address: str = "") -> None:
        self.return_address = return_address

    @transition(field=state, source=State.SUBMITTED, target=State.NEGOTIATING)
    def propose(self) -> None:
        """The seller offers another solution; the proposal itself is its own row."""

    @transition(field=state, source=State.SUBMITTED, target=State.REJECTED)
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=State.NEGOTIATING,
        target=GET_STATE(_approved_state, states=[State.REFUNDED, State.AWAITING_RETURN]),
    )
    def accept_proposal(
        self,
        *,
        kind: str,
        refund_amount: Decimal,
        return_address: str = "",
        repair_fee: Decimal = ZERO,
    ) -> None:
        self.kind = kind
        self.refund_amount = refund_amount
        self.return_address = return_address
        self.repair_fee = repair_fee

    @transition(field=state, source=State.NEGOTIATING, target=State.REJECTED)
    def decline_proposal(self) -> None:
        pass

    @transition(field=state, source=State.REJECTED, target=State.SUBMITTED)
    def resubmit(
        self, *, kind: str, reason: str, quantity: int, refund_amount: Decimal, description: str
    ) -> None:
        self.kind = kind
        self.reason = reason
        self.quantity = quantity
        self.refund_amount = refund_amount
        self.description = description

    @transition(field=state, source=State.AWAITING_RETURN, target=State.RETURN_SHIPPED)
    def ship_return(self) -> None:
        pass

    @transition(field=state, source=State.RETURN_SHIPPED, target=State.INSPECTING)
    def confirm_return_received(self) -> None:
        pass

    @transition(
        field=state,
        source=State.RETURN_SHIPPED,
        target=State.REFUNDED,
        conditions=[is_return_refund],
    )
    def refund_without_receipt(self) -> None:
        """The seller let the receipt deadline pass: the buyer is refunded (SPEC §4)."""

    @transition(
        field=state,
        source=State.INSPECTING,
        target=GET_STATE(_inspection_passed_state, states=[State.REFUNDED, State.REPAIRING]),
        conditions=[is_not_exchange],
    )
    def pass_inspection(self) -> None:
        pass

    @transition(field=state, source=State.INSPECTING, target=State.REJECTED)
    def fail_inspection(self) -> None:
        pass

    @transition(
        field=state,
        source=State.INSPECTING,
        target=State.REPLACEMENT_SHIPPED,
        conditions=[is_exchange],
    )
    def ship_replacement(self) -> None:
        pass

    @transition(field=state, source=State.REPAIRING, target=State.REPAIR_SHIPPED)
    def ship_repaired(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.REPLACEMENT_SHIPPED, State.REPAIR_SHIPPED],
        target=GET_STATE(_delivered_state, states=[State.EXCHANGED, State.REPAIRED]),
    )
    def confirm_delivery(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.REJECTED, State.RETURN_SHIPPED, State.INSPECTING, State.REPAIRING],
        target=State.DISPUTED,
    )
    def escalate(self) -> None:
        pass

    @transition(
        field=state,
        source=State.DISPUTED,
        target=GET_STATE(
            _ruled_state, states=[State.REFUNDED, State.AWAITING_RETURN, State.CLOSED]
        ),
    )
    def rule(self, *, outcome: str, refund_amount: Decimal, return_address: str = "") -> None:
        """The platform's ruling: refund now, return the goods and then refund, or close."""
        if outcome == State.CLOSED:
            self.close_reason = CloseReason.RULED_FOR_SELLER
            return
        self.refund_amount = refund_amount
        if outcome == State.AWAITING_RETURN:
            self.kind = Kind.RETURN_REFUND
            self.return_address = return_address

    @transition(field=state, source=WITHDRAWABLE_STATES, target=State.CLOSED)
    def withdraw(self) -> None:
        self.close_reason = CloseReason.WITHDRAWN

    @transition(
        field=state,
        source=[State.NEGOTIATING, State.REJECTED, State.AWAITING_RETURN],
        target=State.CLOSED,
    )
    def close_for_timeout(self) -> None:
        self.close_reason = CloseReason.TIMED_OUT


class RequestEvent(models.Model):
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
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(
        _("time"), default=timezone.now, editable=False, db_index=True
    )

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Request events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Request events are append-only.")


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


class Shipment(models.Model):
    class Purpose(models.TextChoices):
        RETURN = "return", _("return to the seller")
        REPLACEMENT = "replacement", _("replacement to the buyer")
        REPAIRED = "repaired", _("repaired item to the buyer")

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

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["shipped_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="shipping_fee_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_number}"


class Proposal(models.Model):
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


class LedgerEntry(models.Model):
    """One money movement. The idempotency key makes each one happen once, whatever retries."""

    class Type(models.TextChoices):
        REFUND = "refund", _("refund")
        COMPENSATION = "compensation", _("compensation")
        SHIPPING_REIMBURSEMENT = "shipping", _("shipping reimbursement")

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

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ¥{self.amount}"


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


class Notification(models.Model):
    """An entry in a user's notification centre (消息中心).

    The text is not stored: it is rendered from the request and event in the reader's
    language when shown, so a switch of language translates old notifications too.
    """

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("update")
        REMINDER = "reminder", _("reminder")

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
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Which side the recipient is on, so the link opens the buyer's or the seller's page.
    audience = models.CharField(max_length=10, choices=Role.choices)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="unread_notifications"
            ),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.request_id} → {self.recipient}"
