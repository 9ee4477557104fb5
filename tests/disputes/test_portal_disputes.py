"""Disputes and complaints as the buyer and the seller see them in their portals (issue 6).

The seller answers a dispute from the seller center; the platform's questions appear on the
asked side's request page (and only there) with a form to answer; the ruling and its rationale
appear on both sides' pages; the buyer complains about a shop once a request is finished and
reads the platform's result. Pages are read as a person reads them: their text, the flash
messages, the error notes, which forms are there and what a form kept.
"""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from aftersales import services
from aftersales.models import Dispute, Evidence, PendingUpload, Role, Ruling, State
from disputes import services as dispute_services
from disputes.models import Complaint, EvidenceRequest
from tests.aftersales.factories import jpeg_upload, request_in

pytestmark = pytest.mark.django_db

FORGED_ERROR = "“forged.jpg” is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_buyer(buyer):
    return client_for(buyer)


@pytest.fixture
def as_seller(seller):
    return client_for(seller)


def forged(name: str = "forged.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<?php system($_GET['c']); ?>", content_type="image/jpeg")


# --- reading a page -------------------------------------------------------------------------------


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


class Page:
    """What a person sees on a rendered page."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.html = response.content.decode()
        self.text = _visible(self.html)

    @property
    def messages(self) -> list[str]:
        return [_visible(m) for m in re.findall(r'<p[^>]*role="status"[^>]*>(.*?)</p>', self.html)]

    @property
    def errors(self) -> list[str]:
        blocks = re.findall(
            r'<(?:ul|div) class="errors" role="alert">(.*?)</(?:ul|div)>', self.html, re.S
        )
        found = []
        for block in blocks:
            items = re.findall(r"<li>(.*?)</li>", block, re.S)
            found += [_visible(i) for i in items] or [_visible(block)]
        return found

    @property
    def badge(self) -> str:
        """The request's state, as the badge next to its title says it."""
        match = re.search(r'<span class="badge state-\w+">(.*?)</span>', self.html)
        return _visible(match.group(1)) if match else ""

    @property
    def form_actions(self) -> list[str]:
        return re.findall(r'<form[^>]*\baction="([^"]*)"', self.html)

    @property
    def kept(self) -> list[str]:
        """The names of the files a form kept from an earlier try, ticked to be used."""
        return [
            _visible(label)
            for label in re.findall(
                r'<label>\s*<input type="checkbox" name="kept" value="\d+" checked>(.*?)</label>',
                self.html,
                re.S,
            )
        ]

    def section(self, element_id: str) -> "Page":
        """Only the element with this id (a ``div`` or ``section``), as its own page."""
        start = self.html.index(f'id="{element_id}"')
        start = self.html.rindex("<", 0, start)
        tag = re.match(r"<(\w+)", self.html[start:]).group(1)
        depth, position = 0, start
        for match in re.finditer(rf"<(/?){tag}\b", self.html[start:]):
            depth += -1 if match.group(1) else 1
            if depth == 0:
                position = start + match.end()
                break
        part = Page.__new__(Page)
        part.status_code = self.status_code
        part.html = self.html[start:position]
        part.text = _visible(part.html)
        return part


def buyer_page(pk: int) -> str:
    return f"/requests/{pk}/"


def seller_page(pk: int) -> str:
    return f"/seller/requests/{pk}/"


@pytest.fixture
def disputed(item):
    """A rejected ¥100 return (1 of 2 tins, ¥200 paid) the buyer escalated."""
    return request_in(State.DISPUTED, item).disputes.get()


def reload(dispute: Dispute) -> Dispute:
    return Dispute.objects.get(pk=dispute.pk)


# --- the seller answers the dispute ---------------------------------------------------------------


def test_the_seller_answers_the_dispute_from_the_seller_center(as_seller, as_buyer, disputed):
    pk = disputed.request_id
    answer_url = f"/seller/requests/{pk}/answer/"
    page = Page(as_seller.get(seller_page(pk)))
    due = timezone.localtime(disputed.seller_answer_due_at).strftime("%Y-%m-%d %H:%M")
    assert "The dent is clearly visible in my photos." in page.text  # the buyer's statement
    assert f"Answer with your statement and counter-evidence by {due}." in page.text
    assert answer_url in page.form_actions
    assert answer_url not in Page(as_buyer.get(buyer_page(pk))).form_actions

    response = as_seller.post(
        answer_url,
        {"statement": "The tin left our warehouse intact.", "files": [jpeg_upload("packing.jpg")]},
    )

    assert (response.status_code, response["Location"]) == (302, seller_page(pk))
    page = Page(as_seller.get(seller_page(pk)))
    assert page.messages == ["Your answer was sent to the platform."]
    assert "Seller (seller) answered the dispute" in page.section("timeline").text
    assert "The tin left our warehouse intact." in page.text
    assert "Your answer" in page.text
    assert answer_url not in page.form_actions
    packing = Evidence.objects.get(original_name="packing.jpg")
    assert f'src="/evidence/{packing.pk}/thumb/"' in page.html
    disputed = reload(disputed)
    assert disputed.seller_statement == "The tin left our warehouse intact."


