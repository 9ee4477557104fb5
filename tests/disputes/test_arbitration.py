"""While a dispute is open and after it is ruled (issue 6), at the service level.

``test_services.py`` covers escalation and the arithmetic of each ruling; this file covers what
happens around them: the seller's answer, staff asking either side for evidence and that side
answering, who may do each of these and until when, what every ruling outcome leaves in the
ledger once the payouts ran, and complaints (维权) against a shop.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from aftersales import services
from aftersales.actors import SYSTEM
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.models import (
    AfterSalesRequest,
    CloseReason,
    Dispute,
    Kind,
    LedgerEntry,
    Notification,
    RequestEvent,
    Role,
    Ruling,
    State,
)
from aftersales.payments import SimulatedGateway
from aftersales.selectors import requests_for_buyer, requests_for_seller, visible_requests
from aftersales.services import rule_dispute
from disputes.models import Complaint, EvidenceRequest
from disputes.services import (
    answer_dispute,
    file_complaint,
    investigate_complaint,
    provide_evidence,
    request_evidence,
    resolve_complaint,
)
from tests.aftersales.factories import TRACKING, photo, request_in
from tests.orders.factories import ShopMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

INVALID = InvalidInput


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English messages, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def disputed(item):
    """A rejected ¥100 return (1 of the 2 tins, ¥200 paid) that the buyer escalated."""
    return request_in(State.DISPUTED, item).disputes.get()


@pytest.fixture
def support(db):
    """Platform staff who may read everything and decide nothing."""
    user = UserFactory(username="support", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def colleague(shop):
    """A second member of the seller's shop."""
    return ShopMemberFactory(shop=shop, user__username="colleague").user


def actor(request, who: str):
    if who == "system":
        return SYSTEM
    if who == "plain_staff":
        return UserFactory(username="staff-no-group", is_staff=True)
    return request.getfixturevalue(who)


def events(dispute: Dispute, action: str) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(request=dispute.request_id, action=action))


def notified(event: RequestEvent) -> set[tuple[str, str]]:
    """Who got a notification about ``event``, and for which side's page."""
    return {
        (n.recipient.username, n.audience)
        for n in Notification.objects.filter(event=event).select_related("recipient")
    }


def state_of(dispute: Dispute) -> str:
    return AfterSalesRequest.objects.get(pk=dispute.request_id).state


def rule(dispute, who, outcome=Ruling.Outcome.FOR_SELLER, **amounts) -> Ruling:
    return rule_dispute(
        dispute=dispute,
        actor=who,
        outcome=outcome,
        rationale="The photos show the dent.",
        **{k: Decimal(v) for k, v in amounts.items()},
    )


def ask(dispute, who, party=Role.BUYER, **kwargs) -> EvidenceRequest:
    kwargs.setdefault("question", "Please send a photo of the label on the tin.")
    return request_evidence(dispute=dispute, actor=who, party=party, **kwargs)


# --- the seller answers the dispute (商家举证) ----------------------------------------------------


def test_the_seller_has_three_days_to_answer(disputed):
    assert disputed.seller_answer_due_at == disputed.opened_at + timedelta(days=3)
    assert disputed.waiting_for_seller


def test_the_seller_answers_with_a_statement_and_evidence(
    disputed, seller, arbitrator, django_capture_on_commit_callbacks
):
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        answer_dispute(
            dispute=disputed,
            actor=seller,
            statement="The tin left our warehouse intact; see the packing photo.",
            files=[photo("packing.jpg"), photo("label.jpg")],
            now=now,
        )

    disputed.refresh_from_db()
    assert disputed.seller_statement == "The tin left our warehouse intact; see the packing photo."
    assert disputed.seller_answered_at == now
    assert not disputed.waiting_for_seller
    assert disputed.status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    [event] = events(disputed, "answer_dispute")
    assert (event.actor, event.actor_role, event.from_state, event.to_state) == (
        seller,
        Role.SELLER,
        State.DISPUTED,
        State.DISPUTED,
    )
    assert event.note == disputed.seller_statement
    assert sorted(event.evidence.values_list("original_name", "uploader_role")) == [
        ("label.jpg", Role.SELLER),
        ("packing.jpg", Role.SELLER),
    ]
    # the platform hears about it, nobody else
    assert notified(event) == {("arbitrator", Role.STAFF)}
    assert [m.to for m in mail.outbox] == [[arbitrator.email]]


