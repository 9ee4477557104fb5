"""The buyer's pages and actions (issue 3), driven with Django's test client.

Every assertion reads what the buyer would see (messages, errors, form values, links) or what
would change in the database (state, events, evidence); nothing peeks at view internals.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import ExifTags, Image

from aftersales import services, uploads
from aftersales.models import (
    AfterSalesRequest,
    Dispute,
    Evidence,
    Kind,
    LedgerEntry,
    Message,
    PendingUpload,
    Proposal,
    Reason,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from tests.aftersales.factories import TRACKING, file_request, jpeg_upload, photo, request_in
from tests.orders.factories import OrderItemFactory, ShopMemberFactory

STALE = "This request has changed since the page was loaded, so nothing was done."
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 200

# --- reading a page the way a person does -----------------------------------------------------


# Tags a browser shows on their own line: their text never runs into the next word.
BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "section", "header"}
    | {"nav", "main", "form", "fieldset", "legend", "br"}
)


@dataclass
class _Capture:
    tag: str
    kind: str
    attrs: dict
    text: list = field(default_factory=list)
    depth: int = 0


class Page(HTMLParser):
    """What a person sees on a rendered page: the flash messages, the error notes, the links
    and buttons, what is typed into each form field, and the kept-file checkboxes."""

    def __init__(self, response_or_html):
        super().__init__(convert_charrefs=True)
        self.messages: list[str] = []
        self.errors: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.buttons: list[str] = []
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.kept: list[tuple[str, bool, str]] = []  # (upload id, checked, label)
        self.images: list[str] = []
        self.html_lang = ""
        self._words: list[str] = []
        self._captures: list[_Capture] = []
        self._select = ""
        self._skip = 0
        html = response_or_html
        self.feed(html if isinstance(html, str) else html.content.decode())

    @property
    def text(self) -> str:
        return " ".join("".join(self._words).split())

    def link(self, text: str) -> str | None:
        return next((href for label, href in self.links if label == text), None)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if tag in ("script", "style"):
            self._skip += 1
        if tag in BLOCKS:
            self._words.append(" ")
        for capture in self._captures:
            if capture.tag == tag:
                capture.depth += 1
        kind = {"textarea": "textarea", "a": "link", "button": "button", "label": "label"}.get(tag)
        if a.get("role") == "status":
            kind = "message"
        elif a.get("role") == "alert":
            kind = "error"
        elif tag == "option":
            self.options.setdefault(self._select, []).append(a.get("value", ""))
            kind = "selected" if "selected" in a else None
        if tag == "select":
            self._select = a.get("name", "")
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag == "input":
            self._input(a)
        if kind:
            self._captures.append(_Capture(tag, kind, a))

    def _input(self, a):
        name, kind = a.get("name", ""), a.get("type", "text")
        if name == "kept":
            labels = [c for c in self._captures if c.kind == "label"]
            if labels:
                labels[-1].attrs["kept"] = (a.get("value", ""), "checked" in a)
        elif kind not in ("checkbox", "radio", "file", "submit"):
            self.values[name] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in BLOCKS:
            self._words.append(" ")
        for capture in reversed(self._captures):
            if capture.tag != tag:
                continue
            if capture.depth:
                capture.depth -= 1
            else:
                self._captures.remove(capture)
                self._finish(capture)
            break

    def _finish(self, capture):
        text = " ".join("".join(capture.text).split())
        if capture.kind == "message":
            self.messages.append(text)
        elif capture.kind == "error":
            self.errors.append(text)
        elif capture.kind == "link":
            self.links.append((text, capture.attrs.get("href", "")))
        elif capture.kind == "button":
            self.buttons.append(text)
        elif capture.kind == "textarea":
            self.values[capture.attrs.get("name", "")] = "".join(capture.text).strip("\n")
        elif capture.kind == "selected":
            self.values[self._select] = capture.attrs.get("value", "")
        elif capture.kind == "label" and "kept" in capture.attrs:
            upload_id, checked = capture.attrs["kept"]
            self.kept.append((upload_id, checked, text))

    def handle_data(self, data):
        if self._skip:
            return
        self._words.append(data)
        for capture in self._captures:
            capture.text.append(data)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer)
    return client


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def noise_jpeg(name="big.jpg", size=(300, 300)) -> SimpleUploadedFile:
    """A JPEG that compresses badly, so its size in bytes is predictable enough to exceed."""
    image = Image.frombytes(
        "RGB", size, bytes(i * 7919 % 251 for i in range(size[0] * size[1] * 3))
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def jpeg_with_gps(name="with-gps.jpg") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 6.0)
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), "purple").save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # really has GPS
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def apply_url(item, kind=Kind.RETURN_REFUND) -> str:
    return f"/items/{item.pk}/apply/?kind={kind}"


def application(**overrides) -> dict:
    """What a buyer types into the return form for the default two-unit, ¥200 item."""
    data = {
        "kind": Kind.RETURN_REFUND,
        "reason": Reason.QUALITY_PROBLEM,
        "quantity": "2",
        "refund_amount": "150.00",
        "description": "The tin arrived dented; the seal is broken on both.",
    }
    data.update(overrides)
    return data


def kept_labels(page: Page) -> list[str]:
    return [label for _id, checked, label in page.kept if checked]


def state_of(request: AfterSalesRequest) -> str:
    request.refresh_from_db()
    return request.state


# --- signing in, the header ------------------------------------------------------------------


def test_signing_in_leads_to_my_orders_and_signing_out_to_the_landing_page(client, item, buyer):
    # when
    response = client.post(
        "/login/", {"username": "buyer", "password": "demo-pass-2026"}, follow=True
    )
    # then
    page = Page(response)
    assert "My orders" in page.text
    assert item.title in page.text
    # when
    response = client.post("/logout/", follow=True)
    # then
    page = Page(response)
    assert page.link("Sign in") == "/login/"
    assert "Buyer portal" in page.text
    assert item.title not in page.text
    assert client.get("/requests/").status_code == 302


def test_a_wrong_password_is_refused(client, buyer):
    response = client.post("/login/", {"username": "buyer", "password": "nope"})
    assert response.status_code == 200
    assert Page(response).errors
    assert "_auth_user_id" not in client.session


def test_header_shows_who_is_signed_in_and_links_to_orders_and_requests(as_buyer):
    page = Page(as_buyer.get("/requests/"))
    assert "buyer" in page.text.split()
    assert page.link("My orders") == "/"
    assert page.link("My after-sales requests") == "/requests/"
    assert "Sign out" in page.buttons


# --- filing a request --------------------------------------------------------------------------


def test_apply_page_offers_every_kind_open_for_a_delivered_item(as_buyer, item):
    page = Page(as_buyer.get(f"/items/{item.pk}/apply/"))
    offered = {label: href for label, href in page.links if href.startswith("?kind=")}
    assert offered == {
        "Refund only": "?kind=refund_only",
        "Return and refund": "?kind=return_refund",
        "Exchange": "?kind=exchange",
        "Repair": "?kind=repair",
    }


def test_return_form_prefills_the_most_refundable_amount_and_shows_guidance(as_buyer, item):
    # given a two-unit ¥200 item, one unit already refunded (¥100) by a refund-only request
    request_in(State.REFUNDED, item)
    # when
    page = Page(as_buyer.get(apply_url(item)))
    # then the one unit left and its ¥100 are offered
    assert page.values["quantity"] == "1"
    assert page.values["refund_amount"] == "100.00"
    assert set(page.options["reason"]) == {"", *(r.value for r in Reason if r != "not_received")}
    assert "Photograph the outer box, the damage and the shipping label." in page.text
    assert "Up to 9 photos" in page.text and "1 video" in page.text


def test_filing_a_return_with_two_photos(as_buyer, item, buyer):
    # when
    response = as_buyer.post(
        apply_url(item),
        application(files=[jpeg_upload("front.jpg"), jpeg_upload("back.jpg", color="blue")]),
        follow=True,
    )
    # then
    request = AfterSalesRequest.objects.get(order_item=item)
    assert response.redirect_chain == [(f"/requests/{request.pk}/", 302)]
    page = Page(response)
    assert page.messages == ["Your request was sent to the seller."]
    assert request.state == State.SUBMITTED
    assert (request.kind, request.quantity, request.refund_amount) == (
        Kind.RETURN_REFUND,
        2,
        Decimal("150.00"),
    )
    evidence = list(request.evidence.order_by("pk"))
    assert [e.original_name for e in evidence] == ["front.jpg", "back.jpg"]
    assert {f"/evidence/{e.pk}/thumb/" for e in evidence} <= set(page.images)
    assert not PendingUpload.objects.exists()


def test_filing_an_exchange_has_no_refund_amount(as_buyer, item):
    form = Page(as_buyer.get(apply_url(item, Kind.EXCHANGE)))
    assert "refund_amount" not in form.values
    response = as_buyer.post(
        apply_url(item, Kind.EXCHANGE),
        {
            "kind": "exchange",
            "reason": "wrong_size",
            "quantity": "1",
            "description": "Size M.",
            "replacement": "same",
            "delivery_address": "上海市徐汇区漕溪北路 88 号",
        },
    )
    request = AfterSalesRequest.objects.get(order_item=item)
    assert response.status_code == 302
    assert (request.kind, request.refund_amount) == (Kind.EXCHANGE, Decimal("0.00"))


def test_filing_with_a_video(as_buyer, item):
    video = SimpleUploadedFile("unboxing.mp4", MP4, content_type="video/mp4")
    as_buyer.post(apply_url(item), application(files=[video]))
    evidence = Evidence.objects.get(request__order_item=item)
    assert (evidence.media_type, evidence.content_type) == ("video", "video/mp4")
    response = as_buyer.get(f"/evidence/{evidence.pk}/")
    assert response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == MP4


# --- my after-sales requests ---------------------------------------------------------------------


def test_request_list_shows_state_kind_amount_and_time_left(as_buyer, item):
    file_request(item, quantity=2)
    page = Page(as_buyer.get("/requests/"))
    assert item.title in page.text
    assert "Waiting for the seller" in page.text
    assert "Return and refund · ¥200.00" in page.text
    assert (
        "4 days 23 hours left: approved automatically if the seller does not respond." in page.text
    )


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("", {"open tea", "refunded tea", "closed tea"}),
        ("processing", {"open tea"}),
        ("finished", {"refunded tea"}),
        ("closed", {"closed tea"}),
        ("nonsense", {"open tea", "refunded tea", "closed tea"}),
    ],
)
def test_request_list_filters_by_status(as_buyer, buyer, shop, seller, status, shown):
    for title, state in [
        ("open tea", State.SUBMITTED),
        ("refunded tea", State.REFUNDED),
        ("closed tea", State.CLOSED),
    ]:
        request_in(state, OrderItemFactory(order__buyer=buyer, order__shop=shop, title=title))
    page = Page(as_buyer.get(f"/requests/?status={status}"))
    listed = {title for title in ("open tea", "refunded tea", "closed tea") if title in page.text}
    assert listed == shown


def test_request_list_is_paginated_by_twenty(as_buyer, buyer, shop, seller):
    for n in range(21):
        file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop, title=f"Tea {n:02}"))
    first, second = Page(as_buyer.get("/requests/")), Page(as_buyer.get("/requests/?page=2"))
    assert "Tea 20" in first.text and "Tea 01" in first.text and "Tea 00" not in first.text
    assert "Tea 00" in second.text and "Page 2 of 2" in second.text


# --- the request page ----------------------------------------------------------------------------


def test_request_page_shows_stepper_deadline_evidence_and_timeline(as_buyer, item):
    # given a return filed with a photo, and the seller's question in the thread
    request = file_request(item, files=[photo("dent.jpg")])
    seller = item.order.shop.members.first().user
    services.post_message(request=request, actor=seller, body="Is the inner bag intact?")
    evidence = request.evidence.get()
    # when
    response = as_buyer.get(f"/requests/{request.pk}/")
    # then
    html, page = response.content.decode(), Page(response)
    assert re.search(r'class="step current" aria-current="step">Seller reviews<', html)
    assert "Deadline:" in page.text and "4 days 23 hours left" in page.text
    assert "If the seller does not respond by then, your request is approved." in page.text
    assert "Buyer filed the request → Waiting for the seller" in page.text
    assert "Is the inner bag intact?" in page.text
    assert f"/evidence/{evidence.pk}/thumb/" in page.images
    assert ("", f"/evidence/{evidence.pk}/") in page.links
    assert "private-media.invalid" not in html and "/media/" not in html
    assert "Send message" in page.buttons


ALL_ACTIONS = {
    "Accept the proposal",
    "Decline the proposal",
    "I have shipped the goods",
    "Confirm I received it",
    "Revise and resubmit",
    "Ask the platform to step in",
    "Withdraw the request",
}


WITHDRAW = "Withdraw the request"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (State.SUBMITTED, {WITHDRAW}),
        (State.NEGOTIATING, {"Accept the proposal", "Decline the proposal", WITHDRAW}),
        (State.REJECTED, {"Revise and resubmit", "Ask the platform to step in", WITHDRAW}),
        (State.AWAITING_RETURN, {"I have shipped the goods", WITHDRAW}),
        (State.RETURN_SHIPPED, {WITHDRAW}),
        (State.INSPECTING, {WITHDRAW}),
        (State.REPAIRING, {WITHDRAW}),
        (State.REPLACEMENT_SHIPPED, {"Confirm I received it", WITHDRAW}),
        (State.REPAIR_SHIPPED, {"Confirm I received it", WITHDRAW}),
        (State.DISPUTED, set()),
        (State.REFUNDED, set()),
        (State.EXCHANGED, set()),
        (State.CLOSED, set()),
    ],
)
def test_request_page_offers_exactly_the_buyers_actions(as_buyer, item, state, expected):
    request = request_in(state, item)
    page = Page(as_buyer.get(f"/requests/{request.pk}/"))
    offered = ALL_ACTIONS & ({label for label, _href in page.links} | set(page.buttons))
    assert offered == expected


def test_ship_back_shows_the_return_address_and_who_pays(as_buyer, item, shop):
    request = request_in(State.AWAITING_RETURN, item)  # quality problem: the seller pays
    page = Page(as_buyer.get(f"/requests/{request.pk}/"))
    assert str(shop.default_return_address) in page.text
    assert "The seller pays the return shipping" in page.text


def test_no_reason_return_says_the_buyer_pays_shipping(as_buyer, item, seller):
    request = file_request(item, reason=Reason.CHANGED_MIND)
    services.approve_request(request=request, actor=seller)
    page = Page(as_buyer.get(f"/requests/{request.pk}/"))
    assert "You pay the return shipping (no-reason return)." in page.text


# --- every action, happy path ------------------------------------------------------------------


def test_withdraw(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    response = as_buyer.post(f"/requests/{request.pk}/withdraw/", follow=True)
    assert response.redirect_chain == [(f"/requests/{request.pk}/", 302)]
    assert Page(response).messages == ["You withdrew the request."]
    request.refresh_from_db()
    assert (request.state, request.close_reason) == (State.CLOSED, "withdrawn")
    assert "Closed: Withdrawn by the buyer" in Page(response).text


def test_accept_a_partial_refund_proposal(as_buyer, item):
    request = request_in(State.NEGOTIATING, item)  # the seller offers ¥30, goods kept
    response = as_buyer.post(f"/requests/{request.pk}/accept/", follow=True)
    assert Page(response).messages == ["You accepted the seller's proposal."]
    request.refresh_from_db()
    assert (request.state, request.kind, request.refund_amount) == (
        State.REFUNDED,
        Kind.REFUND_ONLY,
        Decimal("30.00"),
    )
    assert request.proposals.get().status == Proposal.Status.ACCEPTED
    assert LedgerEntry.objects.get(request=request).amount == Decimal("30.00")


def test_decline_a_proposal_with_a_note(as_buyer, item):
    request = request_in(State.NEGOTIATING, item)
    response = as_buyer.post(
        f"/requests/{request.pk}/decline/", {"note": "¥30 is too little."}, follow=True
    )
    page = Page(response)
    assert page.messages[0].startswith("You declined the proposal.")
    assert state_of(request) == State.REJECTED
    assert request.proposals.get().status == Proposal.Status.DECLINED
    assert "¥30 is too little." in page.text
    assert "Ask the platform to step in" in {label for label, _href in page.links}


def test_revise_and_resubmit_after_a_rejection(as_buyer, item):
    request = request_in(State.REJECTED, item)
    # the form comes prefilled with what was asked before
    form = Page(as_buyer.get(f"/requests/{request.pk}/revise/"))
    assert form.values["description"] == request.description
    assert form.values["reason"] == Reason.QUALITY_PROBLEM
    # when
    response = as_buyer.post(
        f"/requests/{request.pk}/revise/",
        application(
            quantity="1",
            refund_amount="100.00",
            description="Here is a closer photo of the dent.",
            files=[jpeg_upload("closer.jpg")],
        ),
        follow=True,
    )
    # then
    assert Page(response).messages == ["Your revised request was sent to the seller."]
    request.refresh_from_db()
    assert request.state == State.SUBMITTED
    assert request.description == "Here is a closer photo of the dent."
    assert request.evidence.get().original_name == "closer.jpg"


def test_ship_the_goods_back(as_buyer, item):
    request = request_in(State.AWAITING_RETURN, item)
    response = as_buyer.post(
        f"/requests/{request.pk}/ship/",
        {"carrier": "sf", "tracking_number": "sf 1234-5678-9012"},
        follow=True,
    )
    page = Page(response)
    assert page.messages == [
        "Tracking number saved. The seller has been told the goods are on their way."
    ]
    assert state_of(request) == State.RETURN_SHIPPED
    shipment = Shipment.objects.get(request=request)
    assert (shipment.carrier, shipment.tracking_number) == ("sf", "SF123456789012")
    assert "Return to the seller: SF Express SF123456789012" in page.text


def test_confirm_receipt_of_the_replacement(as_buyer, item):
    request = request_in(State.REPLACEMENT_SHIPPED, item)
    response = as_buyer.post(f"/requests/{request.pk}/confirm/", follow=True)
    assert Page(response).messages == [
        "You confirmed receipt. This after-sales request is complete."
    ]
    assert state_of(request) == State.EXCHANGED


def test_escalate_to_the_platform(as_buyer, item):
    request = request_in(State.REJECTED, item)
    form = Page(as_buyer.get(f"/requests/{request.pk}/escalate/"))
    assert "unfair_rejection" in form.options["reason"]
    assert "seller_unresponsive" not in form.options["reason"]
    # when
    response = as_buyer.post(
        f"/requests/{request.pk}/escalate/",
        {
            "reason": "unfair_rejection",
            "statement": "The dent shows in every photo.",
            "files": [jpeg_upload("dent-again.jpg")],
        },
        follow=True,
    )
    # then
    page = Page(response)
    assert page.messages == ["The platform will review your case."]
    assert state_of(request) == State.DISPUTED
    dispute = Dispute.objects.get(request=request)
    assert dispute.buyer_statement == "The dent shows in every photo."
    assert "Platform intervention" in page.text
    assert request.evidence.get().original_name == "dent-again.jpg"


def test_escalating_needs_a_statement_and_keeps_the_photo(as_buyer, item):
    request = request_in(State.REJECTED, item)
    response = as_buyer.post(
        f"/requests/{request.pk}/escalate/",
        {"reason": "unfair_rejection", "statement": "", "files": [jpeg_upload("dent.jpg")]},
    )
    page = Page(response)
    assert page.errors
    assert kept_labels(page) == ["dent.jpg"]
    assert state_of(request) == State.REJECTED


def test_escalate_is_refused_before_a_rejection(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    response = as_buyer.get(f"/requests/{request.pk}/escalate/", follow=True)
    assert Page(response).messages == [
        "The platform can be asked to step in only after a rejection."
    ]


def test_post_a_message_with_a_photo(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    response = as_buyer.post(
        f"/requests/{request.pk}/messages/",
        {"body": "Here is the label.", "files": [jpeg_upload("label.jpg")]},
        follow=True,
    )
    page = Page(response)
    assert page.messages == ["Message sent."]
    message = Message.objects.get(request=request)
    evidence = message.evidence.get()
    assert "Here is the label." in page.text
    assert f"/evidence/{evidence.pk}/thumb/" in page.images


def test_a_message_takes_at_most_one_photo_and_keeps_the_text(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    response = as_buyer.post(
        f"/requests/{request.pk}/messages/",
        {"body": "Two photos.", "files": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")]},
    )
    page = Page(response)
    assert response.status_code == 400
    assert "You can attach at most 1 photo." in page.errors
    assert page.values["body"] == "Two photos."
    assert not Message.objects.exists()


# --- access ----------------------------------------------------------------------------------


def action_posts(pk: int) -> list[tuple[str, dict]]:
    return [
        (f"/requests/{pk}/withdraw/", {}),
        (f"/requests/{pk}/accept/", {}),
        (f"/requests/{pk}/decline/", {"note": ""}),
        (f"/requests/{pk}/ship/", dict(TRACKING)),
        (f"/requests/{pk}/confirm/", {}),
        (f"/requests/{pk}/escalate/", {"reason": "other", "statement": "Let me in."}),
        (f"/requests/{pk}/messages/", {"body": "Hello?"}),
        (f"/requests/{pk}/revise/", application()),
    ]


@pytest.fixture
def someones_request(item):
    """The buyer's request waiting for an answer to a proposal, with a photo."""
    request = file_request(item, files=[photo("mine.jpg")])
    seller = item.order.shop.members.first().user
    return services.propose_solution(
        request=request,
        actor=seller,
        kind=Kind.REFUND_ONLY,
        refund_amount=Decimal("30.00"),
        compensation_amount=Decimal("0.00"),
        note="¥30 back, keep the tin.",
    )


