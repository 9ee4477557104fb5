"""The demo's faster resolution (issue 15): the seller's shop with its automation rules
switched on, and the main buyer's standing (trusted: 极速退款).

Written after the scenarios have played, so that the rules and the standing do not change how
the demo's requests got where they are; from then on they act on what happens live (a new
refund-only on an unshipped order, a return parcel the simulated tracker signs for).
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q

from aftersales.models import (
    AfterSalesRequest,
    AutomationRule,
    BuyerStanding,
    Kind,
    Reason,
    Ruling,
    TrustLevel,
)
from orders.models import Order, Shop

NO_REASON = [reason.value for reason in Reason if reason.is_no_reason]


def switch_on_rules(shop: Shop, *, owner) -> list[AutomationRule]:
    """The rules a tea shop would write: agree at once to a refund-only on an order not yet
    shipped (up to ¥200), refund a no-reason return once its parcel is signed for (up to
    ¥300), and one rule kept switched off (trusted buyers' quality returns approved at once)."""
    Do = AutomationRule.Do
    rules = [
        AutomationRule(
            shop=shop,
            name="未发货仅退款",
            position=1,
            kinds=[Kind.REFUND_ONLY.value],
            order_shipped=False,
            amount_up_to=Decimal("200.00"),
            action=Do.APPROVE_REFUND_ONLY,
            created_by=owner,
        ),
        AutomationRule(
            shop=shop,
            name="签收即退款",
            position=2,
            kinds=[Kind.RETURN_REFUND.value],
            reasons=NO_REASON,
            amount_up_to=Decimal("300.00"),
            action=Do.REFUND_ON_SIGN_FOR,
            created_by=owner,
        ),
        AutomationRule(
            shop=shop,
            name="信誉买家质量问题退货自动同意",
            position=3,
            enabled=False,
            kinds=[Kind.RETURN_REFUND.value],
            reasons=[Reason.QUALITY_PROBLEM.value],
            amount_up_to=Decimal("500.00"),
            days_since_delivery_up_to=15,
            min_trust_level=TrustLevel.GOOD,
            action=Do.APPROVE_RETURN,
            return_address=shop.default_return_address,
            created_by=owner,
        ),
    ]
    return AutomationRule.objects.bulk_create(rules)


def standing_of(buyer, *, now: datetime, level: int) -> BuyerStanding:
    """The buyer's standing from their history: orders whose every item was delivered,
    after-sales requests filed, disputes the platform ruled for the seller, fast refunds
    whose goods never arrived (none in the demo's history)."""
    orders_completed = (
        Order.objects.filter(buyer=buyer)
        .annotate(open_items=Count("items", filter=Q(items__delivered_at__isnull=True)))
        .filter(open_items=0)
        .count()
    )
    standing, _ = BuyerStanding.objects.update_or_create(
        buyer=buyer,
        defaults={
            "level": level,
            "orders_completed": orders_completed,
            "requests_filed": AfterSalesRequest.objects.filter(buyer=buyer).count(),
            "disputes_lost": Ruling.objects.filter(
                dispute__request__buyer=buyer, outcome=Ruling.Outcome.FOR_SELLER
            ).count(),
            "fast_refunds_lost": 0,
            "computed_at": now,
        },
    )
    return standing
