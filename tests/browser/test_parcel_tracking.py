"""Parcel tracking in a real browser: the buyer ships the goods back, the carrier's trace comes
in (the per-minute pull of the simulated carrier), and the request page shows it, newest first,
on a computer and on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.models import Shipment, State
from aftersales.parcel_watch import pull_traces
from aftersales.services import arrivals
from tests.aftersales.factories import request_in
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _arrivals(monkeypatch, settings):
    # What a return parcel's pickup and sign-for set off belongs to other parts of issue 15.
    for module, name in [
        (arrivals.fast_refunds, "refund_on_pickup"),
        (arrivals.fast_refunds, "settle_on_sign_for"),
        (arrivals.insurance, "claim_on_sign_for"),
        (arrivals.automation, "apply_on_sign_for"),
    ]:
        monkeypatch.setattr(module, name, lambda request, parcel, *, now: None)
    settings.SIMULATED_TRACKING_HOURS = {
        "picked_up": 1,
        "in_transit": 6,
        "out_for_delivery": 20,
        "signed": 24,
    }


def shipped_hours_ago(item, hours):
    request = request_in(State.RETURN_SHIPPED, item)
    Shipment.objects.filter(request=request).update(
        shipped_at=timezone.now() - timedelta(hours=hours)
    )
    return request


def test_the_buyer_sees_the_parcel_move(page, item, buyer):
    request = shipped_hours_ago(item, 7)
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    expect(page.locator(".trace-none")).to_contain_text("No news from the carrier yet")

    # when the carrier's news comes in
    pull_traces()
    page.reload()

    # then the page shows the trace, newest first
    lines = page.locator("ol.trace li")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("In transit")
    expect(lines.nth(0)).to_contain_text("顺丰 SF")
    expect(lines.nth(1)).to_contain_text("Picked up by the carrier")

    # and a day later it is signed for: the seller's receipt deadline runs from the signature
    pull_traces(now=timezone.now() + timedelta(hours=20))
    page.reload()
    expect(lines).to_have_count(4)
    expect(lines.nth(0)).to_contain_text("Signed for")
    expect(page.locator("#timeline")).to_contain_text("noted that the return parcel was signed for")


def test_the_trace_fits_a_phone_in_chinese(phone_page, item, buyer):
    request = shipped_hours_ago(item, 30)
    pull_traces()
    sign_in(phone_page, "buyer")
    phone_page.goto(f"/requests/{request.pk}/")
    expect(phone_page.locator("ol.trace li").nth(0)).to_contain_text("已签收")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
