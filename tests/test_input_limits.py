"""Every free-text field of every form has a maximum length (issue 12, row 7).

The models' TextFields carry a max_length that the database does not enforce, so the forms
must: for each form, one character over the limit is refused with the translated message,
nothing is saved, and what was typed comes back in the form. One case per form, through the
page a person uses (buyer portal, seller center, staff admin).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.models import (
    AfterSalesRequest,
    Dispute,
    Evidence,
    Message,
    Proposal,
    RequestEvent,
    Ruling,
    Shipment,
    State,
)
from disputes import services as dispute_services
from disputes.models import Complaint, EvidenceRequest
from reviews.models import Review
from reviews.services import review_request
from tests.aftersales.factories import jpeg_upload, request_in
from tests.aftersales.test_buyer_views import Page

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    form: str  # the form class, for the test's name
    who: str  # buyer, seller or arbitrator
    state: str  # where the request is when the form is sent
    path: str  # with {pk} (the request), {ask} (an evidence request), {dispute}, {complaint}
    data: dict
    field: str
    limit: int
    kind: str | None = None
    files: bool = False  # the form needs a photo (failing an inspection)


CASES = [
    # the buyer
    Case(
        "RequestForm",
        "buyer",
        "",
        "/items/{item}/apply/?kind=return_refund",
        {
            "kind": "return_refund",
            "reason": "quality_problem",
            "quantity": "1",
            "refund_amount": "100.00",
        },
        "description",
        2000,
    ),
    Case(
        "RequestForm (revise)",
        "buyer",
        State.REJECTED,
        "/requests/{pk}/revise/",
        {
            "kind": "return_refund",
            "reason": "quality_problem",
            "quantity": "1",
            "refund_amount": "100.00",
        },
        "description",
        2000,
    ),
    Case(
        "RequestForm (exchange)",
        "buyer",
        "",
        "/items/{item}/apply/?kind=exchange",
        {
            "kind": "exchange",
            "reason": "wrong_size",
            "quantity": "1",
            "description": "Too small.",
            "replacement": "size",
            "replacement_details": "Size L",
            "delivery_address": "上海市徐汇区漕溪北路 88 号",
        },
        "replacement_details",
        200,
    ),
    Case(
        "RequestForm (exchange)",
        "buyer",
        "",
        "/items/{item}/apply/?kind=exchange",
        {
            "kind": "exchange",
            "reason": "wrong_size",
            "quantity": "1",
            "description": "Too small.",
            "replacement": "size",
            "replacement_details": "Size L",
            "delivery_address": "上海市徐汇区漕溪北路 88 号",
        },
        "delivery_address",
        255,
    ),
    Case("NoteForm", "buyer", State.NEGOTIATING, "/requests/{pk}/decline/", {}, "note", 2000),
    Case(
        "EscalateForm",
        "buyer",
        State.REJECTED,
        "/requests/{pk}/escalate/",
        {"reason": Dispute.Reason.UNFAIR_REJECTION},
        "statement",
        4000,
    ),
    Case("MessageForm", "buyer", State.SUBMITTED, "/requests/{pk}/messages/", {}, "body", 2000),
    Case(
        "ReturnShipmentForm",
        "buyer",
        State.AWAITING_RETURN,
        "/requests/{pk}/ship/",
        {"carrier": "sf"},
        "tracking_number",
        40,
    ),
    Case(
        "EvidenceAnswerForm",
        "buyer",
        State.DISPUTED,
        "/requests/{pk}/evidence/{ask}/",
        {},
        "answer",
        4000,
    ),
    Case(
        "ComplaintForm",
        "buyer",
        State.REFUNDED,
        "/requests/{pk}/complain/",
        {"reason": Complaint.Reason.BROKEN_PROMISE},
        "description",
        4000,
    ),
    Case(
        "ReviewForm",
        "buyer",
        State.REFUNDED,
        "/requests/{pk}/review/",
        {"speed": "5", "attitude": "4", "result": "3"},
        "comment",
        1000,
    ),
    # the seller
    Case(
        "ProposalForm",
        "seller",
        State.SUBMITTED,
        "/seller/requests/{pk}/propose/",
        {"kind": "refund_only", "refund_amount": "50.00"},
        "note",
        2000,
    ),
    Case(
        "QuoteForm",
        "seller",
        State.SUBMITTED,
        "/seller/requests/{pk}/quote/",
        {"repair_fee": "80.00"},
        "note",
        2000,
    ),
    Case(
        "RefusalForm (reject)",
        "seller",
        State.SUBMITTED,
        "/seller/requests/{pk}/reject/",
        {"reason": "used"},
        "explanation",
        2000,
    ),
    Case(
        "RefusalForm (fail inspection)",
        "seller",
        State.INSPECTING,
        "/seller/requests/{pk}/fail/",
        {"reason": "used"},
        "explanation",
        2000,
        files=True,
    ),
    Case(
        "TrackingForm",
        "seller",
        State.INSPECTING,
        "/seller/requests/{pk}/ship/",
        {"carrier": "zto"},
        "tracking_number",
        40,
        kind="exchange",
    ),
    Case(
        "MessageForm (seller)",
        "seller",
        State.SUBMITTED,
        "/seller/requests/{pk}/messages/",
        {},
        "body",
        2000,
    ),
    Case(
        "DisputeAnswerForm",
        "seller",
        State.DISPUTED,
        "/seller/requests/{pk}/answer/",
        {},
        "statement",
        4000,
    ),
    Case(
        "EvidenceAnswerForm (seller)",
        "seller",
        State.DISPUTED,
        "/seller/requests/{pk}/evidence/{ask}/",
        {},
        "answer",
        4000,
    ),
    Case("ReplyForm", "seller", State.REFUNDED, "/seller/requests/{pk}/reply/", {}, "reply", 1000),
    # the staff
    Case(
        "RulingForm",
        "arbitrator",
        State.DISPUTED,
        "/admin/aftersales/dispute/{dispute}/rule/",
        {"outcome": "refund", "refund_amount": "50.00"},
        "rationale",
        4000,
    ),
    Case(
        "EvidenceRequestForm",
        "arbitrator",
        State.DISPUTED,
        "/admin/aftersales/dispute/{dispute}/ask/",
        {"party": "buyer", "days": "3"},
        "question",
        2000,
    ),
    Case(
        "ComplaintResultForm",
        "arbitrator",
        State.REFUNDED,
        "/admin/disputes/complaint/{complaint}/resolve/",
        {},
        "result",
        4000,
    ),
]


def setting_up(case: Case, item, buyer, arbitrator) -> dict:
    """The request in the case's state, and whatever else its form needs."""
    ids = {"item": item.pk}
    if not case.state:
        return ids
    request = request_in(case.state, item, kind=case.kind)
    if case.kind == "exchange":  # the goods are back: the seller ships the replacement
        assert request.state == State.INSPECTING
    ids["pk"] = request.pk
    if case.state == State.DISPUTED:
        dispute = request.disputes.get()
        ids["dispute"] = dispute.pk
        party = "buyer" if case.who == "buyer" else "seller"
        ids["ask"] = dispute_services.request_evidence(
            dispute=dispute,
            actor=arbitrator,
            party=party,
            question="Photos of the packing?",
            due_at=timezone.now() + timedelta(days=3),
        ).pk
    if case.form == "ReplyForm":
        review_request(request=request, actor=buyer, speed=2, attitude=3, result=2, comment="Slow.")
    if case.form == "ComplaintResultForm":
        complaint = dispute_services.file_complaint(
            request=request,
            actor=buyer,
            reason=Complaint.Reason.BROKEN_PROMISE,
            description="No gift.",
        )
        dispute_services.investigate_complaint(complaint=complaint, actor=arbitrator)
        ids["complaint"] = complaint.pk
    return ids


