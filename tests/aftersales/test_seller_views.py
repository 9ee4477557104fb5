"""The seller center (issue 4), driven with Django's test client.

Assertions read what a shop member would see (the counters, the queue's rows, messages, form
errors, what is still typed into a form, the timeline) or what changed in the database (state,
events and who caused them, the ledger, evidence). Nothing peeks at view internals.
"""

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales import services, uploads
from aftersales.models import (
    AfterSalesRequest,
    Evidence,
    Kind,
    LedgerEntry,
    Message,
    PendingUpload,
    Proposal,
    Reason,
    RejectionReason,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from disputes import services as dispute_services
from orders.models import ReturnAddress
from portals.seller.urls import urlpatterns as SELLER_URLS
from reviews import summary
from tests.aftersales.factories import TRACKING, file_request, jpeg_upload, photo, request_in
from tests.orders.factories import (
    ArbitratorFactory,
    OrderItemFactory,
    ReturnAddressFactory,
    ShopMemberFactory,
    UserFactory,
)

STALE = (
    "This request has changed since the page was loaded, so nothing was done. "
    "Here is its current state."
)
FORGED_ERROR = "“{}” is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image."
NO_SHOP = "Your account is not a member of any shop"

# --- reading a page the way a person does -----------------------------------------------------

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})
BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "section", "header", "nav", "main"}
    | {"form", "fieldset", "legend", "br", "tr", "td", "th", "details", "summary", "label"}
)


class Page(HTMLParser):
    """What a person sees on a rendered page: flash messages, error notes, links, buttons,
    what each form field holds, the queue's rows, and the text of elements by CSS class."""

    def __init__(self, response):
        super().__init__(convert_charrefs=True)
        self.status_code = response.status_code
        self.messages: list[str] = []
        self.errors: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.buttons: list[str] = []
        self.summaries: list[str] = []
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.checkboxes: dict[str, list[str]] = defaultdict(list)
        self.kept: list[tuple[str, bool, str]] = []  # (upload id, checked, label)
        self.images: list[str] = []
        self.rows: list[str] = []  # the text of each row of a table body
        self.by_class: dict[str, list[str]] = defaultdict(list)
        self._words: list[str] = []
        self._stack: list[dict] = []
        self._skip = 0
        self.feed(response.content.decode())

    @property
    def text(self) -> str:
        return " ".join("".join(self._words).split())

    def link(self, text: str) -> str | None:
        return next((href for label, href in self.links if label == text), None)

    def _inside(self, **wanted) -> dict | None:
        for element in reversed(self._stack):
            if all(element["attrs"].get(k) == v or element["tag"] == v for k, v in wanted.items()):
                return element
        return None

    def _space(self) -> None:
        self._words.append(" ")
        for element in self._stack:
            element["text"].append(" ")

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        if tag in BLOCKS:
            self._space()
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag == "input":
            self._input(a)
        if tag == "option":
            select = self._inside(tag="select")
            name = select["attrs"].get("name", "") if select else ""
            self.options.setdefault(name, []).append(a.get("value", ""))
            if "selected" in a:
                self.values[name] = a.get("value", "")
        if tag not in VOID:
            self._stack.append({"tag": tag, "attrs": a, "text": [], "has_li": False})

    def _input(self, a):
        name, kind = a.get("name", ""), a.get("type", "text")
        if name == "kept":
            label = self._inside(tag="label")
            if label is not None:
                label["kept"] = (a.get("value", ""), "checked" in a)
        elif kind == "checkbox":
            self.checkboxes[name].append(a.get("value", ""))
        elif kind == "radio":
            if "checked" in a:
                self.values[name] = a.get("value", "")
        elif kind not in ("file", "submit"):
            self.values[name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in BLOCKS:
            self._space()
        if tag in VOID:
            return
        while self._stack:
            element = self._stack.pop()
            self._finish(element)
            if element["tag"] == tag:
                break

    def _finish(self, element):
        tag, attrs = element["tag"], element["attrs"]
        raw = "".join(element["text"])
        text = " ".join(raw.split())
        role = attrs.get("role")
        if role == "status":
            self.messages.append(text)
        elif role == "alert" and not element["has_li"]:
            self.errors.append(text)
        if tag == "li" and self._inside(role="alert"):
            self._inside(role="alert")["has_li"] = True
            self.errors.append(text)
        if tag == "a":
            self.links.append((text, attrs.get("href", "")))
        elif tag == "button":
            self.buttons.append(text)
        elif tag == "summary":
            self.summaries.append(text)
        elif tag == "textarea":
            self.values[attrs.get("name", "")] = raw.removeprefix("\n")
        elif tag == "tr" and self._inside(tag="tbody") and self._inside(**{"class": "queue"}):
            self.rows.append(text)
        elif tag == "label" and "kept" in element:
            upload_id, checked = element["kept"]
            self.kept.append((upload_id, checked, text))
        for name in attrs.get("class", "").split():
            self.by_class[name].append(text)

    def handle_data(self, data):
        if self._skip:
            return
        self._words.append(data)
        for element in self._stack:
            element["text"].append(data)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_seller(seller):
    return client_for(seller)


@pytest.fixture
def colleague(shop):
    """A second member of the seller's shop."""
    return ShopMemberFactory(shop=shop, user__username="colleague").user


@pytest.fixture
def new_item(buyer, shop, seller):
    """Another delivered item of the shop, bought by ``buyer`` unless told otherwise."""

    def make(title: str = "Longjing green tea, 250 g tin", buyer=buyer, **order):
        return OrderItemFactory(
            title=title,
            order__buyer=buyer,
            order__shop=shop,
            **{f"order__{k}": v for k, v in order.items()},
        )

    return make


def url(request: AfterSalesRequest, action: str = "") -> str:
    return f"/seller/requests/{request.pk}/" + (f"{action}/" if action else "")


def reload(request: AfterSalesRequest) -> AfterSalesRequest:
    request.refresh_from_db()
    return request


def row_ids(page: Page) -> list[int]:
    """The request numbers of the queue's rows, top to bottom."""
    return [int(re.match(r"#(\d+)", row).group(1)) for row in page.rows if row.startswith("#")]


def kept_labels(page: Page) -> list[str]:
    return [label for _id, checked, label in page.kept if checked]


def snapshot(request: AfterSalesRequest) -> tuple:
    """Everything a seller action could change about a request."""
    request = AfterSalesRequest.objects.get(pk=request.pk)
    return (
        request.state,
        request.kind,
        request.refund_amount,
        request.return_address,
        request.due_at,
        request.updated_at,
        request.events.count(),
        request.proposals.count(),
        request.messages.count(),
        request.shipments.count(),
        request.evidence.count(),
        request.ledger_entries.count(),
    )


def forged(name: str = "forged.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<?php system($_GET['c']); ?>", content_type="image/jpeg")


# --- the dashboard -----------------------------------------------------------------------------


def counters(page: Page) -> list[tuple[str, int]]:
    """The dashboard's counters as (label, number): a big number above its label."""
    return [
        (label, int(number))
        for number, label in (
            re.fullmatch(r"(\d+)(.*)", c).groups() for c in page.by_class["counter"]
        )
    ]


def set_due(request: AfterSalesRequest, due_at) -> AfterSalesRequest:
    AfterSalesRequest.objects.filter(pk=request.pk).update(due_at=due_at)
    return reload(request)


def test_dashboard_counts_what_waits_for_the_seller(as_seller, new_item, other_seller, buyer):
    # given two new requests (one overdue), one in each other state the seller must act in
    # (inspecting due in three hours), and requests that do not count
    now = timezone.now()
    set_due(request_in(State.SUBMITTED, new_item()), now - timedelta(hours=1))
    request_in(State.SUBMITTED, new_item())
    request_in(State.RETURN_SHIPPED, new_item())
    set_due(request_in(State.INSPECTING, new_item()), now + timedelta(hours=3))
    request_in(State.REPAIRING, new_item())
    request_in(State.DISPUTED, new_item())
    request_in(State.NEGOTIATING, new_item())
    request_in(State.REFUNDED, new_item())
    other_shop = other_seller.shop_memberships.get().shop
    request_in(State.SUBMITTED, OrderItemFactory(order__buyer=buyer, order__shop=other_shop))
    # when
    page = Page(as_seller.get("/seller/"))
    # then
    assert counters(page) == [
        ("Waiting for the seller", 2),
        ("Waiting for the seller to confirm receipt", 1),
        ("Seller inspecting", 1),
        ("Being repaired", 1),
        ("Platform intervening", 1),
        ("Due within 24 hours", 1),
        ("Overdue", 1),
        ("Handled by your rules in the last 7 days", 0),
    ]
    assert page.link("2Waiting for the seller") == "?state=submitted"
    assert page.link("1Platform intervening") == "?state=disputed"


def test_dashboard_names_the_shop_and_links_back_to_each_request(as_seller, item):
    request = file_request(item)
    page = Page(as_seller.get("/seller/"))
    assert "After-sales queue · Hangzhou Tea House" in page.text
    assert page.link(f"#{request.pk}") == url(request)
    (row,) = page.rows
    assert row == (
        f"#{request.pk} {item.order.number} Longjing green tea, 250 g tin "
        "Return and refund · Quality problem buyer Waiting for the seller ¥100.00 "
        f"{timezone.localtime(request.due_at):%m-%d %H:%M} approved automatically"
    )


def test_queue_is_sorted_by_deadline_with_no_deadline_last(as_seller, new_item):
    now = timezone.now()
    late = set_due(request_in(State.SUBMITTED, new_item()), now + timedelta(days=4))
    finished = request_in(State.REFUNDED, new_item())  # no deadline
    overdue = set_due(request_in(State.INSPECTING, new_item()), now - timedelta(hours=2))
    soon = set_due(request_in(State.RETURN_SHIPPED, new_item()), now + timedelta(hours=5))
    # when the seller looks at all requests
    page = Page(as_seller.get("/seller/?state="))
    # then
    assert row_ids(page) == [overdue.pk, soon.pk, late.pk, finished.pk]
    assert page.by_class["overdue"] == [f"{timezone.localtime(overdue.due_at):%m-%d %H:%M}"]


def test_the_queue_shows_the_requests_in_progress_by_default(as_seller, new_item):
    in_progress = [
        request_in(state, new_item(title=f"tea {state}"))
        for state in (State.SUBMITTED, State.NEGOTIATING, State.AWAITING_RETURN, State.DISPUTED)
    ]
    for state in (State.REFUNDED, State.CLOSED):
        request_in(state, new_item(title=f"tea {state}"))
    page = Page(as_seller.get("/seller/"))
    assert sorted(row_ids(page)) == sorted(r.pk for r in in_progress)


def test_the_state_filter_says_in_progress_when_the_queue_shows_the_requests_in_progress(
    as_seller, new_item
):
    """The default queue is "In progress"; the filter form must say so, or the next search
    sent from it silently widens to every state."""
    open_request = request_in(State.SUBMITTED, new_item())
    refunded = request_in(State.REFUNDED, new_item())
    page = Page(as_seller.get("/seller/"))
    assert row_ids(page) == [open_request.pk]
    assert page.values["state"] == "open"
    # when the seller searches for the buyer with the form as it came
    searched = Page(as_seller.get("/seller/", {**page_filters(page), "q": "buyer"}))
    # then the search stays within the requests in progress
    assert row_ids(searched) == [open_request.pk], f"{refunded.pk} is not in progress"


def page_filters(page: Page) -> dict[str, str]:
    """What the filter form sends back as it is shown."""
    names = ("state", "kind", "reason", "created_from", "created_to", "q")
    return {name: page.values.get(name, "") for name in names}


@pytest.fixture
def queue(new_item):
    """Five requests that differ in state, kind, reason, buyer, order number and filing day."""
    alice = UserFactory(username="alice")
    made = {
        "green": file_request(new_item("green tea", number="T2026GREEN001"), kind=Kind.REFUND_ONLY),
        "oolong": request_in(State.INSPECTING, new_item("oolong", number="T2026OOLONG01")),
        "puer": file_request(
            new_item("pu'er", buyer=alice, number="T2026PUER0001"),
            kind=Kind.EXCHANGE,
            reason=Reason.WRONG_SIZE,
        ),
        "white": file_request(
            new_item("white tea", number="T2026WHITE001"), reason=Reason.DAMAGED_IN_TRANSIT
        ),
        "black": request_in(State.REFUNDED, new_item("black tea", number="T2026BLACK001")),
    }
    for days, name in enumerate(["black", "white", "puer", "oolong", "green"]):
        filed = datetime(2026, 3, 10 + days, 4, 0, tzinfo=UTC)  # noon in Shanghai
        AfterSalesRequest.objects.filter(pk=made[name].pk).update(created_at=filed)
    return made


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("state=open", {"green", "oolong", "puer", "white"}),
        ("state=", {"green", "oolong", "puer", "white", "black"}),
        ("state=inspecting", {"oolong"}),
        ("state=refunded", {"black"}),
        ("state=&kind=refund_only", {"green", "black"}),
        ("state=&kind=exchange", {"puer"}),
        ("state=&reason=damaged_in_transit", {"white"}),
        ("state=&q=T2026OOLONG01", {"oolong"}),
        ("state=&q=t2026black", {"black"}),
        ("state=&q=alice", {"puer"}),
        ("state=&created_from=2026-03-12", {"puer", "oolong", "green"}),
        ("state=&created_to=2026-03-11", {"black", "white"}),
        ("state=&created_from=2026-03-11&created_to=2026-03-12", {"white", "puer"}),
        ("state=open&kind=refund_only&q=green", {"green"}),
    ],
)
def test_queue_filters_and_search(as_seller, queue, query, shown):
    page = Page(as_seller.get(f"/seller/?{query}"))
    assert sorted(row_ids(page)) == sorted(queue[name].pk for name in shown)
    # and the form shows the filter that is applied
    for pair in query.split("&"):
        name, value = pair.split("=")
        assert page.values[name] == value, name


