"""A repair after the warranty (SPEC §5, seed: 超出保修期…消费者需要承担维修费用): the shop quotes
a fee, the buyer accepts and pays it (charged once, through the gateway, a ledger row of its
own) or declines (closed, nothing charged), and the repair goes on to the shop's repair point
(seed: 送往指定的维修点). Also: a repair's pages speak of sending for repair, not of returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from aftersales import services
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.models import (
    Action,
    AfterSalesRequest,
    CloseReason,
    Kind,
    LedgerEntry,
    Notification,
    Proposal,
    State,
)
from aftersales.payments import SimulatedGateway
from aftersales.sweep import apply_due_action, sweep
from aftersales.timeline import progress
from orders.models import ReturnAddress
from tests.aftersales.factories import TRACKING, file_request
from tests.orders.factories import OrderItemFactory, ReturnAddressFactory

pytestmark = pytest.mark.django_db

DAYS = timedelta(days=1)
REPAIR_POINT = "维修中心 0571-88990011 杭州市西湖区文三路 90 号"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def repair_point(shop):
    return ReturnAddressFactory(
        shop=shop,
        recipient="维修中心",
        phone="0571-88990011",
        address="杭州市西湖区文三路 90 号",
        is_default=False,
        purpose=ReturnAddress.Purpose.REPAIR,
    )


@pytest.fixture
def old_item(buyer, shop, seller):
    """Delivered 400 days ago: the shop's one-year warranty has ended."""
    return OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        shipped_at=timezone.now() - 402 * DAYS,
        delivered_at=timezone.now() - 400 * DAYS,
    )


@pytest.fixture
def paid_repair(old_item):
    return file_request(old_item, kind=Kind.REPAIR)


def quote(request, seller, fee="80.00"):
    return services.quote_repair_fee(
        request=request, actor=seller, repair_fee=Decimal(fee), note="New hinge and a clean."
    )


def charges(request):
    return list(LedgerEntry.objects.filter(request=request).values_list("type", "amount", "status"))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- filing ------------------------------------------------------------------------------------


def test_a_repair_after_the_warranty_waits_for_the_shops_quote(paid_repair):
    assert paid_repair.out_of_warranty and paid_repair.buyer_pays_repair()
    assert paid_repair.state == State.SUBMITTED
    assert paid_repair.state_label == "Waiting for the seller to quote the repair fee"
    # no automatic approval: that would be a free repair
    assert paid_repair.due_action == Action.CLOSE_UNQUOTED
    assert paid_repair.due_at == pytest.approx(timezone.now() + 5 * DAYS, abs=timedelta(minutes=1))


def test_a_repair_within_the_warranty_is_the_shops_to_pay(item):
    request = file_request(item, kind=Kind.REPAIR)

    assert not request.out_of_warranty and not request.buyer_pays_repair()
    assert (request.due_action, request.state_label) == (Action.APPROVE, "Waiting for the seller")


# --- the quote ---------------------------------------------------------------------------------


def test_the_seller_quotes_and_the_buyer_is_asked_to_accept_and_pay(paid_repair, seller, buyer):
    quote(paid_repair, seller)

    paid_repair.refresh_from_db()
    assert paid_repair.state == State.NEGOTIATING
    assert paid_repair.state_label == "Waiting for the buyer to accept and pay the repair fee"
    offer = Proposal.objects.get(request=paid_repair)
    assert (offer.kind, offer.repair_fee, offer.status) == (
        Kind.REPAIR,
        Decimal("80.00"),
        Proposal.Status.PENDING,
    )
    assert paid_repair.events.last().action_label == "quoted a repair fee"
    assert Notification.objects.filter(request=paid_repair, recipient=buyer).exists()
    assert charges(paid_repair) == []  # nothing is charged before the buyer accepts


