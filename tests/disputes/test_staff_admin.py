"""The staff portal (平台小二) in the Django admin, driven with the test client (issue 6).

Arbitrators work the dispute queue, read one case on one page (both statements, all evidence,
the whole history), ask for evidence and rule; support staff read the same pages without the
forms; buyers and shop members never get in. Complaints are handled here too. Assertions read
the page as a person would (its text, its links and images, what is typed in the form) or what
changed in the database.
"""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from aftersales import services
from aftersales.evidence import prepare_video
from aftersales.models import AfterSalesRequest, Dispute, LedgerEntry, Role, Ruling, State
from disputes import services as dispute_services
from disputes.admin import ComplaintAdmin, DisputeAdmin
from disputes.models import Complaint, EvidenceRequest
from tests.aftersales.factories import photo, request_in
from tests.orders.factories import (
    OrderItemFactory,
    ShopFactory,
    ShopMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

QUEUE = "/admin/aftersales/dispute/"
LOGIN = "/admin/login/"
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def support(db):
    user = UserFactory(username="support", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def as_arbitrator(arbitrator):
    return client_for(arbitrator)


@pytest.fixture
def as_support(support):
    return client_for(support)


def page_url(dispute: Dispute, action: str = "change") -> str:
    return f"{QUEUE}{dispute.pk}/{action}/"


def text(response) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def messages_of(response) -> list[str]:
    html = response.content.decode()
    block = re.search(r'<ul class="messagelist">(.*?)</ul>', html, flags=re.S)
    if not block:
        return []
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", li)).split())
        for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), flags=re.S)
    ]


def form_actions(response) -> list[str]:
    return re.findall(r'<form[^>]*\baction="([^"]*)"', response.content.decode())


def textarea(response, name: str) -> str:
    match = re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    return unescape(match.group(1)).removeprefix("\n") if match else None


def listed(response) -> list[int]:
    """The disputes the queue lists, top to bottom."""
    ids = re.findall(r'href="/admin/aftersales/dispute/(\d+)/change/', response.content.decode())
    return list(dict.fromkeys(int(i) for i in ids))


def reload(dispute: Dispute) -> Dispute:
    return Dispute.objects.get(pk=dispute.pk)


def state_of(dispute: Dispute) -> str:
    return AfterSalesRequest.objects.get(pk=dispute.request_id).state


@pytest.fixture
def disputed(item):
    """A rejected ¥100 return (1 of 2 tins, ¥200 paid) that the buyer escalated."""
    return request_in(State.DISPUTED, item).disputes.get()


# --- the queue ------------------------------------------------------------------------------------


@pytest.fixture
def queue(shop, seller, buyer, other_buyer):
    """Five disputes of two shops and two buyers, opened at different times; one ruled."""
    silk = ShopFactory(name="Suzhou Silk")
    ShopMemberFactory(shop=silk, user__username="silk-agent")
    now = timezone.now()

    def dispute(who, where, days_ago):
        item = OrderItemFactory(order__buyer=who, order__shop=where)
        found = request_in(State.DISPUTED, item).disputes.get()
        opened = now - timedelta(days=days_ago)
        Dispute.objects.filter(pk=found.pk).update(
            opened_at=opened, ruling_due_at=opened + timedelta(days=5)
        )
        return found

    disputes = {
        "fresh": dispute(buyer, shop, 0.1),
        "two_days": dispute(other_buyer, silk, 2),
        "four_days": dispute(buyer, silk, 4),
        "overdue": dispute(other_buyer, shop, 6),
        "ruled": dispute(buyer, shop, 7),
    }
    services.rule_dispute(
        dispute=disputes["ruled"],
        actor=UserFactory(username="root", is_superuser=True, is_staff=True),
        outcome=Ruling.Outcome.FOR_SELLER,
        rationale="No damage visible.",
    )
    disputes["silk"] = silk
    return disputes


def ids(queue, *names) -> set[int]:
    return {queue[name].pk for name in names}