def test_nonsense_filters_show_the_requests_in_progress(as_seller, queue):
    response = as_seller.get("/seller/?state=bogus&created_from=yesterday")
    assert response.status_code == 200
    page = Page(response)
    assert sorted(row_ids(page)) == sorted(
        queue[n].pk for n in ("green", "oolong", "puer", "white")
    )


def test_queue_is_paginated_by_25_and_the_pages_keep_the_filter(as_seller, new_item):
    made = [file_request(new_item(f"Tea {n:02}")) for n in range(26)]
    first = Page(as_seller.get("/seller/?state=submitted"))
    assert len(first.rows) == 25
    assert "Page 1 of 2" in first.text
    assert first.link("Next ›") == "?state=submitted&page=2"
    second = Page(as_seller.get("/seller/?state=submitted&page=2"))
    assert len(second.rows) == 1
    assert set(row_ids(first) + row_ids(second)) == {r.pk for r in made}
    assert second.link("‹ Previous") == "?state=submitted&page=1"


def test_the_second_page_of_the_default_queue_still_shows_only_requests_in_progress(
    as_seller, new_item
):
    # given 26 requests in progress and a finished one (no deadline: it sorts last)
    for n in range(26):
        file_request(new_item(f"Tea {n:02}"))
    refunded = request_in(State.REFUNDED, new_item("refunded tea"))
    first = Page(as_seller.get("/seller/"))
    # when the seller follows "Next"
    second = Page(as_seller.get("/seller/" + first.link("Next ›")))
    # then
    assert len(first.rows) + len(second.rows) == 26
    assert refunded.pk not in row_ids(second)


def test_only_refund_only_requests_waiting_for_the_seller_can_be_ticked(as_seller, new_item):
    refund = file_request(new_item(), kind=Kind.REFUND_ONLY)
    file_request(new_item(), kind=Kind.RETURN_REFUND)
    request_in(State.REFUNDED, new_item(), kind=Kind.REFUND_ONLY)
    page = Page(as_seller.get("/seller/?state="))
    assert page.checkboxes["ids"] == [str(refund.pk)]
    assert "Approve and refund the ticked refund-only requests" in page.buttons


# --- the request page --------------------------------------------------------------------------