def assert_unchanged(request: AfterSalesRequest, events: int) -> None:
    request.refresh_from_db()
    assert request.state == State.NEGOTIATING
    assert request.events.count() == events
    assert not request.messages.exists() and not request.shipments.exists()
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("stranger", ["other_buyer", "seller"])
def test_someone_elses_request_is_a_404_everywhere(request, someones_request, stranger):
    """Another buyer, and the seller of the very shop, get 404 on the buyer's URLs."""
    client = client_for(request.getfixturevalue(stranger))
    pk, events = someones_request.pk, someones_request.events.count()
    for url in (f"/requests/{pk}/", f"/requests/{pk}/revise/", f"/requests/{pk}/escalate/"):
        assert client.get(url).status_code == 404, url
    for url, data in action_posts(pk):
        assert client.post(url, data).status_code == 404, url
    assert_unchanged(someones_request, events)
    assert someones_request.order_item.title not in Page(client.get("/requests/")).text


def test_another_buyers_evidence_file_and_thumbnail_are_404(someones_request, other_buyer):
    evidence = someones_request.evidence.get()
    client = client_for(other_buyer)
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/evidence/{evidence.pk}/thumb/").status_code == 404


def test_evidence_is_served_to_the_buyer_and_the_shop_only(someones_request, as_buyer, seller):
    evidence = someones_request.evidence.get()
    assert as_buyer.get(f"/evidence/{evidence.pk}/").status_code == 200
    assert client_for(seller).get(f"/evidence/{evidence.pk}/thumb/").status_code == 200
    other_seller = ShopMemberFactory(user__username="stranger-seller").user
    assert client_for(other_seller).get(f"/evidence/{evidence.pk}/").status_code == 404


