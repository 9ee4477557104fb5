"""Who may ask for what, and until when (SPEC §3 and §5).

The platform rules, in one place:

* Before delivery only a refund (仅退款) makes sense: the buyer changed their mind, or the
  parcel never arrived.
* After delivery, no-reason requests (七天无理由) are open for the shop's no-reason window;
  requests the seller is responsible for (quality, not as described, …) for the shop's
  quality window; free repairs for the warranty period, and paid repairs after it (the shop
  quotes a fee, the buyer pays it if they accept). A shop may lengthen each window, never
  shorten it.
* One open request per item; quantities and amounts add up across requests on the item.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderItem, Shop

from .errors import Ineligible
from .models import (
    OPEN_STATES,
    AfterSalesRequest,
    Kind,
    Phrase,
    Reason,
    Replacement,
    State,
    seller_pays_return_shipping,
    worded,
)

NAME_THE_VARIANT = _("Say which size, colour or variant you want instead.")

ONE_OPEN_REQUEST = _("This item already has an after-sales request in progress.")

CENT = Decimal("0.01")

NO_REASON = (Reason.CHANGED_MIND, Reason.WRONG_SIZE)
SELLER_FAULT_WITH_GOODS = (
    Reason.QUALITY_PROBLEM,
    Reason.NOT_AS_DESCRIBED,
    Reason.WRONG_ITEM,
    Reason.DAMAGED_IN_TRANSIT,
    Reason.MISSING_PARTS,
)

# Which reasons fit which kind, once the goods were delivered.
REASONS_AFTER_DELIVERY: dict[Kind, tuple[Reason, ...]] = {
    Kind.REFUND_ONLY: (*SELLER_FAULT_WITH_GOODS, Reason.NOT_RECEIVED),
    Kind.RETURN_REFUND: (*NO_REASON, *SELLER_FAULT_WITH_GOODS),
    Kind.EXCHANGE: (Reason.WRONG_SIZE, *SELLER_FAULT_WITH_GOODS),
    Kind.REPAIR: (Reason.QUALITY_PROBLEM, Reason.DAMAGED_IN_TRANSIT),
}
REASONS_NOT_SHIPPED = NO_REASON
REASONS_IN_TRANSIT = (*NO_REASON, Reason.NOT_RECEIVED)

# 售后指导: what to describe and which evidence helps, shown as the buyer picks a reason.
GUIDANCE: dict[Reason, str] = {
    Reason.CHANGED_MIND: _(
        "No reason is needed within the no-reason window. The goods must come back unused, "
        "with tags and packaging."
    ),
    Reason.WRONG_SIZE: _("Say which size or variant you need. Keep the tags on."),
    Reason.QUALITY_PROBLEM: _(
        "Describe the fault and when it appears. Photos or a short video of the fault help most."
    ),
    Reason.NOT_AS_DESCRIBED: _(
        "Say what differs from the listing (colour, size, material, function). A photo next "
        "to the listing's picture or a tape measure helps."
    ),
    Reason.WRONG_ITEM: _(
        "Photograph the item you received and its label or SKU, so the seller can see what "
        "was sent."
    ),
    Reason.DAMAGED_IN_TRANSIT: _(
        "Photograph the outer box, the damage and the shipping label. Evidence taken at "
        "unpacking is strongest."
    ),
    Reason.MISSING_PARTS: _("List what is missing and photograph everything that was in the box."),
    Reason.NOT_RECEIVED: _(
        "Check the tracking first. Say when you last saw an update; a screenshot of the "
        "tracking page helps."
    ),
}


def guidance(reason: Reason, *, kind: Kind, shop: Shop, paid_repair: bool = False) -> str:
    """售后指导 for one reason: what to describe and which evidence helps, and, when the goods
    go back, who pays the postage under this shop's policy."""
    advice = str(GUIDANCE[reason])
    if not Kind(kind).needs_goods_back:
        return advice
    phrase = (
        Phrase.SELLER_PAYS_SHIPPING
        if seller_pays_return_shipping(reason, shop, paid_repair=paid_repair)
        else Phrase.BUYER_PAYS_SHIPPING
    )
    postage = worded("phrase", phrase, kind=kind, paid_repair=paid_repair)
    return f"{advice} {postage}"


@dataclass(frozen=True)
class ItemStanding:
    """What a buyer may do with one order item right now, for the "my orders" page."""

    kinds: tuple[Kind, ...]
    quantity_left: int
    refundable: Decimal
    why_not: str = ""
    # Every window has passed but the warranty's: a repair is still possible, paid by the buyer.
    paid_repair_only: bool = False
    # Until when each of ``kinds`` may be filed (``None``: no window runs yet, before delivery,
    # or none ends, a paid repair), and until when no reason is needed, while that is open.
    until: tuple[tuple[Kind, datetime | None], ...] = ()
    no_reason_until: datetime | None = None


