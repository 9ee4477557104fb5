"""The demo's faster resolution (issue 15): the seller's shop with its automation rules
switched on, and the main buyer's standing (trusted: 极速退款).

Written after the scenarios have played, so that the rules and the standing do not change how
the demo's requests got where they are; from then on they act on what happens live (a new
refund-only on an unshipped order, a return parcel the simulated tracker signs for).
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from aftersales import trust
from aftersales.models import AutomationRule, BuyerStanding, Kind, Reason, TrustLevel
from orders.models import Order, OrderItem, Shop

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


def past_purchases(buyer, shops: list[Shop], *, now: datetime, count: int = 40) -> None:
    """The main buyer's history before the demo's two months: everyday purchases over the
    last two years, all delivered long ago and none returned. A buyer with such a history is
    what the trust levels reward (``aftersales.trust``). Drawn from a generator of its own, so
    the rest of the marketplace stays as it was."""
    rng = random.Random("demo-history")
    # Where the buyer lives and what each shop gives, as on the buyer's recent orders there.
    recent = {order.shop_id: order for order in Order.objects.filter(buyer=buyer)}
    orders, items = [], []
    for index in range(count):
        shop = shops[index % len(shops)]
        like = recent.get(shop.pk) or next(iter(recent.values()))
        paid_at = now - timedelta(days=rng.uniform(70, 720))
        order = Order(
            number=f"H{timezone.localtime(paid_at):%y%m%d}{rng.randrange(10**10, 10**11)}",
            buyer=buyer,
            shop=shop,
            payment_method=Order.PaymentMethod.ALIPAY,
            shipping_address=like.shipping_address,
            region=like.region,
            # 退货宝 comes with every order of the shop that gives it
            return_insurance=(
                Order.Insurance.SHOP_GIFT
                if like.return_insurance == Order.Insurance.SHOP_GIFT
                else ""
            ),
            paid_at=paid_at,
        )
        orders.append(order)
        price = Decimal(rng.choice(["19.90", "39.00", "59.00", "88.00", "129.00"]))
        shipped_at = paid_at + timedelta(hours=rng.uniform(8, 40))
        items.append(
            OrderItem(
                order=order,
                title=rng.choice(HISTORY_TITLES),
                sku="",
                unit_price=price,
                quantity=1,
                amount_paid=price,
                shipped_at=shipped_at,
                delivered_at=shipped_at + timedelta(hours=rng.uniform(20, 72)),
            )
        )
    Order.objects.bulk_create(orders)
    OrderItem.objects.bulk_create(items)


# What the main buyer bought before: the kind of things anyone buys every month.
HISTORY_TITLES = ("抽纸 24 包", "洗衣凝珠 52 颗", "手机壳", "保温杯 500ml", "帆布袋", "牙刷 4 支装")


def standings(buyers, *, now: datetime) -> list[BuyerStanding]:
    """Every demo buyer's standing, computed from their history as the platform does."""
    return trust.refresh_standings([buyer.pk for buyer in buyers], now=now)
