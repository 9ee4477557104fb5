"""A repair after the warranty, clicked through by the buyer and the seller in their own
browsers: the buyer files it (the form says it is paid), the seller quotes, the buyer accepts
and pays, sends the item to the shop's repair point, and gets it back repaired."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.models import AfterSalesRequest, LedgerEntry, State
from orders.models import ReturnAddress
from tests.browser.conftest import sign_in
from tests.orders.factories import OrderItemFactory, ReturnAddressFactory

pytestmark = pytest.mark.django_db(transaction=True)


def badge(page):
    return page.locator(".request-head .badge")


def flash(page):
    return page.locator(".messages li")


def test_a_paid_repair_from_quote_to_the_repaired_item(
    page, browser, live_server, buyer, shop, seller
):
    ReturnAddressFactory(
        shop=shop,
        recipient="维修中心",
        phone="0571-88990011",
        address="杭州市西湖区文三路 90 号",
        is_default=False,
        purpose=ReturnAddress.Purpose.REPAIR,
    )
    item = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        title="Celadon teapot",
        shipped_at=timezone.now() - timedelta(days=402),
        delivered_at=timezone.now() - timedelta(days=400),
    )
    # the buyer files a repair: the pages say it is paid, and that nothing is charged yet
    sign_in(page, "buyer")
    page.goto("/")
    expect(page.locator(f"#item-{item.pk}")).to_contain_text("a repair is still possible")
    page.locator(f"#item-{item.pk}").get_by_role("link", name="Apply for after-sales").click()
    expect(page.locator(".kind-choices")).to_contain_text("this repair is paid")
    page.get_by_role("link", name="Repair").click()
    expect(page.locator(".repair-terms")).to_contain_text("nothing is charged unless you accept")
    page.get_by_label("Reason").select_option(label="Quality problem")
    page.get_by_label("Description").fill("The lid hinge snapped off.")
    page.get_by_role("button", name="Submit request").click()
    expect(badge(page)).to_have_text("Waiting for the seller to quote the repair fee")
    request = AfterSalesRequest.objects.get(order_item=item)

    # the seller quotes in their own browser
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    shop_page = context.new_page()
    sign_in(shop_page, "seller")
    shop_page.goto(f"/seller/requests/{request.pk}/")
    shop_page.get_by_label("Repair fee the buyer pays (¥)").fill("-3")
    shop_page.get_by_label("What the fee covers").fill("A new hinge, fitted and tested.")
    shop_page.get_by_role("button", name="Send the quote").click()
    expect(shop_page.locator(".has-error .errors")).to_contain_text("greater than or equal to 0.01")
    expect(shop_page.get_by_label("What the fee covers")).to_have_value(
        "A new hinge, fitted and tested."
    )
    shop_page.get_by_label("Repair fee the buyer pays (¥)").fill("80")
    shop_page.get_by_role("button", name="Send the quote").click()
    expect(flash(shop_page)).to_have_text(
        "Quote sent. The buyer can accept and pay it, or decline it."
    )
    expect(badge(shop_page)).to_have_text("Waiting for the buyer to accept and pay the repair fee")

    # the buyer accepts and pays, twice in a row (a double click): charged once
    page.reload()
    expect(page.locator(".quote")).to_contain_text("The shop quotes a repair fee of ¥80.00")
    expect(page.locator(".quote")).to_contain_text("nothing is charged")
    accept = page.get_by_role("button", name="Accept and pay ¥80.00")
    accept.dblclick()
    expect(badge(page)).to_have_text("Waiting for the buyer to send the item for repair")
    expect(page.locator(".repair-terms")).to_contain_text("you pay the repair fee of ¥80.00")
    expect(page.locator(".repair-terms")).to_contain_text("Charged to your Alipay")
    expect(page.locator(".ship-back")).to_contain_text(
        "Send the item for repair to: 维修中心 0571-88990011 杭州市西湖区文三路 90 号"
    )
    assert list(LedgerEntry.objects.filter(request=request).values_list("type", "amount")) == [
        ("repair_fee", Decimal("80.00"))
    ]

    # the buyer sends it for repair
    page.get_by_label("Carrier").select_option(label="SF Express")
    page.get_by_label("Tracking number").fill("SF1234567890123")
    page.get_by_role("button", name="I have sent it for repair").click()
    expect(badge(page)).to_have_text(
        "Waiting for the seller to confirm the item arrived for repair"
    )
    expect(page.locator("#timeline")).to_contain_text("Buyer sent the item for repair")

    # the seller receives, repairs and ships it back
    shop_page.reload()
    expect(shop_page.locator("#timeline")).to_contain_text("accepted and paid the repair fee")
    shop_page.get_by_role("button", name="Confirm the goods arrived").click()
    shop_page.get_by_role("button", name="Inspection passed: start the repair").click()
    expect(badge(shop_page)).to_have_text("Being repaired")
    shop_page.get_by_label("Carrier").select_option(label="SF Express")
    shop_page.get_by_label("Tracking number").fill("SF1234567890124")
    shop_page.get_by_role("button", name="Record the shipment").click()
    context.close()

    # and the buyer confirms it came back
    page.reload()
    page.get_by_role("button", name="Confirm I received it").click()
    expect(badge(page)).to_have_text("Repair completed")
    request.refresh_from_db()
    assert (request.state, request.repair_fee) == (State.REPAIRED, Decimal("80.00"))
    assert LedgerEntry.objects.get(request=request).status == LedgerEntry.Status.PAID