def test_any_member_of_the_shop_may_answer(disputed, colleague):
    answer_dispute(dispute=disputed, actor=colleague, statement="Packed with care.")

    disputed.refresh_from_db()
    assert disputed.seller_statement == "Packed with care."
    assert events(disputed, "answer_dispute")[0].actor == colleague


@pytest.mark.parametrize(
    "who", ["buyer", "other_buyer", "other_seller", "arbitrator", "support", "system"]
)
def test_only_the_shop_answers_the_dispute(who, disputed, request):
    with pytest.raises(ActionNotAllowed):
        answer_dispute(dispute=disputed, actor=actor(request, who), statement="Not me.")

    disputed.refresh_from_db()
    assert (disputed.seller_statement, disputed.seller_answered_at) == ("", None)
    assert not events(disputed, "answer_dispute")


def test_the_seller_answers_once(disputed, seller, colleague):
    answer_dispute(dispute=disputed, actor=seller, statement="First answer.")

    with pytest.raises(StaleAction, match="You have already answered"):
        answer_dispute(dispute=disputed, actor=colleague, statement="Second answer.")

    disputed.refresh_from_db()
    assert disputed.seller_statement == "First answer."
    assert len(events(disputed, "answer_dispute")) == 1


def test_the_seller_may_answer_until_the_last_moment_of_the_window(disputed, seller):
    answer_dispute(
        dispute=disputed, actor=seller, statement="Just in time.", now=disputed.seller_answer_due_at
    )

    disputed.refresh_from_db()
    assert disputed.seller_statement == "Just in time."


def test_an_answer_after_the_window_is_refused(disputed, seller):
    late = disputed.seller_answer_due_at + timedelta(minutes=1)

    with pytest.raises(StaleAction, match="The time to answer this dispute has passed."):
        answer_dispute(
            dispute=disputed, actor=seller, statement="Sorry, late.", files=[photo()], now=late
        )

    disputed.refresh_from_db()
    assert (disputed.seller_statement, disputed.seller_answered_at) == ("", None)
    assert not events(disputed, "answer_dispute")
    assert not disputed.request.evidence.filter(uploader_role=Role.SELLER).exists()


@pytest.mark.parametrize("statement", ["", "  \n "])
def test_an_answer_needs_a_statement(statement, disputed, seller):
    with pytest.raises(INVALID):
        answer_dispute(dispute=disputed, actor=seller, statement=statement, files=[photo()])

    disputed.refresh_from_db()
    assert disputed.seller_answered_at is None
    assert not events(disputed, "answer_dispute")


def test_no_seller_answer_once_the_dispute_is_ruled(disputed, seller, arbitrator):
    rule(disputed, arbitrator)

    with pytest.raises(StaleAction, match="already ruled"):
        answer_dispute(dispute=disputed, actor=seller, statement="Too late.")

    disputed.refresh_from_db()
    assert disputed.seller_statement == ""


# --- staff ask either side for more evidence (补充凭证) -------------------------------------------


@pytest.mark.parametrize(
    "party, told",
    [
        (Role.BUYER, {("buyer", Role.BUYER)}),
        (Role.SELLER, {("seller", Role.SELLER), ("colleague", Role.SELLER)}),
    ],
)
def test_an_arbitrator_asks_one_side_for_evidence_and_that_side_is_told(
    party, told, disputed, arbitrator, colleague, django_capture_on_commit_callbacks
):
    now = timezone.now()
    due = now + timedelta(days=2)

    with django_capture_on_commit_callbacks(execute=True):
        asked = ask(disputed, arbitrator, party, question="Send the courier's receipt.", due_at=due)

    asked.refresh_from_db()
    assert (asked.dispute, asked.party, asked.question, asked.requested_by) == (
        disputed,
        party,
        "Send the courier's receipt.",
        arbitrator,
    )
    assert asked.due_at == due
    assert (asked.answer, asked.answered_at) == ("", None)
    assert asked.is_open
    [event] = events(disputed, "request_evidence")
    assert (event.actor, event.actor_role, event.note) == (
        arbitrator,
        Role.STAFF,
        "Send the courier's receipt.",
    )
    assert event.to_state == State.DISPUTED
    assert notified(event) == told
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(
        f"{username}@example.com" for username, _ in told
    )
    assert state_of(disputed) == State.DISPUTED