def reasons_for(item: OrderItem, kind: Kind) -> tuple[Reason, ...]:
    if item.delivered_at is not None:
        return REASONS_AFTER_DELIVERY[kind]
    if kind != Kind.REFUND_ONLY:
        return ()
    return REASONS_IN_TRANSIT if item.shipped_at else REASONS_NOT_SHIPPED


def window_name(kind: Kind, reason: Reason) -> str:
    """Which window a request of this kind and reason is filed in: the name of the shop's
    policy field, which is also the platform's minimum in ``settings.AFTERSALES_WINDOWS``."""
    if kind == Kind.REPAIR:
        return "warranty_days"
    if Reason(reason).is_no_reason:
        return "no_reason_return_days"
    return "seller_fault_return_days"


def window_days(item: OrderItem, kind: Kind, reason: Reason) -> int:
    return getattr(item.order.shop, window_name(kind, reason))


def window_ends_at(item: OrderItem, kind: Kind, reason: Reason) -> datetime | None:
    """When the window for this kind and reason closes; ``None`` while there is no window yet."""
    if item.delivered_at is None:
        return None
    return item.delivered_at + timedelta(days=window_days(item, kind, reason))


def warranty_ends_at(item: OrderItem) -> datetime | None:
    return window_ends_at(item, Kind.REPAIR, Reason.QUALITY_PROBLEM)


def out_of_warranty(item: OrderItem, *, now: datetime) -> bool:
    """A repair asked for now is paid by the buyer (SPEC §5): the warranty has ended."""
    end = warranty_ends_at(item)
    return end is not None and now > end


def window_open(item: OrderItem, kind: Kind, reason: Reason, *, now: datetime) -> bool:
    """Whether a request of this kind and reason may be filed now. A repair may always be
    asked for after delivery: free within the warranty, paid after it."""
    end = window_ends_at(item, kind, reason)
    return kind == Kind.REPAIR or end is None or now <= end


def open_reasons(item: OrderItem, kind: Kind, *, now: datetime) -> tuple[Reason, ...]:
    return tuple(
        reason for reason in reasons_for(item, kind) if window_open(item, kind, reason, now=now)
    )


def open_until(item: OrderItem, kind: Kind, *, now: datetime) -> datetime | None:
    """The last moment a request of this kind may be filed, over the reasons open now;
    ``None`` before delivery (no window runs yet) and for a repair after the warranty (a paid
    repair may always be asked for)."""
    if kind == Kind.REPAIR and out_of_warranty(item, now=now):
        return None
    ends = [window_ends_at(item, kind, reason) for reason in open_reasons(item, kind, now=now)]
    return max((end for end in ends if end is not None), default=None)


def no_reason_until(item: OrderItem, *, now: datetime) -> datetime | None:
    """Until when goods may go back without a reason (七天无理由), while that is still open."""
    if Reason.CHANGED_MIND not in open_reasons(item, Kind.RETURN_REFUND, now=now):
        return None
    return window_ends_at(item, Kind.RETURN_REFUND, Reason.CHANGED_MIND)


def open_request(item: OrderItem) -> AfterSalesRequest | None:
    """The item's request in progress, if any: one at a time (SPEC §5; also a constraint)."""
    return item.aftersales_requests.filter(state__in=OPEN_STATES).first()


def units_refunded(item: OrderItem) -> int:
    """Units already refunded by earlier requests: they cannot be asked for again."""
    return (
        item.aftersales_requests.filter(state=State.REFUNDED).aggregate(n=Sum("quantity"))["n"] or 0
    )


def max_refund(item: OrderItem, *, quantity: int, quantity_left: int) -> Decimal:
    """The most a request for ``quantity`` units may ask back: those units' share of what was
    paid, never more than is still refundable. Shares round down, except for the last units,
    which round up so that no cent is left behind."""
    rounding = ROUND_UP if quantity >= quantity_left else ROUND_DOWN
    share = (item.amount_paid * quantity / item.quantity).quantize(CENT, rounding=rounding)
    return min(share, item.refundable_amount)