def test_request_page_shows_order_item_evidence_history_and_timeline(
    as_seller, new_item, item, seller, buyer, other_seller
):
    # given the buyer had one request with this shop before, and one with another shop
    request_in(State.REFUNDED, new_item())
    other_shop = other_seller.shop_memberships.get().shop
    request_in(State.REFUNDED, OrderItemFactory(order__buyer=buyer, order__shop=other_shop))
    # and files a return with a photo; the seller asks a question, the buyer answers with one
    request = file_request(item, files=[photo("dent.jpg")])
    services.post_message(request=request, actor=seller, body="Is the inner seal broken?")
    services.post_message(
        request=request, actor=buyer, body="Yes, see the photo.", files=[photo("seal.jpg")]
    )
    # when
    response = as_seller.get(url(request))
    # then
    page = Page(response)
    assert response.status_code == 200
    assert "Waiting for the seller" in page.by_class["badge"]
    assert "Return and refund · Quality problem · 1 item(s) · refund ¥100.00" in page.text
    assert "Longjing green tea, 250 g tin 250 g" in page.text
    assert f"Hangzhou Tea House · Order {item.order.number}" in page.text
    assert "¥100.00 × 2 · paid ¥200.00" in page.text
    assert "Buyer: buyer · 1 earlier request with this shop" in page.text
    assert "The lid of the tin was dented and the seal broken." in page.text
    assert "4 days 23 hours left: approved automatically" in page.text
    # the gallery and the timeline show both photos, served to the seller
    dent, seal = request.evidence.order_by("pk")
    assert {f"/evidence/{dent.pk}/thumb/", f"/evidence/{seal.pk}/thumb/"} <= set(page.images)
    for evidence in (dent, seal):
        assert as_seller.get(f"/evidence/{evidence.pk}/").status_code == 200
        assert as_seller.get(f"/evidence/{evidence.pk}/thumb/").status_code == 200
    timeline = page.by_class["timeline"][0]
    assert "Buyer (buyer) filed the request → Waiting for the seller" in timeline
    assert "Seller (seller) wrote: Is the inner seal broken?" in timeline
    assert "Buyer (buyer) wrote: Yes, see the photo." in timeline
    assert timeline.index("filed the request") < timeline.index("Is the inner seal broken?")


SELLER_ACTIONS = {
    "Approve: the buyer sends the goods back",
    "Approve and refund ¥100.00 now",
    "Send the proposal",
    "Reject the request",
    "Confirm the goods arrived",
    "Inspection passed: refund ¥100.00",
    "Inspection passed: start the repair",
    "Record the shipment",
    "Record the failed inspection",
}
ANSWER = {"Approve: the buyer sends the goods back", "Send the proposal", "Reject the request"}


@pytest.mark.parametrize(
    ("state", "kind", "expected"),
    [
        (State.SUBMITTED, Kind.RETURN_REFUND, ANSWER),
        (State.SUBMITTED, Kind.EXCHANGE, ANSWER),
        (
            State.SUBMITTED,
            Kind.REFUND_ONLY,
            {"Approve and refund ¥100.00 now", "Send the proposal", "Reject the request"},
        ),
        (State.NEGOTIATING, Kind.RETURN_REFUND, set()),
        (State.REJECTED, Kind.RETURN_REFUND, set()),
        (State.AWAITING_RETURN, Kind.RETURN_REFUND, set()),
        (State.RETURN_SHIPPED, Kind.RETURN_REFUND, {"Confirm the goods arrived"}),
        (
            State.INSPECTING,
            Kind.RETURN_REFUND,
            {"Inspection passed: refund ¥100.00", "Record the failed inspection"},
        ),
        (State.INSPECTING, Kind.EXCHANGE, {"Record the shipment", "Record the failed inspection"}),
        (
            State.INSPECTING,
            Kind.REPAIR,
            {"Inspection passed: start the repair", "Record the failed inspection"},
        ),
        (State.REPAIRING, Kind.REPAIR, {"Record the shipment"}),
        (State.REPLACEMENT_SHIPPED, Kind.EXCHANGE, set()),
        (State.DISPUTED, Kind.RETURN_REFUND, set()),
        (State.REFUNDED, Kind.REFUND_ONLY, set()),
        (State.CLOSED, Kind.RETURN_REFUND, set()),
    ],
)
def test_request_page_offers_exactly_the_sellers_actions(as_seller, item, state, kind, expected):
    request = request_in(state, item, kind=kind)
    page = Page(as_seller.get(url(request)))
    assert SELLER_ACTIONS & set(page.buttons) == expected
    assert ("Send message" in page.buttons) == request.is_open


def test_a_repair_under_warranty_is_free(as_seller, item):
    request = file_request(item, kind=Kind.REPAIR)
    assert "Repair · Quality problem · 1 item(s) · under warranty, free repair" in (
        Page(as_seller.get(url(request))).text
    )


def test_a_repair_fee_is_proposed_and_shown_once_the_buyer_accepts_it(as_seller, item, buyer):
    # given a return the seller would rather repair, for a fee
    request = file_request(item, kind=Kind.RETURN_REFUND)
    response = as_seller.post(
        url(request, "propose"),
        {"kind": "repair", "repair_fee": "80.00", "note": "The warranty does not cover drops."},
        follow=True,
    )
    assert Page(response).messages == ["Proposal sent. The buyer can accept or decline it."]
    assert Proposal.objects.get(request=request).repair_fee == Decimal("80.00")
    # when the buyer accepts
    services.accept_proposal(request=request, actor=buyer)
    # then
    page = Page(as_seller.get(url(request)))
    assert "Repair · Quality problem · 1 item(s) · out of warranty, repair fee ¥80.00" in page.text
    assert (reload(request).kind, request.repair_fee) == (Kind.REPAIR, Decimal("80.00"))


# --- each action, happy path -------------------------------------------------------------------


def the_event(request: AfterSalesRequest, action: str) -> RequestEvent:
    return RequestEvent.objects.get(request=request, action=action)


def test_approve_a_return_with_the_chosen_return_address(as_seller, item, shop, seller):
    # given the shop has a second return address besides the default one
    warehouse = ReturnAddressFactory(
        shop=shop, recipient="李仓库", address="上海市青浦区华新镇 88 号", is_default=False
    )
    request = file_request(item)
    form = Page(as_seller.get(url(request)))
    assert form.options["return_address"] == [
        str(shop.default_return_address.pk),
        str(warehouse.pk),
    ]
    assert form.values["return_address"] == str(shop.default_return_address.pk)
    # when the seller approves with the warehouse
    response = as_seller.post(
        url(request, "approve"), {"return_address": warehouse.pk}, follow=True
    )
    # then
    assert response.redirect_chain == [(url(request), 302)]
    page = Page(response)
    assert page.messages == ["Approved. The buyer has been told where to send the goods."]
    assert reload(request).state == State.AWAITING_RETURN
    assert request.return_address == str(warehouse)
    assert f"Return address: {warehouse}" in page.text
    event = the_event(request, "approve")
    assert (event.actor, event.actor_role) == (seller, "seller")
    assert "Seller (seller) approved the request → Waiting for the buyer to ship back" in page.text
    assert not LedgerEntry.objects.exists()


def test_approve_a_refund_only_request_refunds_at_once(as_seller, item, seller):
    request = file_request(item, kind=Kind.REFUND_ONLY, quantity=2)
    response = as_seller.post(url(request, "approve"), follow=True)
    page = Page(response)
    assert page.messages == ["Approved and refunded."]
    assert "Refunded" in page.by_class["badge"]
    assert reload(request).state == State.REFUNDED
    refund = LedgerEntry.objects.get(request=request)
    assert (refund.type, refund.amount) == (LedgerEntry.Type.REFUND, Decimal("200.00"))
    assert the_event(request, "approve").actor == seller
    assert "paid ¥200.00 · refunded ¥200.00" in page.text


def test_approving_twice_refunds_once_and_says_the_page_was_stale(as_seller, item):
    request = file_request(item, kind=Kind.REFUND_ONLY)
    as_seller.post(url(request, "approve"), follow=True)
    before = snapshot(request)
    # when the second click arrives
    response = as_seller.post(url(request, "approve"), follow=True)
    # then
    assert Page(response).messages == [STALE]
    assert snapshot(request) == before
    assert LedgerEntry.objects.filter(request=request).count() == 1


