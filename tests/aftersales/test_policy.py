"""Who may ask for what, and until when (SPEC §3, §5): windows, quantities, amounts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales import policy, services
from aftersales.errors import Ineligible
from aftersales.models import AfterSalesRequest, Kind, Reason, State
from tests.aftersales.factories import file_request, request_in
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db

DAYS = timedelta(days=1)
SECOND = timedelta(seconds=1)


def submit(item, *, kind, reason, quantity=1, refund_amount=None, now=None):
    if refund_amount is None:
        refund_amount = Decimal("100.00") * quantity if Kind(kind).is_money else Decimal("0.00")
    return services.submit_request(
        buyer=item.order.buyer,
        order_item=item,
        kind=kind,
        reason=reason,
        quantity=quantity,
        refund_amount=refund_amount,
        description="See the photos.",
        now=now,
    )


def eligible(item, *, kind, reason, now, quantity=1, refund_amount=None) -> bool:
    if refund_amount is None:
        refund_amount = Decimal("100.00") * quantity if Kind(kind).is_money else Decimal("0.00")
    try:
        policy.check_eligibility(
            item, kind=kind, reason=reason, quantity=quantity, refund_amount=refund_amount, now=now
        )
    except Ineligible:
        return False
    return True


@pytest.fixture(autouse=True)
def _english():
    """Some assertions read the English messages, whatever TEST_LANGUAGE_CODE says."""
    with translation.override("en"):
        yield


@pytest.fixture
def delivered(item):
    return item.delivered_at


# --- windows ---------------------------------------------------------------------------------


def test_no_reason_return_is_open_on_day_seven_and_closed_just_after(item, delivered):
    assert eligible(
        item, kind=Kind.RETURN_REFUND, reason=Reason.CHANGED_MIND, now=delivered + 7 * DAYS
    )
    assert not eligible(
        item,
        kind=Kind.RETURN_REFUND,
        reason=Reason.CHANGED_MIND,
        now=delivered + 7 * DAYS + SECOND,
    )


def test_no_reason_window_closed_refuses_the_submission_with_a_message(item, delivered):
    with pytest.raises(Ineligible, match="7"):
        submit(
            item,
            kind=Kind.RETURN_REFUND,
            reason=Reason.WRONG_SIZE,
            now=delivered + 8 * DAYS,
        )

    assert not AfterSalesRequest.objects.exists()


def test_no_reason_submission_on_day_seven_is_accepted(item, delivered):
    request = submit(
        item, kind=Kind.RETURN_REFUND, reason=Reason.CHANGED_MIND, now=delivered + 7 * DAYS
    )

    assert request.state == State.SUBMITTED


def test_shop_policy_of_fifteen_days_keeps_no_reason_returns_open(item, shop, delivered):
    shop.no_reason_return_days = 15
    shop.save()

    request = submit(
        item, kind=Kind.RETURN_REFUND, reason=Reason.CHANGED_MIND, now=delivered + 14 * DAYS
    )

    assert request.state == State.SUBMITTED
    assert not eligible(
        item,
        kind=Kind.RETURN_REFUND,
        reason=Reason.CHANGED_MIND,
        now=delivered + 15 * DAYS + SECOND,
    )


@pytest.mark.parametrize("kind", [Kind.RETURN_REFUND, Kind.EXCHANGE])
def test_seller_fault_return_or_exchange_has_fifteen_days(kind, item, delivered):
    assert eligible(item, kind=kind, reason=Reason.QUALITY_PROBLEM, now=delivered + 15 * DAYS)
    assert not eligible(
        item, kind=kind, reason=Reason.QUALITY_PROBLEM, now=delivered + 15 * DAYS + SECOND
    )


def test_seller_fault_return_outlives_the_no_reason_window(item, delivered):
    now = delivered + 10 * DAYS

    assert not eligible(item, kind=Kind.RETURN_REFUND, reason=Reason.CHANGED_MIND, now=now)
    assert eligible(item, kind=Kind.RETURN_REFUND, reason=Reason.NOT_AS_DESCRIBED, now=now)


def test_repair_is_free_within_the_warranty_and_paid_after_it(item, delivered):
    within, after = delivered + 365 * DAYS, delivered + 365 * DAYS + SECOND
    assert eligible(item, kind=Kind.REPAIR, reason=Reason.QUALITY_PROBLEM, now=within)
    assert not policy.out_of_warranty(item, now=within)
    # after the warranty a repair may still be asked for: the buyer pays the shop's quote
    assert eligible(item, kind=Kind.REPAIR, reason=Reason.QUALITY_PROBLEM, now=after)
    assert policy.out_of_warranty(item, now=after)


def test_repair_is_for_faults_not_a_change_of_mind(item, delivered):
    assert not eligible(item, kind=Kind.REPAIR, reason=Reason.CHANGED_MIND, now=delivered + DAYS)


@pytest.mark.parametrize("trait", ["not_shipped", "in_transit"])
def test_before_delivery_only_refund_only_is_possible(trait, buyer, shop, seller):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop, **{trait: True})
    now = timezone.now()

    assert eligible(item, kind=Kind.REFUND_ONLY, reason=Reason.CHANGED_MIND, now=now)
    for kind in (Kind.RETURN_REFUND, Kind.EXCHANGE, Kind.REPAIR):
        for reason in Reason:
            assert not eligible(item, kind=kind, reason=reason, now=now), (kind, reason)


def test_not_shipped_item_cannot_be_not_received_yet(buyer, shop, seller):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop, not_shipped=True)

    assert not eligible(item, kind=Kind.REFUND_ONLY, reason=Reason.NOT_RECEIVED, now=timezone.now())


def test_in_transit_item_can_be_refunded_as_not_received(buyer, shop, seller):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop, in_transit=True)

    assert eligible(item, kind=Kind.REFUND_ONLY, reason=Reason.NOT_RECEIVED, now=timezone.now())


def test_delivered_item_cannot_be_not_received_for_a_return(item):
    assert not eligible(
        item, kind=Kind.RETURN_REFUND, reason=Reason.NOT_RECEIVED, now=timezone.now()
    )


# --- one open request per item ---------------------------------------------------------------


def test_second_open_request_on_the_same_item_is_refused(item):
    file_request(item, kind=Kind.RETURN_REFUND)

    with pytest.raises(Ineligible):
        file_request(item, kind=Kind.REFUND_ONLY)

    assert AfterSalesRequest.objects.count() == 1


def test_second_request_refused_while_the_first_awaits_the_return(item):
    request_in(State.AWAITING_RETURN, item)

    with pytest.raises(Ineligible):
        file_request(item, kind=Kind.EXCHANGE)

    assert AfterSalesRequest.objects.count() == 1


@pytest.mark.parametrize("finished", [State.CLOSED, State.EXCHANGED, State.REPAIRED])
def test_new_request_allowed_once_the_first_is_finished(finished, item):
    request_in(finished, item)

    second = file_request(item, kind=Kind.RETURN_REFUND)

    assert second.state == State.SUBMITTED
    assert AfterSalesRequest.objects.filter(order_item=item).count() == 2


def test_requests_on_other_items_do_not_count(item, buyer, shop):
    file_request(item)
    other = OrderItemFactory(order=item.order)

    assert file_request(other).state == State.SUBMITTED


# --- quantities ------------------------------------------------------------------------------


def test_quantity_above_what_was_bought_is_refused(item):
    with pytest.raises(Ineligible):
        file_request(item, kind=Kind.EXCHANGE, quantity=3)


def test_zero_quantity_is_refused(item):
    with pytest.raises(Ineligible):
        submit(item, kind=Kind.EXCHANGE, reason=Reason.WRONG_SIZE, quantity=0)


def test_after_one_of_two_units_was_refunded_only_one_is_left(item):
    # given: one tin refunded already
    request_in(State.REFUNDED, item)  # refund-only, 1 unit, ¥100

    # then: two more are refused, one is fine
    with pytest.raises(Ineligible, match="1"):
        file_request(item, kind=Kind.RETURN_REFUND, quantity=2, refund_amount=Decimal("100.00"))
    request = file_request(item, kind=Kind.RETURN_REFUND, quantity=1)
    assert request.refund_amount == Decimal("100.00")


def test_exchanged_units_are_not_used_up(item):
    request_in(State.EXCHANGED, item)

    request = file_request(item, kind=Kind.RETURN_REFUND, quantity=2)

    assert request.quantity == 2


# --- amounts ---------------------------------------------------------------------------------


def test_refund_is_bounded_by_the_units_share_of_the_price(item):
    now = timezone.now()
    kw = {"kind": Kind.RETURN_REFUND, "reason": Reason.QUALITY_PROBLEM, "now": now}

    assert eligible(item, quantity=1, refund_amount=Decimal("100.00"), **kw)
    assert not eligible(item, quantity=1, refund_amount=Decimal("100.01"), **kw)
    assert eligible(item, quantity=2, refund_amount=Decimal("200.00"), **kw)
    assert not eligible(item, quantity=2, refund_amount=Decimal("200.01"), **kw)


def test_refund_above_the_share_is_refused_with_the_limit(item):
    with pytest.raises(Ineligible, match="100.00"):
        file_request(item, kind=Kind.REFUND_ONLY, quantity=1, refund_amount=Decimal("150.00"))

    assert not AfterSalesRequest.objects.exists()


def test_uneven_share_rounds_down_and_the_last_unit_takes_the_rest(buyer, shop, seller):
    item = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        quantity=3,
        unit_price=Decimal("33.33"),
        amount_paid=Decimal("100.00"),
    )
    now = timezone.now()
    kw = {"kind": Kind.RETURN_REFUND, "reason": Reason.QUALITY_PROBLEM, "now": now}

    assert eligible(item, quantity=1, refund_amount=Decimal("33.33"), **kw)
    assert not eligible(item, quantity=1, refund_amount=Decimal("33.34"), **kw)
    assert eligible(item, quantity=3, refund_amount=Decimal("100.00"), **kw)


@pytest.mark.parametrize("amount", ["0.00", "-0.01", "-100.00"])
def test_zero_or_negative_refund_is_refused(amount, item):
    with pytest.raises(Ineligible):
        file_request(item, kind=Kind.REFUND_ONLY, refund_amount=Decimal(amount))

    assert not AfterSalesRequest.objects.exists()


def test_exchange_or_repair_carries_no_money(item):
    # the service drops an amount that was sent along with an exchange …
    request = file_request(item, kind=Kind.EXCHANGE, refund_amount=Decimal("50.00"))
    assert request.refund_amount == Decimal("0.00")
    # … and the policy refuses one outright
    for kind in (Kind.EXCHANGE, Kind.REPAIR):
        with pytest.raises(Ineligible):
            policy.check_eligibility(
                item,
                kind=kind,
                reason=Reason.QUALITY_PROBLEM,
                quantity=1,
                refund_amount=Decimal("50.00"),
                now=timezone.now(),
                replacing=request,
            )


def test_remaining_unit_after_a_partial_refund_gets_at_most_its_share(item, buyer, seller):
    """Two ¥100 tins. The buyer kept the first with a ¥30 partial refund; returning the second
    may bring back the second tin's ¥100, not the ¥170 that is left on the item."""
    # given: a partial refund of ¥30 on one unit, goods kept
    first = file_request(item, kind=Kind.REFUND_ONLY, quantity=1)
    first = services.propose_solution(
        request=first,
        actor=seller,
        kind=Kind.REFUND_ONLY,
        refund_amount=Decimal("30.00"),
        compensation_amount=Decimal("0.00"),
        note="¥30 for the dent, keep the tin.",
    )
    services.accept_proposal(request=first, actor=buyer)

    # then: the other unit cannot ask for more than its share
    assert not eligible(
        item,
        kind=Kind.RETURN_REFUND,
        reason=Reason.QUALITY_PROBLEM,
        now=timezone.now(),
        quantity=1,
        refund_amount=Decimal("170.00"),
    )


