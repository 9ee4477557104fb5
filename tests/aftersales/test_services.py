"""Every action of the after-sales services, end to end, as buyer, seller and system use them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from aftersales import services
from aftersales.actors import SYSTEM
from aftersales.errors import ActionNotAllowed, Ineligible, InvalidInput, StaleAction
from aftersales.models import (
    Action,
    AfterSalesRequest,
    Carrier,
    CloseReason,
    Evidence,
    Kind,
    LedgerEntry,
    Message,
    Proposal,
    Reason,
    RejectionReason,
    Role,
    Shipment,
    State,
)
from aftersales.payments import SimulatedGateway
from orders.models import OrderItem
from tests.aftersales.factories import TRACKING, file_request, photo, request_in
from tests.orders.factories import (
    OrderItemFactory,
    ReturnAddressFactory,
    ShopMemberFactory,
)

pytestmark = pytest.mark.django_db

ZTO = {"carrier": Carrier.ZTO, "tracking_number": "73123456789012"}
HOURS = timedelta(hours=1)
DAYS = timedelta(days=1)


# --- helpers ---------------------------------------------------------------------------------


def path(request):
    """The logged transitions as (from, to) pairs, oldest first."""
    return list(request.events.values_list("from_state", "to_state"))


def who(request):
    """The logged transitions as (actor id, actor role), oldest first."""
    return list(request.events.values_list("actor_id", "actor_role"))


def ledger(request):
    return list(LedgerEntry.objects.filter(request=request).values_list("type", "amount", "status"))


def refunded(item) -> Decimal:
    return OrderItem.objects.get(pk=item.pk).refunded_amount


def submit(item, *, kind, reason=None, quantity=1, refund_amount=None, now=None, files=()):
    """Like the factory's ``file_request`` but with a clock."""
    reason = (
        reason
        or {
            Kind.REFUND_ONLY: Reason.QUALITY_PROBLEM,
            Kind.RETURN_REFUND: Reason.QUALITY_PROBLEM,
            Kind.EXCHANGE: Reason.WRONG_SIZE,
            Kind.REPAIR: Reason.QUALITY_PROBLEM,
        }[kind]
    )
    if refund_amount is None:
        refund_amount = Decimal("100.00") if Kind(kind).is_money else Decimal("0.00")
    return services.submit_request(
        buyer=item.order.buyer,
        order_item=item,
        kind=kind,
        reason=reason,
        quantity=quantity,
        refund_amount=refund_amount,
        description="The tin arrived dented.",
        files=files,
        now=now,
    )


@pytest.fixture
def unshipped_item(buyer, shop, seller):
    return OrderItemFactory(order__buyer=buyer, order__shop=shop, not_shipped=True)


@pytest.fixture
def in_transit_item(buyer, shop, seller):
    return OrderItemFactory(order__buyer=buyer, order__shop=shop, in_transit=True)


# --- happy paths, one per kind ---------------------------------------------------------------


def test_refund_only_before_shipping_is_refunded_and_paid_out(
    unshipped_item, buyer, seller, django_capture_on_commit_callbacks
):
    # given: the buyer changed their mind before the tea was shipped
    request = submit(
        unshipped_item,
        kind=Kind.REFUND_ONLY,
        reason=Reason.CHANGED_MIND,
        quantity=2,
        refund_amount=Decimal("200.00"),
    )
    assert request.state == State.SUBMITTED

    # when: the seller approves
    with django_capture_on_commit_callbacks(execute=True):
        request = services.approve_request(request=request, actor=seller)

    # then: the buyer has the money back, through the gateway, once
    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert request.return_address == ""
    assert path(request) == [("", State.SUBMITTED), (State.SUBMITTED, State.REFUNDED)]
    assert who(request) == [(buyer.pk, Role.BUYER), (seller.pk, Role.SELLER)]
    assert ledger(request) == [
        (LedgerEntry.Type.REFUND, Decimal("200.00"), LedgerEntry.Status.PAID)
    ]
    entry = LedgerEntry.objects.get(request=request)
    assert entry.payment_method == unshipped_item.order.payment_method
    assert entry.paid_at is not None
    assert [(c.idempotency_key, c.amount, c.method) for c in SimulatedGateway.calls] == [
        (entry.idempotency_key, Decimal("200.00"), unshipped_item.order.payment_method)
    ]
    assert refunded(unshipped_item) == Decimal("200.00")
    assert not request.shipments.exists()