def test_another_buyers_kept_upload_is_404(as_buyer, other_buyer):
    (upload,) = uploads.keep(other_buyer, [photo("theirs.jpg")])
    assert as_buyer.get(f"/uploads/{upload.pk}/").status_code == 404
    assert client_for(other_buyer).get(f"/uploads/{upload.pk}/").status_code == 200


@pytest.mark.parametrize("stranger", ["other_buyer", "seller"])
def test_someone_elses_item_cannot_be_applied_for(request, item, stranger):
    client = client_for(request.getfixturevalue(stranger))
    assert client.get(f"/items/{item.pk}/apply/").status_code == 404
    assert client.get(apply_url(item)).status_code == 404
    assert client.post(apply_url(item), application()).status_code == 404
    assert not AfterSalesRequest.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, someones_request):
    pk, evidence = someones_request.pk, someones_request.evidence.get().pk
    item_id = someones_request.order_item_id
    pages = [
        "/requests/",
        f"/requests/{pk}/",
        f"/requests/{pk}/revise/",
        f"/requests/{pk}/escalate/",
        f"/items/{item_id}/apply/",
        f"/evidence/{evidence}/",
        f"/evidence/{evidence}/thumb/",
    ]
    for url in pages:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}"), url
    for url, data in action_posts(pk):
        response = client.post(url, data)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}"), url
    assert_unchanged(someones_request, someones_request.events.count())