def test_the_queue_lists_each_dispute_with_order_item_shop_buyer_and_target(as_arbitrator, queue):
    response = as_arbitrator.get(QUEUE)

    assert response.status_code == 200
    assert set(listed(response)) == ids(queue, "fresh", "two_days", "four_days", "overdue", "ruled")
    page = text(response)
    two_days = queue["two_days"].request
    assert two_days.order.number in page
    assert "Suzhou Silk" in page and "Hangzhou Tea House" in page
    assert "other-buyer" in page
    assert "Longjing green tea, 250 g tin" in page
    assert page.count("overdue") == 1  # only the open dispute past its 5-day target


def test_the_queue_shows_open_disputes_first_the_most_urgent_on_top(as_arbitrator, queue):
    response = as_arbitrator.get(QUEUE)

    assert listed(response) == [
        queue[name].pk for name in ("overdue", "four_days", "two_days", "fresh", "ruled")
    ]


@pytest.mark.parametrize(
    "query, shown",
    [
        ("status__exact=open", ("fresh", "two_days", "four_days", "overdue")),
        ("status__exact=ruled", ("ruled",)),
        ("age=1", ("fresh",)),
        ("age=3", ("two_days",)),
        ("age=old", ("four_days", "overdue", "ruled")),
        ("overdue=yes", ("overdue",)),
        ("overdue=no", ("fresh", "two_days", "four_days")),
        ("q=other-buyer", ("two_days", "overdue")),
        ("status__exact=open&age=old", ("four_days", "overdue")),
    ],
)
def test_queue_filters_and_search(as_arbitrator, queue, query, shown):
    response = as_arbitrator.get(f"{QUEUE}?{query}")

    assert response.status_code == 200
    assert set(listed(response)) == ids(queue, *shown)


def test_queue_filter_by_shop(as_arbitrator, queue, shop):
    tea = as_arbitrator.get(f"{QUEUE}?request__shop__id__exact={shop.pk}")
    silk = as_arbitrator.get(f"{QUEUE}?request__shop__id__exact={queue['silk'].pk}")

    assert set(listed(tea)) == ids(queue, "fresh", "overdue", "ruled")
    assert set(listed(silk)) == ids(queue, "two_days", "four_days")


def test_queue_search_by_order_number(as_arbitrator, queue):
    number = queue["four_days"].request.order.number

    response = as_arbitrator.get(QUEUE, {"q": number})

    assert listed(response) == [queue["four_days"].pk]


# --- one dispute, one page ------------------------------------------------------------------------


@pytest.fixture
def case(item, buyer, seller, arbitrator):
    """A dispute with a bit of everything: photos and a video from both sides, the seller's
    answer, a question to the buyer and its answer, a message."""
    request = request_in(State.REJECTED, item)
    dispute = services.escalate_to_platform(
        request=request,
        actor=buyer,
        reason=Dispute.Reason.UNFAIR_REJECTION,
        statement="The dent is clearly visible in my photos.",
        files=[photo("dent.jpg"), prepare_video(SimpleUploadedFile("unboxing.mp4", MP4))],
    )
    dispute_services.answer_dispute(
        dispute=dispute,
        actor=seller,
        statement="The tin left our warehouse intact.",
        files=[photo("packing.jpg")],
    )
    asked = dispute_services.request_evidence(
        dispute=dispute, actor=arbitrator, party=Role.BUYER, question="A photo of the courier box?"
    )
    dispute_services.provide_evidence(
        evidence_request=asked, actor=buyer, answer="The box was crushed.", files=[photo("box.jpg")]
    )
    services.post_message(request=request, actor=seller, body="We can offer ¥20 goodwill.")
    return dispute