def test_return_refund_goes_through_return_and_inspection(
    item, buyer, seller, shop, django_capture_on_commit_callbacks
):
    request = file_request(item, kind=Kind.RETURN_REFUND, quantity=1)

    request = services.approve_request(request=request, actor=seller)
    assert request.state == State.AWAITING_RETURN
    assert request.return_address == str(shop.default_return_address)
    assert not ledger(request)

    request = services.ship_return(
        request=request, actor=buyer, carrier=Carrier.SF, tracking_number="sf 1234-5678-90123"
    )
    assert request.state == State.RETURN_SHIPPED
    shipment = request.shipments.get()
    assert (shipment.purpose, shipment.carrier, shipment.tracking_number) == (
        Shipment.Purpose.RETURN,
        Carrier.SF,
        "SF1234567890123",
    )
    assert shipment.shipped_by == buyer
    assert shipment.received_at is None

    request = services.confirm_return_received(request=request, actor=seller)
    assert request.state == State.INSPECTING
    assert request.shipments.get().received_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        request = services.pass_inspection(request=request, actor=seller)

    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert path(request) == [
        ("", State.SUBMITTED),
        (State.SUBMITTED, State.AWAITING_RETURN),
        (State.AWAITING_RETURN, State.RETURN_SHIPPED),
        (State.RETURN_SHIPPED, State.INSPECTING),
        (State.INSPECTING, State.REFUNDED),
    ]
    assert who(request) == [
        (buyer.pk, Role.BUYER),
        (seller.pk, Role.SELLER),
        (buyer.pk, Role.BUYER),
        (seller.pk, Role.SELLER),
        (seller.pk, Role.SELLER),
    ]
    assert ledger(request) == [
        (LedgerEntry.Type.REFUND, Decimal("100.00"), LedgerEntry.Status.PAID)
    ]
    assert len(SimulatedGateway.calls) == 1
    assert refunded(item) == Decimal("100.00")


def test_exchange_ships_a_replacement_and_moves_no_money(item, buyer, seller):
    request = file_request(item, kind=Kind.EXCHANGE)
    assert request.refund_amount == 0

    request = services.approve_request(request=request, actor=seller)
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    request = services.confirm_return_received(request=request, actor=seller)
    request = services.ship_replacement(request=request, actor=seller, **ZTO)
    assert request.state == State.REPLACEMENT_SHIPPED
    request = services.confirm_delivery(request=request, actor=buyer)

    assert request.state == State.EXCHANGED
    assert path(request) == [
        ("", State.SUBMITTED),
        (State.SUBMITTED, State.AWAITING_RETURN),
        (State.AWAITING_RETURN, State.RETURN_SHIPPED),
        (State.RETURN_SHIPPED, State.INSPECTING),
        (State.INSPECTING, State.REPLACEMENT_SHIPPED),
        (State.REPLACEMENT_SHIPPED, State.EXCHANGED),
    ]
    assert [role for _, role in who(request)] == [
        Role.BUYER,
        Role.SELLER,
        Role.BUYER,
        Role.SELLER,
        Role.SELLER,
        Role.BUYER,
    ]
    shipments = list(request.shipments.values_list("purpose", "shipped_by", "tracking_number"))
    assert shipments == [
        (Shipment.Purpose.RETURN, buyer.pk, "SF1234567890123"),
        (Shipment.Purpose.REPLACEMENT, seller.pk, "73123456789012"),
    ]
    assert not request.shipments.filter(received_at__isnull=True).exists()
    assert not ledger(request)
    assert refunded(item) == 0


def test_repair_is_repaired_and_shipped_back(item, buyer, seller):
    request = file_request(item, kind=Kind.REPAIR)

    request = services.approve_request(request=request, actor=seller)
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    request = services.confirm_return_received(request=request, actor=seller)
    request = services.pass_inspection(request=request, actor=seller)
    assert request.state == State.REPAIRING
    request = services.ship_repaired(request=request, actor=seller, **ZTO)
    assert request.state == State.REPAIR_SHIPPED
    request = services.confirm_delivery(request=request, actor=buyer)

    assert request.state == State.REPAIRED
    assert path(request) == [
        ("", State.SUBMITTED),
        (State.SUBMITTED, State.AWAITING_RETURN),
        (State.AWAITING_RETURN, State.RETURN_SHIPPED),
        (State.RETURN_SHIPPED, State.INSPECTING),
        (State.INSPECTING, State.REPAIRING),
        (State.REPAIRING, State.REPAIR_SHIPPED),
        (State.REPAIR_SHIPPED, State.REPAIRED),
    ]
    assert [role for _, role in who(request)] == [
        Role.BUYER,
        Role.SELLER,
        Role.BUYER,
        Role.SELLER,
        Role.SELLER,
        Role.SELLER,
        Role.BUYER,
    ]
    assert list(request.shipments.values_list("purpose", flat=True)) == [
        Shipment.Purpose.RETURN,
        Shipment.Purpose.REPAIRED,
    ]
    assert not request.shipments.filter(received_at__isnull=True).exists()
    assert not ledger(request)


