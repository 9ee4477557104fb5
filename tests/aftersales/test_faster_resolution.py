"""Issue 15 as a whole: a return parcel's trace, pulled from the simulated carrier, sets off
everything that follows it, in order, and with nothing stubbed: the fast refund on pickup;
on sign-for the seller's receipt deadline, the settlement with the shop, the insurance claim
and the shop's rules. Each movement is paid once, the refund cap holds, and the deadline
sweep finishes what the people leave."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from aftersales import services
from aftersales.models import (
    Action,
    AutomationRule,
    Kind,
    LedgerEntry,
    Reason,
    RequestEvent,
    Shipment,
    State,
)
from aftersales.parcel_watch import pull_traces
from aftersales.sweep import sweep
from orders.models import Order, OrderItem
from tests.aftersales.factories import TRACKING, file_request
from tests.aftersales.fast_refund_helpers import give_history

pytestmark = pytest.mark.django_db

Type = LedgerEntry.Type
HOURS = {"picked_up": 1, "in_transit": 6, "out_for_delivery": 20, "signed": 24}


@pytest.fixture(autouse=True)
def _simulated_carrier(settings):
    settings.SIMULATED_TRACKING_HOURS = HOURS
    settings.TRACKING_PROVIDER = "aftersales.tracking.SimulatedTracking"


@pytest.fixture
def insured(item):
    """The item's order carries return-shipping insurance; the buyer lives in East China
    (a ¥8 claim)."""
    Order.objects.filter(pk=item.order_id).update(
        return_insurance=Order.Insurance.BOUGHT, region=Order.Region.EAST
    )
    item.order.refresh_from_db()
    return item


@pytest.fixture
def refund_on_sign_for(shop, seller):
    """The shop's rule: a no-reason return up to ¥500 is refunded once its parcel is signed for."""
    return AutomationRule.objects.create(
        shop=shop,
        name="签收即退款",
        position=1,
        kinds=[Kind.RETURN_REFUND.value],
        reasons=[r.value for r in Reason if r.is_no_reason],
        amount_up_to=Decimal("500.00"),
        action=AutomationRule.Do.REFUND_ON_SIGN_FOR,
        created_by=seller,
    )


def shipped_back(item, seller):
    """A no-reason return the seller approved and the buyer handed to the carrier."""
    request = file_request(item, kind=Kind.RETURN_REFUND, reason=Reason.CHANGED_MIND)
    services.approve_request(request=request, actor=seller)
    services.ship_return(request=request, actor=item.order.buyer, **TRACKING)
    request.refresh_from_db()
    return request, request.shipments.get(purpose=Shipment.Purpose.RETURN)


def money(request) -> dict[str, Decimal]:
    return dict(
        LedgerEntry.objects.filter(request=request)
        .values_list("type")
        .annotate(total=Sum("amount"))
        .values_list("type", "total")
    )


def actions(request) -> list[str]:
    return list(RequestEvent.objects.filter(request=request).values_list("action", flat=True))


def test_a_trusted_buyers_insured_return_is_refunded_on_pickup_and_settled_on_sign_for(
    insured, buyer, shop, seller, refund_on_sign_for
):
    give_history(buyer, shop)
    request, parcel = shipped_back(insured, seller)
    handed_in = parcel.shipped_at

    # the carrier picks it up: the platform refunds at once
    pull_traces(now=handed_in + timedelta(hours=2))
    request.refresh_from_db()
    assert request.fast_refund_at is not None
    assert request.state == State.RETURN_SHIPPED
    assert money(request) == {Type.FAST_REFUND: request.refund_amount}
    assert request.due_action == Action.ESCALATE_UNDELIVERED

    # signed for at the shop: the shop is charged, the insurer pays the postage; the shop's
    # rule leaves alone a request the platform has refunded already
    pull_traces(now=handed_in + timedelta(hours=25))
    request.refresh_from_db()
    assert money(request) == {
        Type.FAST_REFUND: request.refund_amount,
        Type.SHOP_SETTLEMENT: request.refund_amount,
        Type.INSURANCE_CLAIM: Decimal("8.00"),
    }
    assert actions(request)[-3:] == [
        Action.PARCEL_SIGNED_FOR,
        Action.SETTLE_FAST_REFUND,
        Action.INSURANCE_CLAIM,
    ]
    assert not RequestEvent.objects.filter(request=request, rule__isnull=False).exists()
    # the seller now confirms receipt within two days of the signature
    parcel.refresh_from_db()
    assert request.due_at == parcel.signed_at + timedelta(days=2)
    assert request.due_action == Action.REFUND_WITHOUT_RECEIPT

    # the seller does nothing: the sweep ends it, and pays no second refund
    sweep(now=request.due_at + timedelta(minutes=1))
    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert money(request)[Type.FAST_REFUND] == request.refund_amount
    assert Type.REFUND not in money(request)
    assert OrderItem.objects.get(pk=insured.pk).refunded_amount == request.refund_amount


def test_an_ordinary_buyers_insured_return_is_refunded_by_the_shops_rule_on_sign_for(
    insured, buyer, seller, refund_on_sign_for
):
    request, parcel = shipped_back(insured, seller)  # no history: a new buyer, no fast refund
    handed_in = parcel.shipped_at

    pull_traces(now=handed_in + timedelta(hours=2))
    request.refresh_from_db()
    assert request.fast_refund_at is None and money(request) == {}

    pull_traces(now=handed_in + timedelta(hours=25))
    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert money(request) == {
        Type.INSURANCE_CLAIM: Decimal("8.00"),
        Type.REFUND: request.refund_amount,
    }
    by_rule = RequestEvent.objects.get(request=request, rule__isnull=False)
    assert (by_rule.action, by_rule.rule) == (Action.REFUND_ON_SIGN_FOR, refund_on_sign_for)
    assert "签收即退款" in by_rule.action_label

    # the trace goes on being pulled: nothing is paid again
    pull_traces(now=handed_in + timedelta(hours=48))
    assert money(request) == {
        Type.INSURANCE_CLAIM: Decimal("8.00"),
        Type.REFUND: request.refund_amount,
    }


def test_a_trace_pushed_and_pulled_for_the_same_parcel_pays_each_movement_once(
    insured, buyer, shop, seller, refund_on_sign_for
):
    """The pull and a tracking service's push report the same sign-for under different ids:
    the parcel is signed for once, and what that sets off happens once."""
    from aftersales.models import TrackingEvent
    from aftersales.services.tracking import record_trace
    from aftersales.tracking import TraceLine

    give_history(buyer, shop)
    request, parcel = shipped_back(insured, seller)
    now = timezone.now()
    pushed = [
        TraceLine(TrackingEvent.Status.PICKED_UP, now, "杭州", "push-1"),
        TraceLine(TrackingEvent.Status.SIGNED, now + timedelta(hours=1), "上海", "push-2"),
    ]
    record_trace(shipment=parcel, lines=pushed, source=TrackingEvent.Source.PUSH, now=now)
    pull_traces(now=parcel.shipped_at + timedelta(hours=30))

    assert money(request) == {
        Type.FAST_REFUND: request.refund_amount,
        Type.SHOP_SETTLEMENT: request.refund_amount,
        Type.INSURANCE_CLAIM: Decimal("8.00"),
    }
    assert actions(request).count(Action.PARCEL_SIGNED_FOR) == 1