def test_without_a_deadline_the_side_gets_three_days(disputed, arbitrator):
    now = timezone.now()

    asked = ask(disputed, arbitrator, now=now)

    assert asked.due_at == now + timedelta(days=3)


@pytest.mark.parametrize("due_in", [timedelta(0), -timedelta(hours=1)])
def test_the_deadline_must_be_in_the_future(due_in, disputed, arbitrator):
    now = timezone.now()

    with pytest.raises(INVALID, match="The deadline must be in the future."):
        ask(disputed, arbitrator, due_at=now + due_in, now=now)

    assert not EvidenceRequest.objects.exists()
    assert not events(disputed, "request_evidence")


@pytest.mark.parametrize("party", [Role.STAFF, Role.SYSTEM])
def test_evidence_is_asked_of_the_buyer_or_the_seller(party, disputed, arbitrator):
    with pytest.raises(INVALID):
        ask(disputed, arbitrator, party)

    assert not EvidenceRequest.objects.exists()


@pytest.mark.parametrize("question", ["", "   "])
def test_asking_needs_a_question(question, disputed, arbitrator):
    with pytest.raises(INVALID):
        ask(disputed, arbitrator, question=question)

    assert not EvidenceRequest.objects.exists()


@pytest.mark.parametrize(
    "who", ["buyer", "seller", "support", "plain_staff", "other_seller", "system"]
)
def test_only_arbitrators_ask_for_evidence(who, disputed, request):
    with pytest.raises(ActionNotAllowed):
        ask(disputed, actor(request, who))

    assert not EvidenceRequest.objects.exists()
    assert not events(disputed, "request_evidence")
    assert not Notification.objects.filter(event__action="request_evidence").exists()


def test_no_asking_once_the_dispute_is_ruled(disputed, arbitrator):
    rule(disputed, arbitrator)

    with pytest.raises(StaleAction):
        ask(disputed, arbitrator)

    assert not EvidenceRequest.objects.exists()


# --- the asked side answers -----------------------------------------------------------------------


@pytest.fixture
def asked_buyer(disputed, arbitrator):
    return ask(disputed, arbitrator, Role.BUYER, question="A photo of the dent, please.")


@pytest.fixture
def asked_seller(disputed, arbitrator):
    return ask(disputed, arbitrator, Role.SELLER, question="Your packing photos, please.")


def test_the_buyer_answers_with_text_and_photos_and_it_lands_on_the_dispute(
    asked_buyer, disputed, buyer, arbitrator, django_capture_on_commit_callbacks
):
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        provide_evidence(
            evidence_request=asked_buyer,
            actor=buyer,
            answer="Here it is, taken in daylight.",
            files=[photo("dent-daylight.jpg")],
            now=now,
        )

    asked_buyer.refresh_from_db()
    assert (asked_buyer.answer, asked_buyer.answered_at) == ("Here it is, taken in daylight.", now)
    assert not asked_buyer.is_open
    assert list(disputed.evidence_requests.all()) == [asked_buyer]
    [event] = events(disputed, "provide_evidence")
    assert (event.actor, event.actor_role, event.note) == (
        buyer,
        Role.BUYER,
        "Here it is, taken in daylight.",
    )
    assert list(event.evidence.values_list("original_name", flat=True)) == ["dent-daylight.jpg"]
    assert notified(event) == {("arbitrator", Role.STAFF)}
    assert state_of(disputed) == State.DISPUTED


