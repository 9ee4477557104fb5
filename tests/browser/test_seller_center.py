"""The seller center in a real browser: the clicks a shop member makes, and what they see after.

What the buyer does between the seller's steps (shipping the goods back) is done with the
services, as the buyer's own pages are tested elsewhere; where both sides matter (a proposal),
the buyer uses a second browser.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from aftersales import services
from aftersales.models import AfterSalesRequest, Kind, LedgerEntry, Proposal, Shipment, State
from tests.aftersales.factories import TRACKING, file_request, request_in
from tests.browser.conftest import sign_in
from tests.orders.factories import OrderItemFactory, ReturnAddressFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def flash(page):
    """The message shown at the top of the page after an action."""
    return page.locator(".messages li")


def badge(page):
    return page.locator(".request-head .badge")


def open_from_the_queue(page, request: AfterSalesRequest) -> None:
    page.goto("/seller/")
    page.get_by_role("link", name=f"#{request.pk}", exact=True).click()
    expect(page.get_by_role("heading", name=f"After-sales request #{request.pk}")).to_be_visible()


def test_a_return_from_approval_through_inspection_to_the_refund(page, item, shop, buyer, seller):
    # given the shop has a second return address, and the buyer asks to return both tins
    ReturnAddressFactory(
        shop=shop, recipient="李仓库", address="上海市青浦区华新镇 88 号", is_default=False
    )
    request = file_request(item, quantity=2)
    sign_in(page, "seller")
    open_from_the_queue(page, request)
    expect(badge(page)).to_have_text("Waiting for the seller")
    # when the seller approves, sending the goods to the warehouse
    page.get_by_label("Return address").select_option(
        label="李仓库 13800000000 上海市青浦区华新镇 88 号"
    )
    page.get_by_role("button", name="Approve: the buyer sends the goods back").click()
    # then
    expect(flash(page)).to_have_text("Approved. The buyer has been told where to send the goods.")
    expect(badge(page)).to_have_text("Waiting for the buyer to ship back")
    expect(
        page.get_by_text("Return address: 李仓库 13800000000 上海市青浦区华新镇 88 号")
    ).to_be_visible()
    # when the buyer ships the goods back
    services.ship_return(request=request, actor=buyer, **TRACKING)
    page.reload()
    expect(badge(page)).to_have_text("Waiting for the seller to confirm receipt")
    expect(page.locator("#timeline")).to_contain_text(
        "Return to the seller: SF Express SF1234567890123"
    )
    # and the seller confirms receipt
    page.get_by_role("button", name="Confirm the goods arrived").click()
    expect(flash(page)).to_have_text("Receipt confirmed. Inspect the goods next.")
    expect(badge(page)).to_have_text("Seller inspecting")
    # and passes the inspection
    page.get_by_role("button", name="Inspection passed: refund ¥200.00").click()
    # then the request is refunded, and the page says how much
    expect(flash(page)).to_have_text("Inspection passed.")
    expect(badge(page)).to_have_text("Refunded")
    expect(page.locator(".summary")).to_contain_text("refund ¥200.00")
    expect(page.locator(".item-summary")).to_contain_text("paid ¥200.00 · refunded ¥200.00")
    expect(page.locator("#timeline")).to_contain_text("Seller (seller) passed the inspection")
    expect(page.locator("#actions")).to_have_count(0)
    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert LedgerEntry.objects.get(request=request).amount == Decimal("200.00")


def test_an_exchange_up_to_the_replacement_shipped(page, item, buyer, seller):
    # given an exchange the seller approved and the buyer sent back
    request = file_request(item, kind=Kind.EXCHANGE)
    sign_in(page, "seller")
    open_from_the_queue(page, request)
    page.get_by_role("button", name="Approve: the buyer sends the goods back").click()
    expect(flash(page)).to_contain_text("Approved.")
    services.ship_return(request=request, actor=buyer, **TRACKING)
    page.reload()
    page.get_by_role("button", name="Confirm the goods arrived").click()
    expect(badge(page)).to_have_text("Seller inspecting")
    # when the seller ships the replacement with a number that does not fit the carrier
    expect(
        page.get_by_role("heading", name="Inspection passed: ship the replacement")
    ).to_be_visible()
    page.get_by_label("Carrier").select_option(label="ZTO Express")
    page.get_by_label("Tracking number").fill("SF1234567890123")
    page.get_by_role("button", name="Record the shipment").click()
    # then
    expect(page.get_by_role("alert")).to_contain_text(
        "This does not look like a ZTO Express tracking number"
    )
    expect(page.get_by_label("Tracking number")).to_have_value("SF1234567890123")
    assert not Shipment.objects.filter(request=request, purpose="replacement").exists()
    # when it does fit
    page.get_by_label("Tracking number").fill("73123456789012")
    page.get_by_role("button", name="Record the shipment").click()
    # then
    expect(flash(page)).to_have_text("Shipment recorded. The buyer has been told it is on its way.")
    expect(badge(page)).to_have_text("Replacement on its way")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Replacement to the buyer: ZTO Express 73123456789012")
    expect(timeline).to_contain_text("Seller (seller) shipped the replacement")
    request.refresh_from_db()
    assert request.state == State.REPLACEMENT_SHIPPED


def test_a_partial_refund_proposal_accepted_by_the_buyer(page, browser, live_server, item, buyer):
    request = file_request(item, quantity=2)
    sign_in(page, "seller")
    open_from_the_queue(page, request)
    # when the seller proposes ¥60 back, the buyer keeping the goods
    page.get_by_text("Propose another solution").click()
    page.get_by_label("Partial refund or compensation; the buyer keeps the goods").check()
    page.get_by_label("Refund (¥)").fill("60.00")
    page.get_by_label("Explain the proposal to the buyer").fill(
        "The dent is cosmetic: keep the tins and we refund ¥60."
    )
    page.get_by_role("button", name="Send the proposal").click()
    # then
    expect(flash(page)).to_have_text("Proposal sent. The buyer can accept or decline it.")
    expect(badge(page)).to_have_text("Waiting for the buyer to answer the proposal")
    expect(page.locator("#timeline")).to_contain_text(
        "Seller's proposal v1: Refund only · refund ¥60.00 waiting for the buyer"
    )
    # when the buyer, in their own browser, looks at the request and accepts
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        buyer_page = context.new_page()
        sign_in(buyer_page, "buyer")
        buyer_page.goto(f"/requests/{request.pk}/")
        expect(buyer_page.locator(".proposal")).to_contain_text("Refund only · refund ¥60.00")
        expect(buyer_page.locator(".proposal")).to_contain_text("keep the tins and we refund ¥60.")
        buyer_page.get_by_role("button", name="Accept the proposal").click()
        expect(flash(buyer_page)).to_have_text("You accepted the seller's proposal.")
        expect(badge(buyer_page)).to_have_text("Refunded")
    finally:
        context.close()
    # then the seller, reloading, sees the refund and the accepted proposal
    page.reload()
    expect(badge(page)).to_have_text("Refunded")
    expect(page.locator(".summary")).to_contain_text("Refund only · Quality problem · 2 item(s)")
    expect(page.locator(".summary")).to_contain_text("refund ¥60.00")
    expect(page.locator("#timeline")).to_contain_text(
        "Seller's proposal v1: Refund only · refund ¥60.00 accepted"
    )
    expect(page.locator("#timeline")).to_contain_text("Buyer (buyer) accepted the proposal")
    assert Proposal.objects.get(request=request).status == Proposal.Status.ACCEPTED
    assert LedgerEntry.objects.get(request=request).amount == Decimal("60.00")


def test_filter_the_queue_by_state_and_search_an_order_number(page, shop, buyer, seller):
    # given
    alice = UserFactory(username="alice")
    inspecting = request_in(
        State.INSPECTING,
        OrderItemFactory(order__buyer=buyer, order__shop=shop, order__number="T2026OOLONG01"),
    )
    waiting = file_request(
        OrderItemFactory(order__buyer=alice, order__shop=shop, order__number="T2026PUER0001")
    )
    file_request(
        OrderItemFactory(order__buyer=buyer, order__shop=shop, order__number="T2026GREEN001")
    )
    sign_in(page, "seller")
    page.goto("/seller/")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(3)
    # when the seller filters by state
    page.get_by_label("State").select_option(label="Seller inspecting")
    page.get_by_role("button", name="Filter").click()
    # then
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{inspecting.pk}")
    expect(rows.first).to_contain_text("T2026OOLONG01")
    expect(page.get_by_label("State")).to_have_value("inspecting")
    # when the seller clears the filter and searches an order number
    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(3)
    page.get_by_label("Order number or buyer").fill("T2026PUER0001")
    page.get_by_role("button", name="Filter").click()
    # then
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{waiting.pk}")
    expect(rows.first).to_contain_text("alice")
    expect(page.get_by_label("Order number or buyer")).to_have_value("T2026PUER0001")
    # when a number matches nothing
    page.get_by_label("Order number or buyer").fill("T2026NOTHING")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("Nothing in the queue matches.")
    # and the counters take the seller to the state they count
    page.get_by_role("link", name="Seller inspecting").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"#{inspecting.pk}")