# --- the standing shown on "my orders" --------------------------------------------------------


def test_standing_of_a_fresh_delivered_item(item):
    standing = policy.standing(item, now=timezone.now())

    assert set(standing.kinds) == set(Kind)
    assert (standing.quantity_left, standing.refundable, standing.why_not) == (
        2,
        Decimal("200.00"),
        "",
    )


def test_standing_of_an_unshipped_item_is_refund_only(buyer, shop, seller):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop, not_shipped=True)

    standing = policy.standing(item, now=timezone.now())

    assert standing.kinds == (Kind.REFUND_ONLY,)
    assert standing.why_not == ""


def test_standing_after_the_no_reason_window_keeps_seller_fault_kinds(item, delivered):
    standing = policy.standing(item, now=delivered + 10 * DAYS)

    # a seller-fault return, exchange or refund and a repair are still possible
    assert set(standing.kinds) == set(Kind)


def test_standing_after_every_window_but_the_warranty(item, delivered):
    standing = policy.standing(item, now=delivered + 100 * DAYS)

    assert standing.kinds == (Kind.REPAIR,)


def test_standing_after_the_warranty_leaves_a_paid_repair(item, delivered):
    standing = policy.standing(item, now=delivered + 400 * DAYS)

    assert standing.kinds == (Kind.REPAIR,)
    assert standing.paid_repair_only
    assert not policy.standing(item, now=delivered + 20 * DAYS).paid_repair_only