def test_the_seller_may_answer_with_photos_only(asked_seller, disputed, colleague):
    provide_evidence(
        evidence_request=asked_seller, actor=colleague, answer="", files=[photo("box.jpg")]
    )

    asked_seller.refresh_from_db()
    assert asked_seller.answered_at is not None
    [event] = events(disputed, "provide_evidence")
    assert (event.actor_role, list(event.evidence.values_list("original_name", flat=True))) == (
        Role.SELLER,
        ["box.jpg"],
    )


def test_the_answer_may_be_text_only(asked_buyer, buyer):
    provide_evidence(evidence_request=asked_buyer, actor=buyer, answer="I threw the box away.")

    asked_buyer.refresh_from_db()
    assert asked_buyer.answer == "I threw the box away."


@pytest.mark.parametrize("answer", ["", "  \n"])
def test_an_answer_needs_text_or_files(answer, asked_buyer, buyer, disputed):
    with pytest.raises(INVALID, match="Write an answer or attach evidence."):
        provide_evidence(evidence_request=asked_buyer, actor=buyer, answer=answer)

    asked_buyer.refresh_from_db()
    assert asked_buyer.answered_at is None
    assert not events(disputed, "provide_evidence")


@pytest.mark.parametrize(
    "who", ["seller", "other_buyer", "other_seller", "arbitrator", "support", "system"]
)
def test_only_the_asked_buyer_answers_a_question_to_the_buyer(who, asked_buyer, request, disputed):
    with pytest.raises(ActionNotAllowed):
        provide_evidence(
            evidence_request=asked_buyer, actor=actor(request, who), answer="Me instead."
        )

    asked_buyer.refresh_from_db()
    assert (asked_buyer.answer, asked_buyer.answered_at) == ("", None)
    assert not events(disputed, "provide_evidence")


@pytest.mark.parametrize("who", ["buyer", "other_seller", "arbitrator"])
def test_only_the_shop_answers_a_question_to_the_seller(who, asked_seller, request):
    with pytest.raises(ActionNotAllowed):
        provide_evidence(
            evidence_request=asked_seller, actor=actor(request, who), answer="Me instead."
        )

    asked_seller.refresh_from_db()
    assert asked_seller.answered_at is None


def test_a_question_is_answered_once(asked_buyer, buyer, disputed):
    provide_evidence(evidence_request=asked_buyer, actor=buyer, answer="First.")

    with pytest.raises(StaleAction, match="already been answered"):
        provide_evidence(evidence_request=asked_buyer, actor=buyer, answer="Second.")

    asked_buyer.refresh_from_db()
    assert asked_buyer.answer == "First."
    assert len(events(disputed, "provide_evidence")) == 1


def test_an_answer_after_the_deadline_is_refused(asked_buyer, buyer, disputed):
    late = asked_buyer.due_at + timedelta(seconds=1)

    with pytest.raises(INVALID, match="The deadline for this evidence has passed."):
        provide_evidence(
            evidence_request=asked_buyer, actor=buyer, answer="Late.", files=[photo()], now=late
        )

    asked_buyer.refresh_from_db()
    assert asked_buyer.answered_at is None
    assert not events(disputed, "provide_evidence")
    assert not disputed.request.evidence.filter(event__action="provide_evidence").exists()


def test_no_evidence_once_the_dispute_is_ruled(asked_buyer, buyer, disputed, arbitrator):
    rule(disputed, arbitrator)
    asked_buyer.refresh_from_db()
    assert not asked_buyer.is_open

    with pytest.raises(StaleAction, match="already ruled"):
        provide_evidence(evidence_request=asked_buyer, actor=buyer, answer="Here.")

    asked_buyer.refresh_from_db()
    assert asked_buyer.answered_at is None


# --- every outcome, with the payouts run ----------------------------------------------------------


def ledger(request: AfterSalesRequest) -> list[tuple[str, Decimal, str, str]]:
    return list(
        LedgerEntry.objects.filter(request=request).values_list(
            "type", "amount", "status", "payment_method"
        )
    )


def paid_out() -> list[tuple[Decimal, str]]:
    return [(call.amount, call.method) for call in SimulatedGateway.calls]


REFUND, COMPENSATION = LedgerEntry.Type.REFUND, LedgerEntry.Type.COMPENSATION
PAID = LedgerEntry.Status.PAID