@pytest.mark.parametrize(
    ("fee", "error"),
    [
        ("0", "Quote a fee above ¥0.00. To repair it for free, approve instead."),
        ("-5", "Quote a fee above ¥0.00. To repair it for free, approve instead."),
        ("200.01", "Amounts may not exceed what the buyer paid for the item (¥200.00)."),
    ],
)
def test_a_quote_is_above_zero_and_at_most_what_the_item_cost(paid_repair, seller, fee, error):
    with pytest.raises(InvalidInput) as refused:
        quote(paid_repair, seller, fee)

    assert str(refused.value.message) == error
    paid_repair.refresh_from_db()
    assert paid_repair.state == State.SUBMITTED
    assert not Proposal.objects.exists()


def test_after_the_warranty_the_only_offer_is_the_quote(paid_repair, seller):
    with pytest.raises(InvalidInput):
        services.propose_solution(
            request=paid_repair,
            actor=seller,
            kind=Kind.REFUND_ONLY,
            refund_amount=Decimal("50.00"),
            compensation_amount=Decimal("0.00"),
            note="Keep it, here is some money.",
        )
    assert not Proposal.objects.exists()


def test_only_a_member_of_the_shop_quotes(paid_repair, buyer, other_seller):
    for stranger in (buyer, other_seller):
        with pytest.raises(ActionNotAllowed):
            quote(paid_repair, stranger)
    assert not Proposal.objects.exists()


# --- accept and pay ----------------------------------------------------------------------------


def test_accepting_charges_the_fee_once_and_sends_the_item_to_the_repair_point(
    paid_repair, seller, buyer, repair_point, django_capture_on_commit_callbacks
):
    quote(paid_repair, seller)

    with django_capture_on_commit_callbacks(execute=True):
        services.accept_proposal(request=paid_repair, actor=buyer)
    # a double click: the second finds the request moved on
    with pytest.raises(StaleAction), django_capture_on_commit_callbacks(execute=True):
        services.accept_proposal(request=paid_repair, actor=buyer)

    paid_repair.refresh_from_db()
    assert paid_repair.state == State.AWAITING_RETURN
    assert paid_repair.repair_fee == Decimal("80.00")
    assert paid_repair.return_address == REPAIR_POINT
    assert paid_repair.state_label == "Waiting for the buyer to send the item for repair"
    assert charges(paid_repair) == [("repair_fee", Decimal("80.00"), "paid")]
    row = LedgerEntry.objects.get(request=paid_repair)
    assert row.idempotency_key == f"request-{paid_repair.pk}-repair_fee"
    assert row.payment_method == paid_repair.order.payment_method
    assert [(c.amount, c.charge) for c in SimulatedGateway.calls] == [(Decimal("80.00"), True)]
    # the refund cap is untouched: a fee is money coming in
    paid_repair.order_item.refresh_from_db()
    assert paid_repair.order_item.refunded_amount == Decimal("0.00")


def test_the_repair_goes_on_as_usual_once_paid(paid_repair, seller, buyer):
    quote(paid_repair, seller)
    services.accept_proposal(request=paid_repair, actor=buyer)
    services.ship_return(request=paid_repair, actor=buyer, **TRACKING)
    services.confirm_return_received(request=paid_repair, actor=seller)
    services.pass_inspection(request=paid_repair, actor=seller)
    services.ship_repaired(request=paid_repair, actor=seller, **TRACKING)
    services.confirm_delivery(request=paid_repair, actor=buyer)

    paid_repair.refresh_from_db()
    assert paid_repair.state == State.REPAIRED
    assert [e.action_label for e in paid_repair.events.all()][:5] == [
        "filed the request",
        "quoted a repair fee",
        "accepted and paid the repair fee",
        "sent the item for repair",
        "confirmed receipt of the item sent for repair",
    ]
    assert paid_repair.shipments.first().purpose_label == "sent for repair"
    # the buyer pays the postage of a paid repair: there is nothing to claim
    assert not paid_repair.seller_pays_return_shipping
    assert charges(paid_repair) == [("repair_fee", Decimal("80.00"), "pending")]