def test_a_second_answer_is_refused_with_a_message(as_seller, disputed, seller):
    dispute_services.answer_dispute(dispute=disputed, actor=seller, statement="First answer.")

    response = as_seller.post(
        f"/seller/requests/{disputed.request_id}/answer/", {"statement": "Second answer."}
    )

    assert response.status_code == 302
    page = Page(as_seller.get(response["Location"]))
    assert page.messages == ["You have already answered; add more in the conversation."]
    assert "First answer." in page.text
    assert "Second answer." not in page.text
    assert reload(disputed).seller_statement == "First answer."


def test_an_answer_without_a_statement_keeps_the_good_photo(as_seller, disputed, seller):
    url = f"/seller/requests/{disputed.request_id}/answer/"

    response = as_seller.post(
        url, {"statement": "", "files": [jpeg_upload("packing.jpg"), forged()]}
    )

    page = Page(response)
    assert response.status_code == 400
    assert "This field is required." in page.errors
    assert FORGED_ERROR in page.errors
    assert page.kept == ["packing.jpg"]
    assert reload(disputed).seller_answered_at is None
    # sent again with a statement, the kept photo goes with it
    kept = PendingUpload.objects.get(owner=seller)
    response = as_seller.post(url, {"statement": "Intact.", "kept": [kept.pk]})
    assert response.status_code == 302
    event = disputed.request.events.get(action="answer_dispute")
    assert list(event.evidence.values_list("original_name", flat=True)) == ["packing.jpg"]


def test_once_the_window_has_passed_the_form_is_gone_and_a_late_answer_is_explained(
    as_seller, disputed
):
    Dispute.objects.filter(pk=disputed.pk).update(
        seller_answer_due_at=timezone.now() - timedelta(minutes=1)
    )
    url = f"/seller/requests/{disputed.request_id}/answer/"
    assert url not in Page(as_seller.get(seller_page(disputed.request_id))).form_actions

    # the seller sends the form from a page loaded before the window closed
    response = as_seller.post(url, {"statement": "Sorry, late."}, follow=True)

    assert "The time to answer this dispute has passed." in Page(response).text
    assert reload(disputed).seller_answered_at is None


def test_an_answer_sent_after_the_ruling_says_the_platform_has_ruled(
    as_seller, disputed, arbitrator
):
    """The seller typed the answer while the arbitrator ruled (a stale page, SPEC §6)."""
    services.rule_dispute(
        dispute=disputed, actor=arbitrator, outcome=Ruling.Outcome.FOR_SELLER, rationale="No dent."
    )

    response = as_seller.post(
        f"/seller/requests/{disputed.request_id}/answer/", {"statement": "Too late."}, follow=True
    )

    page = Page(response)
    assert page.status_code == 200
    assert page.messages == ["The platform has already ruled on this dispute."]
    assert "No dent." in page.text
    assert reload(disputed).seller_statement == ""


def test_another_shop_cannot_answer(disputed, other_seller):
    response = client_for(other_seller).post(
        f"/seller/requests/{disputed.request_id}/answer/", {"statement": "Not ours."}
    )

    assert response.status_code == 404
    assert reload(disputed).seller_statement == ""


# --- the platform asks for evidence ---------------------------------------------------------------


def ask(dispute, arbitrator, party, question="Please send a photo of the label."):
    return dispute_services.request_evidence(
        dispute=dispute, actor=arbitrator, party=party, question=question
    )


def evidence_url(asked: EvidenceRequest) -> str:
    prefix = "/seller" if asked.party == Role.SELLER else ""
    return f"{prefix}/requests/{asked.dispute.request_id}/evidence/{asked.pk}/"