@pytest.mark.parametrize(
    "outcome, amounts, state, refund, rows",
    [
        pytest.param(
            Ruling.Outcome.REFUND,
            {"refund_amount": "37.50"},
            State.REFUNDED,
            Decimal("37.50"),
            [(REFUND, Decimal("37.50"))],
            id="partial-refund",
        ),
        pytest.param(
            Ruling.Outcome.REFUND,
            {"refund_amount": "100.00", "compensation_amount": "15.00"},
            State.REFUNDED,
            Decimal("100.00"),
            [(REFUND, Decimal("100.00")), (COMPENSATION, Decimal("15.00"))],
            id="refund-and-compensation",
        ),
        pytest.param(
            Ruling.Outcome.COMPENSATION,
            {"compensation_amount": "20.00"},
            State.REFUNDED,
            Decimal("0.00"),  # compensation alone: nothing is refunded
            [(COMPENSATION, Decimal("20.00"))],
            id="compensation",
        ),
        pytest.param(
            Ruling.Outcome.RETURN_AND_REFUND,
            {"refund_amount": "70.00"},
            State.AWAITING_RETURN,
            Decimal("70.00"),
            [],
            id="return-then-refund",
        ),
        pytest.param(
            Ruling.Outcome.FOR_SELLER,
            {},
            State.CLOSED,
            Decimal("100.00"),
            [],
            id="for-the-seller",
        ),
    ],
)
def test_each_outcome_moves_the_request_and_the_money(
    outcome,
    amounts,
    state,
    refund,
    rows,
    disputed,
    arbitrator,
    item,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        rule(disputed, arbitrator, outcome, **amounts)

    request = AfterSalesRequest.objects.get(pk=disputed.request_id)
    assert request.state == state
    assert request.refund_amount == refund
    assert request.close_reason == (CloseReason.RULED_FOR_SELLER if state == State.CLOSED else "")
    assert ledger(request) == [(kind, amount, PAID, "alipay") for kind, amount in rows]
    assert paid_out() == [(amount, "alipay") for _kind, amount in rows]
    item.refresh_from_db()
    assert item.refunded_amount == sum(
        (amount for kind, amount in rows if kind == REFUND), Decimal("0.00")
    )


def test_return_and_refund_pays_the_ruled_amount_once_the_goods_pass_inspection(
    disputed, arbitrator, buyer, seller, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rule(disputed, arbitrator, Ruling.Outcome.RETURN_AND_REFUND, refund_amount="64.00")
    request = AfterSalesRequest.objects.get(pk=disputed.request_id)
    assert (request.state, request.kind) == (State.AWAITING_RETURN, Kind.RETURN_REFUND)

    with django_capture_on_commit_callbacks(execute=True):
        request = services.ship_return(request=request, actor=buyer, **TRACKING)
        request = services.confirm_return_received(request=request, actor=seller)
        request = services.pass_inspection(request=request, actor=seller)

    assert request.state == State.REFUNDED
    assert ledger(request) == [(REFUND, Decimal("64.00"), PAID, "alipay")]
    assert paid_out() == [(Decimal("64.00"), "alipay")]
    item.refresh_from_db()
    assert item.refunded_amount == Decimal("64.00")


def test_a_ruling_is_announced_to_both_parties(
    disputed, arbitrator, django_capture_on_commit_callbacks
):
    """The admin says "both parties have been told" and the rationale is written for both:
    the buyer and the shop each get the ruling in their notification centre."""
    with django_capture_on_commit_callbacks(execute=True):
        rule(disputed, arbitrator, Ruling.Outcome.FOR_SELLER)

    [event] = events(disputed, "rule")
    assert notified(event) == {("buyer", Role.BUYER), ("seller", Role.SELLER)}


def test_a_ruling_without_a_rationale_changes_nothing(disputed, arbitrator):
    with pytest.raises(INVALID, match="Write the rationale"):
        rule_dispute(
            dispute=disputed,
            actor=arbitrator,
            outcome=Ruling.Outcome.REFUND,
            refund_amount=Decimal("50.00"),
            rationale=" ",
        )

    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_support_staff_cannot_rule(disputed, support):
    with pytest.raises(ActionNotAllowed):
        rule(disputed, support, Ruling.Outcome.REFUND, refund_amount="50.00")

    disputed.refresh_from_db()
    assert disputed.status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_an_arbitrator_who_is_a_member_of_the_shop_rules_as_the_seller_and_is_refused(
    disputed, arbitrator, shop
):
    """Staff rights never come from, and never override, being a shop member (SPEC §1)."""
    ShopMemberFactory(shop=shop, user=arbitrator)

    with pytest.raises(ActionNotAllowed):
        rule(disputed, arbitrator, Ruling.Outcome.FOR_SELLER)

    assert state_of(disputed) == State.DISPUTED


# --- who can read a dispute -----------------------------------------------------------------------


def test_another_shop_does_not_see_the_dispute(disputed, other_seller, other_buyer, support):
    request = disputed.request

    assert request not in requests_for_seller(other_seller)
    assert request not in visible_requests(other_seller)
    assert request not in requests_for_buyer(other_buyer)
    assert request in visible_requests(support)


def test_another_shops_member_gets_404_for_the_dispute_pages_and_files(
    disputed, seller, other_seller, arbitrator
):
    answer_dispute(dispute=disputed, actor=seller, statement="Ours.", files=[photo("ours.jpg")])
    asked = ask(disputed, arbitrator, Role.SELLER)
    evidence = disputed.request.evidence.get(original_name="ours.jpg")
    client = Client()
    client.force_login(other_seller)
    pk = disputed.request_id

    responses = [
        client.get(f"/seller/requests/{pk}/"),
        client.post(f"/seller/requests/{pk}/answer/", {"statement": "Theirs."}),
        client.post(f"/seller/requests/{pk}/evidence/{asked.pk}/", {"answer": "Theirs."}),
        client.get(f"/evidence/{evidence.pk}/"),
        client.get(f"/evidence/{evidence.pk}/thumb/"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    disputed.refresh_from_db()
    asked.refresh_from_db()
    assert (disputed.seller_statement, asked.answered_at) == ("Ours.", None)


# --- complaints (维权) ----------------------------------------------------------------------------


@pytest.fixture
def finished(item):
    """A refund-only request the seller approved and refunded."""
    return request_in(State.REFUNDED, item)


def complain(request, who, **kwargs) -> Complaint:
    kwargs.setdefault("reason", Complaint.Reason.BAD_SERVICE)
    kwargs.setdefault("description", "The agent was rude on the phone.")
    return file_complaint(request=request, actor=who, **kwargs)


def test_the_buyer_complains_about_the_shop_after_the_request_is_finished(
    finished, buyer, shop, arbitrator, django_capture_on_commit_callbacks
):
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        complaint = complain(finished, buyer, files=[photo("chat.jpg")], now=now)

    assert (complaint.request, complaint.buyer, complaint.shop) == (finished, buyer, shop)
    assert (complaint.status, complaint.result, complaint.created_at) == (
        Complaint.Status.OPEN,
        "",
        now,
    )
    event = finished.events.get(action="complain")
    assert (event.actor_role, event.note, event.to_state) == (
        Role.BUYER,
        "The agent was rude on the phone.",
        State.REFUNDED,
    )
    assert list(event.evidence.values_list("original_name", flat=True)) == ["chat.jpg"]
    assert notified(event) == {("arbitrator", Role.STAFF)}
    finished.refresh_from_db()
    assert finished.state == State.REFUNDED


def test_a_request_closed_by_a_ruling_for_the_seller_can_be_complained_about(
    disputed, arbitrator, buyer
):
    rule(disputed, arbitrator, Ruling.Outcome.FOR_SELLER)

    complaint = complain(disputed.request, buyer)

    assert complaint.status == Complaint.Status.OPEN


@pytest.mark.parametrize(
    "state", [State.SUBMITTED, State.REJECTED, State.AWAITING_RETURN, State.DISPUTED]
)
def test_no_complaint_while_the_request_is_in_progress(state, item, buyer):
    request = request_in(state, item)

    with pytest.raises(StaleAction, match="once the request is finished"):
        complain(request, buyer)

    assert not Complaint.objects.exists()
    assert not request.events.filter(action="complain").exists()


def test_one_open_complaint_per_request(finished, buyer, arbitrator):
    first = complain(finished, buyer)
    investigate_complaint(complaint=first, actor=arbitrator)

    with pytest.raises(StaleAction, match="already being handled"):
        complain(finished, buyer, reason=Complaint.Reason.OTHER, description="Again.")
    assert Complaint.objects.count() == 1

    # once the first is resolved, the buyer may complain again
    resolve_complaint(complaint=first, actor=arbitrator, result="The shop was warned.")
    second = complain(finished, buyer, reason=Complaint.Reason.OTHER, description="Again.")
    assert second.status == Complaint.Status.OPEN
    assert Complaint.objects.count() == 2


@pytest.mark.parametrize("who", ["seller", "other_buyer", "arbitrator", "system"])
def test_only_the_buyer_complains(who, finished, request):
    with pytest.raises(ActionNotAllowed):
        complain(finished, actor(request, who))

    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": ""},
        {"reason": "nonsense"},
        {"description": ""},
        {"description": "   "},
    ],
)
def test_a_complaint_needs_a_reason_and_a_description(fields, finished, buyer):
    with pytest.raises(INVALID):
        complain(finished, buyer, **fields)

    assert not Complaint.objects.exists()


@pytest.fixture
def complaint(finished, buyer):
    return complain(finished, buyer)


def test_staff_investigate_then_resolve_with_a_written_result(complaint, arbitrator):
    investigate_complaint(complaint=complaint, actor=arbitrator)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.handled_by, complaint.resolved_at) == (
        Complaint.Status.INVESTIGATING,
        arbitrator,
        None,
    )

    now = timezone.now()
    resolve_complaint(complaint=complaint, actor=arbitrator, result="The shop was warned.", now=now)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.result, complaint.handled_by, complaint.resolved_at) == (
        Complaint.Status.RESOLVED,
        "The shop was warned.",
        arbitrator,
        now,
    )