def test_propose_a_partial_refund_with_compensation(as_seller, item, seller):
    request = file_request(item, quantity=2)
    response = as_seller.post(
        url(request, "propose"),
        {
            "kind": "refund_only",
            "refund_amount": "50.00",
            "compensation_amount": "10.00",
            "note": "Keep the tins; ¥50 back and ¥10 for the trouble.",
        },
        follow=True,
    )
    page = Page(response)
    assert page.messages == ["Proposal sent. The buyer can accept or decline it."]
    assert reload(request).state == State.NEGOTIATING
    proposal = Proposal.objects.get(request=request)
    assert (proposal.version, proposal.kind, proposal.refund_amount) == (
        1,
        Kind.REFUND_ONLY,
        Decimal("50.00"),
    )
    assert (proposal.compensation_amount, proposal.proposed_by) == (Decimal("10.00"), seller)
    assert the_event(request, "propose").actor == seller
    assert (
        "Seller's proposal v1: Refund only · refund ¥50.00 · compensation ¥10.00 "
        "waiting for the buyer" in page.text
    )
    assert "Keep the tins; ¥50 back and ¥10 for the trouble." in page.text
    assert not LedgerEntry.objects.exists()


PROPOSAL = {
    "kind": "refund_only",
    "refund_amount": "50.00",
    "compensation_amount": "",
    "repair_fee": "",
    "note": "Keep the tin, we refund part of it.",
}


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"refund_amount": "-5.00"}, "Ensure this value is greater than or equal to 0.00."),
        ({"compensation_amount": "-1"}, "Ensure this value is greater than or equal to 0.00."),
        (
            {"repair_fee": "-1", "kind": "repair"},
            "Ensure this value is greater than or equal to 0.00.",
        ),
        (
            {"refund_amount": "200.01"},
            "Amounts may not exceed what the buyer paid for the item (¥200.00).",
        ),
        (
            {"compensation_amount": "250.00"},
            "Amounts may not exceed what the buyer paid for the item (¥200.00).",
        ),
        (
            {"refund_amount": "99999999999"},
            "Ensure that there are no more than 10 digits before the decimal point.",
        ),
        ({"refund_amount": "abc"}, "Enter a number."),
        ({"refund_amount": "12,5"}, "Enter a number."),
        ({"refund_amount": "1.234"}, "Ensure that there are no more than 2 decimal places."),
        (
            {"refund_amount": "0", "compensation_amount": "0"},
            "A money offer needs an amount above ¥0.00.",
        ),
        (
            {"kind": "return_refund", "refund_amount": "100", "compensation_amount": "10"},
            "Compensation can only be offered with a refund that keeps the goods.",
        ),
        (
            {"kind": "exchange", "refund_amount": "", "compensation_amount": "5"},
            "Compensation can only be offered with a refund that keeps the goods.",
        ),
        (
            {"kind": "exchange", "refund_amount": "", "repair_fee": "30"},
            "A repair fee only goes with a repair.",
        ),
        ({"repair_fee": "30"}, "A repair fee only goes with a repair."),
        (
            {"kind": "return_refund", "refund_amount": ""},
            "A money offer needs an amount above ¥0.00.",
        ),
        (
            {"kind": "store_credit"},
            "Select a valid choice. store_credit is not one of the available choices.",
        ),
        ({"note": ""}, "This field is required."),
        ({"note": "   "}, "This field is required."),
    ],
)
def test_a_bad_proposal_is_refused_and_nothing_is_lost(as_seller, item, typed, error):
    request = file_request(item, quantity=2)
    before = snapshot(request)
    # when
    response = as_seller.post(url(request, "propose"), {**PROPOSAL, **typed})
    # then
    page = Page(response)
    assert response.status_code == 400
    assert error in page.errors, page.errors
    assert snapshot(request) == before
    # the form is open again, with what the seller typed
    assert "Propose another solution" in page.summaries
    typed_in = {**PROPOSAL, **typed}
    for name in ("refund_amount", "compensation_amount", "repair_fee"):
        assert page.values[name] == typed_in[name], name
    if typed_in["note"].strip():
        assert page.values["note"] == typed_in["note"]
    if typed_in["kind"] in {k.value for k in Kind}:
        assert page.values["kind"] == typed_in["kind"]


def test_reject_with_a_reason_an_explanation_and_a_photo(
    as_seller, item, seller, buyer, other_buyer
):
    request = file_request(item)
    response = as_seller.post(
        url(request, "reject"),
        {
            "reason": RejectionReason.USED,
            "explanation": "The tin has been opened and half the tea is gone.",
            "files": [jpeg_upload("half-empty.jpg")],
        },
        follow=True,
    )
    page = Page(response)
    assert page.messages == ["Request rejected; the buyer has been told why."]
    assert reload(request).state == State.REJECTED
    event = the_event(request, "reject")
    assert (event.actor, event.reason) == (seller, RejectionReason.USED)
    assert event.note == "The tin has been opened and half the tea is gone."
    evidence = Evidence.objects.get(event=event)
    assert (evidence.original_name, evidence.uploaded_by) == ("half-empty.jpg", seller)
    assert f"/evidence/{evidence.pk}/thumb/" in page.images
    # the buyer may see the seller's photo, nobody else
    assert client_for(buyer).get(f"/evidence/{evidence.pk}/").status_code == 200
    assert client_for(other_buyer).get(f"/evidence/{evidence.pk}/").status_code == 404
    assert "Seller (seller) rejected the request → Rejected by the seller" in page.text
    assert "The tin has been opened and half the tea is gone." in page.text
    assert not PendingUpload.objects.exists()


REJECTION = {"reason": "used", "explanation": "The tin has been opened."}


@pytest.mark.parametrize(
    ("typed", "field", "error"),
    [
        ({"reason": ""}, "reason", "This field is required."),
        ({"explanation": ""}, "explanation", "This field is required."),
        ({"explanation": "   "}, "explanation", "This field is required."),
        (
            {"reason": "too_expensive"},
            "reason",
            "Select a valid choice. too_expensive is not one of the available choices.",
        ),
    ],
)
def test_a_rejection_without_reason_or_explanation_is_refused_and_keeps_the_photo(
    as_seller, item, seller, typed, field, error
):
    request = file_request(item)
    before = snapshot(request)
    response = as_seller.post(
        url(request, "reject"), {**REJECTION, **typed, "files": [jpeg_upload("proof.jpg")]}
    )
    page = Page(response)
    assert response.status_code == 400
    assert error in page.errors
    assert snapshot(request) == before
    assert kept_labels(page) == ["proof.jpg"]
    other = "explanation" if field == "reason" else "reason"
    assert page.values[other] == REJECTION[other]
    # when the seller completes the form, the kept photo comes along
    (kept_id,) = [upload_id for upload_id, _checked, _label in page.kept]
    response = as_seller.post(url(request, "reject"), {**REJECTION, "kept": [kept_id]}, follow=True)
    assert Page(response).messages == ["Request rejected; the buyer has been told why."]
    evidence = Evidence.objects.get(event=the_event(request, "reject"))
    assert evidence.original_name == "proof.jpg"
    assert not PendingUpload.objects.exists()


def test_confirm_receipt_of_the_returned_goods(as_seller, item, seller):
    request = request_in(State.RETURN_SHIPPED, item)
    response = as_seller.post(url(request, "receipt"), follow=True)
    page = Page(response)
    assert page.messages == ["Receipt confirmed. Inspect the goods next."]
    assert reload(request).state == State.INSPECTING
    assert Shipment.objects.get(request=request).received_at is not None
    assert the_event(request, "confirm_return_received").actor == seller
    assert "Seller (seller) confirmed receipt of the returned goods → Seller inspecting" in (
        page.text
    )


def test_pass_the_inspection_of_a_return_refunds_it(as_seller, item, seller):
    request = request_in(State.INSPECTING, item)
    response = as_seller.post(url(request, "pass"), follow=True)
    page = Page(response)
    assert page.messages == ["Inspection passed."]
    assert "Refunded" in page.by_class["badge"]
    assert reload(request).state == State.REFUNDED
    refund = LedgerEntry.objects.get(request=request, type=LedgerEntry.Type.REFUND)
    assert refund.amount == Decimal("100.00")
    assert the_event(request, "pass_inspection").actor == seller


def test_pass_the_inspection_of_a_repair_starts_the_repair(as_seller, item):
    request = request_in(State.INSPECTING, item, kind=Kind.REPAIR)
    response = as_seller.post(url(request, "pass"), follow=True)
    assert Page(response).messages == ["Inspection passed."]
    assert reload(request).state == State.REPAIRING
    assert not LedgerEntry.objects.exists()


