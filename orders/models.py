"""Shops, their members, and the orders buyers placed with them.

There is no checkout: orders arrive through the admin, ``import_orders`` and ``load_demo``.
Titles, SKUs and prices on an order item are snapshots taken when the order was paid, so an
after-sales request always refers to what the buyer actually bought.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

WINDOWS = settings.AFTERSALES_WINDOWS


class Shop(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    # After-sales policy (SPEC §5): a shop may lengthen the platform's windows, never shorten.
    no_reason_return_days = models.PositiveSmallIntegerField(
        _("no-reason return window (days)"),
        default=WINDOWS["no_reason_return_days"],
        validators=[MinValueValidator(WINDOWS["no_reason_return_days"])],
        help_text=_("Days after delivery in which a buyer may return goods without a reason."),
    )
    seller_fault_return_days = models.PositiveSmallIntegerField(
        _("quality return / exchange window (days)"),
        default=WINDOWS["seller_fault_return_days"],
        validators=[MinValueValidator(WINDOWS["seller_fault_return_days"])],
        help_text=_("Days after delivery for returns and exchanges the seller is responsible for."),
    )
    warranty_days = models.PositiveSmallIntegerField(
        _("warranty (days)"),
        default=WINDOWS["warranty_days"],
        validators=[MinValueValidator(WINDOWS["warranty_days"])],
    )
    pays_no_reason_return_shipping = models.BooleanField(
        _("shop pays return shipping for no-reason returns"),
        default=False,
        help_text=_(
            "Like return-shipping insurance: the buyer is reimbursed even without a fault."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(no_reason_return_days__gte=WINDOWS["no_reason_return_days"])
                & Q(seller_fault_return_days__gte=WINDOWS["seller_fault_return_days"])
                & Q(warranty_days__gte=WINDOWS["warranty_days"]),
                name="shop_windows_not_below_platform",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def default_return_address(self) -> "ReturnAddress | None":
        """Read once per shop object (the deadline sweep shares one across a batch)."""
        return self.return_addresses.filter(is_default=True).first()

    @cached_property
    def repair_point(self) -> "ReturnAddress | None":
        """指定维修点: where repairs go, when the shop keeps such an address."""
        return self.return_addresses.filter(purpose=ReturnAddress.Purpose.REPAIR).first()

    def destination(self, *, repair: bool) -> "ReturnAddress | None":
        """Where goods coming back go unless the seller picks another address: a repair to the
        repair point if the shop has one, everything else to the default return address."""
        return (repair and self.repair_point) or self.default_return_address

    def addresses_for(self, *, repair: bool) -> "models.QuerySet[ReturnAddress]":
        """The addresses a seller may send goods coming back to: for a repair its repair points
        (its return addresses while it has none), for anything else its return addresses."""
        addresses = self.return_addresses.all()
        if repair and self.repair_point is not None:
            return addresses.filter(purpose=ReturnAddress.Purpose.REPAIR)
        return addresses.filter(purpose=ReturnAddress.Purpose.RETURN)


class ReturnAddress(models.Model):
    """An address of the shop's where buyers send goods: a return address (退货地址) or a
    designated repair point (指定维修点), which repairs go to."""

    class Purpose(models.TextChoices):
        RETURN = "return", _("returns")
        REPAIR = "repair", _("repairs (repair point)")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="return_addresses"
    )
    purpose = models.CharField(
        _("for"), max_length=10, choices=Purpose.choices, default=Purpose.RETURN
    )
    recipient = models.CharField(_("recipient"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30)
    address = models.CharField(_("address"), max_length=255)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("return address")
        verbose_name_plural = _("return addresses")
        ordering = ["-is_default", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop"], condition=Q(is_default=True), name="one_default_return_address"
            ),
            # The default is the return address automatic approvals use, never a repair point.
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(purpose="return"),
                name="default_address_is_for_returns",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.phone} {self.address}"


class ShopMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        AGENT = "agent", _("customer service agent")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="shop_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AGENT)

    class Meta:
        verbose_name = _("shop member")
        verbose_name_plural = _("shop members")
        constraints = [models.UniqueConstraint(fields=["shop", "user"], name="unique_shop_member")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"


class Region(models.TextChoices):
    """The buyer's region, as return-shipping insurance prices a claim
    (``settings.RETURN_INSURANCE_CLAIMS``)."""

    EAST = "east", _("East China")
    NORTH = "north", _("North China")
    SOUTH = "south", _("South China")
    CENTRAL = "central", _("Central China")
    SOUTHWEST = "southwest", _("Southwest China")
    NORTHWEST = "northwest", _("Northwest China")
    NORTHEAST = "northeast", _("Northeast China")
    REMOTE = "remote", _("Remote areas (Xinjiang, Tibet)")


class Insurance(models.TextChoices):
    BOUGHT = "bought", _("bought by the buyer")
    SHOP_GIFT = "shop_gift", _("given by the shop (退货宝)")


class Order(models.Model):
    Region = Region
    Insurance = Insurance

    class PaymentMethod(models.TextChoices):
        ALIPAY = "alipay", _("Alipay")
        WECHAT = "wechat", _("WeChat Pay")
        CARD = "card", _("bank card")
        HUABEI = "huabei", _("Huabei")

        @property
        def refund_days(self) -> int:
            """How many days a refund usually takes to reach this method once it is made:
            what the buyer is told while the payout is pending."""
            return 5 if self is Order.PaymentMethod.CARD else 1

    number = models.CharField(_("order number"), max_length=32, unique=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="orders"
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices
    )
    shipping_address = models.CharField(_("shipping address"), max_length=255, blank=True)
    region = models.CharField(
        _("region"),
        max_length=10,
        choices=Region.choices,
        blank=True,
        db_default="",
        help_text=_("Where the buyer lives: what a return-shipping insurance claim pays."),
    )
    # 退货运费险: bought by the buyer at checkout, or given by the shop (退货宝).
    return_insurance = models.CharField(
        _("return-shipping insurance"),
        max_length=10,
        choices=Insurance.choices,
        blank=True,
        db_default="",
    )
    paid_at = models.DateTimeField(_("paid"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-paid_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-paid_at", "-id"], name="order_buyer_list"),
            models.Index(fields=["shop", "-paid_at"]),
        ]

    def __str__(self) -> str:
        return self.number


class OrderItem(models.Model):
    """One line of an order. Items ship separately (拆单发货), so shipping is tracked here.

    ``refunded_amount`` is the running total of refund ledger rows for this item. The check
    constraint makes the database refuse any refund that would exceed what was paid, also when
    two refunds race: both update this one row, so the second waits for the first and then
    fails the check.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items"
    )
    title = models.CharField(_("title"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=200, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    amount_paid = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_positive"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="item_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount_paid")),
                name="item_refunds_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True) | Q(shipped_at__isnull=False),
                name="item_delivered_after_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} × {self.quantity}"

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount_paid - self.refunded_amount

    @property
    def shipping_status(self) -> str:
        if self.delivered_at:
            return _("delivered")
        if self.shipped_at:
            return _("shipped")
        return _("not shipped")


class Preferences(models.Model):
    """What a user chose for themselves: the language their e-mails are written in.

    Set when they switch the site's language and when they sign in (from the language the
    site was shown in); a user without a row gets ``settings.LANGUAGE_CODE``
    (:mod:`orders.preferences`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
