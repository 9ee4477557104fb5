"""极速退款 in a real browser (issue 15): a trusted buyer ships a return, the carrier picks it up
(the tracking hook, called here as the tracking service calls it) and the buyer's page shows
the refund and why it came first; once the parcel is signed for, the seller's page shows the
shop charged."""

import pytest
from playwright.sync_api import expect

from aftersales.models import LedgerEntry, State
from tests.aftersales.factories import request_in
from tests.aftersales.fast_refund_helpers import (
    give_history,
    pick_up,
    sign_for,
)
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_trusted_buyers_return_is_refunded_on_pickup_and_settled_on_sign_for(
    page, browser, live_server, item, buyer, seller, shop
):
    give_history(buyer, shop)
    request = request_in(State.AWAITING_RETURN, item)

    # the buyer sends the goods back
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    page.get_by_label("Carrier").select_option(label="SF Express")
    page.get_by_label("Tracking number").fill("SF1234567890123")
    page.get_by_role("button", name="I have shipped the goods").click()
    expect(page.locator(".request-head .badge")).to_have_text(
        "Waiting for the seller to confirm receipt"
    )
    expect(page.locator("#fast-refund")).to_have_count(0)

    # the carrier picks the parcel up: the platform refunds at once
    pick_up(request)
    page.reload()
    why = page.locator("#fast-refund")
    expect(why).to_contain_text("Fast refund: your account is in good standing")
    expect(why).to_contain_text("¥100.00")
    expect(page.locator("#money .payments")).to_contain_text(
        "Fast refund advanced by the platform ¥100.00 back to your Alipay · paid"
    )
    expect(page.locator("#timeline")).to_contain_text("refunded at once (fast refund)")
    expect(page.locator("#if-nobody-acts")).to_contain_text("If the parcel is not signed for")
    expect(page.get_by_role("link", name="Withdraw")).to_have_count(0)
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)

    # the parcel is signed for at the shop: the shop is charged the advance
    sign_for(request)
    assert LedgerEntry.objects.filter(
        request=request, type=LedgerEntry.Type.SHOP_SETTLEMENT, status="paid"
    ).exists()
    seller_context = browser.new_context(base_url=live_server.url, locale="en-US")
    seller_page = seller_context.new_page()
    sign_in(seller_page, "seller")
    seller_page.goto(f"/seller/requests/{request.pk}/")
    card = seller_page.locator("#fast-refund")
    expect(card).to_contain_text("The platform refunded the buyer ¥100.00")
    expect(card).to_contain_text("Fast refund advanced by the platform ¥100.00")
    expect(card).to_contain_text("Fast refund settled by the shop ¥100.00")
    expect(seller_page.get_by_role("button", name="Confirm the goods arrived")).to_be_visible()
    seller_context.close()

    # the buyer's page does not show what passed between the shop and the platform
    page.reload()
    expect(page.locator("#money")).not_to_contain_text("settled by the shop")