@pytest.mark.parametrize("who", ["support", "plain_staff", "seller", "buyer", "system"])
def test_only_arbitrators_handle_complaints(who, complaint, arbitrator, request):
    someone = actor(request, who)

    with pytest.raises(ActionNotAllowed):
        investigate_complaint(complaint=complaint, actor=someone)
    investigate_complaint(complaint=complaint, actor=arbitrator)
    with pytest.raises(ActionNotAllowed):
        resolve_complaint(complaint=complaint, actor=someone, result="Dismissed.")

    complaint.refresh_from_db()
    assert (complaint.status, complaint.result) == (Complaint.Status.INVESTIGATING, "")


@pytest.mark.parametrize("result", ["", "  \n"])
def test_resolving_needs_a_result(result, complaint, arbitrator):
    investigate_complaint(complaint=complaint, actor=arbitrator)

    with pytest.raises(INVALID, match="Write the result for the buyer."):
        resolve_complaint(complaint=complaint, actor=arbitrator, result=result)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolved_at) == (Complaint.Status.INVESTIGATING, None)


def test_a_complaint_is_investigated_before_it_is_resolved(complaint, arbitrator):
    with pytest.raises(StaleAction):
        resolve_complaint(complaint=complaint, actor=arbitrator, result="Skipping ahead.")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.result) == (Complaint.Status.OPEN, "")

    investigate_complaint(complaint=complaint, actor=arbitrator)
    with pytest.raises(StaleAction):
        investigate_complaint(complaint=complaint, actor=arbitrator)

    resolve_complaint(complaint=complaint, actor=arbitrator, result="Warned.")
    for again in (
        lambda: investigate_complaint(complaint=complaint, actor=arbitrator),
        lambda: resolve_complaint(complaint=complaint, actor=arbitrator, result="Changed."),
    ):
        with pytest.raises(StaleAction):
            again()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.result) == (Complaint.Status.RESOLVED, "Warned.")