def test_event_log_names_the_action(item, buyer, seller):
    request = request_in(State.INSPECTING, item)

    assert list(request.events.values_list("action", flat=True)) == [
        "submit",
        "approve",
        "ship_return",
        "confirm_return_received",
    ]
    shipment = request.shipments.get()
    assert (shipment.carrier, shipment.tracking_number) == ("sf", "SF1234567890123")


# --- the system acting on deadlines ----------------------------------------------------------


def test_system_auto_approves_refund_only_and_refunds_at_once(
    item, django_capture_on_commit_callbacks
):
    request = file_request(item, kind=Kind.REFUND_ONLY)

    with django_capture_on_commit_callbacks(execute=True):
        request = services.approve_request(request=request, actor=SYSTEM)

    assert request.state == State.REFUNDED
    last = request.events.last()
    assert (last.actor_id, last.actor_role) == (None, Role.SYSTEM)
    assert ledger(request) == [
        (LedgerEntry.Type.REFUND, Decimal("100.00"), LedgerEntry.Status.PAID)
    ]


def test_system_auto_approval_uses_the_shops_default_return_address(item, shop):
    ReturnAddressFactory(shop=shop, is_default=False, address="Not this one")
    request = file_request(item, kind=Kind.RETURN_REFUND)

    request = services.approve_request(request=request, actor=SYSTEM)

    assert request.state == State.AWAITING_RETURN
    assert request.return_address == str(shop.default_return_address)
    assert "Not this one" not in request.return_address


def test_seller_may_choose_another_of_their_return_addresses(item, seller, shop):
    warehouse = ReturnAddressFactory(shop=shop, is_default=False, address="Warehouse 2")
    request = file_request(item, kind=Kind.RETURN_REFUND)

    request = services.approve_request(request=request, actor=seller, return_address=warehouse)

    assert request.return_address == str(warehouse)


def test_another_shops_return_address_is_refused(item, seller, other_seller):
    elsewhere = other_seller.shop_memberships.get().shop.default_return_address
    request = file_request(item, kind=Kind.RETURN_REFUND)

    with pytest.raises(ActionNotAllowed):
        services.approve_request(request=request, actor=seller, return_address=elsewhere)

    request.refresh_from_db()
    assert request.state == State.SUBMITTED


def test_system_refunds_when_the_seller_does_not_confirm_receipt(
    item, django_capture_on_commit_callbacks
):
    request = request_in(State.RETURN_SHIPPED, item, kind=Kind.RETURN_REFUND)

    with django_capture_on_commit_callbacks(execute=True):
        request = services.refund_without_receipt(request=request, actor=SYSTEM)

    assert request.state == State.REFUNDED
    assert request.events.last().actor_role == Role.SYSTEM
    assert ledger(request) == [
        (LedgerEntry.Type.REFUND, Decimal("100.00"), LedgerEntry.Status.PAID)
    ]
    assert refunded(item) == Decimal("100.00")


def test_system_deems_inspection_passed(item):
    request = request_in(State.INSPECTING, item, kind=Kind.REPAIR)

    request = services.pass_inspection(request=request, actor=SYSTEM)

    assert request.state == State.REPAIRING
    assert request.events.last().actor_role == Role.SYSTEM


def test_system_confirms_delivery_for_the_buyer(item):
    request = request_in(State.REPLACEMENT_SHIPPED, item)

    request = services.confirm_delivery(request=request, actor=SYSTEM)

    assert request.state == State.EXCHANGED
    assert request.shipments.get(purpose=Shipment.Purpose.REPLACEMENT).received_at is not None


@pytest.mark.parametrize("state", [State.NEGOTIATING, State.REJECTED, State.AWAITING_RETURN])
def test_system_closes_what_the_buyer_left_waiting(state, item):
    request = request_in(state, item)

    request = services.close_for_timeout(request=request, actor=SYSTEM)

    assert request.state == State.CLOSED
    assert request.close_reason == CloseReason.TIMED_OUT
    assert not request.proposals.filter(status=Proposal.Status.PENDING).exists()


