"""The seller's automation rules page (/seller/rules/, issue 15), driven with the test client."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.models import AutomationRule, Kind, Reason, State
from aftersales.services import automation
from tests.aftersales.factories import file_request
from tests.aftersales.test_seller_views import Page, client_for
from tests.orders.factories import OrderItemFactory, ShopFactory, UserFactory

Do = AutomationRule.Do
RULES = reverse("seller:rules")
NEW = reverse("seller:rule_new")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def unshipped_refund_only(shop, **fields):
    item = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop, not_shipped=True)
    fields.setdefault("refund_amount", Decimal("50"))
    return file_request(item, kind=Kind.REFUND_ONLY, reason=Reason.CHANGED_MIND, **fields)


def a_rule(shop, **fields):
    fields.setdefault("name", "未发货仅退款")
    fields.setdefault("action", Do.APPROVE_REFUND_ONLY)
    return automation.save_rule(rule=AutomationRule(shop=shop, **fields), actor=None)


FORM = {
    "name": "未发货仅退款",
    "action": Do.APPROVE_REFUND_ONLY,
    "kinds": [Kind.REFUND_ONLY],
    "order_shipped": "no",
    "amount_up_to": "80",
    "enabled": "on",
}


def test_preview_shows_the_count_and_keeps_the_form(shop, seller):
    for _ in range(3):
        unshipped_refund_only(shop)
    unshipped_refund_only(shop, refund_amount=Decimal("100"))
    client = client_for(seller)
    response = client.post(NEW, {**FORM, "preview": "1"})
    page = Page(response)
    assert response.status_code == 200
    assert any(
        "This rule would have handled 3 of your shop's requests of the last 30 days" in m
        for m in page.messages
    )
    assert page.values["name"] == "未发货仅退款"
    assert page.values["amount_up_to"] == "80"
    assert page.values["order_shipped"] == "no"
    assert not AutomationRule.objects.exists()  # a preview saves nothing
    assert len([href for _, href in page.links if "/seller/requests/" in href]) == 3


def test_saving_says_the_count_and_lists_the_rule(shop, seller):
    unshipped_refund_only(shop)
    client = client_for(seller)
    response = client.post(NEW, {**FORM, "save": "1"}, follow=True)
    page = Page(response)
    assert any("would have handled 1 of your shop's requests" in m for m in page.messages)
    rule = AutomationRule.objects.get()
    assert (rule.shop, rule.order_shipped, rule.amount_up_to, rule.enabled) == (
        shop, False, Decimal("80.00"), True
    )  # fmt: skip
    assert "the order was not shipped" in page.text
    assert "amount up to ¥80.00" in page.text
    assert "Handled 0 requests so far." in page.text


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"kinds": [], "order_shipped": "", "amount_up_to": ""}, "at least one condition"),
        ({"amount_at_least": "90"}, "Contradictory amounts"),
        ({"kinds": [Kind.EXCHANGE]}, "only acts on"),
        ({"amount_up_to": "abc"}, "Enter a number."),
        ({"action": Do.APPROVE_RETURN, "kinds": [Kind.RETURN_REFUND]}, "return address"),
        ({"days_since_delivery_up_to": "3"}, "never delivered"),
    ],
)
def test_bad_rules_rerender_with_the_error_losing_nothing(shop, seller, changes, error):
    response = client_for(seller).post(NEW, {**FORM, **changes, "save": "1"})
    page = Page(response)
    assert response.status_code == 400
    assert any(error in e for e in page.errors), page.errors
    assert page.values["name"] == "未发货仅退款"
    assert not AutomationRule.objects.exists()


def test_editing_switching_moving_and_deleting(shop, seller):
    first = a_rule(shop, name="first", order_shipped=False)
    second = a_rule(shop, name="second", amount_up_to=Decimal("20"))
    client = client_for(seller)
    page = Page(client.get(reverse("seller:rule_edit", args=[first.pk])))
    assert page.values["name"] == "first" and page.values["order_shipped"] == "no"
    client.post(
        reverse("seller:rule_edit", args=[first.pk]),
        {**FORM, "name": "renamed", "save": "1"},
    )
    first.refresh_from_db()
    assert first.name == "renamed"
    client.post(reverse("seller:rule_move", args=[second.pk]), {"direction": "up"})
    names = list(AutomationRule.objects.values_list("name", flat=True))
    assert names == ["second", "renamed"]
    client.post(reverse("seller:rule_switch", args=[second.pk]), {"enabled": "0"})
    second.refresh_from_db()
    assert not second.enabled
    client.post(reverse("seller:rule_delete", args=[second.pk]))
    assert list(AutomationRule.objects.all()) == [first]


def test_a_rule_that_acted_is_switched_off_not_deleted(shop, seller):
    rule = a_rule(shop, order_shipped=False)
    assert unshipped_refund_only(shop).state == State.REFUNDED
    client = client_for(seller)
    page = Page(client.get(RULES))
    assert "Handled 1 request so far." in page.text
    assert "can only be switched off, not deleted" in page.text
    page = Page(client.post(reverse("seller:rule_delete", args=[rule.pk]), follow=True))
    assert any("Switch it off instead" in m for m in page.messages + page.errors)
    assert AutomationRule.objects.filter(pk=rule.pk).exists()


def test_another_shops_rules_are_not_found(shop, seller):
    theirs = a_rule(ShopFactory(), order_shipped=False)
    client = client_for(seller)
    for name in ("rule_edit", "rule_switch", "rule_move", "rule_delete"):
        method = client.get if name == "rule_edit" else client.post
        assert method(reverse(f"seller:{name}", args=[theirs.pk])).status_code == 404
    assert client.get(NEW + f"?shop={theirs.shop_id}").status_code == 404
    assert theirs.name not in Page(client.get(RULES)).text
    theirs.refresh_from_db()
    assert theirs.enabled


def test_anonymous_is_sent_to_sign_in(client, shop):
    response = client.get(RULES)
    assert response.status_code == 302 and "login" in response.url


def test_the_dashboard_links_to_the_rules(shop, seller):
    page = Page(client_for(seller).get(reverse("seller:dashboard")))
    assert page.link("Automation rules") == RULES


def test_the_rules_page_reads_a_bounded_number_of_queries(shop, seller):
    client = client_for(seller)
    a_rule(shop, order_shipped=False)
    unshipped_refund_only(shop)
    client.get(RULES)
    with CaptureQueriesContext(connection) as few:
        client.get(RULES)
    for n in range(6):
        a_rule(shop, name=f"r{n}", amount_up_to=Decimal(10 + n), kinds=[Kind.REFUND_ONLY])
    with CaptureQueriesContext(connection) as many:
        client.get(RULES)
    assert len(many) == len(few)


def test_the_dashboard_shows_speed_against_the_marketplace_and_rules_this_week(shop, seller):
    from reviews import summary

    a_rule(shop, order_shipped=False)
    for _ in range(2):
        unshipped_refund_only(shop)
    other = ShopFactory()
    item = OrderItemFactory(order__buyer=UserFactory(), order__shop=other)
    file_request(item, kind=Kind.RETURN_REFUND)
    summary.refresh(shop.pk)
    summary.refresh_marketplace()
    page = Page(client_for(seller).get(reverse("seller:dashboard")))
    assert "2Handled by your rules in the last 7 days" in page.text
    assert "Speed against the marketplace (last 30 days)" in page.text
    assert "Your shop" in page.text and "Marketplace" in page.text
    stored = summary.marketplace().scores[0]
    assert stored.requests == 3  # every shop's requests
    assert stored.median_time_to_refund is not None
    # A rule answers in the shop's name: its answer is the shop's first response.
    assert summary.summary(shop.pk).scores[0].median_first_response == timedelta(0)


def test_rules_this_week_counts_requests_not_steps(shop, seller, buyer):
    """A rule that passes an inspection takes two steps on one request: one request."""
    from django.utils import timezone

    from aftersales import rules

    a_rule(shop, order_shipped=False)
    unshipped_refund_only(shop)
    week_ago = timezone.now() - timedelta(days=7)
    assert rules.handled_since([shop.pk], since=week_ago) == 1
    assert rules.handled_since([ShopFactory().pk], since=week_ago) == 0
    assert rules.handled_since([shop.pk], since=timezone.now() + timedelta(seconds=1)) == 0