def test_the_dispute_page_shows_both_sides_all_evidence_and_the_whole_history(as_arbitrator, case):
    response = as_arbitrator.get(page_url(case))

    assert response.status_code == 200
    page = text(response)
    # both statements
    assert "The dent is clearly visible in my photos." in page
    assert "The tin left our warehouse intact." in page
    # every photo as a thumbnail, the video as a player
    html = response.content.decode()
    evidence = {e.original_name: e.pk for e in case.request.evidence.all()}
    for name in ("dent.jpg", "packing.jpg", "box.jpg"):
        assert f'src="/evidence/{evidence[name]}/thumb/"' in html
    assert f'<video controls preload="none" src="/evidence/{evidence["unboxing.mp4"]}/"' in html
    # the question and its answer
    assert "A photo of the courier box?" in page
    assert "The box was crushed." in page
    # the whole history, with who did what
    for line in (
        "Buyer (buyer) filed the request",
        "Seller (seller) rejected the request",
        "The photos show no damage.",
        "Buyer (buyer) asked the platform to step in",
        "Seller (seller) answered the dispute",
        "Platform (arbitrator) asked for more evidence",
        "Buyer (buyer) provided more evidence",
        "Seller (seller) wrote: We can offer ¥20 goodwill.",
    ):
        assert line in page
    # and what the arbitrator may decide
    assert "A refund may be at most ¥200.00, what is still refundable for the item." in page
    assert page_url(case, "rule") in form_actions(response)
    assert page_url(case, "ask") in form_actions(response)


def test_staff_can_open_the_evidence_thumbnails_and_files(as_arbitrator, as_support, case):
    evidence = case.request.evidence.get(original_name="packing.jpg")

    for client in (as_arbitrator, as_support):
        thumb = client.get(f"/evidence/{evidence.pk}/thumb/")
        full = client.get(f"/evidence/{evidence.pk}/")
        assert (thumb.status_code, thumb["Content-Type"]) == (200, "image/jpeg")
        assert full.status_code == 200


def test_without_a_seller_answer_the_page_says_so(as_arbitrator, disputed):
    page = text(as_arbitrator.get(page_url(disputed)))

    assert "The dent is clearly visible in my photos." in page
    assert "(no answer yet)" in page
    assert "No photos or videos." in page


# --- ruling ---------------------------------------------------------------------------------------


def test_an_arbitrator_rules_a_partial_refund(as_arbitrator, disputed, arbitrator, item):
    response = as_arbitrator.post(
        page_url(disputed, "rule"),
        {
            "outcome": "refund",
            "refund_amount": "60.00",
            "compensation_amount": "",
            "rationale": "The dent is visible; the tea is fine. Half of the asked refund.",
        },
    )

    assert (response.status_code, response["Location"]) == (302, page_url(disputed))
    page = as_arbitrator.get(response["Location"])
    assert messages_of(page) == ["Ruling recorded; both parties have been told."]
    shown = text(page)
    assert "Refund (full or partial), the buyer keeps the goods · refund ¥60.00 · arbitrator" in (
        shown
    )
    assert "The dent is visible; the tea is fine. Half of the asked refund." in shown
    assert page_url(disputed, "rule") not in form_actions(page)
    assert page_url(disputed, "ask") not in form_actions(page)
    ruling = Ruling.objects.get()
    assert (ruling.outcome, ruling.refund_amount, ruling.decided_by) == (
        Ruling.Outcome.REFUND,
        Decimal("60.00"),
        arbitrator,
    )
    assert reload(disputed).status == Dispute.Status.RULED
    assert state_of(disputed) == State.REFUNDED
    assert list(LedgerEntry.objects.values_list("type", "amount")) == [
        (LedgerEntry.Type.REFUND, Decimal("60.00"))
    ]
    item.refresh_from_db()
    assert item.refunded_amount == Decimal("60.00")