def test_fail_the_inspection_with_a_photo(as_seller, item, seller):
    request = request_in(State.INSPECTING, item)
    response = as_seller.post(
        url(request, "fail"),
        {
            "reason": RejectionReason.NOT_OUR_ITEM,
            "explanation": "This is a different brand of tea.",
            "files": [jpeg_upload("other-brand.jpg")],
        },
        follow=True,
    )
    page = Page(response)
    assert page.messages == ["Inspection failed; the buyer has been told why."]
    assert reload(request).state == State.REJECTED
    event = the_event(request, "fail_inspection")
    assert (event.actor, event.reason) == (seller, RejectionReason.NOT_OUR_ITEM)
    assert Evidence.objects.get(event=event).original_name == "other-brand.jpg"
    assert "Seller (seller) failed the inspection → Rejected by the seller" in page.text
    assert not LedgerEntry.objects.exists()


def test_failing_the_inspection_needs_a_photo(as_seller, item):
    request = request_in(State.INSPECTING, item)
    before = snapshot(request)
    response = as_seller.post(
        url(request, "fail"),
        {"reason": "used", "explanation": "Stained and dented after delivery."},
    )
    page = Page(response)
    assert response.status_code == 400
    assert "Add at least one photo." in page.errors
    assert "Inspection failed" in page.summaries
    assert (page.values["reason"], page.values["explanation"]) == (
        "used",
        "Stained and dented after delivery.",
    )
    assert snapshot(request) == before


def test_a_forged_photo_is_refused_the_good_one_kept_and_reusable(as_seller, item, seller):
    request = request_in(State.INSPECTING, item)
    before = snapshot(request)
    # when the seller uploads a good photo and a forged one
    response = as_seller.post(
        url(request, "fail"),
        {
            "reason": "used",
            "explanation": "Stained.",
            "files": [jpeg_upload("stain.jpg"), forged("forged.jpg")],
        },
    )
    # then the forged one is refused, the good one kept and nothing changed
    page = Page(response)
    assert response.status_code == 400
    assert FORGED_ERROR.format("forged.jpg") in page.errors
    assert kept_labels(page) == ["stain.jpg"]
    (pending,) = PendingUpload.objects.all()
    assert (pending.owner, pending.original_name) == (seller, "stain.jpg")
    assert as_seller.get(f"/uploads/{pending.pk}/").status_code == 200
    assert snapshot(request) == before
    # when the form is sent again as it came back, the kept photo satisfies "at least one photo"
    response = as_seller.post(
        url(request, "fail"),
        {"reason": "used", "explanation": "Stained.", "kept": [pending.pk]},
        follow=True,
    )
    assert Page(response).messages == ["Inspection failed; the buyer has been told why."]
    assert reload(request).state == State.REJECTED
    assert list(request.evidence.values_list("original_name", flat=True)) == ["stain.jpg"]
    assert not PendingUpload.objects.exists()


def test_a_forged_photo_alone_is_refused(as_seller, item):
    request = request_in(State.INSPECTING, item)
    response = as_seller.post(
        url(request, "fail"),
        {"reason": "used", "explanation": "Stained.", "files": [forged("stain.jpg")]},
    )
    page = Page(response)
    assert FORGED_ERROR.format("stain.jpg") in page.errors
    assert page.kept == []
    assert reload(request).state == State.INSPECTING
    assert not Evidence.objects.filter(request=request).exists()


def test_someone_elses_kept_upload_cannot_be_used_as_evidence(as_seller, item, buyer):
    (theirs,) = uploads.keep(buyer, [photo("buyers.jpg")])
    request = request_in(State.INSPECTING, item)
    response = as_seller.post(
        url(request, "fail"), {"reason": "used", "explanation": "Stained.", "kept": [theirs.pk]}
    )
    page = Page(response)
    assert "Add at least one photo." in page.errors
    assert "buyers.jpg" not in page.text
    assert as_seller.get(f"/uploads/{theirs.pk}/").status_code == 404
    assert reload(request).state == State.INSPECTING
    assert PendingUpload.objects.filter(pk=theirs.pk, owner=buyer).exists()


def test_ship_the_replacement_of_an_exchange(as_seller, item, seller):
    request = request_in(State.INSPECTING, item, kind=Kind.EXCHANGE)
    response = as_seller.post(
        url(request, "ship"),
        {"carrier": "zto", "tracking_number": "7312 3456 7890 12"},
        follow=True,
    )
    page = Page(response)
    assert page.messages == ["Shipment recorded. The buyer has been told it is on its way."]
    assert reload(request).state == State.REPLACEMENT_SHIPPED
    shipment = Shipment.objects.get(request=request, purpose=Shipment.Purpose.REPLACEMENT)
    assert (shipment.carrier, shipment.tracking_number, shipment.shipped_by) == (
        "zto",
        "73123456789012",
        seller,
    )
    assert "Replacement to the buyer: ZTO Express 73123456789012" in page.text
    assert the_event(request, "ship_replacement").actor == seller


def test_ship_the_repaired_item(as_seller, item):
    request = request_in(State.REPAIRING, item)
    response = as_seller.post(url(request, "ship"), dict(TRACKING), follow=True)
    page = Page(response)
    assert page.messages == ["Shipment recorded. The buyer has been told it is on its way."]
    assert reload(request).state == State.REPAIR_SHIPPED
    assert "Repaired item to the buyer: SF Express SF1234567890123" in page.text


@pytest.mark.parametrize(
    ("typed", "field", "error"),
    [
        (
            {"carrier": "sf", "tracking_number": "73123456789012"},
            "tracking_number",
            "This does not look like a SF Express tracking number (for example SF1234567890123).",
        ),
        (
            {"carrier": "ems", "tracking_number": "EA12345CN"},
            "tracking_number",
            "This does not look like a China Post EMS tracking number (for example EA123456789CN).",
        ),
        (
            {"carrier": "", "tracking_number": "SF1234567890123"},
            "carrier",
            "This field is required.",
        ),
        (
            {"carrier": "dhl", "tracking_number": "SF1234567890123"},
            "carrier",
            "Select a valid choice. dhl is not one of the available choices.",
        ),
        ({"carrier": "sf", "tracking_number": ""}, "tracking_number", "This field is required."),
    ],
)
def test_a_bad_tracking_number_is_refused_and_kept_in_the_form(
    as_seller, item, typed, field, error
):
    request = request_in(State.INSPECTING, item, kind=Kind.EXCHANGE)
    before = snapshot(request)
    response = as_seller.post(url(request, "ship"), typed)
    page = Page(response)
    assert response.status_code == 400
    assert error in page.errors
    assert snapshot(request) == before
    assert page.values["tracking_number"] == typed["tracking_number"]
    if typed["carrier"] in ("sf", "ems"):
        assert page.values["carrier"] == typed["carrier"]


def test_shipping_twice_records_one_shipment(as_seller, item):
    request = request_in(State.INSPECTING, item, kind=Kind.EXCHANGE)
    as_seller.post(url(request, "ship"), dict(TRACKING), follow=True)
    before = snapshot(request)
    response = as_seller.post(
        url(request, "ship"), {"carrier": "zto", "tracking_number": "73123456789012"}, follow=True
    )
    assert Page(response).messages == [STALE]
    assert snapshot(request) == before
    assert Shipment.objects.get(request=request, purpose="replacement").carrier == "sf"


def test_message_the_buyer_with_a_photo(as_seller, item, seller):
    request = file_request(item)
    response = as_seller.post(
        url(request, "messages"),
        {"body": "Could you photograph the seal?", "files": [jpeg_upload("example.jpg")]},
        follow=True,
    )
    assert response.redirect_chain == [(url(request) + "#thread", 302)]
    page = Page(response)
    assert page.messages == ["Message sent."]
    message = Message.objects.get(request=request)
    assert (message.author, message.author_role) == (seller, "seller")
    evidence = message.evidence.get()
    assert f"/evidence/{evidence.pk}/thumb/" in page.images
    assert "Seller (seller) wrote: Could you photograph the seal?" in page.text
    assert reload(request).state == State.SUBMITTED


def test_an_empty_message_is_refused_and_keeps_the_photo(as_seller, item):
    request = file_request(item)
    response = as_seller.post(
        url(request, "messages"), {"body": "", "files": [jpeg_upload("example.jpg")]}
    )
    page = Page(response)
    assert response.status_code == 400
    assert "This field is required." in page.errors
    assert kept_labels(page) == ["example.jpg"]
    assert not Message.objects.exists()


# --- several members of one shop ---------------------------------------------------------------


