"""Customer service, live, in two browsers: the buyer's conversation page and the support
agent's conversation page in the admin side by side; the answer appears on the buyer's page,
and the buyer's next question on the agent's, without a reload (Daphne: ``asgi_server``)."""

import re

import pytest
from playwright.sync_api import expect

from support import services
from support.models import Conversation
from tests.browser.conftest import PASSWORD
from tests.browser.test_customer_service import support_agent  # noqa: F401 (a fixture)
from tests.browser.test_live_conversation import asgi_server, side  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_the_staff_answer_appears_on_the_buyers_page_live(
    browser,
    asgi_server,  # noqa: F811
    buyer,
    support_agent,  # noqa: F811
):
    conversation = services.open_conversation(asker=buyer, body="When does my refund arrive?")
    buyer_context, as_buyer = side(browser, asgi_server, "buyer")
    staff_context = browser.new_context(
        base_url=asgi_server, locale="en-US", viewport={"width": 1100, "height": 900}
    )
    staff_context.set_default_timeout(10_000)
    as_staff = staff_context.new_page()
    try:
        as_buyer.goto(f"/help/contact/{conversation.pk}/")
        as_staff.goto("/admin/login/")
        as_staff.fill("#id_username", "support")
        as_staff.fill("#id_password", PASSWORD)
        as_staff.get_by_role("button", name="Log in").click()
        as_staff.goto(f"/admin/support/conversation/{conversation.pk}/change/")
        expect(as_buyer.locator("#thread.live")).to_be_attached()
        expect(as_staff.locator(".case.live")).to_be_attached()

        # the agent answers over the socket: the buyer's page shows it, as text, no reload
        as_staff.get_by_label(re.compile(r"^Answer")).fill("Within 1–7 days, <b>to Alipay</b>.")
        as_staff.get_by_role("button", name="Send the answer").click()
        answer = as_buyer.locator(".support-thread .message").last
        expect(answer).to_contain_text("Within 1–7 days, <b>to Alipay</b>.")
        expect(answer).to_contain_text("Customer service")
        expect(answer).to_have_class(re.compile("from-support"))
        expect(as_staff.get_by_label(re.compile(r"^Answer"))).to_have_value("")

        # the buyer asks again from their page: the agent sees it without a reload
        as_buyer.get_by_label("Your message").fill("Thank you!")
        as_buyer.get_by_role("button", name="Send").click()
        expect(as_staff.locator(".support-thread .message").last).to_contain_text("Thank you!")
        expect(as_buyer.get_by_label("Your message")).to_have_value("")

        # a refusal keeps the text: an empty answer, with no quick reply chosen
        as_staff.get_by_role("button", name="Send the answer").click()
        expect(as_staff.locator("[data-live-errors]")).to_contain_text("quick reply")
    finally:
        buyer_context.close()
        staff_context.close()

    assert list(conversation.messages.values_list("from_support", "body")) == [
        (False, "When does my refund arrive?"),
        (True, "Within 1–7 days, <b>to Alipay</b>."),
        (False, "Thank you!"),
    ]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING and not conversation.unread_by_asker