def test_an_arbitrator_rules_for_the_seller(as_arbitrator, disputed):
    response = as_arbitrator.post(
        page_url(disputed, "rule"),
        {"outcome": "for_seller", "refund_amount": "", "rationale": "No damage in any photo."},
    )

    assert response.status_code == 302
    request = AfterSalesRequest.objects.get(pk=disputed.request_id)
    assert (request.state, request.close_reason) == (State.CLOSED, "ruled_for_seller")
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "posted, error",
    [
        (
            {"outcome": "refund", "refund_amount": "50.00", "rationale": ""},
            "This field is required.",
        ),
        (
            {"outcome": "refund", "refund_amount": "200.01", "rationale": "Refund it all."},
            "The refund may be at most ¥200.00, what is still refundable for the item.",
        ),
        (
            {"outcome": "refund", "refund_amount": "-5.00", "rationale": "Negative?"},
            "Ensure this value is greater than or equal to 0.00.",
        ),
        (
            {"outcome": "compensation", "compensation_amount": "-1", "rationale": "Negative?"},
            "Ensure this value is greater than or equal to 0.00.",
        ),
        (
            {"outcome": "refund", "refund_amount": "", "rationale": "Refund, amount forgotten."},
            "A refund ruling needs a refund amount above ¥0.00.",
        ),
        (
            {"outcome": "compensation", "compensation_amount": "200.01", "rationale": "Too much."},
            "Compensation may be at most ¥200.00, what the buyer paid for the item.",
        ),
        (
            {"outcome": "", "refund_amount": "50.00", "rationale": "Which outcome?"},
            "This field is required.",
        ),
        (
            {"outcome": "refund", "refund_amount": "12.345", "rationale": "Too precise."},
            "Ensure that there are no more than 2 decimal places.",
        ),
    ],
)
def test_a_bad_ruling_comes_back_with_the_error_and_what_was_typed(
    as_arbitrator, disputed, posted, error
):
    response = as_arbitrator.post(page_url(disputed, "rule"), posted)

    assert response.status_code == 400
    assert error in text(response)
    assert textarea(response, "rationale") == posted["rationale"]
    assert page_url(disputed, "rule") in form_actions(response)
    assert reload(disputed).status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_ruling_twice_pays_once_and_says_why(as_arbitrator, disputed):
    """A second tab (or a double click) sends the form again after the ruling."""
    first = {"outcome": "refund", "refund_amount": "60.00", "rationale": "Half."}
    as_arbitrator.post(page_url(disputed, "rule"), first)

    response = as_arbitrator.post(
        page_url(disputed, "rule"),
        {**first, "refund_amount": "100.00", "rationale": "All."},
        follow=True,
    )

    assert Ruling.objects.get().refund_amount == Decimal("60.00")
    assert LedgerEntry.objects.count() == 1
    page = text(response)
    assert "refund ¥60.00" in page  # the ruling that stands
    assert "This request has changed since the page was loaded, so nothing was done." in page


def test_get_on_the_rule_url_changes_nothing(as_arbitrator, disputed):
    response = as_arbitrator.get(
        page_url(disputed, "rule"), {"outcome": "for_seller", "rationale": "GET?"}
    )

    assert (response.status_code, response["Location"]) == (302, page_url(disputed))
    assert reload(disputed).status == Dispute.Status.OPEN


# --- asking for evidence --------------------------------------------------------------------------


def test_an_arbitrator_asks_the_seller_for_evidence(as_arbitrator, disputed, arbitrator):
    before = timezone.now()

    response = as_arbitrator.post(
        page_url(disputed, "ask"),
        {"party": "seller", "question": "Send the packing photos.", "days": "2"},
    )

    assert (response.status_code, response["Location"]) == (302, page_url(disputed))
    asked = EvidenceRequest.objects.get()
    assert (asked.dispute, asked.party, asked.question, asked.requested_by) == (
        disputed,
        Role.SELLER,
        "Send the packing photos.",
        arbitrator,
    )
    assert before + timedelta(days=2) <= asked.due_at <= timezone.now() + timedelta(days=2)
    page = as_arbitrator.get(response["Location"])
    assert messages_of(page) == ["Request for evidence sent."]
    shown = text(page)
    assert "Requests for more evidence" in shown
    assert "Send the packing photos." in shown
    assert "not answered yet" in shown