def standing(
    item: OrderItem,
    *,
    now: datetime,
    refunded_units: int | None = None,
    in_progress: bool = False,
) -> ItemStanding:
    """What may be filed on the item now, until when, or why nothing: the rules
    :func:`check_eligibility` applies to a submission, item by item (能申请什么，到什么时候为止，
    为什么不能). ``refunded_units`` may be passed in when the caller fetched it for many items
    at once; ``in_progress``, that the item has a request in progress (one at a time)."""
    if refunded_units is None:
        refunded_units = units_refunded(item)
    quantity_left = item.quantity - refunded_units
    refundable = item.refundable_amount
    if in_progress:
        return ItemStanding((), quantity_left, refundable, str(ONE_OPEN_REQUEST))
    kinds = tuple(kind for kind in Kind if open_reasons(item, kind, now=now))
    if not refundable and not quantity_left:
        return ItemStanding((), 0, refundable, str(_("Fully refunded.")))
    if not quantity_left or not refundable:
        kinds = tuple(k for k in kinds if not Kind(k).is_money)
    if not kinds:
        why = _("The after-sales window has passed.") if item.delivered_at else _("Fully refunded.")
        return ItemStanding((), quantity_left, refundable, str(why))
    paid_repair_only = kinds == (Kind.REPAIR,) and out_of_warranty(item, now=now)
    return ItemStanding(
        kinds,
        quantity_left,
        refundable,
        paid_repair_only=paid_repair_only,
        until=tuple((kind, open_until(item, kind, now=now)) for kind in kinds),
        no_reason_until=no_reason_until(item, now=now) if Kind.RETURN_REFUND in kinds else None,
    )


def check_eligibility(
    item: OrderItem,
    *,
    kind: str,
    reason: str,
    quantity: int,
    refund_amount: Decimal,
    now: datetime,
    replacing: AfterSalesRequest | None = None,
) -> None:
    """Raise :class:`Ineligible` with the buyer-facing reason if this request may not be filed.

    ``replacing`` is the request being revised, which does not count as another open request.
    """
    current = open_request(item)
    if current is not None and current != replacing:
        raise Ineligible(ONE_OPEN_REQUEST)

    kind, reason = Kind(kind), Reason(reason)
    if reason not in reasons_for(item, kind):
        raise Ineligible(
            _("“%(reason)s” does not apply to a “%(kind)s” request for this item.")
            % {"reason": reason.label, "kind": kind.label}
        )
    if not window_open(item, kind, reason, now=now):
        raise Ineligible(
            _("The window for this request closed %(days)s days after delivery.")
            % {"days": window_days(item, kind, reason)}
        )

    quantity_left = item.quantity - units_refunded(item)
    if quantity < 1 or quantity > quantity_left:
        raise Ineligible(
            _("You can ask for between 1 and %(left)s of this item.") % {"left": quantity_left}
        )
    if kind.is_money:
        limit = max_refund(item, quantity=quantity, quantity_left=quantity_left)
        if refund_amount <= 0 or refund_amount > limit:
            raise Ineligible(
                _("The refund must be more than ¥0.00 and at most ¥%(limit)s.") % {"limit": limit}
            )
    elif refund_amount:
        raise Ineligible(_("An exchange or repair does not refund money."))


def exchange_terms(
    kind: str, *, replacement: str, details: str, delivery_address: str, order: Order
) -> tuple[str, str, str]:
    """``(replacement, details, delivery address)`` of a request: what an exchange wants
    instead and where the replacement goes; nothing for the other kinds. An exchange that names
    nothing wants the same item again, sent to the order's shipping address. Another size,
    colour or variant must say which (:class:`Ineligible` otherwise)."""
    if kind != Kind.EXCHANGE:
        return "", "", ""
    replacement = Replacement(replacement or Replacement.SAME)
    details = details.strip()
    if replacement.needs_details and not details:
        raise Ineligible(NAME_THE_VARIANT)
    return replacement, details, delivery_address.strip() or order.shipping_address


# --- 退货运费险 (README "Return-shipping insurance"; paid by ``services.insurance``) -------------


def insurance_covers(request: AfterSalesRequest) -> bool:
    """Whether the order's return-shipping insurance (bought, or the shop's 退货宝) pays this
    request's return postage: goods going back to the shop (a return, an exchange, a repair
    under warranty). A repair after the warranty is a service the buyer buys as a whole,
    postage included (SPEC §5), so the insurance has no part in it."""
    return (
        bool(request.order.return_insurance)
        and Kind(request.kind).needs_goods_back
        and not request.buyer_pays_repair()
    )


def insurance_claim(request: AfterSalesRequest) -> Decimal:
    """What the insurer pays for the request's return postage once the parcel is signed for:
    the fixed amount for the order's region (``settings.RETURN_INSURANCE_CLAIMS``), or nothing
    when the insurance does not cover the request."""
    if not insurance_covers(request):
        return Decimal("0.00")
    claims = settings.RETURN_INSURANCE_CLAIMS
    return claims.get(request.order.region, claims[""])