def test_any_member_can_act_and_the_timeline_names_who_did_what(
    as_seller, item, seller, colleague, buyer
):
    # given the seller approved the return and the buyer shipped it back
    request = file_request(item)
    as_seller.post(
        url(request, "approve"), {"return_address": item.order.shop.default_return_address.pk}
    )
    services.ship_return(request=request, actor=buyer, **TRACKING)
    # when the colleague confirms receipt and passes the inspection
    as_colleague = client_for(colleague)
    as_colleague.post(url(request, "receipt"), follow=True)
    response = as_colleague.post(url(request, "pass"), follow=True)
    # then
    assert Page(response).messages == ["Inspection passed."]
    assert reload(request).state == State.REFUNDED
    actors = list(request.events.values_list("action", "actor__username"))
    assert actors == [
        ("submit", "buyer"),
        ("approve", "seller"),
        ("ship_return", "buyer"),
        ("confirm_return_received", "colleague"),
        ("pass_inspection", "colleague"),
    ]
    # and both members see on the timeline who did what
    for client in (as_seller, as_colleague):
        timeline = Page(client.get(url(request))).by_class["timeline"][0]
        assert "Seller (seller) approved the request" in timeline
        assert "Buyer (buyer) shipped the goods back" in timeline
        assert "Seller (colleague) confirmed receipt of the returned goods" in timeline
        assert "Seller (colleague) passed the inspection → Refunded" in timeline


def test_a_colleague_who_already_acted_makes_the_other_members_click_stale(
    as_seller, item, colleague
):
    request = file_request(item, kind=Kind.REFUND_ONLY)
    # both have the page open; the colleague approves first
    client_for(colleague).post(url(request, "approve"))
    response = as_seller.post(url(request, "approve"), follow=True)
    assert Page(response).messages == [STALE]
    assert the_event(request, "approve").actor == colleague
    assert LedgerEntry.objects.filter(request=request).count() == 1


# --- stale pages on the forms ------------------------------------------------------------------


def after_approval(request: AfterSalesRequest, seller) -> AfterSalesRequest:
    """The request as a colleague left it while this page was open: approved."""
    return services.approve_request(request=request, actor=seller)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("reject", {**REJECTION}),
        ("propose", {**PROPOSAL}),
    ],
)
def test_a_form_sent_from_a_stale_page_says_so_and_changes_nothing(
    as_seller, item, seller, action, data
):
    request = file_request(item)
    after_approval(request, seller)
    before = snapshot(request)
    # when the seller sends the form of the page loaded before the approval
    response = as_seller.post(url(request, action), data, follow=True)
    # then
    page = Page(response)
    assert STALE in page.messages + page.errors, page.text
    assert snapshot(request) == before


def test_failing_an_inspection_that_a_colleague_passed_says_so(as_seller, item, colleague):
    request = request_in(State.INSPECTING, item)
    services.pass_inspection(request=request, actor=colleague)
    before = snapshot(request)
    response = as_seller.post(
        url(request, "fail"),
        {"reason": "used", "explanation": "Stained.", "files": [jpeg_upload("stain.jpg")]},
        follow=True,
    )
    page = Page(response)
    assert STALE in page.messages + page.errors, page.text
    assert snapshot(request) == before


def test_a_message_on_a_finished_request_says_the_conversation_is_closed(as_seller, item):
    request = file_request(item)
    services.withdraw_request(request=request, actor=request.buyer)
    response = as_seller.post(url(request, "messages"), {"body": "Still there?"}, follow=True)
    page = Page(response)
    closed = "This request is finished; the conversation is closed."
    assert closed in page.messages + page.errors, page.text
    assert not Message.objects.exists()


# --- access ----------------------------------------------------------------------------------


def action_posts(request: AfterSalesRequest) -> list[tuple[str, dict]]:
    """Every seller action on ``request``, with input that would be accepted."""
    address = request.shop.default_return_address
    return [
        (url(request, "approve"), {"return_address": address.pk if address else ""}),
        (url(request, "propose"), dict(PROPOSAL)),
        (url(request, "reject"), dict(REJECTION)),
        (url(request, "receipt"), {}),
        (url(request, "pass"), {}),
        (url(request, "fail"), {**REJECTION, "files": [jpeg_upload()]}),
        (url(request, "ship"), dict(TRACKING)),
        (url(request, "messages"), {"body": "Hello from another shop"}),
    ]


@pytest.fixture
def shops_request(item):
    """A request of the seller's shop, waiting for the seller, with the buyer's photo."""
    return file_request(item, files=[photo("mine.jpg")])


def test_another_shops_request_and_files_are_404_and_nothing_changes(shops_request, other_seller):
    client = client_for(other_seller)
    before = snapshot(shops_request)
    assert client.get(url(shops_request)).status_code == 404
    for action_url, data in action_posts(shops_request):
        assert client.post(action_url, data).status_code == 404, action_url
    evidence = shops_request.evidence.get()
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/evidence/{evidence.pk}/thumb/").status_code == 404
    assert snapshot(shops_request) == before
    assert not PendingUpload.objects.exists()
    # and their own queue does not list it
    page = Page(client.get("/seller/?state="))
    assert page.rows == ["Nothing in the queue matches."]
    assert shops_request.order.number not in page.text


def test_an_approval_with_another_shops_return_address_is_refused(
    as_seller, shops_request, other_seller
):
    theirs = ReturnAddress.objects.get(shop__members__user=other_seller)
    before = snapshot(shops_request)
    response = as_seller.post(url(shops_request, "approve"), {"return_address": theirs.pk})
    page = Page(response)
    assert response.status_code == 400
    assert "Select a valid choice. That choice is not one of the available choices." in page.errors
    assert snapshot(shops_request) == before
    assert str(theirs.pk) not in page.options["return_address"]


@pytest.mark.parametrize("address", ["", "abc", "999999"])
def test_an_approval_without_a_valid_return_address_is_refused(as_seller, shops_request, address):
    before = snapshot(shops_request)
    response = as_seller.post(url(shops_request, "approve"), {"return_address": address})
    assert response.status_code == 400
    assert Page(response).errors
    assert snapshot(shops_request) == before


def test_a_buyer_without_a_shop_gets_the_explanation_not_their_request(shops_request, buyer):
    client = client_for(buyer)
    before = snapshot(shops_request)
    for page_url in ("/seller/", url(shops_request), "/seller/export.csv"):
        response = client.get(page_url)
        assert response.status_code == 403, page_url
        page = Page(response)
        assert NO_SHOP in page.text
        assert "Longjing" not in page.text
    for action_url, data in action_posts(shops_request):
        response = client.post(action_url, data)
        assert response.status_code == 403, action_url
        assert NO_SHOP in Page(response).text
    assert snapshot(shops_request) == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", SELLER_URLS, ids=lambda route: route.name)
def test_without_a_shop_every_seller_url_answers_403(route, method, buyer, item):
    """Issue 12: a signed-in user who is no shop's member is refused (403) at every address
    of the seller center, GET or POST, with the page that explains, and nothing changes."""
    shops_request = request_in(State.DISPUTED, item)
    ask = dispute_services.request_evidence(
        dispute=shops_request.disputes.get(),
        actor=ArbitratorFactory(),
        party="seller",
        question="The packing photos?",
        due_at=timezone.now() + timedelta(days=3),
    )
    values = {"pk": shops_request.pk, "ask_id": ask.pk}
    path = reverse(
        f"seller:{route.name}", kwargs={name: values[name] for name in route.pattern.converters}
    )
    before = snapshot(shops_request)

    response = getattr(client_for(buyer), method)(path, {"ids": [shops_request.pk]})

    assert response.status_code == 403
    assert NO_SHOP in Page(response).text
    assert snapshot(shops_request) == before


def test_the_no_shop_page_explains_and_links_back(client, other_buyer):
    client.force_login(other_buyer)
    response = client.get("/seller/")
    page = Page(response)
    assert response.status_code == 403
    assert (
        "Your account is not a member of any shop, so there is no after-sales queue to show. "
        "Ask the shop's owner or the platform to add you as a member." in page.text
    )
    assert page.link("‹ Back to my orders") == "/"
    assert "Seller center" not in {label for label, _href in page.links}


def test_a_buyer_who_works_for_another_shop_gets_404_for_their_own_request(
    shops_request, buyer, other_seller
):
    ShopMemberFactory(shop=other_seller.shop_memberships.get().shop, user=buyer)
    client = client_for(buyer)
    assert client.get(url(shops_request)).status_code == 404
    assert client.post(url(shops_request, "approve"), {}).status_code == 404
    assert reload(shops_request).state == State.SUBMITTED
    assert Page(client.get("/seller/?state=")).rows == ["Nothing in the queue matches."]


