"""The buyer's request page in a real browser (issue 13): the sections stand in the order a
buyer asks (what happened, what to do now, by when, if nobody acts, money), and a rejection
says why and where each choice leads, with the recommended one standing out."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from aftersales import services
from aftersales.models import RejectionReason
from tests.aftersales.factories import file_request
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = ["#what-happened", "#actions", "#by-when", "#if-nobody-acts", "#money"]


def tops(page, selectors) -> list[float]:
    return [page.locator(s).bounding_box()["y"] for s in selectors]


def rejected(item, seller):
    request = file_request(item, quantity=2, refund_amount=Decimal("183.00"))
    return services.reject_request(
        request=request,
        actor=seller,
        reason=RejectionReason.USED,
        explanation="The seal was broken and half the tea is gone.",
    )


def test_a_rejection_reads_in_order_and_guides_the_buyer(page, item, seller, buyer):
    request = rejected(item, seller)
    sign_in(page, "buyer")
    page.goto(f"/requests/{request.pk}/")
    # the sections come one below the other in the order a buyer asks
    positions = tops(page, ORDER)
    assert positions == sorted(positions), positions
    # what happened: the seller's reason category and note, prominently
    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(
        "The seller's reason: The goods were used or damaged after delivery"
    )
    expect(refusal).to_contain_text("The seal was broken and half the tea is gone.")
    # the stepper shows where it was turned down
    expect(page.locator(".stepper .step.rejected")).to_have_text("Rejected by the seller")
    # each choice says where it leads; asking the platform is the recommended one
    choices = page.locator("#actions .choice")
    expect(choices).to_have_count(3)
    for n in range(3):
        expect(choices.nth(n).locator(".leads-to")).to_be_visible()
        expect(choices.nth(n).locator(".leads-to")).not_to_be_empty()
    escalate = page.get_by_role("link", name="Ask the platform to step in")
    expect(escalate).to_have_class("button primary")
    expect(page.get_by_role("link", name="Revise and resubmit")).to_have_class("button")
    expect(page.locator("#actions .choice[data-action=escalate]")).to_contain_text(
        "The platform reviews both sides' evidence and rules"
    )
    expect(page.locator("#if-nobody-acts")).to_contain_text(
        "If you do nothing by then, the request is closed and nothing is refunded."
    )
    expect(page.locator("#money")).to_contain_text("You asked for ¥183.00")
    # the recommended button leads where it says
    escalate.click()
    expect(page.get_by_label("Why do you ask the platform to step in?")).to_be_visible()


def test_on_a_phone_in_chinese_the_order_holds_and_nothing_scrolls_sideways(
    phone_page, item, seller, buyer
):
    request = rejected(item, seller)
    sign_in(phone_page, "buyer")
    phone_page.goto(f"/requests/{request.pk}/")
    positions = tops(phone_page, ORDER)
    assert positions == sorted(positions), positions
    expect(phone_page.locator("#refusal")).to_contain_text("卖家拒绝的原因")
    expect(phone_page.locator(".stepper .step.rejected")).to_have_text("卖家拒绝")
    expect(phone_page.locator("#actions .choice .badge")).to_have_text("推荐")
    assert phone_page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
