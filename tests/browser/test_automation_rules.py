"""Shop automation rules in a real browser (issue 15): a seller makes a rule after previewing
what it would have handled, and a buyer's refund-only on an unshipped order is agreed at once,
the rule named."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from aftersales.models import AutomationRule, Kind, LedgerEntry, Reason, State
from tests.aftersales.factories import file_request
from tests.browser.conftest import sign_in
from tests.orders.factories import OrderItemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def flash(page):
    return page.locator(".messages li")


def test_a_rule_previewed_saved_and_agreeing_at_once(page, shop, seller, buyer):
    # given the shop had a refund-only request on an unshipped order last week, and one on a
    # delivered order
    earlier = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop, not_shipped=True)
    file_request(earlier, kind=Kind.REFUND_ONLY, reason=Reason.CHANGED_MIND)
    delivered = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop)
    file_request(delivered, kind=Kind.REFUND_ONLY, reason=Reason.NOT_RECEIVED)
    unshipped = OrderItemFactory(
        order__buyer=buyer, order__shop=shop, not_shipped=True, title="Biluochun, 100 g"
    )
    sign_in(page, "seller")
    # when the seller opens the rules from the seller center and describes a rule
    page.get_by_role("link", name="Seller center").first.click()
    page.get_by_role("link", name="Automation rules").click()
    expect(page.get_by_text("No rules yet")).to_be_visible()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("未发货仅退款")
    page.get_by_label("Agree to the refund at once").check()
    page.get_by_label("Refund only").check()
    page.get_by_label("Not shipped", exact=True).check()
    # and asks for a preview first
    page.get_by_role("button", name="Preview").click()
    # then the page says what the rule would have handled, and keeps the form filled
    expect(page.locator(".preview")).to_contain_text(
        "This rule would have handled 1 of your shop's requests of the last 30 days."
    )
    expect(page.locator(".preview").get_by_role("link")).to_have_count(1)
    expect(page.get_by_label("Name")).to_have_value("未发货仅退款")
    expect(page.get_by_label("Not shipped", exact=True)).to_be_checked()
    assert not AutomationRule.objects.exists()
    # when a contradiction slips in, the page says so and loses nothing
    page.get_by_label("Amount at least (¥)").fill("90")
    page.get_by_label("Amount up to (¥)").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Contradictory amounts")
    expect(page.get_by_label("Name")).to_have_value("未发货仅退款")
    page.get_by_label("Amount at least (¥)").fill("")
    page.get_by_label("Amount up to (¥)").fill("")
    page.get_by_role("button", name="Save").click()
    # then it is saved, with the count, and listed in words
    expect(flash(page)).to_have_text(
        "Rule “未发货仅退款” saved. It would have handled 1 of your shop's requests of the last "
        "30 days."
    )
    expect(page.locator(".rule")).to_contain_text("the order was not shipped")
    expect(page.locator(".rule")).to_contain_text("Agree to the refund at once")

    # when the buyer files a refund-only on the unshipped order
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "buyer")
    page.locator(f"#item-{unshipped.pk}").get_by_role("link", name="Apply for after-sales").click()
    page.get_by_role("link", name="Refund only").click()
    page.get_by_label("Reason").select_option(label="Changed my mind")
    page.get_by_label("Description").fill("Ordered twice by mistake.")
    page.get_by_role("button", name="Submit request").click()
    # then it is agreed at once, within the same request, and the page names the rule
    expect(flash(page)).to_have_text(
        "The shop's automation rule “未发货仅退款” agreed at once: Refunded."
    )
    expect(
        page.get_by_text("System agreed at once (the shop's automation rule: 未发货仅退款)").first
    ).to_be_visible()
    request = unshipped.aftersales_requests.get()
    assert request.state == State.REFUNDED
    refund = LedgerEntry.objects.get(request=request, type=LedgerEntry.Type.REFUND)
    assert refund.amount == Decimal("200.00")
