"""Customer service and call backs in a real browser.

The buyer asks customer service from the footer, a support agent answers from the queue in the
staff portal, the buyer reads the answer, closes and rates it; a buyer asks for a call back on
a request, and the seller's page says so without ever showing the number.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from aftersales.models import State
from support.models import Callback, Conversation, QuickReply
from tests.aftersales.factories import request_in
from tests.browser.conftest import PASSWORD, sign_in
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "138 0013 8000"


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def open_for() -> object:
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 1200, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_for
    for context in contexts:
        context.close()


@pytest.fixture
def support_agent(db):
    """A support agent, with what the data migration gives the group (transactional tests
    empty the database after each test, so it is given back here), and one quick reply."""
    group, _ = Group.objects.get_or_create(name="support")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="support", codename__startswith="view_")
    )
    QuickReply.objects.get_or_create(
        title="Anything else",
        defaults={
            "text_zh": "请问还有其他可以帮您的吗？",
            "text_en": "Is there anything else we can help with?",
        },
    )
    user = UserFactory(username="support", is_staff=True)
    user.groups.add(group)
    return user


def flash(page):
    return page.locator(".messages li")


def test_customer_service_round_trip(open_page, buyer, support_agent):
    # the buyer asks from the footer of any page
    as_buyer = open_page()
    sign_in(as_buyer, "buyer")
    as_buyer.get_by_role("link", name="Contact customer service").click()
    as_buyer.get_by_label("What can we help with?").fill("When does my refund arrive?")
    as_buyer.get_by_role("button", name="Send").click()
    expect(flash(as_buyer)).to_have_text("Sent. Customer service will answer here.")
    conversation = Conversation.objects.get()

    # the support agent finds it at the top of the queue, waiting, and answers
    as_staff = open_page()
    as_staff.goto("/admin/login/")
    as_staff.fill("#id_username", "support")
    as_staff.fill("#id_password", PASSWORD)
    as_staff.get_by_role("button", name="Log in").click()
    as_staff.goto("/admin/support/conversation/")
    row = as_staff.locator("#result_list tbody tr").first
    expect(row).to_contain_text("waiting for support")
    row.get_by_role("link", name=str(conversation.pk), exact=True).click()
    expect(as_staff.locator(".case")).to_contain_text("When does my refund arrive?")
    as_staff.get_by_label(re.compile(r"^Answer")).fill("Within 1–7 working days, to your Alipay.")
    as_staff.get_by_role("button", name="Send the answer").click()
    expect(as_staff.locator(".messagelist")).to_contain_text("Answer sent.")
    as_staff.get_by_label(re.compile(r"^Quick reply")).select_option(label="Anything else")
    as_staff.get_by_role("button", name="Send the answer").click()
    expect(as_staff.locator(".case")).to_contain_text("Is there anything else we can help with?")

    # the buyer sees the new answer marked, reads it, closes and rates
    as_buyer.goto("/")
    as_buyer.get_by_role("link", name=re.compile("My conversations with customer service")).click()
    expect(as_buyer.locator(".request-row")).to_contain_text("New answer")
    as_buyer.locator(".request-row a").first.click()
    expect(as_buyer.locator(".support-thread")).to_contain_text(
        "Within 1–7 working days, to your Alipay."
    )
    as_buyer.get_by_role("button", name="My question is answered: close").click()
    as_buyer.get_by_label("4").check()
    as_buyer.get_by_label("Comment (optional)").fill("Clear answer.")
    as_buyer.get_by_role("button", name="Rate", exact=True).click()
    expect(flash(as_buyer)).to_have_text("Thank you for rating the answer.")
    expect(as_buyer.locator("main")).to_contain_text("You rated the answer 4 out of 5.")

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    assert (conversation.rating, conversation.rating_comment) == (4, "Clear answer.")

    # and the agent sees the rating on the conversation
    as_staff.reload()
    expect(as_staff.locator(".case")).to_contain_text("Rated 4 out of 5.")


def test_a_call_back_whose_number_the_seller_never_sees(open_page, item, buyer, seller, arbitrator):
    request = request_in(State.SUBMITTED, item)
    day = (timezone.localdate() + timedelta(days=1)).isoformat()

    as_buyer = open_page()
    sign_in(as_buyer, "buyer")
    as_buyer.goto(f"/requests/{request.pk}/")
    as_buyer.get_by_role("link", name="Ask for a call back").click()
    as_buyer.get_by_label("Phone number").fill("12345")
    as_buyer.get_by_label("Day").fill(day)
    as_buyer.get_by_label("From").select_option("10")
    as_buyer.get_by_label("To").select_option("12")
    as_buyer.get_by_role("button", name="Ask for a call back").click()
    expect(as_buyer.locator(".errors")).to_contain_text("Enter a valid phone number")
    as_buyer.get_by_label("Phone number").fill(NUMBER)
    as_buyer.get_by_role("button", name="Ask for a call back").click()
    expect(flash(as_buyer)).to_have_text(
        "Asked. The platform will call you in the window you chose."
    )
    assert Callback.objects.get().phone == "+8613800138000"

    as_seller = open_page()
    sign_in(as_seller, "seller")
    as_seller.goto(f"/seller/requests/{request.pk}/")
    expect(as_seller.locator("#thread")).to_contain_text("asked the platform for a call back")
    html = as_seller.content()
    for shown in (NUMBER, "13800138000", "+8613800138000", "00138000"):
        assert shown not in html
    as_seller.goto("/notifications/")
    assert "13800138000" not in as_seller.content()