def test_actions_refuse_get(as_buyer, someones_request):
    pk = someones_request.pk
    for action in ("withdraw", "accept", "decline", "ship", "confirm", "messages"):
        assert as_buyer.get(f"/requests/{pk}/{action}/").status_code == 405, action
    assert state_of(someones_request) == State.NEGOTIATING


def test_actions_need_the_csrf_token(buyer, someones_request):
    # given a browser-like client that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)
    pk = someones_request.pk
    # when posting without the token, nothing happens
    for url, data in action_posts(pk):
        assert client.post(url, data).status_code == 403, url
    assert client.post(apply_url(someones_request.order_item), application()).status_code == 403
    assert_unchanged(someones_request, someones_request.events.count())
    # and with the token from the page, the same post goes through
    token = Page(client.get(f"/requests/{pk}/")).values["csrfmiddlewaretoken"]
    response = client.post(f"/requests/{pk}/withdraw/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert state_of(someones_request) == State.CLOSED


# --- stale pages and double clicks -----------------------------------------------------------


def test_withdrawing_twice_says_the_page_was_stale_and_changes_nothing(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    as_buyer.post(f"/requests/{request.pk}/withdraw/", follow=True)
    closed = AfterSalesRequest.objects.get(pk=request.pk)
    # when the second click arrives
    response = as_buyer.post(f"/requests/{request.pk}/withdraw/", follow=True)
    # then
    assert Page(response).messages == [STALE + " Here is its current state."]
    request.refresh_from_db()
    assert (request.state, request.updated_at) == (State.CLOSED, closed.updated_at)
    assert request.events.filter(action="withdraw").count() == 1


def test_accepting_an_already_declined_proposal_changes_nothing(as_buyer, item):
    request = request_in(State.NEGOTIATING, item)
    as_buyer.post(f"/requests/{request.pk}/decline/", {"note": ""})
    # when the accept button of the old page is clicked
    response = as_buyer.post(f"/requests/{request.pk}/accept/", follow=True)
    # then
    assert any(STALE in message for message in Page(response).messages)
    assert state_of(request) == State.REJECTED
    assert request.proposals.get().status == Proposal.Status.DECLINED
    assert not LedgerEntry.objects.exists()


def test_shipping_twice_records_one_shipment(as_buyer, item):
    request = request_in(State.AWAITING_RETURN, item)
    as_buyer.post(f"/requests/{request.pk}/ship/", dict(TRACKING))
    response = as_buyer.post(
        f"/requests/{request.pk}/ship/",
        {"carrier": "zto", "tracking_number": "73123456789012"},
        follow=True,
    )
    assert any(STALE in message for message in Page(response).messages)
    assert Shipment.objects.get(request=request).tracking_number == TRACKING["tracking_number"]


def test_a_message_on_a_finished_request_is_refused(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    services.withdraw_request(request=request, actor=request.buyer)
    response = as_buyer.post(
        f"/requests/{request.pk}/messages/", {"body": "Still there?"}, follow=True
    )
    assert "This request is finished; the conversation is closed." in Page(response).text
    assert not Message.objects.exists()


def test_revising_a_request_that_is_not_rejected_is_refused(as_buyer, item):
    request = request_in(State.SUBMITTED, item)
    response = as_buyer.post(f"/requests/{request.pk}/revise/", application(), follow=True)
    assert Page(response).messages == ["This request cannot be revised now."]
    assert request.events.count() == 1


# --- bad input: refused with a clear message, nothing lost -------------------------------------


def assert_form_kept(page: Page, **typed) -> None:
    """The form came back with what the buyer typed still in it."""
    for name, value in typed.items():
        assert page.values[name] == value, name


def refused_application(client, item, files, **overrides):
    response = client.post(apply_url(item), application(files=files, **overrides))
    assert response.status_code == 200
    assert not AfterSalesRequest.objects.exists()
    page = Page(response)
    assert_form_kept(
        page,
        reason=overrides.get("reason", "quality_problem"),
        quantity=overrides.get("quantity", "2"),
        refund_amount=overrides.get("refund_amount", "150.00"),
        description="The tin arrived dented; the seal is broken on both.",
    )
    return page


def test_a_forged_photo_is_refused_and_the_good_one_kept(as_buyer, item):
    php = SimpleUploadedFile("photo.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")
    page = refused_application(as_buyer, item, [jpeg_upload("good.jpg"), php])
    assert (
        "“photo.jpg” is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image."
        in page.errors
    )
    assert kept_labels(page) == ["good.jpg"]
    assert PendingUpload.objects.get().original_name == "good.jpg"


def test_a_truncated_jpeg_is_refused(as_buyer, item):
    whole = jpeg_upload("cut.jpg", size=(200, 150)).read()
    cut = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], "image/jpeg")
    page = refused_application(as_buyer, item, [cut, jpeg_upload("good.jpg")])
    assert "“cut.jpg” is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image." in (
        page.errors
    )
    assert kept_labels(page) == ["good.jpg"]


def test_a_decompression_bomb_is_refused(as_buyer, item, settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_PHOTO_PIXELS": 100 * 100}
    bomb = jpeg_upload("bomb.jpg", size=(101, 100))
    page = refused_application(as_buyer, item, [bomb, jpeg_upload("good.jpg")])
    assert "“bomb.jpg” is too large in pixels to process." in page.errors
    assert kept_labels(page) == ["good.jpg"]


def test_an_oversized_photo_is_refused(as_buyer, item, settings):
    settings.EVIDENCE = {**settings.EVIDENCE, "MAX_PHOTO_BYTES": 20_000}
    big = noise_jpeg("huge.jpg")
    assert big.size > 20_000
    page = refused_application(as_buyer, item, [big, jpeg_upload("good.jpg")])
    assert "“huge.jpg” is larger than 19.5 KB." in page.errors
    assert kept_labels(page) == ["good.jpg"]


def test_ten_photos_are_too_many_and_earlier_kept_files_stay(as_buyer, item, buyer):
    # given one photo accepted on an earlier try
    (earlier,) = uploads.keep(buyer, [photo("earlier.jpg")])
    # when nine more are added (ten in all)
    files = [jpeg_upload(f"p{n}.jpg") for n in range(9)]
    response = as_buyer.post(apply_url(item), {**application(files=files), "kept": [earlier.pk]})
    # then
    page = Page(response)
    assert "You can attach at most 8 photos." in page.errors
    assert page.kept == [(str(earlier.pk), True, "earlier.jpg")]
    assert not AfterSalesRequest.objects.exists()


def test_ten_new_photos_are_too_many(as_buyer, item):
    page = refused_application(as_buyer, item, [jpeg_upload(f"p{n}.jpg") for n in range(10)])
    assert "You can attach at most 9 photos." in page.errors
    assert not PendingUpload.objects.exists()


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("-5.00", "Ensure this value is greater than or equal to 0.01."),
        ("0", "Ensure this value is greater than or equal to 0.01."),
        ("200.01", "For 2 item(s) you can ask back at most ¥200.00."),
        ("99999999999", "Ensure that there are no more than 10 digits before the decimal point."),
        ("12,3.4", "Enter a number."),
        ("abc", "Enter a number."),
        ("1.234", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_bad_refund_amounts_are_refused_and_nothing_is_lost(as_buyer, item, amount, error):
    page = refused_application(as_buyer, item, [jpeg_upload("good.jpg")], refund_amount=amount)
    assert error in page.errors
    assert kept_labels(page) == ["good.jpg"]


def test_the_amount_limit_follows_the_quantity(as_buyer, item):
    page = refused_application(
        as_buyer, item, [jpeg_upload("good.jpg")], quantity="1", refund_amount="150.00"
    )
    assert "For 1 item(s) you can ask back at most ¥100.00." in page.errors


def test_more_units_than_were_bought_are_refused(as_buyer, item):
    page = refused_application(as_buyer, item, [jpeg_upload("good.jpg")], quantity="3")
    assert any("You can ask for at most 2 of this item." in e for e in page.errors)
    assert kept_labels(page) == ["good.jpg"]


def test_a_missing_description_keeps_everything_else(as_buyer, item):
    response = as_buyer.post(
        apply_url(item), application(description="", files=[jpeg_upload("good.jpg")])
    )
    page = Page(response)
    assert "This field is required." in page.errors
    assert_form_kept(page, quantity="2", refund_amount="150.00", reason="quality_problem")
    assert kept_labels(page) == ["good.jpg"]


def test_resubmitting_with_kept_files_makes_them_evidence(as_buyer, item):
    # given a first try that failed on the amount, keeping two good photos
    first = Page(
        as_buyer.post(
            apply_url(item),
            application(
                refund_amount="abc", files=[jpeg_upload("one.jpg"), jpeg_upload("two.jpg")]
            ),
        )
    )
    kept_ids = [upload_id for upload_id, checked, _label in first.kept if checked]
    assert len(kept_ids) == 2
    # when the corrected form is sent with the kept ids and one more photo
    response = as_buyer.post(
        apply_url(item),
        {**application(files=[jpeg_upload("three.jpg")]), "kept": kept_ids},
        follow=True,
    )
    # then
    assert Page(response).messages == ["Your request was sent to the seller."]
    request = AfterSalesRequest.objects.get(order_item=item)
    assert sorted(request.evidence.values_list("original_name", flat=True)) == [
        "one.jpg",
        "three.jpg",
        "two.jpg",
    ]
    assert not PendingUpload.objects.exists()
    for evidence in request.evidence.all():
        assert as_buyer.get(f"/evidence/{evidence.pk}/thumb/").status_code == 200


def test_someone_elses_kept_ids_are_ignored(as_buyer, item, other_buyer):
    (theirs,) = uploads.keep(other_buyer, [photo("theirs.jpg")])
    response = as_buyer.post(apply_url(item), {**application(), "kept": [theirs.pk]})
    assert response.status_code == 302
    request = AfterSalesRequest.objects.get(order_item=item)
    assert not request.evidence.exists()
    assert PendingUpload.objects.filter(pk=theirs.pk, owner=other_buyer).exists()


def test_someone_elses_kept_ids_are_not_shown_back(as_buyer, item, other_buyer):
    (theirs,) = uploads.keep(other_buyer, [photo("theirs.jpg")])
    page = Page(
        as_buyer.post(apply_url(item), {**application(description=""), "kept": [theirs.pk]})
    )
    assert page.kept == []
    assert "theirs.jpg" not in page.text


def test_a_tracking_number_of_the_wrong_shape_is_refused(as_buyer, item):
    request = request_in(State.AWAITING_RETURN, item)
    response = as_buyer.post(
        f"/requests/{request.pk}/ship/", {"carrier": "sf", "tracking_number": "73123456789012"}
    )
    page = Page(response)
    assert response.status_code == 400
    assert (
        "This does not look like a SF Express tracking number (for example SF1234567890123)."
        in page.errors
    )
    assert (page.values["carrier"], page.values["tracking_number"]) == ("sf", "73123456789012")
    assert state_of(request) == State.AWAITING_RETURN
    assert not Shipment.objects.exists()


def test_a_return_outside_its_window_is_not_offered(as_buyer, buyer, shop, seller):
    # given an item delivered 40 days ago: only the year-long repair warranty is still open
    old = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        shipped_at=timezone.now() - timedelta(days=42),
        delivered_at=timezone.now() - timedelta(days=40),
    )
    page = Page(as_buyer.get(f"/items/{old.pk}/apply/"))
    offered = {label for label, href in page.links if href.startswith("?kind=")}
    assert offered == {"Repair"}


def test_posting_a_return_outside_its_window_says_why(as_buyer, buyer, shop, seller):
    old = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        shipped_at=timezone.now() - timedelta(days=42),
        delivered_at=timezone.now() - timedelta(days=40),
    )
    # when the buyer posts a no-reason return anyway (an old tab, a hand-made request)
    response = as_buyer.post(
        apply_url(old), application(reason=Reason.CHANGED_MIND, quantity="1"), follow=True
    )
    # then nothing is filed, and the page says that the window has closed
    assert not AfterSalesRequest.objects.exists()
    page = Page(response)
    assert any("window" in note for note in page.messages + page.errors), page.text


def test_a_no_reason_return_after_seven_days_is_refused(as_buyer, buyer, shop, seller):
    # given an item delivered ten days ago: quality returns are open, no-reason ones are not
    item = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        shipped_at=timezone.now() - timedelta(days=12),
        delivered_at=timezone.now() - timedelta(days=10),
    )
    form = Page(as_buyer.get(apply_url(item)))
    assert "changed_mind" not in form.options["reason"]
    # when the buyer posts one anyway
    response = as_buyer.post(apply_url(item), application(reason="changed_mind"))
    # then
    page = Page(response)
    assert (
        "This reason is not available for this item any more: its window may have passed. "
        "Choose another reason." in page.errors
    )
    assert_form_kept(page, quantity="2", description=application()["description"])
    assert not AfterSalesRequest.objects.exists()