@pytest.mark.parametrize(
    "posted, error",
    [
        ({"party": "seller", "question": "", "days": "3"}, "This field is required."),
        (
            {"party": "seller", "question": "Photos?", "days": "0"},
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"party": "seller", "question": "Photos?", "days": "15"},
            "Ensure this value is less than or equal to 14.",
        ),
        (
            {"party": "staff", "question": "Photos?", "days": "3"},
            "Select a valid choice. staff is not one of the available choices.",
        ),
    ],
)
def test_a_bad_request_for_evidence_comes_back_with_the_error(
    as_arbitrator, disputed, posted, error
):
    response = as_arbitrator.post(page_url(disputed, "ask"), posted)

    assert response.status_code == 400
    assert error in text(response)
    assert textarea(response, "question") == posted["question"]
    assert not EvidenceRequest.objects.exists()


# --- support staff read, never decide -------------------------------------------------------------


def test_support_reads_the_queue_and_the_case_without_the_forms(as_support, case):
    queue = as_support.get(QUEUE)
    response = as_support.get(page_url(case))

    assert queue.status_code == 200
    assert listed(queue) == [case.pk]
    assert response.status_code == 200
    page = text(response)
    assert "The dent is clearly visible in my photos." in page
    assert "The tin left our warehouse intact." in page
    assert "Only arbitrators can rule or ask for evidence." in page
    assert page_url(case, "rule") not in form_actions(response)
    assert page_url(case, "ask") not in form_actions(response)
    assert 'name="rationale"' not in response.content.decode()


@pytest.fixture
def support_posts(as_support, disputed):
    """Support staff send the ruling and the evidence request forms anyway (an old page)."""
    ruled = as_support.post(
        page_url(disputed, "rule"),
        {"outcome": "refund", "refund_amount": "100.00", "rationale": "Refund."},
    )
    asked = as_support.post(
        page_url(disputed, "ask"),
        {"party": "buyer", "question": "Photos?", "days": "3"},
    )
    return ruled, asked


def test_support_cannot_rule_or_ask(support_posts, disputed):
    for response in support_posts:
        # refused outright: 403, not a redirect
        assert response.status_code == 403
    assert reload(disputed).status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not EvidenceRequest.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_support_is_told_why_the_ruling_or_the_question_was_refused(support_posts, disputed):
    """SPEC §6: a wrong-role action answers with a clear reason, and the way back."""
    for response in support_posts:
        page = text(response)
        assert "Not for your role" in page
        assert "Only arbitrators can rule or ask for evidence. Nothing was changed." in page
        assert f'href="{page_url(disputed)}"' in response.content.decode()