@pytest.mark.parametrize("party", [Role.BUYER, Role.SELLER])
def test_the_question_shows_on_the_asked_sides_page_only(
    party, disputed, arbitrator, as_buyer, as_seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        asked = ask(disputed, arbitrator, party, question="Send the courier's receipt.")
    pk = disputed.request_id
    pages = {
        Role.BUYER: Page(as_buyer.get(buyer_page(pk))),
        Role.SELLER: Page(as_seller.get(seller_page(pk))),
    }
    other = Role.SELLER if party == Role.BUYER else Role.BUYER

    card = pages[party].section(f"ask-{asked.pk}")
    due = timezone.localtime(asked.due_at).strftime("%Y-%m-%d %H:%M")
    assert f"The platform asks you for more evidence · answer by {due}" in card.text
    assert "Send the courier's receipt." in card.text
    assert card.form_actions == [evidence_url(asked)]
    assert "The platform asks you for more evidence" not in pages[other].text
    assert f'id="ask-{asked.pk}"' not in pages[other].html
    assert not [a for a in pages[other].form_actions if "/evidence/" in a]
    # and in the asked side's notifications, not the other's
    notices = {
        Role.BUYER: Page(as_buyer.get("/notifications/")),
        Role.SELLER: Page(as_seller.get("/notifications/")),
    }
    assert f"#{pk} " in notices[party].text
    assert "Platform asked for more evidence" in notices[party].text
    assert "asked for more evidence" not in notices[other].text


def test_the_buyer_answers_the_question_with_a_photo(as_buyer, disputed, arbitrator):
    asked = ask(disputed, arbitrator, Role.BUYER)

    response = as_buyer.post(
        evidence_url(asked),
        {"answer": "The label is on the bottom.", "files": [jpeg_upload("label.jpg")]},
    )

    assert (response.status_code, response["Location"]) == (302, buyer_page(disputed.request_id))
    page = Page(as_buyer.get(response["Location"]))
    assert page.messages == ["Thank you. The platform has your evidence."]
    assert f'id="ask-{asked.pk}"' not in page.html
    history = page.section("timeline").text
    assert "Buyer provided more evidence" in history
    assert "The label is on the bottom." in history
    label = Evidence.objects.get(original_name="label.jpg")
    assert f'src="/evidence/{label.pk}/thumb/"' in page.section("timeline").html
    asked.refresh_from_db()
    assert asked.answer == "The label is on the bottom."


def test_the_seller_answers_the_question_with_photos_only(as_seller, disputed, arbitrator):
    asked = ask(disputed, arbitrator, Role.SELLER)

    response = as_seller.post(
        evidence_url(asked), {"answer": "", "files": [jpeg_upload("box.jpg")]}, follow=True
    )

    page = Page(response)
    assert page.messages == ["Thank you. The platform has your evidence."]
    assert "Seller (seller) provided more evidence" in page.section("timeline").text
    asked.refresh_from_db()
    assert asked.answered_at is not None


def test_a_bad_upload_keeps_the_good_photo_for_the_next_try(as_buyer, disputed, arbitrator, buyer):
    asked = ask(disputed, arbitrator, Role.BUYER)

    response = as_buyer.post(
        evidence_url(asked),
        {"answer": "Two photos.", "files": [jpeg_upload("label.jpg"), forged()]},
    )

    assert response.status_code == 400
    card = Page(response).section(f"ask-{asked.pk}")
    assert FORGED_ERROR in card.errors
    assert card.kept == ["label.jpg"]
    assert 'name="answer"' in card.html and ">\nTwo photos.</textarea>" in card.html
    asked.refresh_from_db()
    assert asked.answered_at is None

    kept = PendingUpload.objects.get(owner=buyer)
    response = as_buyer.post(evidence_url(asked), {"answer": "Two photos.", "kept": [kept.pk]})

    assert response.status_code == 302
    event = disputed.request.events.get(action="provide_evidence")
    assert list(event.evidence.values_list("original_name", flat=True)) == ["label.jpg"]
    assert not PendingUpload.objects.exists()


def test_an_empty_answer_is_refused_in_the_questions_form(as_buyer, disputed, arbitrator):
    asked = ask(disputed, arbitrator, Role.BUYER)

    response = as_buyer.post(evidence_url(asked), {"answer": "  "})

    assert response.status_code == 400
    card = Page(response).section(f"ask-{asked.pk}")
    assert card.errors == ["Write an answer or attach evidence."]
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_an_answer_after_the_deadline_is_refused_with_a_message(as_buyer, disputed, arbitrator):
    asked = ask(disputed, arbitrator, Role.BUYER)
    EvidenceRequest.objects.filter(pk=asked.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    response = as_buyer.post(evidence_url(asked), {"answer": "Late."})

    assert "The deadline for this evidence has passed." in Page(response).text
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_the_other_side_cannot_answer_a_question_not_addressed_to_it(
    disputed, arbitrator, as_buyer, as_seller
):
    to_buyer = ask(disputed, arbitrator, Role.BUYER)
    to_seller = ask(disputed, arbitrator, Role.SELLER)
    pk = disputed.request_id

    responses = [
        as_seller.post(f"/seller/requests/{pk}/evidence/{to_buyer.pk}/", {"answer": "Mine."}),
        as_buyer.post(f"/requests/{pk}/evidence/{to_seller.pk}/", {"answer": "Mine."}),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert not EvidenceRequest.objects.filter(answered_at__isnull=False).exists()


def test_strangers_get_404_for_the_evidence_urls(disputed, arbitrator, other_buyer, other_seller):
    to_buyer = ask(disputed, arbitrator, Role.BUYER)
    to_seller = ask(disputed, arbitrator, Role.SELLER)

    responses = [
        client_for(other_buyer).post(evidence_url(to_buyer), {"answer": "Mine."}),
        client_for(other_seller).post(evidence_url(to_seller), {"answer": "Mine."}),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert not EvidenceRequest.objects.filter(answered_at__isnull=False).exists()


def test_evidence_sent_after_the_ruling_says_the_platform_has_ruled(as_buyer, disputed, arbitrator):
    asked = ask(disputed, arbitrator, Role.BUYER)
    services.rule_dispute(
        dispute=disputed, actor=arbitrator, outcome=Ruling.Outcome.FOR_SELLER, rationale="No dent."
    )

    response = as_buyer.post(evidence_url(asked), {"answer": "Here it is."}, follow=True)

    page = Page(response)
    assert page.status_code == 200
    assert page.messages == ["The platform has already ruled on this dispute."]
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_after_the_ruling_the_open_question_is_no_longer_shown(as_buyer, disputed, arbitrator):
    asked = ask(disputed, arbitrator, Role.BUYER)
    services.rule_dispute(
        dispute=disputed, actor=arbitrator, outcome=Ruling.Outcome.FOR_SELLER, rationale="Done."
    )

    page = Page(as_buyer.get(buyer_page(disputed.request_id)))

    assert f'id="ask-{asked.pk}"' not in page.html
    assert evidence_url(asked) not in page.form_actions


# --- the ruling on both sides' pages --------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, amounts, shown, badge",
    [
        (
            Ruling.Outcome.REFUND,
            {"refund_amount": Decimal("60.00")},
            "Ruling: Refund (full or partial), the buyer keeps the goods · ¥60.00",
            "Refunded",
        ),
        (
            Ruling.Outcome.COMPENSATION,
            {"compensation_amount": Decimal("25.00")},
            "Ruling: Compensation · compensation ¥25.00",
            "Refunded",
        ),
        (
            Ruling.Outcome.RETURN_AND_REFUND,
            {"refund_amount": Decimal("90.00")},
            "Ruling: Return the goods, then refund · ¥90.00",
            "Waiting for the buyer to ship back",
        ),
        (
            Ruling.Outcome.FOR_SELLER,
            {},
            "Ruling: For the seller: close the request",
            "Closed",
        ),
    ],
)
def test_both_sides_read_the_ruling_and_its_rationale(
    outcome, amounts, shown, badge, disputed, arbitrator, as_buyer, as_seller
):
    services.rule_dispute(
        dispute=disputed,
        actor=arbitrator,
        outcome=outcome,
        rationale="Photo 3 shows the dent; the seller's packing photo was taken after.",
        **amounts,
    )
    pk = disputed.request_id

    for page in (Page(as_buyer.get(buyer_page(pk))), Page(as_seller.get(seller_page(pk)))):
        assert page.status_code == 200
        assert "Platform intervention" in page.text
        assert shown in page.text
        assert "Photo 3 shows the dent; the seller's packing photo was taken after." in page.text
        assert page.badge == badge
        assert "The platform is reviewing both sides' evidence." not in page.text


def test_a_ruling_for_the_seller_says_why_the_request_closed(disputed, arbitrator, as_buyer):
    services.rule_dispute(
        dispute=disputed, actor=arbitrator, outcome=Ruling.Outcome.FOR_SELLER, rationale="No dent."
    )

    page = Page(as_buyer.get(buyer_page(disputed.request_id)))

    assert "Closed: Platform ruled for the seller" in page.text


def test_a_return_ruling_gives_the_buyer_the_address_to_ship_back_to(
    disputed, arbitrator, as_buyer, shop
):
    services.rule_dispute(
        dispute=disputed,
        actor=arbitrator,
        outcome=Ruling.Outcome.RETURN_AND_REFUND,
        refund_amount=Decimal("90.00"),
        rationale="Send it back; the refund follows.",
    )

    page = Page(as_buyer.get(buyer_page(disputed.request_id)))

    assert f"Send the goods to: {shop.default_return_address}" in page.text
    assert f"/requests/{disputed.request_id}/ship/" in page.form_actions


# --- complaints -----------------------------------------------------------------------------------


@pytest.fixture
def finished(item):
    return request_in(State.REFUNDED, item)


def complain_url(request) -> str:
    return f"/requests/{request.pk}/complain/"


@pytest.mark.parametrize("state", [State.SUBMITTED, State.REJECTED, State.DISPUTED])
def test_no_complaint_while_the_request_is_in_progress(state, item, as_buyer):
    request = request_in(state, item)
    assert complain_url(request) not in Page(as_buyer.get(buyer_page(request.pk))).html

    response = as_buyer.post(
        complain_url(request), {"reason": "bad_service", "description": "Rude."}, follow=True
    )

    assert Page(response).messages == [
        "You can complain about the shop once the request is finished."
    ]
    assert not Complaint.objects.exists()


def test_the_buyer_complains_about_the_shop_and_reads_the_result(finished, as_buyer, arbitrator):
    page = Page(as_buyer.get(buyer_page(finished.pk)))
    assert f'href="{complain_url(finished)}"' in page.html
    form = Page(as_buyer.get(complain_url(finished)))
    assert "About Hangzhou Tea House, after-sales request" in form.text

    response = as_buyer.post(
        complain_url(finished),
        {
            "reason": "broken_promise",
            "description": "They promised a gift and never sent it.",
            "files": [jpeg_upload("chat.jpg")],
        },
    )

    assert (response.status_code, response["Location"]) == (302, buyer_page(finished.pk))
    page = Page(as_buyer.get(buyer_page(finished.pk)))
    assert page.messages == ["Your complaint was sent to the platform."]
    card = page.text
    assert "Your complaint about the shop" in card
    assert "The seller did not do what was agreed · received" in card
    assert complain_url(finished) not in page.html
    complaint = Complaint.objects.get()
    assert complaint.request.events.get(action="complain").evidence.get().original_name == (
        "chat.jpg"
    )

    # staff investigate
    dispute_services.investigate_complaint(complaint=complaint, actor=arbitrator)
    page = Page(as_buyer.get(buyer_page(finished.pk)))
    assert "The seller did not do what was agreed · being investigated" in page.text
    assert "The platform's result" not in page.text

    # and resolve it with a written result
    dispute_services.resolve_complaint(
        complaint=complaint, actor=arbitrator, result="The shop sent the gift and was warned."
    )
    page = Page(as_buyer.get(buyer_page(finished.pk)))
    assert "The seller did not do what was agreed · resolved" in page.text
    assert "The platform's result: The shop sent the gift and was warned." in page.text


def test_a_complaint_without_a_description_keeps_the_photo(finished, as_buyer):
    response = as_buyer.post(
        complain_url(finished),
        {"reason": "bad_service", "description": "", "files": [jpeg_upload("chat.jpg")]},
    )

    page = Page(response)
    assert "This field is required." in page.errors
    assert page.kept == ["chat.jpg"]
    assert not Complaint.objects.exists()


def test_a_second_complaint_while_the_first_is_handled_is_refused(finished, as_buyer, buyer):
    dispute_services.file_complaint(
        request=finished, actor=buyer, reason="bad_service", description="Rude."
    )

    response = as_buyer.post(
        complain_url(finished), {"reason": "other", "description": "Again."}, follow=True
    )

    assert Page(response).messages == ["A complaint about this request is already being handled."]
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize("who", ["other_buyer", "seller"])
def test_only_the_buyer_reaches_the_complaint_form(who, finished, request):
    client = client_for(request.getfixturevalue(who))

    responses = [
        client.get(complain_url(finished)),
        client.post(complain_url(finished), {"reason": "other", "description": "Not mine."}),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert not Complaint.objects.exists()