def test_a_member_cannot_approve_their_own_request_as_the_seller(shops_request, buyer, shop):
    """A user who is both the buyer and a member of the shop acts as the buyer on it."""
    ShopMemberFactory(shop=shop, user=buyer)
    client = client_for(buyer)
    before = snapshot(shops_request)
    response = client.post(
        url(shops_request, "approve"),
        {"return_address": shop.default_return_address.pk},
        follow=True,
    )
    assert Page(response).messages == ["You cannot take this action on this request."]
    assert snapshot(shops_request) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, shops_request):
    before = snapshot(shops_request)
    for page_url in ("/seller/", "/seller/export.csv", url(shops_request)):
        response = client.get(page_url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={page_url}")
    for action_url, data in [*action_posts(shops_request), ("/seller/bulk-approve/", {})]:
        response = client.post(action_url, data)
        assert (response.status_code, response["Location"]) == (
            302,
            f"/login/?next={action_url}",
        ), action_url
    assert snapshot(shops_request) == before


def test_actions_refuse_get(as_seller, shops_request):
    before = snapshot(shops_request)
    for action_url, _data in [*action_posts(shops_request), ("/seller/bulk-approve/", {})]:
        assert as_seller.get(action_url).status_code == 405, action_url
    assert snapshot(shops_request) == before


def test_actions_need_the_csrf_token(seller, shops_request):
    # given a browser-like client that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(seller)
    before = snapshot(shops_request)
    # when posting without the token, nothing happens
    for action_url, data in [
        *action_posts(shops_request),
        ("/seller/bulk-approve/", {"ids": [shops_request.pk]}),
    ]:
        assert client.post(action_url, data).status_code == 403, action_url
    assert snapshot(shops_request) == before
    # and with the token from the page, the same post goes through
    token = Page(client.get(url(shops_request))).values["csrfmiddlewaretoken"]
    address = shops_request.shop.default_return_address.pk
    response = client.post(
        url(shops_request, "approve"), {"csrfmiddlewaretoken": token, "return_address": address}
    )
    assert response.status_code == 302
    assert reload(shops_request).state == State.AWAITING_RETURN


# --- bulk approval -----------------------------------------------------------------------------


def test_bulk_approve_reports_each_request_on_its_own(
    as_seller, new_item, seller, buyer, other_seller
):
    # given three refund-only requests, a return, one already refunded, and another shop's
    first, second, third = (
        file_request(new_item(), kind=Kind.REFUND_ONLY, quantity=q) for q in (1, 2, 1)
    )
    a_return = file_request(new_item(), kind=Kind.RETURN_REFUND)
    approved = request_in(State.REFUNDED, new_item(), kind=Kind.REFUND_ONLY)
    other_shop = other_seller.shop_memberships.get().shop
    theirs = file_request(
        OrderItemFactory(order__buyer=buyer, order__shop=other_shop), kind=Kind.REFUND_ONLY
    )
    untouched = [snapshot(r) for r in (a_return, approved, theirs)]
    ids = [first, second, third, a_return, approved, theirs]
    # when
    response = as_seller.post(
        "/seller/bulk-approve/",
        {"ids": [r.pk for r in ids] + ["junk"], "query": "state=submitted&kind=refund_only"},
        follow=True,
    )
    # then
    assert response.redirect_chain == [("/seller/?state=submitted&kind=refund_only", 302)]
    page = Page(response)
    assert sorted(page.messages) == sorted(
        [
            f"#{first.pk} approved: ¥100.00 refunded.",
            f"#{second.pk} approved: ¥200.00 refunded.",
            f"#{third.pk} approved: ¥100.00 refunded.",
            f"#{a_return.pk}: only refund-only requests can be approved in bulk.",
            f"#{approved.pk}: {STALE}",
        ]
    )
    for request in (first, second, third):
        assert reload(request).state == State.REFUNDED
        assert the_event(request, "approve").actor == seller
        assert LedgerEntry.objects.get(request=request).amount == request.refund_amount
    assert [snapshot(r) for r in (a_return, approved, theirs)] == untouched
    assert LedgerEntry.objects.count() == 4  # three now, one from before
    # and the queue, filtered as before, is empty now
    assert page.rows == ["Nothing in the queue matches."]


def test_bulk_approve_with_nothing_ticked_says_so(as_seller, item):
    request = file_request(item, kind=Kind.REFUND_ONLY)
    response = as_seller.post("/seller/bulk-approve/", {"query": ""}, follow=True)
    assert Page(response).messages == ["Tick the requests to approve first."]
    assert reload(request).state == State.SUBMITTED


def test_bulk_approve_twice_refunds_once(as_seller, item):
    request = file_request(item, kind=Kind.REFUND_ONLY)
    as_seller.post("/seller/bulk-approve/", {"ids": [request.pk], "query": ""}, follow=True)
    response = as_seller.post(
        "/seller/bulk-approve/", {"ids": [request.pk], "query": ""}, follow=True
    )
    assert Page(response).messages == [f"#{request.pk}: {STALE}"]
    assert LedgerEntry.objects.filter(request=request).count() == 1


# --- CSV export --------------------------------------------------------------------------------

CSV_HEADER = [
    "Request",
    "Order",
    "Item",
    "Buyer",
    "Kind",
    "Reason",
    "State",
    "Quantity",
    "Refund amount",
    "Filed",
    "Deadline",
]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.streaming, "streamed while the rows are read"
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode()), "UTF-8 byte order mark for spreadsheets"
    return list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))


def test_export_has_a_header_and_one_row_per_request_of_the_queue(as_seller, new_item):
    # given
    tea = file_request(new_item("西湖龙井 明前特级", number="T2026CSV00001"), kind=Kind.REFUND_ONLY)
    later = set_due(
        request_in(State.INSPECTING, new_item("oolong")), timezone.now() + timedelta(days=9)
    )
    request_in(State.REFUNDED, new_item("finished tea"))
    # when the queue in progress is exported
    rows = read_csv(as_seller.get("/seller/export.csv"))
    # then
    assert rows[0] == CSV_HEADER
    assert [row[0] for row in rows[1:]] == [str(tea.pk), str(later.pk)]
    assert rows[1] == [
        str(tea.pk),
        "T2026CSV00001",
        "西湖龙井 明前特级",
        "buyer",
        "Refund only",
        "Quality problem",
        "Waiting for the seller",
        "1",
        "100.00",
        f"{timezone.localtime(tea.created_at):%Y-%m-%d %H:%M}",
        f"{timezone.localtime(tea.due_at):%Y-%m-%d %H:%M}",
    ]


def test_export_honours_the_filters_of_the_queue(as_seller, queue):
    for query, shown in [
        ("state=", {"green", "oolong", "puer", "white", "black"}),
        ("state=refunded", {"black"}),
        ("state=&kind=exchange", {"puer"}),
        ("state=&reason=damaged_in_transit", {"white"}),
        ("state=&q=alice", {"puer"}),
        ("state=&created_from=2026-03-12&created_to=2026-03-13", {"puer", "oolong"}),
    ]:
        rows = read_csv(as_seller.get(f"/seller/export.csv?{query}"))
        assert rows[0] == CSV_HEADER
        assert sorted(int(row[0]) for row in rows[1:]) == sorted(queue[n].pk for n in shown), query


def test_export_link_carries_the_filters_shown(as_seller, queue):
    page = Page(as_seller.get("/seller/?state=&kind=exchange&page=1"))
    export = page.link("Export CSV")
    assert export == "/seller/export.csv?state=&kind=exchange"
    rows = read_csv(as_seller.get(export))
    assert [int(row[0]) for row in rows[1:]] == [queue["puer"].pk]


def test_export_contains_only_the_shops_own_requests(as_seller, item, other_seller, buyer):
    mine = file_request(item)
    other_shop = other_seller.shop_memberships.get().shop
    theirs = file_request(OrderItemFactory(order__buyer=buyer, order__shop=other_shop))
    rows = read_csv(as_seller.get("/seller/export.csv?state="))
    assert [row[0] for row in rows[1:]] == [str(mine.pk)]
    assert theirs.order.number not in str(rows)
    their_rows = read_csv(client_for(other_seller).get("/seller/export.csv?state="))
    assert [row[0] for row in their_rows[1:]] == [str(theirs.pk)]