def test_only_the_buyer_accepts_or_declines(paid_repair, seller, other_buyer, other_seller):
    quote(paid_repair, seller)
    for stranger in (seller, other_buyer, other_seller):
        with pytest.raises(ActionNotAllowed):
            services.accept_proposal(request=paid_repair, actor=stranger)
        with pytest.raises(ActionNotAllowed):
            services.decline_proposal(request=paid_repair, actor=stranger)
    paid_repair.refresh_from_db()
    assert paid_repair.state == State.NEGOTIATING
    assert charges(paid_repair) == []


def test_declining_closes_the_request_with_nothing_charged(
    paid_repair, seller, buyer, django_capture_on_commit_callbacks
):
    quote(paid_repair, seller)

    with django_capture_on_commit_callbacks(execute=True):
        services.decline_proposal(request=paid_repair, actor=buyer, note="Too dear.")

    paid_repair.refresh_from_db()
    assert (paid_repair.state, paid_repair.close_reason) == (State.CLOSED, CloseReason.FEE_DECLINED)
    assert paid_repair.due_at is None
    assert Proposal.objects.get(request=paid_repair).status == Proposal.Status.DECLINED
    assert charges(paid_repair) == [] and SimulatedGateway.calls == []
    assert paid_repair.repair_fee == Decimal("0.00")


