"""The seller center's webhooks in a real browser: the owner adds an endpoint (a real receiver
on loopback), sees the secret, sends a test event, sees the delivery in the log and resends it."""

import pytest
from playwright.sync_api import expect

from orders.models import ShopMember
from tests.browser.conftest import sign_in
from tests.orders.factories import ShopMemberFactory
from tests.webhooks.receiver import Receiver
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_owner_adds_an_endpoint_sees_a_delivery_and_resends_it(page, shop):
    ShopMemberFactory(shop=shop, user__username="owner", role=ShopMember.Role.OWNER)
    with Receiver() as receiver:
        sign_in(page, "owner")
        page.goto("/seller/")
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        # when the owner adds an endpoint, leaving every event chosen
        page.get_by_label("URL").fill(receiver.url)
        expect(page.get_by_label("Request approved")).to_be_checked()
        page.get_by_label("Message posted").uncheck()
        page.get_by_role("button", name="Add endpoint").click()
        # then its page shows the secret, once
        expect(page.locator(".messages li")).to_have_text(
            "Endpoint added. Copy its signing secret now."
        )
        endpoint = Endpoint.objects.get(shop=shop)
        assert "aftersales.message.posted" not in endpoint.event_types
        expect(page.locator("#secret")).to_have_text(endpoint.secret)
        receiver.secret = endpoint.secret
        # when they send a test event
        page.get_by_role("button", name="Send a test event").click()
        # then the receiver got it, signed, and the log shows it delivered
        expect(page.locator(".messages li")).to_contain_text("Test event sent")
        row = page.locator("tr.delivery")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Test event")
        expect(row).to_contain_text("delivered")
        expect(row).to_contain_text("200")
        assert [got.signature_ok for got in receiver.received] == [True]
        expect(page.locator("#secret")).to_have_count(0)
        # when they resend it, with the receiver failing this time
        receiver.answers = [500]
        row.get_by_role("button", name="Resend").click()
        expect(page.locator(".messages li")).to_have_text("Sent again.")
        expect(row).to_contain_text("failed")
        expect(row).to_contain_text("500")
        delivery = Delivery.objects.get(endpoint=endpoint)
        assert delivery.attempts == 2
        assert [got.webhook_id for got in receiver.received] == [delivery.webhook_id] * 2
        # and on demand the secret is shown again
        page.get_by_role("button", name="Show the signing secret").click()
        expect(page.locator("#secret")).to_have_text(endpoint.secret)