def test_export_neutralises_cells_that_spreadsheets_would_run_as_formulas(as_seller, new_item):
    # given an item title and a buyer name that a spreadsheet would read as formulas
    plus = UserFactory(username="+8613800000000")
    trap = file_request(new_item('=HYPERLINK("http://x")', buyer=plus))
    minus = file_request(new_item("-2+3 tins", number="@T2026SUM"))
    # when
    rows = {row[0]: row for row in read_csv(as_seller.get("/seller/export.csv"))[1:]}
    # then each is written as text, with a leading apostrophe, and nothing else changes
    assert rows[str(trap.pk)][2:4] == ['\'=HYPERLINK("http://x")', "'+8613800000000"]
    assert rows[str(minus.pk)][1:3] == ["'@T2026SUM", "'-2+3 tins"]
    assert rows[str(minus.pk)][7:9] == ["1", "100.00"]


def test_export_streams_every_row_in_the_same_queries_for_3_or_600(as_seller, shop):
    add_requests(shop, 3)
    with CaptureQueriesContext(connection) as few:
        assert len(read_csv(as_seller.get("/seller/export.csv?state="))) == 1 + 3
    add_requests(shop, 597)  # more than one chunk of streamed rows
    with CaptureQueriesContext(connection) as many:
        rows = read_csv(as_seller.get("/seller/export.csv?state="))
    assert len(rows) == 1 + 600
    assert len({row[0] for row in rows[1:]}) == 600
    assert len(few) == len(many)


# --- query counts ------------------------------------------------------------------------------


def count_queries(client, page_url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url)
    assert response.status_code == 200
    return len(queries)


def add_requests(shop, n: int) -> None:
    """Requests of several buyers, kinds and states in the shop's queue."""
    for i in range(n):
        item = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop, title=f"Tea {i}")
        if i % 5 == 0:
            request_in(State.INSPECTING, item)
        else:
            file_request(item, kind=[Kind.REFUND_ONLY, Kind.RETURN_REFUND, Kind.EXCHANGE][i % 3])


# Measured: session, user, the member's shops (read once: the access check, the filter, the
# heading and the header's "seller center" link), when the shops' requests last changed, page
# count, the page's rows, counters, the requests the shops' rules handled this week, the shops'
# stored scores and trend (``reviews.summary``), the marketplace's stored scores, and the
# header's unread notifications.
DASHBOARD_QUERIES = 11
# Served from the cache: the same without the page count, the rows, the counters and the rules'.
CACHED_DASHBOARD_QUERIES = 7
# Measured: session, user, the member's shops, the request (with its item, order and shop), the
# timeline (evidence, events, messages, proposals, shipments), the buyer's history, the header's
# unread count; for a new request the approve form's return addresses (the default for its
# initial value, and the choices, which Django's select widget reads twice). The dispute is
# read only for a request that was escalated, the review only once the request has ended. The
# read receipts: whether the member is the shop's (the service's own check) and the buyer's
# messages not yet read (one more query to mark them when there are some).
REQUEST_PAGE_QUERIES = 16


def test_dashboard_query_count_does_not_grow_with_the_queue(
    as_seller, shop, django_assert_max_num_queries
):
    summary.refresh(shop.pk)  # as beat does every few minutes
    summary.refresh_marketplace()
    add_requests(shop, 5)
    few = count_queries(as_seller, "/seller/")
    add_requests(shop, 45)
    assert AfterSalesRequest.objects.count() == 50
    many = count_queries(as_seller, "/seller/")
    assert few == many
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        as_seller.get("/seller/?state=&page=2")
    for query in ("state=submitted&page=2", "state=open&kind=exchange", "q=buyer"):
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            assert as_seller.get(f"/seller/?{query}").status_code == 200


def test_dashboard_is_served_from_the_cache_until_a_request_changes(as_seller, shop, new_item):
    summary.refresh(shop.pk)
    summary.refresh_marketplace()
    waiting = file_request(new_item(), kind=Kind.REFUND_ONLY)
    first = Page(as_seller.get("/seller/"))
    # the same queue again: from the cache, without reading the rows or counting
    assert count_queries(as_seller, "/seller/") == CACHED_DASHBOARD_QUERIES
    assert Page(as_seller.get("/seller/")).rows == first.rows
    # a buyer files a request: the next load shows it
    filed = file_request(new_item(), kind=Kind.RETURN_REFUND)
    rows = Page(as_seller.get("/seller/")).rows
    assert len(rows) == 2 and any(f"#{filed.pk}" in row for row in rows)
    # the seller acts on one: the queue shows its new state at once
    services.approve_request(request=waiting, actor=waiting.shop.members.get().user)
    assert not any(f"#{waiting.pk}" in row for row in Page(as_seller.get("/seller/")).rows)
    refunded = Page(as_seller.get("/seller/?state=refunded")).rows
    assert any(f"#{waiting.pk}" in row for row in refunded)


def test_a_cached_queue_carries_each_members_own_csrf_token(seller, colleague, new_item):
    request = file_request(new_item(), kind=Kind.REFUND_ONLY)
    for member in (seller, colleague):  # the second is served the first's rendering
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        page = client.get("/seller/").content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        response = client.post(
            "/seller/bulk-approve/",
            {"ids": [request.pk], "query": "", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302  # accepted, not refused as a forgery
    assert reload(request).state == State.REFUNDED


def long_history(item, seller, messages: int) -> AfterSalesRequest:
    request = file_request(item, files=[photo("first.jpg")])
    buyer = request.buyer
    services.propose_solution(
        request=request,
        actor=seller,
        kind=Kind.REFUND_ONLY,
        refund_amount=Decimal("20.00"),
        compensation_amount=Decimal("0.00"),
        note="¥20?",
    )
    services.decline_proposal(request=request, actor=buyer, note="No.")
    services.resubmit_request(
        request=request,
        actor=buyer,
        kind=Kind.RETURN_REFUND,
        reason=Reason.QUALITY_PROBLEM,
        quantity=1,
        refund_amount=Decimal("100.00"),
        description="Again, with photos.",
        files=[photo("second.jpg")],
    )
    services.approve_request(request=request, actor=seller)
    services.ship_return(request=request, actor=buyer, **TRACKING)
    for n in range(messages):
        author = buyer if n % 2 else seller
        files = [photo(f"m{n}.jpg")] if n % 2 else []
        services.post_message(request=request, actor=author, body=f"Message {n}", files=files)
    return request


def test_request_page_query_count_does_not_grow_with_its_history(
    as_seller, new_item, seller, colleague, django_assert_max_num_queries
):
    short = long_history(new_item(), seller, 2)
    long = long_history(new_item(), colleague, 20)
    assert long.messages.count() == 20 and long.evidence.count() == 12
    assert count_queries(as_seller, url(short)) == count_queries(as_seller, url(long))
    with django_assert_max_num_queries(REQUEST_PAGE_QUERIES):
        as_seller.get(url(long))
    fresh = file_request(new_item())  # with the approve form and its return addresses
    with django_assert_max_num_queries(REQUEST_PAGE_QUERIES):
        as_seller.get(url(fresh))


@pytest.mark.parametrize("state", [s for s in State if s != State.SUBMITTED])
def test_the_request_page_reads_only_what_its_state_shows(
    as_seller, new_item, state, django_assert_max_num_queries
):
    # given a request in ``state`` (a new one, with the approve form, is pinned above)
    request = request_in(state, new_item())
    # then its page stays within the limit, with the forms of what can be done now only
    with django_assert_max_num_queries(REQUEST_PAGE_QUERIES):
        response = as_seller.get(url(request))
    html = response.content.decode()
    for action, form in [
        ("approve", "approve"),
        ("propose", "propose"),
        ("reject", "reject"),
        ("fail_inspection", "fail"),
        ("ship_replacement", "ship"),
        ("ship_repaired", "ship"),
    ]:
        if request.allows(action, Role.SELLER):
            assert f'action="{url(request, form)}"' in html, action
    shown = set(re.findall(r'action="/seller/requests/\d+/([\w-]+)/"', html))
    offered = set(request.available_actions(Role.SELLER))
    assert 'name="return_address"' not in html
    assert ("approve" in shown) == ("approve" in offered)
    assert ("reject" in shown) == ("reject" in offered)
    assert ("messages" in shown) == request.accepts_messages
