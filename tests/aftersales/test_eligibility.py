"""The eligibility answer on "my orders" (能申请什么，到什么时候为止，为什么不能) agrees with the
policy that checks a submission, on the policy tests' own cases: what ``policy.standing`` offers
is exactly what ``check_eligibility`` accepts, until the date it names and not a second later."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales import policy
from aftersales.errors import Ineligible
from aftersales.models import Kind, Reason, State
from tests.aftersales.factories import file_request, request_in
from tests.aftersales.test_policy import DAYS, SECOND
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db


def accepts(item, kind: Kind, *, now) -> bool:
    """Whether a submission of this kind, for one unit, with some reason, passes the policy."""
    quantity_left = item.quantity - policy.units_refunded(item)
    amount = Decimal("0.00")
    if kind.is_money:
        amount = (
            policy.max_refund(item, quantity=1, quantity_left=quantity_left)
            if quantity_left
            else Decimal("1.00")
        )
    for reason in Reason:
        try:
            policy.check_eligibility(
                item, kind=kind, reason=reason, quantity=1, refund_amount=amount, now=now
            )
        except Ineligible:
            continue
        return True
    return False


def answer(item, *, now):
    return policy.standing(now=now, item=item, in_progress=policy.open_request(item) is not None)


def assert_agrees(item, *, now) -> None:
    standing = answer(item, now=now)
    for kind in Kind:
        assert (kind in standing.kinds) == accepts(item, kind, now=now), (kind, now)
    if not standing.kinds:
        assert standing.why_not
    # until when: open at the date it names, closed just after (a repair never closes)
    for kind, end in standing.until:
        if end is None or kind == Kind.REPAIR:
            continue
        assert accepts(item, kind, now=end), (kind, end)
        assert not accepts(item, kind, now=end + SECOND), (kind, end)


# The moments test_policy.py checks the windows at, in days after delivery (and a second past).
MOMENTS = [
    2 * DAYS,
    7 * DAYS,
    7 * DAYS + SECOND,
    10 * DAYS,
    15 * DAYS,
    15 * DAYS + SECOND,
    100 * DAYS,
    365 * DAYS,
    365 * DAYS + SECOND,
    400 * DAYS,
]


@pytest.mark.parametrize("after", MOMENTS)
def test_a_delivered_item(item, after):
    assert_agrees(item, now=item.delivered_at + after)


@pytest.mark.parametrize("after", [7 * DAYS, 14 * DAYS, 15 * DAYS + SECOND])
def test_a_shop_that_gives_fifteen_no_reason_days(item, shop, after):
    shop.no_reason_return_days = 15
    shop.save()

    assert_agrees(item, now=item.delivered_at + after)


@pytest.mark.parametrize("trait", ["not_shipped", "in_transit"])
def test_an_item_before_delivery(trait, buyer, shop, seller):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop, **{trait: True})

    assert_agrees(item, now=timezone.now())
    assert answer(item, now=timezone.now()).until == ((Kind.REFUND_ONLY, None),)


@pytest.mark.parametrize("state", [State.SUBMITTED, State.AWAITING_RETURN, State.DISPUTED])
def test_an_item_with_a_request_in_progress_says_one_at_a_time(item, state):
    request_in(state, item)

    standing = answer(item, now=timezone.now())

    assert standing.kinds == ()
    assert standing.why_not == str(policy.ONE_OPEN_REQUEST)
    assert_agrees(item, now=timezone.now())


@pytest.mark.parametrize("finished", [State.CLOSED, State.EXCHANGED, State.REFUNDED])
def test_an_item_whose_request_is_finished(item, finished):
    request_in(finished, item)
    item.refresh_from_db()

    assert_agrees(item, now=timezone.now())


def test_a_fully_refunded_item_says_why(item, seller):
    from aftersales import services

    request = file_request(item, kind=Kind.REFUND_ONLY, quantity=2)
    services.approve_request(request=request, actor=seller)
    item.refresh_from_db()

    assert_agrees(item, now=timezone.now())
    with translation.override("en"):
        assert "refunded" in policy.standing(item, now=timezone.now()).why_not.lower()


def test_the_dates_are_the_windows_of_the_shop(item):
    now = item.delivered_at + 2 * DAYS
    standing = answer(item, now=now)

    until = dict(standing.until)
    assert until[Kind.RETURN_REFUND] == item.delivered_at + 15 * DAYS
    assert until[Kind.REPAIR] == item.delivered_at + 365 * DAYS
    assert standing.no_reason_until == item.delivered_at + 7 * DAYS
    assert answer(item, now=item.delivered_at + 8 * DAYS).no_reason_until is None


# --- on the page ---------------------------------------------------------------------------------


def test_my_orders_answers_for_each_item(client, buyer, item, settings):
    settings.LANGUAGE_CODE = "en"
    old = OrderItemFactory(
        order__buyer=buyer,
        order__shop=item.order.shop,
        shipped_at=timezone.now() - timedelta(days=402),
        delivered_at=timezone.now() - timedelta(days=400),
    )
    busy = OrderItemFactory(order__buyer=buyer, order__shop=item.order.shop)
    request_in(State.SUBMITTED, busy)
    client.force_login(buyer)

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    end = timezone.localtime(item.delivered_at + 15 * DAYS).strftime("%Y-%m-%d")
    assert f"Return and refund until {end}" in html
    no_reason = timezone.localtime(item.delivered_at + 7 * DAYS).strftime("%Y-%m-%d")
    assert f"No reason needed until {no_reason}" in html
    assert "a repair is still possible, for a fee" in html  # the old item
    assert str(policy.ONE_OPEN_REQUEST) in html  # the busy one
    assert old.pk and 'href="/help/"' in html