@pytest.mark.parametrize("action", ["rule", "ask"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_who_are_not_arbitrators_get_403_for_every_decision(action, method, disputed):
    for who in ("support", "new-hire"):
        user = UserFactory(username=who, is_staff=True)
        if who == "support":
            user.groups.add(Group.objects.get(name="support"))

        response = getattr(client_for(user), method)(page_url(disputed, action))

        assert response.status_code == 403, who
    assert reload(disputed).status == Dispute.Status.OPEN


def test_staff_without_a_group_see_nothing_of_the_disputes(disputed):
    staff = client_for(UserFactory(username="new-hire", is_staff=True))

    assert staff.get(QUEUE).status_code == 403
    assert staff.get(page_url(disputed)).status_code == 403


# --- buyers and shop members never reach the admin ------------------------------------------------


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_buyers_and_shop_members_are_sent_to_the_admin_login(who, disputed, request):
    client = client_for(request.getfixturevalue(who))
    rule = {"outcome": "refund", "refund_amount": "200.00", "rationale": "Mine."}

    responses = {
        QUEUE: client.get(QUEUE),
        page_url(disputed): client.get(page_url(disputed)),
        page_url(disputed, "rule"): client.post(page_url(disputed, "rule"), rule),
        page_url(disputed, "ask"): client.post(
            page_url(disputed, "ask"), {"party": "seller", "question": "?", "days": "3"}
        ),
    }

    for url, response in responses.items():
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={url}"
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not EvidenceRequest.objects.exists()


def test_the_staff_groups_come_from_the_data_migration():
    """Staff read the requests, orders and cases and change them only through the services;
    the one thing the support group edits directly is the guidance centre's text."""
    editable = {"arbitrators": set(), "support": {"add_article", "change_article"}}
    for name in ("arbitrators", "support"):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"view_dispute", "view_complaint", "view_aftersalesrequest", "view_order"} <= (
            codenames
        )
        assert {c for c in codenames if not c.startswith("view_")} == editable[name]


# --- complaints -----------------------------------------------------------------------------------


@pytest.fixture
def complaint(item, buyer):
    request = request_in(State.REFUNDED, item)
    return dispute_services.file_complaint(
        request=request,
        actor=buyer,
        reason=Complaint.Reason.BROKEN_PROMISE,
        description="They promised a gift and never sent it.",
    )


def complaint_url(complaint: Complaint, action: str = "change") -> str:
    return f"/admin/disputes/complaint/{complaint.pk}/{action}/"


def test_an_arbitrator_investigates_then_resolves_a_complaint(as_arbitrator, complaint, arbitrator):
    page = as_arbitrator.get(complaint_url(complaint))
    assert page.status_code == 200
    assert "They promised a gift and never sent it." in text(page)
    assert "Buyer (buyer) filed a complaint about the shop" in text(page)
    assert form_actions(page)[-1] == complaint_url(complaint, "investigate")

    response = as_arbitrator.post(complaint_url(complaint, "investigate"))

    assert (response.status_code, response["Location"]) == (302, complaint_url(complaint))
    page = as_arbitrator.get(complaint_url(complaint))
    assert messages_of(page) == ["The complaint is now being investigated."]
    assert "Complaint · being investigated" in text(page)
    assert complaint_url(complaint, "resolve") in form_actions(page)

    response = as_arbitrator.post(
        complaint_url(complaint, "resolve"), {"result": "The shop sent the gift and was warned."}
    )

    assert response.status_code == 302
    page = as_arbitrator.get(complaint_url(complaint))
    assert messages_of(page) == ["The complaint is resolved; the buyer can read the result."]
    assert "Complaint · resolved" in text(page)
    assert "The shop sent the gift and was warned." in text(page)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.result, complaint.handled_by) == (
        Complaint.Status.RESOLVED,
        "The shop sent the gift and was warned.",
        arbitrator,
    )


def test_a_complaint_is_not_resolved_without_a_result(as_arbitrator, complaint):
    as_arbitrator.post(complaint_url(complaint, "investigate"))

    response = as_arbitrator.post(complaint_url(complaint, "resolve"), {"result": ""})

    assert response.status_code == 400
    assert "Write the result for the buyer." in text(response)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.INVESTIGATING


def test_a_complaint_is_not_resolved_before_it_is_investigated(as_arbitrator, complaint):
    response = as_arbitrator.post(
        complaint_url(complaint, "resolve"), {"result": "Done."}, follow=True
    )

    assert messages_of(response)[0].startswith("This request has changed since the page")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.result) == (Complaint.Status.OPEN, "")


def test_support_reads_complaints_but_cannot_handle_them(as_support, complaint):
    page = as_support.get(complaint_url(complaint))
    assert page.status_code == 200
    assert "They promised a gift and never sent it." in text(page)
    assert complaint_url(complaint, "investigate") not in form_actions(page)

    response = as_support.post(complaint_url(complaint, "investigate"))

    assert response.status_code == 403
    assert "Only arbitrators can handle complaints. Nothing was changed." in text(response)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.OPEN


def test_support_cannot_resolve_a_complaint_either(as_support, as_arbitrator, complaint):
    as_arbitrator.post(complaint_url(complaint, "investigate"))

    response = as_support.post(complaint_url(complaint, "resolve"), {"result": "Closed by me."})

    assert response.status_code == 403
    complaint.refresh_from_db()
    assert (complaint.status, complaint.result) == (Complaint.Status.INVESTIGATING, "")


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_buyers_and_shop_members_cannot_handle_complaints(who, complaint, request):
    client = client_for(request.getfixturevalue(who))

    response = client.post(complaint_url(complaint, "investigate"))

    assert response["Location"] == f"{LOGIN}?next={complaint_url(complaint, 'investigate')}"
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.OPEN


