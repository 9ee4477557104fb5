"""退货运费险 in a real browser: an insured buyer is told at ship-back what the insurance pays,
and once the return parcel is signed for both sides see the claim as its own line."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from aftersales import services
from aftersales.models import LedgerEntry, Reason, Shipment, State
from aftersales.services import arrivals
from aftersales.services.core import lock
from orders.models import Insurance, Region
from tests.aftersales.factories import file_request
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_insured_return_signed_for_shows_the_claim_to_buyer_and_seller(
    page, item, buyer, seller
):
    # given an order with 退货宝 from the shop, in Northwest China (a ¥15 claim), and an
    # approved quality return (the shop owes the postage beyond the claim)
    order = item.order
    order.return_insurance, order.region = Insurance.SHOP_GIFT, Region.NORTHWEST
    order.save()
    request = services.approve_request(
        request=file_request(item, reason=Reason.QUALITY_PROBLEM), actor=seller
    )

    # when the buyer ships the goods back, told what the insurance pays
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    expect(page.locator("#insurance-notice")).to_contain_text(
        "the insurer pays you ¥15.00 for the postage"
    )
    expect(page.locator("#insurance")).to_contain_text(
        "This order has return-shipping insurance: given by the shop (退货宝)."
    )
    page.get_by_label("Carrier").select_option(label="SF Express")
    page.get_by_label("Tracking number").fill("SF1234567890123")
    page.get_by_label("Return shipping you paid (¥)").fill("20")
    page.get_by_role("button", name="I have shipped the goods").click()
    expect(page.locator(".request-head .badge")).to_have_text(
        "Waiting for the seller to confirm receipt"
    )

    # and the carrier reports the parcel signed for (what the tracking service calls)
    parcel = Shipment.objects.get(request=request, purpose=Shipment.Purpose.RETURN)
    with transaction.atomic():
        locked, now = lock(request), timezone.now()
        Shipment.objects.filter(pk=parcel.pk).update(picked_up_at=now, signed_at=now)
        parcel.refresh_from_db()
        arrivals.parcel_signed_for(locked, parcel, now=now)

    # then the buyer sees the claim as its own money line, and the system's step on the timeline
    page.reload()
    expect(page.locator("#insurance-claim")).to_contain_text(
        "Return-shipping insurance claim ¥15.00, paid by the insurer to your"
    )
    expect(page.locator("#timeline")).to_contain_text("paid the return-shipping insurance claim")

    # and so does the seller, who did nothing for it
    page.context.clear_cookies()
    sign_in(page, "seller")
    page.goto(f"/seller/requests/{request.pk}/")
    expect(page.locator("#insurance-claim")).to_contain_text(
        "Return-shipping insurance claim ¥15.00, paid to the buyer by the insurer"
    )
    expect(page.locator("#insurance")).to_contain_text("This order has return-shipping insurance")

    # and when the seller confirms receipt, the shop pays only the ¥5 beyond the claim
    page.get_by_role("button", name="Confirm the goods arrived").click()
    expect(page.locator(".request-head .badge")).not_to_have_text(
        "Waiting for the seller to confirm receipt"
    )
    request.refresh_from_db()
    assert request.state == State.INSPECTING
    assert dict(LedgerEntry.objects.values_list("type", "amount")) == {
        LedgerEntry.Type.INSURANCE_CLAIM: Decimal("15.00"),
        LedgerEntry.Type.SHIPPING_REIMBURSEMENT: Decimal("5.00"),
    }
    expect(page.locator("#money")).to_contain_text("Shipping reimbursement ¥5.00")