# --- proposals -------------------------------------------------------------------------------


def propose(request, seller, *, kind, refund="0.00", compensation="0.00"):
    return services.propose_solution(
        request=request,
        actor=seller,
        kind=kind,
        refund_amount=Decimal(refund),
        compensation_amount=Decimal(compensation),
        note="Our offer.",
    )


def test_partial_refund_keeping_the_goods(item, buyer, seller, django_capture_on_commit_callbacks):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    request = propose(request, seller, kind=Kind.REFUND_ONLY, refund="30.00")
    assert request.state == State.NEGOTIATING
    proposal = request.proposals.get()
    assert (proposal.version, proposal.status, proposal.refund_amount) == (
        1,
        Proposal.Status.PENDING,
        Decimal("30.00"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        request = services.accept_proposal(request=request, actor=buyer)

    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert (request.kind, request.refund_amount) == (Kind.REFUND_ONLY, Decimal("30.00"))
    assert request.proposals.get().status == Proposal.Status.ACCEPTED
    assert request.proposals.get().answered_at is not None
    assert ledger(request) == [(LedgerEntry.Type.REFUND, Decimal("30.00"), LedgerEntry.Status.PAID)]
    assert refunded(item) == Decimal("30.00")
    assert path(request)[1:] == [
        (State.SUBMITTED, State.NEGOTIATING),
        (State.NEGOTIATING, State.REFUNDED),
    ]


def test_partial_refund_with_compensation_pays_both(
    item, buyer, seller, django_capture_on_commit_callbacks
):
    request = file_request(item, kind=Kind.REFUND_ONLY)
    request = propose(request, seller, kind=Kind.REFUND_ONLY, refund="30.00", compensation="20.00")

    with django_capture_on_commit_callbacks(execute=True):
        services.accept_proposal(request=request, actor=buyer)

    assert ledger(request) == [
        (LedgerEntry.Type.REFUND, Decimal("30.00"), LedgerEntry.Status.PAID),
        (LedgerEntry.Type.COMPENSATION, Decimal("20.00"), LedgerEntry.Status.PAID),
    ]
    keys = list(LedgerEntry.objects.values_list("idempotency_key", flat=True))
    assert len(set(keys)) == 2
    assert sorted(c.idempotency_key for c in SimulatedGateway.calls) == sorted(keys)
    # compensation is not a refund of the price: it does not use up the refundable amount
    assert refunded(item) == Decimal("30.00")


def test_proposal_that_needs_the_goods_back_awaits_the_return(item, buyer, seller, shop):
    # given: the buyer asked for a refund keeping the goods; the seller wants them back
    request = file_request(item, kind=Kind.REFUND_ONLY)
    request = propose(request, seller, kind=Kind.RETURN_REFUND, refund="80.00")

    request = services.accept_proposal(request=request, actor=buyer)

    assert request.state == State.AWAITING_RETURN
    assert (request.kind, request.refund_amount) == (Kind.RETURN_REFUND, Decimal("80.00"))
    assert request.return_address == str(shop.default_return_address)
    assert not ledger(request)

    # and the agreed amount is what is refunded once the goods pass inspection
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    request = services.confirm_return_received(request=request, actor=seller)
    request = services.pass_inspection(request=request, actor=seller)
    assert ledger(request) == [
        (LedgerEntry.Type.REFUND, Decimal("80.00"), LedgerEntry.Status.PENDING)
    ]
    assert refunded(item) == Decimal("80.00")


def test_proposal_of_an_exchange_turns_the_request_into_one(item, buyer, seller):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    request = propose(request, seller, kind=Kind.EXCHANGE, refund="50.00")

    request = services.accept_proposal(request=request, actor=buyer)

    assert request.state == State.AWAITING_RETURN
    assert (request.kind, request.refund_amount) == (Kind.EXCHANGE, Decimal("0.00"))


def test_declining_a_proposal_leaves_the_request_rejected(item, buyer, seller):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    request = propose(request, seller, kind=Kind.REFUND_ONLY, refund="10.00")

    request = services.decline_proposal(request=request, actor=buyer, note="Too little.")

    assert request.state == State.REJECTED
    proposal = request.proposals.get()
    assert proposal.status == Proposal.Status.DECLINED
    assert proposal.answered_at is not None
    assert request.events.last().note == "Too little."
    assert not ledger(request)


def test_each_new_proposal_is_a_new_version(item, buyer, seller):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    request = propose(request, seller, kind=Kind.REFUND_ONLY, refund="10.00")
    request = services.decline_proposal(request=request, actor=buyer)
    request = services.resubmit_request(
        request=request,
        actor=buyer,
        kind=Kind.RETURN_REFUND,
        reason=Reason.QUALITY_PROBLEM,
        quantity=1,
        refund_amount=Decimal("100.00"),
        description="Still dented.",
    )

    request = propose(request, seller, kind=Kind.REFUND_ONLY, refund="40.00")

    assert list(request.proposals.values_list("version", "status", "refund_amount")) == [
        (1, Proposal.Status.DECLINED, Decimal("10.00")),
        (2, Proposal.Status.PENDING, Decimal("40.00")),
    ]


def test_compensation_only_goes_with_a_refund_keeping_the_goods(item, seller):
    request = file_request(item, kind=Kind.RETURN_REFUND)

    with pytest.raises(InvalidInput):
        propose(request, seller, kind=Kind.RETURN_REFUND, refund="50.00", compensation="10.00")

    request.refresh_from_db()
    assert request.state == State.SUBMITTED
    assert not request.proposals.exists()


@pytest.mark.parametrize(
    "kind, refund, compensation",
    [
        (Kind.REFUND_ONLY, "200.01", "0.00"),  # more than was paid
        (Kind.REFUND_ONLY, "0.00", "0.00"),  # a money offer of nothing
        (Kind.RETURN_REFUND, "0.00", "0.00"),  # take the goods back for nothing
        (Kind.REFUND_ONLY, "-10.00", "50.00"),  # a negative refund hidden by compensation
        (Kind.REFUND_ONLY, "10.00", "-5.00"),  # negative compensation
    ],
)
def test_impossible_offers_are_refused(item, seller, kind, refund, compensation):
    request = file_request(item, kind=Kind.RETURN_REFUND)

    with pytest.raises(InvalidInput):
        propose(request, seller, kind=kind, refund=refund, compensation=compensation)

    request.refresh_from_db()
    assert request.state == State.SUBMITTED
    assert not request.proposals.exists()


# --- rejection, resubmission, withdrawal -----------------------------------------------------


def test_reject_needs_a_reason(item, seller):
    request = file_request(item)

    with pytest.raises(InvalidInput):
        services.reject_request(
            request=request, actor=seller, reason=RejectionReason.USED, explanation="  "
        )

    request.refresh_from_db()
    assert request.state == State.SUBMITTED


def test_rejection_records_reason_and_evidence(item, seller):
    request = file_request(item)

    request = services.reject_request(
        request=request,
        actor=seller,
        reason=RejectionReason.NO_EVIDENCE,
        explanation="No dent visible.",
        files=[photo("box.jpg")],
    )

    assert request.state == State.REJECTED
    event = request.events.last()
    assert event.note == "No dent visible."
    assert [(e.original_name, e.uploader_role) for e in event.evidence.all()] == [
        ("box.jpg", Role.SELLER)
    ]


def test_resubmit_after_rejection_sends_the_new_values(item, buyer, seller):
    request = request_in(State.REJECTED, item)

    request = services.resubmit_request(
        request=request,
        actor=buyer,
        kind=Kind.EXCHANGE,
        reason=Reason.NOT_AS_DESCRIBED,
        quantity=2,
        refund_amount=Decimal("100.00"),
        description="The colour is wrong.",
        files=[photo("colour.jpg")],
    )

    request.refresh_from_db()
    assert request.state == State.SUBMITTED
    assert (request.kind, request.reason, request.quantity) == (
        Kind.EXCHANGE,
        Reason.NOT_AS_DESCRIBED,
        2,
    )
    assert request.refund_amount == 0  # an exchange carries no money
    assert request.description == "The colour is wrong."
    assert path(request)[-1] == (State.REJECTED, State.SUBMITTED)
    assert request.events.last().evidence.count() == 1
    assert AfterSalesRequest.objects.filter(order_item=item).count() == 1


def test_resubmission_is_checked_like_a_new_request(item, buyer):
    request = request_in(State.REJECTED, item)

    with pytest.raises(Ineligible):
        services.resubmit_request(
            request=request,
            actor=buyer,
            kind=Kind.RETURN_REFUND,
            reason=Reason.QUALITY_PROBLEM,
            quantity=3,
            refund_amount=Decimal("100.00"),
            description="Three tins?",
        )

    request.refresh_from_db()
    assert (request.state, request.quantity) == (State.REJECTED, 1)


def test_withdraw_closes_the_request(item, buyer):
    request = request_in(State.AWAITING_RETURN, item)

    request = services.withdraw_request(request=request, actor=buyer)

    assert request.state == State.CLOSED
    assert request.close_reason == CloseReason.WITHDRAWN
    assert request.finished_at is not None
    assert path(request)[-1] == (State.AWAITING_RETURN, State.CLOSED)


def test_withdrawing_during_negotiation_does_not_leave_the_offer_waiting(item, buyer):
    """A closed request must not show a proposal as "waiting for the buyer" (close_for_timeout
    marks it lapsed; withdrawing should settle it as well)."""
    request = request_in(State.NEGOTIATING, item)

    services.withdraw_request(request=request, actor=buyer)

    assert not request.proposals.filter(status=Proposal.Status.PENDING).exists()


def test_disputed_request_cannot_be_withdrawn(item, buyer):
    request = request_in(State.DISPUTED, item)

    with pytest.raises(StaleAction):
        services.withdraw_request(request=request, actor=buyer)

    request.refresh_from_db()
    assert request.state == State.DISPUTED


# --- inspection ------------------------------------------------------------------------------


def test_failed_inspection_needs_a_reason(item, seller):
    request = request_in(State.INSPECTING, item)

    with pytest.raises(InvalidInput):
        services.fail_inspection(
            request=request,
            actor=seller,
            reason=RejectionReason.USED,
            explanation=" ",
            files=[photo()],
        )

    request.refresh_from_db()
    assert request.state == State.INSPECTING


def test_failed_inspection_needs_a_photo(item, seller):
    request = request_in(State.INSPECTING, item)

    with pytest.raises(InvalidInput):
        services.fail_inspection(
            request=request,
            actor=seller,
            reason=RejectionReason.USED,
            explanation="Used.",
            files=[],
        )

    request.refresh_from_db()
    assert request.state == State.INSPECTING


def test_failed_inspection_rejects_with_the_evidence_on_the_event(item, seller):
    request = request_in(State.INSPECTING, item)

    request = services.fail_inspection(
        request=request,
        actor=seller,
        reason=RejectionReason.INCOMPLETE,
        explanation="The seal was opened and tea is missing.",
        files=[photo("open-seal.jpg"), photo("scale.jpg")],
    )

    assert request.state == State.REJECTED
    event = request.events.last()
    assert (event.from_state, event.to_state, event.action) == (
        State.INSPECTING,
        State.REJECTED,
        "fail_inspection",
    )
    assert event.note == "The seal was opened and tea is missing."
    evidence = Evidence.objects.filter(request=request)
    assert list(evidence.values_list("event_id", "original_name", "uploaded_by")) == [
        (event.pk, "open-seal.jpg", seller.pk),
        (event.pk, "scale.jpg", seller.pk),
    ]
    assert not ledger(request)


def test_exchange_cannot_be_passed_without_shipping_a_replacement(item, seller):
    request = request_in(State.INSPECTING, item, kind=Kind.EXCHANGE)

    with pytest.raises(StaleAction):
        services.pass_inspection(request=request, actor=seller)

    request.refresh_from_db()
    assert request.state == State.INSPECTING


def test_wrong_tracking_number_is_refused_before_anything_changes(item, buyer):
    request = request_in(State.AWAITING_RETURN, item)

    with pytest.raises(InvalidInput):
        services.ship_return(
            request=request, actor=buyer, carrier=Carrier.SF, tracking_number="12345"
        )

    request.refresh_from_db()
    assert request.state == State.AWAITING_RETURN
    assert not request.shipments.exists()


# --- messages --------------------------------------------------------------------------------


def test_buyer_seller_and_platform_write_in_the_thread(item, buyer, seller, arbitrator):
    request = file_request(item)

    services.post_message(request=request, actor=buyer, body="Any news?")
    services.post_message(
        request=request, actor=seller, body="Please send a photo.", files=[photo("label.jpg")]
    )
    services.post_message(request=request, actor=arbitrator, body="Noted.")

    assert list(request.messages.values_list("author", "author_role", "body")) == [
        (buyer.pk, Role.BUYER, "Any news?"),
        (seller.pk, Role.SELLER, "Please send a photo."),
        (arbitrator.pk, Role.STAFF, "Noted."),
    ]
    seller_message = request.messages.get(author=seller)
    assert list(seller_message.evidence.values_list("original_name", flat=True)) == ["label.jpg"]
    # messages are not transitions
    assert request.events.count() == 1


@pytest.mark.parametrize("stranger", ["other_buyer", "other_seller"])
def test_strangers_cannot_write_in_the_thread(item, stranger, request):
    aftersales_request = file_request(item)
    actor = request.getfixturevalue(stranger)

    with pytest.raises(ActionNotAllowed):
        services.post_message(request=aftersales_request, actor=actor, body="Hello")

    assert not Message.objects.exists()


def test_system_does_not_write_in_the_thread(item):
    request = file_request(item)

    with pytest.raises(ActionNotAllowed):
        services.post_message(request=request, actor=SYSTEM, body="Hello")


@pytest.mark.parametrize("state", [State.REFUNDED, State.EXCHANGED, State.CLOSED])
def test_finished_requests_take_no_more_messages(state, item, buyer, seller):
    request = request_in(state, item)

    for actor in (buyer, seller):
        with pytest.raises(StaleAction):
            services.post_message(request=request, actor=actor, body="One more thing")

    assert not request.messages.exists()


def test_empty_message_is_refused(item, buyer):
    request = file_request(item)

    with pytest.raises(InvalidInput):
        services.post_message(request=request, actor=buyer, body="   ")

    assert not request.messages.exists()


# --- deadlines (SPEC §4) ---------------------------------------------------------------------


def assert_due(request, now, delta, action):
    request.refresh_from_db()
    assert (request.due_at, request.due_action) == (now + delta, action)
    assert request.finished_at is None


def assert_finished(request, now):
    request.refresh_from_db()
    assert (request.due_at, request.due_action) == (None, "")
    assert request.finished_at == now


@pytest.mark.parametrize(
    "item_fixture, reason, limit",
    [
        ("unshipped_item", Reason.CHANGED_MIND, 24 * HOURS),
        ("in_transit_item", Reason.NOT_RECEIVED, 36 * HOURS),
        ("item", Reason.QUALITY_PROBLEM, 36 * HOURS),  # delivered: it was shipped
    ],
)
def test_seller_response_deadline_for_refund_only(item_fixture, reason, limit, request):
    order_item = request.getfixturevalue(item_fixture)
    now = timezone.now()

    aftersales_request = submit(order_item, kind=Kind.REFUND_ONLY, reason=reason, now=now)

    assert_due(aftersales_request, now, limit, Action.APPROVE)


@pytest.mark.parametrize("kind", [Kind.RETURN_REFUND, Kind.EXCHANGE, Kind.REPAIR])
def test_seller_response_deadline_for_other_kinds(kind, item):
    now = timezone.now()

    request = submit(item, kind=kind, now=now)

    assert_due(request, now, 5 * DAYS, Action.APPROVE)


def test_deadlines_along_the_return_refund_path(item, buyer, seller):
    t = timezone.now() - 30 * DAYS
    request = submit(item, kind=Kind.RETURN_REFUND, now=t)

    t += HOURS
    request = services.approve_request(request=request, actor=seller, now=t)
    assert_due(request, t, 7 * DAYS, Action.CLOSE_FOR_TIMEOUT)

    t += DAYS
    request = services.ship_return(request=request, actor=buyer, now=t, **TRACKING)
    assert_due(request, t, 10 * DAYS, Action.REFUND_WITHOUT_RECEIPT)

    t += DAYS
    request = services.confirm_return_received(request=request, actor=seller, now=t)
    assert_due(request, t, 3 * DAYS, Action.PASS_INSPECTION)

    t += HOURS
    request = services.pass_inspection(request=request, actor=seller, now=t)
    assert_finished(request, t)


def test_deadlines_along_the_exchange_path(item, buyer, seller):
    t = timezone.now() - 30 * DAYS
    request = submit(item, kind=Kind.EXCHANGE, now=t)
    request = services.approve_request(request=request, actor=seller, now=t)

    t += DAYS
    request = services.ship_return(request=request, actor=buyer, now=t, **TRACKING)
    # the goods are with the seller: no refund to fall back on, so the platform steps in
    assert_due(request, t, 10 * DAYS, Action.ESCALATE_OVERDUE)

    t += DAYS
    request = services.confirm_return_received(request=request, actor=seller, now=t)
    assert_due(request, t, 3 * DAYS, Action.ESCALATE_OVERDUE)

    t += DAYS
    request = services.ship_replacement(request=request, actor=seller, now=t, **ZTO)
    assert_due(request, t, 10 * DAYS, Action.CONFIRM_DELIVERY)

    t += DAYS
    request = services.confirm_delivery(request=request, actor=buyer, now=t)
    assert_finished(request, t)


def test_deadlines_along_the_repair_path(item, buyer, seller):
    t = timezone.now() - 30 * DAYS
    request = submit(item, kind=Kind.REPAIR, now=t)
    request = services.approve_request(request=request, actor=seller, now=t)

    t += DAYS
    request = services.ship_return(request=request, actor=buyer, now=t, **TRACKING)
    assert_due(request, t, 10 * DAYS, Action.ESCALATE_OVERDUE)

    request = services.confirm_return_received(request=request, actor=seller, now=t)
    t += DAYS
    request = services.pass_inspection(request=request, actor=seller, now=t)
    assert_due(request, t, 15 * DAYS, Action.ESCALATE_OVERDUE)

    t += 3 * DAYS
    request = services.ship_repaired(request=request, actor=seller, now=t, **ZTO)
    assert_due(request, t, 10 * DAYS, Action.CONFIRM_DELIVERY)

    t += DAYS
    request = services.confirm_delivery(request=request, actor=SYSTEM, now=t)
    assert_finished(request, t)


def test_deadlines_while_negotiating_and_after_rejection(item, buyer, seller):
    t = timezone.now()
    request = submit(item, kind=Kind.RETURN_REFUND, now=t)

    t += HOURS
    request = services.propose_solution(
        request=request,
        actor=seller,
        kind=Kind.REFUND_ONLY,
        refund_amount=Decimal("20.00"),
        compensation_amount=Decimal("0.00"),
        note="Keep it.",
        now=t,
    )
    assert_due(request, t, 5 * DAYS, Action.CLOSE_FOR_TIMEOUT)

    t += HOURS
    request = services.decline_proposal(request=request, actor=buyer, now=t)
    assert_due(request, t, 5 * DAYS, Action.CLOSE_FOR_TIMEOUT)

    t += HOURS
    request = services.resubmit_request(
        request=request,
        actor=buyer,
        kind=Kind.REFUND_ONLY,
        reason=Reason.QUALITY_PROBLEM,
        quantity=1,
        refund_amount=Decimal("50.00"),
        description="Half back, then.",
        now=t,
    )
    # the deadline is the revised request's: refund-only on a shipped item
    assert_due(request, t, 36 * HOURS, Action.APPROVE)

    t += HOURS
    request = services.withdraw_request(request=request, actor=buyer, now=t)
    assert_finished(request, t)


def test_refund_only_approval_finishes_the_request(item, seller):
    t = timezone.now()
    request = submit(item, kind=Kind.REFUND_ONLY, now=t)

    request = services.approve_request(request=request, actor=seller, now=t + HOURS)

    assert_finished(request, t + HOURS)


def test_a_transition_resets_the_reminder(item, seller):
    request = file_request(item)
    AfterSalesRequest.objects.filter(pk=request.pk).update(reminded_at=timezone.now())

    request = services.approve_request(request=request, actor=seller)

    request.refresh_from_db()
    assert request.reminded_at is None


# --- notifications (SPEC §8) -----------------------------------------------------------------


def test_submitting_emails_every_member_of_the_shop(
    item, shop, buyer, other_seller, django_capture_on_commit_callbacks
):
    ShopMemberFactory(shop=shop, user__username="agent2")

    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["agent2@example.com", "seller@example.com"]
    assert all(len(message.to) == 1 for message in mail.outbox)  # addresses never shared
    assert all(f"#{request.pk}" in message.subject for message in mail.outbox)


def test_approval_emails_the_buyer(item, seller, django_capture_on_commit_callbacks):
    request = file_request(item)

    with django_capture_on_commit_callbacks(execute=True):
        services.approve_request(request=request, actor=seller)

    assert [message.to for message in mail.outbox] == [["buyer@example.com"]]
    assert item.title in mail.outbox[0].body


def test_return_shipped_emails_the_seller(item, buyer, django_capture_on_commit_callbacks):
    request = request_in(State.AWAITING_RETURN, item)

    with django_capture_on_commit_callbacks(execute=True):
        services.ship_return(request=request, actor=buyer, **TRACKING)

    assert [message.to for message in mail.outbox] == [["seller@example.com"]]


def test_refused_action_sends_nothing(item, buyer, django_capture_on_commit_callbacks):
    request = file_request(item)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ActionNotAllowed),
    ):
        services.approve_request(request=request, actor=buyer)

    assert callbacks == []
    assert mail.outbox == []