# --- the queues cost the same whatever their length -----------------------------------------------

# Session, user, the admin's two permission lookups, the shops for the filter, the count of the
# filtered and of all rows, and the page's rows (with their request, order, item, shop, buyer).
QUEUE_QUERIES = 8


@pytest.mark.parametrize("query", ["", "status__exact=open", "age=old", "q=buyer"])
def test_the_dispute_queue_costs_the_same_with_more_than_a_page(
    as_arbitrator, queue, query, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(DisputeAdmin, "list_per_page", 2)  # five disputes: three pages
    for page in (1, 2):
        with django_assert_max_num_queries(QUEUE_QUERIES):
            response = as_arbitrator.get(f"{QUEUE}?{query}&p={page}")
        assert response.status_code == 200


def test_the_complaint_queue_costs_the_same_with_more_than_a_page(
    as_arbitrator, shop, seller, buyer, monkeypatch, django_assert_max_num_queries
):
    for n in range(5):
        request = request_in(State.REFUNDED, OrderItemFactory(order__shop=shop, order__buyer=buyer))
        dispute_services.file_complaint(
            request=request, actor=buyer, reason=Complaint.Reason.OTHER, description=f"No. {n}"
        )
    monkeypatch.setattr(ComplaintAdmin, "list_per_page", 2)
    for query in ("p=1", "status__exact=open&p=1"):
        with django_assert_max_num_queries(QUEUE_QUERIES):
            response = as_arbitrator.get(f"/admin/disputes/complaint/?{query}")
        assert response.status_code == 200
        assert response.content.decode().count("/change/") >= 2


# --- the dispute page costs the same whatever the history -----------------------------------------

# Session, user, the dispute (twice: the admin's object and the case file), the request, its
# item and order, the timeline (evidence, events, messages, proposals, shipments), the ruling,
# the evidence requests, the arbitrator check and the admin's two permission lookups.
DISPUTE_PAGE_QUERIES = 17


def lengthen(dispute: Dispute, *, buyer, seller, arbitrator, rounds: int) -> None:
    """Add ``rounds`` of messages with photos and answered questions to both sides."""
    request = dispute.request
    dispute_services.answer_dispute(
        dispute=dispute, actor=seller, statement="Packed well.", files=[photo(), photo()]
    )
    for i in range(rounds):
        services.post_message(
            request=request, actor=buyer, body=f"Message {i}", files=[photo(f"m{i}.jpg")]
        )
        services.post_message(request=request, actor=seller, body=f"Reply {i}")
        for party, who in ((Role.BUYER, buyer), (Role.SELLER, seller)):
            asked = dispute_services.request_evidence(
                dispute=dispute, actor=arbitrator, party=party, question=f"Question {i}"
            )
            dispute_services.provide_evidence(
                evidence_request=asked, actor=who, answer=f"Answer {i}", files=[photo()]
            )


def test_the_dispute_page_costs_the_same_for_a_short_and_a_long_history(
    as_arbitrator, item, buyer, seller, arbitrator, shop, django_assert_num_queries
):
    short = request_in(State.DISPUTED, item).disputes.get()
    long_item = OrderItemFactory(order__buyer=buyer, order__shop=shop)
    long = request_in(State.DISPUTED, long_item).disputes.get()
    lengthen(long, buyer=buyer, seller=seller, arbitrator=arbitrator, rounds=6)
    assert long.request.events.count() > 25 and long.request.evidence.count() > 15

    as_arbitrator.get(page_url(short))  # warms Django's per-process content-type cache

    with django_assert_num_queries(DISPUTE_PAGE_QUERIES):
        short_page = as_arbitrator.get(page_url(short))
    with django_assert_num_queries(DISPUTE_PAGE_QUERIES):
        long_page = as_arbitrator.get(page_url(long))

    assert short_page.status_code == long_page.status_code == 200
    assert "Answer 5" in text(long_page)
