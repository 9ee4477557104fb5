"""已买到的宝贝: the buyer's orders at ``/``; each item says what after-sales service it can get."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.models import State
from tests.aftersales.factories import request_in
from tests.aftersales.test_buyer_views import Page
from tests.orders.factories import OrderFactory, OrderItemFactory


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer)
    return client


def order_numbers(response) -> list[str]:
    return re.findall(r"Order (T[\w-]+)", Page(response).text)


def item_row(response, item) -> Page:
    """One item's row on the page, read on its own."""
    html = response.content.decode()
    match = re.search(rf'<li class="item" id="item-{item.pk}">(.*?)</li>', html, re.S)
    assert match, f"item {item.pk} is not on the page"
    return Page(match.group(1))


def test_anonymous_visitors_see_the_landing_page(client, item):
    response = client.get("/")
    page = Page(response)
    assert response.status_code == 200
    assert {href for _label, href in page.links} >= {"/", "/seller/", "/admin/", "/login/"}
    assert page.link("Buyer portal") == "/"
    assert page.link("Seller center") == "/seller/"
    assert page.link("Platform administration") == "/admin/"
    assert item.title not in page.text
    assert page.link("My orders") is None


def test_my_orders_are_newest_first(as_buyer, buyer, shop):
    now = timezone.now()
    for number, days_ago in [("T1", 3), ("T3", 1), ("T2", 2)]:
        OrderItemFactory(
            order__number=number,
            order__buyer=buyer,
            order__shop=shop,
            order__paid_at=now - timedelta(days=days_ago, hours=1),
        )
    assert order_numbers(as_buyer.get("/")) == ["T3", "T2", "T1"]


def test_my_orders_are_paginated_by_ten(as_buyer, buyer, shop):
    now = timezone.now()
    for n in range(12):
        OrderItemFactory(
            order__number=f"T{n:03}",
            order__buyer=buyer,
            order__shop=shop,
            order__paid_at=now - timedelta(days=30 - n),
        )
    first, second = as_buyer.get("/"), as_buyer.get("/?page=2")
    assert order_numbers(first) == [f"T{n:03}" for n in range(11, 1, -1)]
    assert order_numbers(second) == ["T001", "T000"]
    assert "Page 1 of 2" in Page(first).text
    assert Page(first).link("Next ›") == "?page=2"
    assert Page(second).link("‹ Previous") == "?page=1"


def test_only_the_buyers_own_orders_are_listed(as_buyer, buyer, other_buyer, shop):
    OrderItemFactory(order__number="T-MINE", order__buyer=buyer, order__shop=shop)
    OrderItemFactory(order__number="T-THEIRS", order__buyer=other_buyer, order__shop=shop)
    assert order_numbers(as_buyer.get("/")) == ["T-MINE"]


def test_a_buyer_without_orders_is_told_so(as_buyer):
    assert "You have no orders yet." in Page(as_buyer.get("/")).text


def test_items_show_amounts_and_shipping_status(as_buyer, buyer, shop):
    order = OrderFactory(buyer=buyer, shop=shop)
    delivered = OrderItemFactory(order=order, title="Tea")
    shipped = OrderItemFactory(
        order=order,
        title="Cup",
        in_transit=True,
        unit_price=Decimal("35.50"),
        quantity=1,
        amount_paid=Decimal("35.50"),
    )
    waiting = OrderItemFactory(order=order, title="Pot", not_shipped=True)
    response = as_buyer.get("/")
    assert "¥100.00 × 2 · paid ¥200.00" in item_row(response, delivered).text
    assert "delivered" in item_row(response, delivered).text.split()
    assert "¥35.50 × 1 · paid ¥35.50" in item_row(response, shipped).text
    assert "shipped" in item_row(response, shipped).text.split()
    assert "not shipped" in item_row(response, waiting).text


def test_an_eligible_item_links_to_the_request_form(as_buyer, item):
    response = as_buyer.get("/")
    assert ("Apply for after-sales", f"/items/{item.pk}/apply/") in item_row(response, item).links


def test_an_item_with_an_open_request_links_to_it(as_buyer, item):
    request = request_in(State.AWAITING_RETURN, item)
    response = as_buyer.get("/")
    links = item_row(response, item).links
    assert ("After-sales in progress", f"/requests/{request.pk}/") in links
    assert not any("/apply/" in href for _label, href in links)
    assert "Waiting for the buyer to ship back" in item_row(response, item).text


def test_a_fully_refunded_item_says_so(as_buyer, buyer, shop, seller):
    item = OrderItemFactory(
        order__buyer=buyer, order__shop=shop, quantity=1, amount_paid=Decimal("100.00")
    )
    request_in(State.REFUNDED, item)
    response = as_buyer.get("/")
    block = item_row(response, item).text
    assert "Fully refunded." in block
    assert "refunded ¥100.00" in block
    assert item_row(response, item).links == []


def test_a_partly_refunded_item_can_still_get_service(as_buyer, item):
    request_in(State.REFUNDED, item)  # one of the two units
    response = as_buyer.get("/")
    assert "refunded ¥100.00" in item_row(response, item).text
    assert ("Apply for after-sales", f"/items/{item.pk}/apply/") in item_row(response, item).links


def test_an_item_past_every_window_says_why_and_offers_a_paid_repair(as_buyer, buyer, shop):
    item = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        shipped_at=timezone.now() - timedelta(days=402),
        delivered_at=timezone.now() - timedelta(days=400),
    )
    response = as_buyer.get("/")
    assert (
        "The after-sales window has passed; a repair is still possible, for a fee."
        in item_row(response, item).text
    )
    assert item_row(response, item).links == [("Apply for after-sales", f"/items/{item.pk}/apply/")]
    kinds = Page(as_buyer.get(f"/items/{item.pk}/apply/")).links
    assert ("Repair", "?kind=repair") in kinds
    assert not any("kind=return_refund" in href for _, href in kinds)


def test_an_item_not_yet_shipped_can_be_refunded(as_buyer, buyer, shop):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop, not_shipped=True)
    response = as_buyer.get("/")
    assert ("Apply for after-sales", f"/items/{item.pk}/apply/") in item_row(response, item).links
    kinds = Page(as_buyer.get(f"/items/{item.pk}/apply/")).links
    assert [label for label, href in kinds if href.startswith("?kind=")] == ["Refund only"]