def test_a_second_request_on_the_same_item_goes_to_the_open_one(as_buyer, item):
    open_request = request_in(State.SUBMITTED, item)
    for response in (
        as_buyer.get(apply_url(item), follow=True),
        as_buyer.post(apply_url(item), application(), follow=True),
    ):
        assert response.redirect_chain == [(f"/requests/{open_request.pk}/", 302)]
        assert Page(response).messages == [
            "This item already has an after-sales request in progress."
        ]
    assert AfterSalesRequest.objects.count() == 1


def test_a_new_request_is_possible_after_the_first_was_withdrawn(as_buyer, item):
    request_in(State.CLOSED, item)
    response = as_buyer.post(apply_url(item), application())
    assert response.status_code == 302
    assert AfterSalesRequest.objects.filter(state=State.SUBMITTED).count() == 1


# --- evidence files ----------------------------------------------------------------------------


def test_photos_are_served_as_jpeg_without_exif(as_buyer, item):
    as_buyer.post(apply_url(item), application(files=[jpeg_with_gps()]))
    evidence = Evidence.objects.get()
    for url in (f"/evidence/{evidence.pk}/", f"/evidence/{evidence.pk}/thumb/"):
        response = as_buyer.get(url)
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert served.format == "JPEG"
        assert not served.getexif()
        assert "exif" not in served.info
    with evidence.file.open("rb") as stored:
        assert not Image.open(stored).getexif()


