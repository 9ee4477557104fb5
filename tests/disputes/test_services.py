"""Platform intervention (平台介入): escalation by the buyer or the system, and staff rulings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from aftersales import services
from aftersales.actors import SYSTEM
from aftersales.errors import ActionNotAllowed, InvalidInput, RefundLimitExceeded, StaleAction
from aftersales.models import (
    Action,
    AfterSalesRequest,
    CloseReason,
    Dispute,
    Kind,
    LedgerEntry,
    RejectionReason,
    Role,
    Ruling,
    State,
)
from aftersales.services import escalate_overdue, escalate_to_platform, rule_dispute
from orders.models import OrderItem
from tests.aftersales.factories import TRACKING, photo, request_in
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


def escalate(
    request, actor, *, reason=Dispute.Reason.UNFAIR_REJECTION, statement="It is dented.", **kwargs
):
    return escalate_to_platform(
        request=request, actor=actor, reason=reason, statement=statement, **kwargs
    )


def refunded(item) -> Decimal:
    return OrderItem.objects.get(pk=item.pk).refunded_amount


def state_of(dispute) -> str:
    return AfterSalesRequest.objects.get(pk=dispute.request_id).state


def ledger(request):
    return list(LedgerEntry.objects.filter(request=request).values_list("type", "amount"))


@pytest.fixture
def disputed(item):
    """A rejected ¥100 return (1 of 2 units) the buyer escalated."""
    request = request_in(State.DISPUTED, item)
    return request.disputes.get()


# --- the buyer escalates -------------------------------------------------------------------------


def test_escalating_a_rejection_opens_a_dispute(item, buyer):
    request = request_in(State.REJECTED, item)
    now = timezone.now()

    dispute = escalate(
        request,
        buyer,
        statement="The dent is in my third photo.",
        files=[photo("dent.jpg")],
        now=now,
    )

    request.refresh_from_db()
    assert request.state == State.DISPUTED
    assert (request.due_at, request.due_action) == (None, "")
    assert dispute.status == Dispute.Status.OPEN
    assert dispute.reason == Dispute.Reason.UNFAIR_REJECTION
    assert dispute.buyer_statement == "The dent is in my third photo."
    assert (dispute.opened_by, dispute.opened_by_role) == (buyer, Role.BUYER)
    assert dispute.opened_at == now
    assert dispute.ruling_due_at == now + timedelta(days=5)
    event = request.events.last()
    assert (event.from_state, event.to_state, event.actor_role) == (
        State.REJECTED,
        State.DISPUTED,
        Role.BUYER,
    )
    assert list(event.evidence.values_list("original_name", flat=True)) == ["dent.jpg"]


def test_escalating_a_declined_proposal(item, buyer):
    request = request_in(State.NEGOTIATING, item)
    request = services.decline_proposal(request=request, actor=buyer)

    dispute = escalate(request, buyer, reason=Dispute.Reason.UNACCEPTABLE_PROPOSAL)

    assert dispute.reason == Dispute.Reason.UNACCEPTABLE_PROPOSAL
    assert Dispute.objects.get().request.state == State.DISPUTED


def test_escalation_tells_the_arbitrators(
    item, buyer, arbitrator, django_capture_on_commit_callbacks
):
    request = request_in(State.REJECTED, item)

    with django_capture_on_commit_callbacks(execute=True):
        escalate(request, buyer)

    assert [message.to for message in mail.outbox] == [[arbitrator.email]]


@pytest.mark.parametrize(
    "state",
    [
        State.SUBMITTED,
        State.NEGOTIATING,
        State.AWAITING_RETURN,
        State.INSPECTING,
        State.DISPUTED,
        State.REFUNDED,
        State.CLOSED,
    ],
)
def test_buyer_escalates_only_a_rejection(state, item, buyer):
    request = request_in(state, item)
    disputes = Dispute.objects.count()

    with pytest.raises(StaleAction):
        escalate(request, buyer)

    request.refresh_from_db()
    assert request.state == state
    assert Dispute.objects.count() == disputes


@pytest.mark.parametrize("who", ["seller", "arbitrator", "other_buyer", "other_seller"])
def test_only_the_buyer_escalates(who, item, request):
    aftersales_request = request_in(State.REJECTED, item)

    with pytest.raises(ActionNotAllowed):
        escalate(aftersales_request, request.getfixturevalue(who))

    aftersales_request.refresh_from_db()
    assert aftersales_request.state == State.REJECTED
    assert not Dispute.objects.exists()


def test_system_cannot_escalate_for_the_buyer(item):
    request = request_in(State.REJECTED, item)

    with pytest.raises(ActionNotAllowed):
        escalate(request, SYSTEM)


@pytest.mark.parametrize("statement", ["", "   \n"])
def test_escalation_needs_a_statement(statement, item, buyer):
    request = request_in(State.REJECTED, item)

    with pytest.raises(InvalidInput):
        escalate(request, buyer, statement=statement)

    request.refresh_from_db()
    assert request.state == State.REJECTED
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("reason", ["", "nonsense", Dispute.Reason.SELLER_UNRESPONSIVE])
def test_escalation_needs_a_reason_of_the_buyer(reason, item, buyer):
    request = request_in(State.REJECTED, item)

    with pytest.raises(InvalidInput):
        escalate(request, buyer, reason=reason)

    assert not Dispute.objects.exists()


# --- the system escalates what the seller left lying ---------------------------------------------


@pytest.mark.parametrize(
    "state, kind",
    [
        (State.RETURN_SHIPPED, Kind.EXCHANGE),
        (State.RETURN_SHIPPED, Kind.REPAIR),
        (State.INSPECTING, Kind.EXCHANGE),
        (State.REPAIRING, Kind.REPAIR),
    ],
)
def test_system_escalates_an_overdue_seller(state, kind, item):
    request = request_in(state, item, kind=kind)
    assert request.due_action == Action.ESCALATE_OVERDUE
    now = request.due_at + timedelta(minutes=1)

    request = escalate_overdue(request=request, actor=SYSTEM, now=now)

    assert request.state == State.DISPUTED
    dispute = request.disputes.get()
    assert (dispute.opened_by, dispute.opened_by_role, dispute.reason) == (
        None,
        Role.SYSTEM,
        Dispute.Reason.SELLER_UNRESPONSIVE,
    )
    assert dispute.ruling_due_at == now + timedelta(days=5)
    event = request.events.last()
    assert (event.actor_id, event.actor_role, event.from_state) == (None, Role.SYSTEM, state)


@pytest.mark.parametrize(
    "state", [State.SUBMITTED, State.REJECTED, State.AWAITING_RETURN, State.DISPUTED]
)
def test_system_escalates_only_where_the_seller_holds_the_goods(state, item):
    request = request_in(state, item)

    with pytest.raises(StaleAction):
        escalate_overdue(request=request, actor=SYSTEM)

    request.refresh_from_db()
    assert request.state == state


@pytest.mark.parametrize("who", ["buyer", "seller", "arbitrator"])
def test_people_cannot_use_the_overdue_escalation(who, item, request):
    aftersales_request = request_in(State.REPAIRING, item)

    with pytest.raises(ActionNotAllowed):
        escalate_overdue(request=aftersales_request, actor=request.getfixturevalue(who))

    aftersales_request.refresh_from_db()
    assert aftersales_request.state == State.REPAIRING


# --- rulings -------------------------------------------------------------------------------------


def rule(dispute, actor, outcome, *, rationale="Photos show the dent.", **amounts):
    return rule_dispute(
        dispute=dispute,
        actor=actor,
        outcome=outcome,
        rationale=rationale,
        **{k: Decimal(v) for k, v in amounts.items()},
    )


def test_ruling_a_refund(disputed, arbitrator, item, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ruling = rule(disputed, arbitrator, Ruling.Outcome.REFUND, refund_amount="80.00")

    request = disputed.request
    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert request.refund_amount == Decimal("80.00")
    assert request.finished_at is not None
    assert ledger(request) == [(LedgerEntry.Type.REFUND, Decimal("80.00"))]
    assert LedgerEntry.objects.get().status == LedgerEntry.Status.PAID
    assert refunded(item) == Decimal("80.00")
    disputed.refresh_from_db()
    assert disputed.status == Dispute.Status.RULED
    assert (ruling.outcome, ruling.refund_amount, ruling.decided_by) == (
        Ruling.Outcome.REFUND,
        Decimal("80.00"),
        arbitrator,
    )
    event = request.events.last()
    assert (event.from_state, event.to_state, event.actor_role, event.note) == (
        State.DISPUTED,
        State.REFUNDED,
        Role.STAFF,
        "Photos show the dent.",
    )


def test_ruling_compensation(disputed, arbitrator, item):
    ruling = rule(
        disputed,
        arbitrator,
        Ruling.Outcome.COMPENSATION,
        compensation_amount="25.00",
        refund_amount="80.00",  # ignored: compensation alone
    )

    request = disputed.request
    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert ledger(request) == [(LedgerEntry.Type.COMPENSATION, Decimal("25.00"))]
    assert refunded(item) == 0
    assert (ruling.refund_amount, ruling.compensation_amount) == (Decimal("0.00"), Decimal("25.00"))


def test_ruling_a_refund_with_compensation(disputed, arbitrator, item):
    rule(
        disputed,
        arbitrator,
        Ruling.Outcome.REFUND,
        refund_amount="100.00",
        compensation_amount="10.00",
    )

    assert ledger(disputed.request) == [
        (LedgerEntry.Type.REFUND, Decimal("100.00")),
        (LedgerEntry.Type.COMPENSATION, Decimal("10.00")),
    ]
    assert refunded(item) == Decimal("100.00")


def test_ruling_return_and_refund(arbitrator, buyer, seller, shop, item):
    # given: the buyer asked to keep the goods with a refund; the seller rejected
    dispute = request_in(State.DISPUTED, item, kind=Kind.REFUND_ONLY).disputes.get()

    rule(dispute, arbitrator, Ruling.Outcome.RETURN_AND_REFUND, refund_amount="90.00")

    request = dispute.request
    request.refresh_from_db()
    assert request.state == State.AWAITING_RETURN
    assert (request.kind, request.refund_amount) == (Kind.RETURN_REFUND, Decimal("90.00"))
    assert request.return_address == str(shop.default_return_address)
    assert request.due_action == Action.CLOSE_FOR_TIMEOUT
    assert not ledger(request)

    # and the refund follows once the goods come back and pass inspection
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    request = services.confirm_return_received(request=request, actor=seller)
    request = services.pass_inspection(request=request, actor=seller)
    assert request.state == State.REFUNDED
    assert ledger(request) == [(LedgerEntry.Type.REFUND, Decimal("90.00"))]
    assert refunded(item) == Decimal("90.00")


def test_ruling_for_the_seller_closes_the_request(disputed, arbitrator, item):
    ruling = rule(
        disputed,
        arbitrator,
        Ruling.Outcome.FOR_SELLER,
        refund_amount="50.00",
        rationale="The photos show no damage.",
    )

    request = disputed.request
    request.refresh_from_db()
    assert request.state == State.CLOSED
    assert request.close_reason == CloseReason.RULED_FOR_SELLER
    assert request.finished_at is not None
    assert not ledger(request)
    assert refunded(item) == 0
    assert ruling.refund_amount == 0


@pytest.mark.parametrize("rationale", ["", "  "])
def test_ruling_needs_a_rationale(rationale, disputed, arbitrator):
    with pytest.raises(InvalidInput):
        rule(disputed, arbitrator, Ruling.Outcome.FOR_SELLER, rationale=rationale)

    disputed.refresh_from_db()
    assert disputed.status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()


@pytest.mark.parametrize(
    "outcome, amounts",
    [
        (Ruling.Outcome.REFUND, {"refund_amount": "0.00"}),
        (Ruling.Outcome.RETURN_AND_REFUND, {"refund_amount": "0.00"}),
        (Ruling.Outcome.COMPENSATION, {"compensation_amount": "0.00"}),
        (Ruling.Outcome.REFUND, {"refund_amount": "-5.00"}),
        (Ruling.Outcome.REFUND, {"refund_amount": "5.00", "compensation_amount": "-1.00"}),
    ],
)
def test_ruling_with_missing_or_negative_amounts_is_refused(outcome, amounts, disputed, arbitrator):
    with pytest.raises(InvalidInput):
        rule(disputed, arbitrator, outcome, **amounts)

    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_refund_above_what_is_refundable_is_refused(disputed, arbitrator, item):
    with pytest.raises(RefundLimitExceeded):
        rule(disputed, arbitrator, Ruling.Outcome.REFUND, refund_amount="200.01")

    disputed.refresh_from_db()
    assert disputed.status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert refunded(item) == 0


def test_the_whole_item_can_be_refunded_by_a_ruling(disputed, arbitrator, item):
    rule(disputed, arbitrator, Ruling.Outcome.REFUND, refund_amount="200.00")

    assert refunded(item) == Decimal("200.00")


def test_return_and_refund_above_what_is_refundable_is_refused(disputed, arbitrator):
    with pytest.raises(RefundLimitExceeded):
        rule(disputed, arbitrator, Ruling.Outcome.RETURN_AND_REFUND, refund_amount="250.00")

    assert state_of(disputed) == State.DISPUTED


@pytest.mark.parametrize("who", ["seller", "buyer", "plain_staff", "system"])
def test_only_arbitrators_rule(who, disputed, request):
    actor = (
        UserFactory(username="staff-no-group", is_staff=True)
        if who == "plain_staff"
        else SYSTEM
        if who == "system"
        else request.getfixturevalue(who)
    )

    with pytest.raises(ActionNotAllowed):
        rule(disputed, actor, Ruling.Outcome.REFUND, refund_amount="50.00")

    disputed.refresh_from_db()
    assert disputed.status == Dispute.Status.OPEN
    assert state_of(disputed) == State.DISPUTED
    assert not Ruling.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_superuser_may_rule(disputed):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)

    rule(disputed, admin, Ruling.Outcome.FOR_SELLER)

    assert Ruling.objects.get().decided_by == admin


@pytest.mark.parametrize(
    "first",
    [Ruling.Outcome.REFUND, Ruling.Outcome.RETURN_AND_REFUND, Ruling.Outcome.FOR_SELLER],
)
def test_ruling_twice_is_refused(first, disputed, arbitrator, item):
    rule(disputed, arbitrator, first, refund_amount="50.00")
    request = disputed.request
    request.refresh_from_db()
    state, events = request.state, request.events.count()

    with pytest.raises(StaleAction):
        rule(disputed, arbitrator, Ruling.Outcome.REFUND, refund_amount="50.00")

    request.refresh_from_db()
    assert (request.state, request.events.count()) == (state, events)
    assert Ruling.objects.count() == 1
    assert LedgerEntry.objects.filter(type=LedgerEntry.Type.REFUND).count() == (
        1 if first == Ruling.Outcome.REFUND else 0
    )


def test_second_dispute_on_the_same_request_after_a_failed_inspection(
    disputed, arbitrator, buyer, seller
):
    # given: the platform ruled return-and-refund, and the seller failed the inspection
    rule(disputed, arbitrator, Ruling.Outcome.RETURN_AND_REFUND, refund_amount="100.00")
    request = disputed.request
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    request = services.confirm_return_received(request=request, actor=seller)
    request = services.fail_inspection(
        request=request,
        actor=seller,
        reason=RejectionReason.INCOMPLETE,
        explanation="Tin emptied.",
        files=[photo()],
    )

    # when: the buyer escalates again
    second = escalate(request, buyer, reason=Dispute.Reason.DISPUTED_INSPECTION)

    # then: a new dispute is open, the old one stays ruled
    assert list(request.disputes.values_list("status", flat=True)) == [
        Dispute.Status.RULED,
        Dispute.Status.OPEN,
    ]
    assert second.reason == Dispute.Reason.DISPUTED_INSPECTION


def test_ruling_a_dispute_already_ruled_in_another_tab_is_refused(disputed, arbitrator):
    Dispute.objects.filter(pk=disputed.pk).update(status=Dispute.Status.RULED)

    with pytest.raises(StaleAction):
        rule(disputed, arbitrator, Ruling.Outcome.REFUND, refund_amount="50.00")

    assert state_of(disputed) == State.DISPUTED
    assert not LedgerEntry.objects.exists()