def everything() -> tuple:
    """All a form could have saved: rows, states, texts."""
    return (
        list(AfterSalesRequest.objects.values_list("state", "description", "updated_at")),
        RequestEvent.objects.count(),
        Message.objects.count(),
        Shipment.objects.count(),
        Proposal.objects.count(),
        Evidence.objects.count(),
        list(Dispute.objects.values_list("status", "seller_statement", "seller_answered_at")),
        Ruling.objects.count(),
        list(EvidenceRequest.objects.values_list("question", "answer", "answered_at")),
        list(Complaint.objects.values_list("status", "description", "result")),
        list(Review.objects.values_list("comment", "reply")),
    )


def typed_text(limit: int) -> str:
    """One character over the limit, in words (and Chinese), with no line breaks to count and
    no white space at either end (which the form would strip)."""
    text = ("箱子压坏了 the tin is dented ") * (limit // 20 + 1)
    return text[:limit] + "!"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.form)
def test_one_character_too_many_is_refused_nothing_saved_and_the_text_kept(
    case, item, buyer, seller, arbitrator, settings
):
    settings.LANGUAGE_CODE = "en"
    ids = setting_up(case, item, buyer, arbitrator)
    client = Client()
    client.force_login({"buyer": buyer, "seller": seller, "arbitrator": arbitrator}[case.who])
    typed = typed_text(case.limit)
    if case.field == "tracking_number":
        typed = "SF" + "1" * (case.limit - 1)
    data = {**case.data, case.field: typed}
    if case.files:
        data["files"] = [jpeg_upload()]
    before = everything()

    response = client.post(case.path.format(**ids), data)

    page = Page(response)
    assert response.status_code in (200, 400), response.status_code
    message = f"Ensure this value has at most {case.limit} characters (it has {case.limit + 1})."
    assert message in page.text
    assert page.values.get(case.field) == typed
    assert everything() == before


def test_every_free_text_field_is_covered_and_limited():
    """A new text field in any form must come with its limit and its case above."""
    from django import forms as django_forms

    from aftersales import forms as aftersales_forms
    from disputes import forms as disputes_forms
    from reviews import forms as reviews_forms

    covered = {(case.form.split(" ")[0], case.field) for case in CASES}
    found = set()
    for module in (aftersales_forms, disputes_forms, reviews_forms):
        for name, form in vars(module).items():
            if not (isinstance(form, type) and issubclass(form, django_forms.Form)):
                continue
            if form.__module__ != module.__name__:
                continue
            for field_name, field in form.base_fields.items():
                if type(field) is django_forms.CharField:
                    assert field.max_length, f"{name}.{field_name} has no max_length"
                    found.add((name, field_name))
    assert found - covered == set()


def test_the_message_is_translated(item, buyer, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    request = request_in(State.SUBMITTED, item)
    client = Client()
    client.force_login(buyer)

    response = client.post(f"/requests/{request.pk}/messages/", {"body": "好" * 2001})

    assert "确保该变量包含不超过 2000 字符 (目前字符数 2001)。" in Page(response).text
    assert not Message.objects.exists()