def test_standing_of_a_fully_refunded_item_says_why(item, seller):
    request = file_request(item, kind=Kind.REFUND_ONLY, quantity=2)
    services.approve_request(request=request, actor=seller)
    item.refresh_from_db()

    standing = policy.standing(item, now=timezone.now())

    assert standing.kinds == ()
    assert (standing.quantity_left, standing.refundable) == (0, Decimal("0.00"))
    assert "refunded" in standing.why_not.lower()


def test_standing_after_one_unit_was_refunded(item):
    request_in(State.REFUNDED, item)
    item.refresh_from_db()

    standing = policy.standing(item, now=timezone.now())

    assert (standing.quantity_left, standing.refundable) == (1, Decimal("100.00"))
    assert Kind.REFUND_ONLY in standing.kinds


# --- guidance (售后指导) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shop_covers_no_reason_postage", "reason", "who_pays"),
    [
        (False, Reason.CHANGED_MIND, "You pay the return shipping"),
        (True, Reason.CHANGED_MIND, "The seller pays the return shipping"),
        (False, Reason.QUALITY_PROBLEM, "The seller pays the return shipping"),
    ],
)
def test_guidance_says_who_pays_postage_under_the_shops_policy(
    shop, shop_covers_no_reason_postage, reason, who_pays
):
    shop.pays_no_reason_return_shipping = shop_covers_no_reason_postage

    with translation.override("en"):
        text = policy.guidance(reason, kind=Kind.RETURN_REFUND, shop=shop)

    assert who_pays in text


def test_guidance_for_a_refund_keeping_the_goods_says_nothing_of_postage(shop):
    with translation.override("en"):
        text = policy.guidance(Reason.QUALITY_PROBLEM, kind=Kind.REFUND_ONLY, shop=shop)

    assert "return shipping" not in text
    assert text.startswith("Describe the fault")
