"""The sweep at the database's pace: due actions are applied a batch at a time, through the same
steps the services take, in a number of statements that does not grow with the batch."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales import sweep as sweep_module
from aftersales.models import (
    AfterSalesRequest,
    Dispute,
    Kind,
    LedgerEntry,
    Notification,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from aftersales.sweep import sweep, sweep_deadlines
from orders.models import OrderItem
from tests.aftersales.factories import file_request, request_in
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db

# One of each automatic action (state, kind) and the state it leads to.
EVERY_STEP = [
    (State.SUBMITTED, Kind.REFUND_ONLY, State.REFUNDED),
    (State.SUBMITTED, Kind.RETURN_REFUND, State.AWAITING_RETURN),
    (State.NEGOTIATING, Kind.RETURN_REFUND, State.CLOSED),
    (State.AWAITING_RETURN, Kind.RETURN_REFUND, State.CLOSED),
    (State.RETURN_SHIPPED, Kind.RETURN_REFUND, State.REFUNDED),
    (State.RETURN_SHIPPED, Kind.EXCHANGE, State.DISPUTED),
    (State.INSPECTING, Kind.RETURN_REFUND, State.REFUNDED),
    (State.INSPECTING, Kind.REPAIR, State.REPAIRING),
    (State.REPLACEMENT_SHIPPED, Kind.EXCHANGE, State.EXCHANGED),
]


def overdue_set(buyer, shop, copies: int) -> list[AfterSalesRequest]:
    requests = []
    for _ in range(copies):
        for state, kind, _after in EVERY_STEP:
            item = OrderItemFactory(order__buyer=buyer, order__shop=shop)
            if state == State.SUBMITTED:
                requests.append(file_request(item, kind=kind))
            else:
                requests.append(request_in(state, item, kind=kind))
    AfterSalesRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    return requests


def statements_of_a_sweep(now) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = sweep(now=now)
    assert result.failed == []
    return len(queries)


def test_a_batch_costs_the_same_statements_for_9_or_27_requests(buyer, shop, seller):
    small = overdue_set(buyer, shop, copies=1)
    small_cost = statements_of_a_sweep(timezone.now())
    large = overdue_set(buyer, shop, copies=3)

    large_cost = statements_of_a_sweep(timezone.now())

    assert large_cost == small_cost, (small_cost, large_cost)
    for request in small + large:
        assert request.events.filter(actor_role=Role.SYSTEM).count() == 1


def test_every_step_in_one_batch_writes_what_the_services_write(buyer, shop, seller):
    requests = overdue_set(buyer, shop, copies=1)
    returns = Shipment.objects.filter(request__in=requests, purpose=Shipment.Purpose.RETURN)
    unreceived = set(returns.filter(received_at__isnull=True).values_list("pk", flat=True))

    result = sweep(now=timezone.now())

    assert (result.applied, result.failed) == (len(requests), [])
    for request, (_state, _kind, after) in zip(requests, EVERY_STEP, strict=True):
        request.refresh_from_db()
        assert request.state == after
        event = request.events.get(actor_role=Role.SYSTEM)
        assert (event.to_state, event.actor_id) == (after, None)
    refunded = [r for r in requests if r.state == State.REFUNDED]
    assert sorted(
        LedgerEntry.objects.filter(type=LedgerEntry.Type.REFUND).values_list("request", flat=True)
    ) == sorted(r.pk for r in refunded)
    for request in refunded:
        item = OrderItem.objects.get(pk=request.order_item_id)
        assert item.refunded_amount == request.refund_amount
    assert Dispute.objects.filter(reason=Dispute.Reason.SELLER_UNRESPONSIVE).count() == 1
    # the return that was refunded without the seller's receipt counts as arrived
    assert not Shipment.objects.filter(pk__in=unreceived, received_at__isnull=True).filter(
        request__state=State.REFUNDED
    )


def test_notifications_and_payouts_go_out_once_per_batch(
    buyer, shop, seller, django_capture_on_commit_callbacks
):
    requests = [
        file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop), kind=Kind.REFUND_ONLY)
        for _ in range(6)
    ]
    AfterSalesRequest.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sweep(now=timezone.now())

    assert result.applied == 6
    # one announcement task, one payout task, one word to the open pages of everyone notified
    assert len(callbacks) == 3
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {LedgerEntry.Status.PAID}
    assert Notification.objects.filter(request__in=requests, audience=Role.BUYER).count() == 6


def test_a_refund_over_the_cap_is_left_to_fail_alone(buyer, shop, seller, caplog):
    # given: two overdue refund-only requests; someone refunded the first item's money already
    over, fine = (
        file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop), kind=Kind.REFUND_ONLY)
        for _ in "ab"
    )
    AfterSalesRequest.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    item = OrderItem.objects.get(pk=over.order_item_id)
    OrderItem.objects.filter(pk=item.pk).update(refunded_amount=item.amount_paid - Decimal("0.01"))

    result = sweep(now=timezone.now())

    assert (result.applied, result.failed) == (1, [over.pk])
    over.refresh_from_db()
    assert over.state == State.SUBMITTED
    assert not LedgerEntry.objects.filter(request=over).exists()
    assert OrderItem.objects.get(pk=item.pk).refunded_amount == item.amount_paid - Decimal("0.01")
    fine.refresh_from_db()
    assert fine.state == State.REFUNDED
    assert "would exceed what was paid" in caplog.text


def test_a_failed_batch_write_leaves_nothing_and_each_request_goes_alone(
    buyer, shop, seller, monkeypatch
):
    requests = overdue_set(buyer, shop, copies=1)

    def broken(changes):
        RequestEvent.objects.bulk_create([c.event for c in changes])  # half-way, then ...
        raise RuntimeError("the database went away mid-batch")

    monkeypatch.setattr(sweep_module.services, "write_together", broken)

    result = sweep(now=timezone.now())

    assert (result.applied, result.failed) == (len(requests), [])
    for request in requests:
        assert request.events.filter(actor_role=Role.SYSTEM).count() == 1


def test_a_large_backlog_fans_out_in_chunks(buyer, shop, seller, monkeypatch):
    requests = overdue_set(buyer, shop, copies=1)
    monkeypatch.setattr(sweep_module, "CHUNK_SIZE", 4)
    chunks = []
    real_chunk = sweep_module.apply_due_chunk

    def count_chunk(ids, now):
        chunks.append(ids)
        return real_chunk.run(ids, now)

    monkeypatch.setattr(sweep_module.apply_due_chunk, "delay", count_chunk)

    summary = sweep_deadlines.delay().get()

    assert summary.startswith(f"fanned out {len(requests)} due requests")
    assert [len(chunk) for chunk in chunks] == [4, 4, 1]
    assert not AfterSalesRequest.objects.filter(due_at__lte=timezone.now()).exists()
    assert RequestEvent.objects.filter(actor_role=Role.SYSTEM).count() == len(requests)