def test_message_photos_are_served_only_to_those_who_see_the_request(as_buyer, item, other_buyer):
    request = request_in(State.SUBMITTED, item)
    as_buyer.post(
        f"/requests/{request.pk}/messages/", {"body": "Label", "files": [jpeg_upload("l.jpg")]}
    )
    evidence = Evidence.objects.get(message__request=request)
    assert as_buyer.get(f"/evidence/{evidence.pk}/").status_code == 200
    assert client_for(other_buyer).get(f"/evidence/{evidence.pk}/").status_code == 404


# --- query counts ------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_orders(buyer, shop, n: int) -> None:
    """Orders of two items; every other order has an open request, every third a refund."""
    for i in range(n):
        first = OrderItemFactory(order__buyer=buyer, order__shop=shop, title=f"Tea {i}")
        OrderItemFactory(order=first.order, title=f"Cup {i}", not_shipped=False)
        if i % 2 == 0:
            file_request(first)
        if i % 3 == 0:
            request_in(State.REFUNDED, OrderItemFactory(order=first.order, title=f"Pot {i}"))


# Every signed-in page: session, user, and for the header whether to link the seller center
# and how many notifications are unread (4).
MY_ORDERS_QUERIES = 8  # + count, orders, items, open requests
REQUEST_LIST_QUERIES = 6  # + count, requests
# + the request (with its item, order and shop), its evidence, events, messages, proposals and
# shipments; the dispute only if the request was escalated, the complaint and the review only
# once it has ended; and the shop's messages not yet read (the read receipts: one more query to
# mark them when there are some)
REQUEST_PAGE_QUERIES = 11
# + the dispute and its open questions, or + the complaint and the review (whose photos are one
# more query once the buyer has rated the service)
ENDED_OR_DISPUTED_PAGE_QUERIES = 13
# + the ledger rows, once money has moved (where it went and when: issue 13)
MONEY_QUERIES = 1