def test_a_fee_proposed_within_the_warranty_is_charged_too_when_accepted(
    item, seller, buyer, django_capture_on_commit_callbacks
):
    """The fault is not covered (a drop): the shop may propose a fee; declining it leaves the
    buyer free to ask the platform, and accepting it is charged like a quote."""
    request = file_request(item, kind=Kind.REPAIR)
    quote(request, seller, "30.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_proposal(request=request, actor=buyer)

    assert charges(request) == [("repair_fee", Decimal("30.00"), "paid")]


# --- deadlines ---------------------------------------------------------------------------------


def test_no_quote_in_time_closes_the_request_in_the_batch(paid_repair):
    due = paid_repair.due_at

    assert sweep(now=due - timedelta(seconds=1)).applied == 0
    result = sweep(now=due + timedelta(minutes=1))

    assert result.applied == 1
    paid_repair.refresh_from_db()
    assert (paid_repair.state, paid_repair.close_reason) == (State.CLOSED, CloseReason.NOT_QUOTED)
    event = paid_repair.events.last()
    assert (event.action, event.actor_role) == (Action.CLOSE_UNQUOTED, "system")
    assert charges(paid_repair) == []


def test_no_quote_in_time_closes_the_request_on_the_one_request_path(paid_repair):
    assert apply_due_action(request_id=paid_repair.pk, now=paid_repair.due_at + timedelta(1))

    paid_repair.refresh_from_db()
    assert paid_repair.close_reason == CloseReason.NOT_QUOTED


def test_a_quote_left_unanswered_closes_with_nothing_charged(paid_repair, seller):
    quote(paid_repair, seller)
    paid_repair.refresh_from_db()
    assert paid_repair.due_action == Action.CLOSE_FOR_TIMEOUT

    sweep(now=paid_repair.due_at + timedelta(minutes=1))

    paid_repair.refresh_from_db()
    assert (paid_repair.state, paid_repair.close_reason) == (State.CLOSED, CloseReason.TIMED_OUT)
    assert Proposal.objects.get(request=paid_repair).status == Proposal.Status.LAPSED
    assert charges(paid_repair) == [] and SimulatedGateway.calls == []


# --- the repair point --------------------------------------------------------------------------


def test_an_approved_repair_goes_to_the_repair_point_and_a_return_to_the_return_address(
    item, shop, seller, repair_point
):
    repair = file_request(item, kind=Kind.REPAIR)
    services.approve_request(request=repair, actor=seller)
    other = OrderItemFactory(order__buyer=item.order.buyer, order__shop=shop)
    ret = file_request(other)
    services.approve_request(request=ret, actor=seller)

    repair.refresh_from_db()
    ret.refresh_from_db()
    assert repair.return_address == REPAIR_POINT
    assert ret.return_address == str(shop.default_return_address)


def test_without_a_repair_point_a_repair_goes_to_the_return_address(item, shop, seller):
    repair = file_request(item, kind=Kind.REPAIR)
    services.approve_request(request=repair, actor=seller)

    repair.refresh_from_db()
    assert repair.return_address == str(shop.default_return_address)


def test_the_automatic_approval_of_a_repair_uses_the_repair_point(item, repair_point):
    repair = file_request(item, kind=Kind.REPAIR)

    sweep(now=repair.due_at + timedelta(minutes=1))

    repair.refresh_from_db()
    assert (repair.state, repair.return_address) == (State.AWAITING_RETURN, REPAIR_POINT)


# --- the pages ---------------------------------------------------------------------------------


def test_the_apply_pages_say_who_pays_for_the_repair(buyer, item, old_item):
    client = client_for(buyer)

    free = client.get(f"/items/{item.pk}/apply/").content.decode()
    paid = client.get(f"/items/{old_item.pk}/apply/").content.decode()
    paid_form = client.get(f"/items/{old_item.pk}/apply/?kind=repair").content.decode()
    free_form = client.get(f"/items/{item.pk}/apply/?kind=repair").content.decode()

    assert "the shop pays for the repair" in free
    assert "this repair is paid: the shop first quotes a fee" in paid
    assert "this repair is paid by you" in paid_form
    assert "nothing is charged unless you accept it" in paid_form
    assert "the shop pays for the repair." in free_form


def test_the_buyer_page_offers_to_accept_and_pay_or_decline(paid_repair, seller, buyer):
    quote(paid_repair, seller)

    page = client_for(buyer).get(f"/requests/{paid_repair.pk}/").content.decode()

    assert "The shop quotes a repair fee of ¥80.00" in page
    assert "Accept and pay ¥80.00" in page
    assert "¥80.00 is charged to your Alipay now" in page
    assert "Decline: the request closes and nothing is charged." in page
    assert "Decline the repair fee" in page


def test_the_accept_button_charges_once_on_a_double_click(
    paid_repair, seller, buyer, repair_point, django_capture_on_commit_callbacks
):
    quote(paid_repair, seller)
    client = client_for(buyer)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/requests/{paid_repair.pk}/accept/", follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(f"/requests/{paid_repair.pk}/accept/", follow=True)

    assert "You accepted the repair fee" in first.content.decode()
    page = second.content.decode()
    assert "You accepted the repair fee" not in page
    assert charges(paid_repair) == [("repair_fee", Decimal("80.00"), "paid")]
    assert len(SimulatedGateway.calls) == 1
    # the ship-back part names the repair point and speaks of sending for repair
    assert "Send the item for repair to" in page and REPAIR_POINT in page
    assert "I have sent it for repair" in page
    assert "Charged to your Alipay" in page
    assert "return shipping" not in page.lower()


def test_the_decline_button_closes_the_request(paid_repair, seller, buyer):
    quote(paid_repair, seller)

    page = client_for(buyer).post(
        f"/requests/{paid_repair.pk}/decline/", {"note": "Too dear."}, follow=True
    )

    assert "You declined the repair fee. The request is closed; nothing was charged." in (
        page.content.decode()
    )
    assert AfterSalesRequest.objects.get(pk=paid_repair.pk).state == State.CLOSED


def test_strangers_cannot_reach_the_quote_or_the_answer(
    paid_repair, seller, other_buyer, other_seller
):
    assert client_for(other_seller).post(
        f"/seller/requests/{paid_repair.pk}/quote/", {"repair_fee": "80", "note": "x"}
    ).status_code in (403, 404)
    quote(paid_repair, seller)
    for action in ("accept", "decline"):
        response = client_for(other_buyer).post(f"/requests/{paid_repair.pk}/{action}/")
        assert response.status_code == 404
    # a buyer who is no shop member is refused the seller's pages
    response = client_for(other_buyer).post(
        f"/seller/requests/{paid_repair.pk}/quote/", {"repair_fee": "1", "note": "x"}
    )
    assert response.status_code == 403
    paid_repair.refresh_from_db()
    assert paid_repair.state == State.NEGOTIATING
    assert Proposal.objects.get(request=paid_repair).repair_fee == Decimal("80.00")


def test_the_seller_page_asks_for_a_quote(paid_repair, seller):
    page = client_for(seller).get(f"/seller/requests/{paid_repair.pk}/").content.decode()

    assert "Quote the repair fee" in page
    assert "Repair it for free" in page
    assert "Propose another solution" not in page
    assert "after the warranty: the buyer pays the fee you quote" in page


@pytest.mark.parametrize(
    ("fee", "error"),
    [
        ("-5", "Ensure this value is greater than or equal to 0.01."),
        ("abc", "Enter a number."),
        ("", "This field is required."),
        ("99999999999999", "Ensure that there are no more than 12 digits in total."),
        ("5000", "Amounts may not exceed what the buyer paid for the item (¥200.00)."),
    ],
)
def test_a_bad_quote_is_refused_with_the_reason_and_keeps_the_note(paid_repair, seller, fee, error):
    note = "New hinge, cleaning, and a test brew."

    response = client_for(seller).post(
        f"/seller/requests/{paid_repair.pk}/quote/", {"repair_fee": fee, "note": note}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert note in page
    paid_repair.refresh_from_db()
    assert paid_repair.state == State.SUBMITTED
    assert not Proposal.objects.exists()


def test_a_bad_quote_is_refused_in_chinese_too(paid_repair, seller, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = client_for(seller)

    page = client.post(
        f"/seller/requests/{paid_repair.pk}/quote/",
        {"repair_fee": "abc", "note": "换铰链"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    too_much = client.post(
        f"/seller/requests/{paid_repair.pk}/quote/",
        {"repair_fee": "5000", "note": "换铰链"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()

    assert "输入一个数字。" in page
    assert "金额不能超过买家为该商品实付的金额（¥200.00）。" in too_much
    assert "换铰链" in page and "换铰链" in too_much


def test_repair_pages_and_notifications_speak_of_sending_for_repair(item, seller, buyer):
    repair = file_request(item, kind=Kind.REPAIR)
    services.approve_request(request=repair, actor=seller)

    buyer_page = client_for(buyer).get(f"/requests/{repair.pk}/").content.decode()
    seller_page = client_for(seller).get(f"/seller/requests/{repair.pk}/").content.decode()
    notes = client_for(buyer).get("/notifications/").content.decode()

    for page in (buyer_page, seller_page):
        assert "Waiting for the buyer to send the item for repair" in page
        assert "ship back" not in page.lower()
    assert "Send the item for repair to" in buyer_page
    assert "The seller is waiting for you to send the item for repair." in buyer_page
    assert "goods back" not in buyer_page
    assert "Shipping you paid to send it for repair" in buyer_page
    assert "Return shipping you paid" not in buyer_page
    assert "Repair address:" in seller_page and "Return address" not in seller_page
    assert "Waiting for the buyer to send the item for repair" in notes


def test_the_stepper_of_a_paid_repair_has_the_quote_and_the_payment(paid_repair, seller):
    quote(paid_repair, seller)
    paid_repair.refresh_from_db()

    assert [(s.label, s.status) for s in progress(paid_repair)][:4] == [
        ("Request filed", "done"),
        ("Seller quotes the fee", "done"),
        ("Accept and pay", "current"),
        ("Ship for repair", "todo"),
    ]