def test_my_orders_query_count_does_not_grow_with_orders(
    as_buyer, buyer, shop, seller, django_assert_max_num_queries
):
    add_orders(buyer, shop, 5)
    few = count_queries(as_buyer, "/")
    add_orders(buyer, shop, 45)
    many = count_queries(as_buyer, "/")
    assert few == many
    with django_assert_max_num_queries(MY_ORDERS_QUERIES):
        as_buyer.get("/?page=3")


def test_request_list_query_count_does_not_grow_with_requests(
    as_buyer, buyer, shop, seller, django_assert_max_num_queries
):
    add_orders(buyer, shop, 5)
    few = count_queries(as_buyer, "/requests/")
    add_orders(buyer, shop, 45)
    many = count_queries(as_buyer, "/requests/")
    assert AfterSalesRequest.objects.count() > 40
    assert few == many
    with django_assert_max_num_queries(REQUEST_LIST_QUERIES):
        as_buyer.get("/requests/?status=processing")


def long_history(item, buyer, seller, messages: int) -> AfterSalesRequest:
    """A return that was proposed on, declined, revised, approved and shipped back, with a
    thread of ``messages`` messages, every other one with a photo."""
    request = file_request(item, files=[photo("first.jpg")])
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
    as_buyer, buyer, shop, seller, django_assert_max_num_queries
):
    short = long_history(OrderItemFactory(order__buyer=buyer, order__shop=shop), buyer, seller, 2)
    long = long_history(OrderItemFactory(order__buyer=buyer, order__shop=shop), buyer, seller, 20)
    assert long.messages.count() == 20 and long.evidence.count() == 12
    assert count_queries(as_buyer, f"/requests/{short.pk}/") == count_queries(
        as_buyer, f"/requests/{long.pk}/"
    )
    with django_assert_max_num_queries(REQUEST_PAGE_QUERIES):
        as_buyer.get(f"/requests/{long.pk}/")


@pytest.mark.parametrize("state", list(State))
def test_request_page_reads_only_what_its_state_shows(
    as_buyer, buyer, shop, seller, state, django_assert_max_num_queries
):
    request = request_in(state, OrderItemFactory(order__buyer=buyer, order__shop=shop))
    limit = ENDED_OR_DISPUTED_PAGE_QUERIES
    if request.is_open and state != State.DISPUTED:
        limit = REQUEST_PAGE_QUERIES
    if state == State.REFUNDED:
        limit += MONEY_QUERIES
    with django_assert_max_num_queries(limit):
        response = as_buyer.get(f"/requests/{request.pk}/")
    html = response.content.decode()
    shown = set(re.findall(r'action="/requests/\d+/([\w-]+)/"', html))
    offered = request.available_actions(Role.BUYER)
    assert ("ship" in shown) == ("ship_return" in offered)
    assert ("decline" in shown) == ("decline_proposal" in offered)
    assert ("messages" in shown) == request.accepts_messages


def test_request_page_of_a_disputed_request_shows_the_dispute(as_buyer, item):
    request = request_in(State.DISPUTED, item)
    page = Page(as_buyer.get(f"/requests/{request.pk}/"))
    assert "Platform intervention" in page.text
    assert "The platform is reviewing both sides' evidence." in page.text
    assert RequestEvent.objects.filter(request=request, action="escalate").exists()
