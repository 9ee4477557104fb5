"""The deadline sweep (SPEC §1 "the system", §4, §8): every automatic action happens when its
deadline passes and not a second earlier, exactly once, as the system, with the next deadline
counted from the sweep's moment; one bad row does not stop the others; reminders go out once
per deadline; stuck payouts and stale uploads are cleaned up."""

import logging
import os
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from aftersales import services
from aftersales.models import (
    Action,
    AfterSalesRequest,
    CloseReason,
    Dispute,
    Kind,
    LedgerEntry,
    Notification,
    PendingUpload,
    Proposal,
    Reason,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from aftersales.selectors import overdue_requests
from aftersales.sweep import (
    SYSTEM_ACTIONS,
    SYSTEM_STEPS,
    apply_due_action,
    discard_stale_uploads,
    retry_stuck_payouts,
    send_reminders,
    sweep,
    sweep_deadlines,
)
from aftersales.tasks import (
    PAYOUT_BACKOFF_MAX_SECONDS,
    pay_out,
    send_reminder,
)
from orders.models import OrderItem, ReturnAddress
from tests.aftersales.factories import file_request, request_in
from tests.orders.factories import (
    OrderItemFactory,
    ShopFactory,
    ShopMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
LIMITS = settings.AFTERSALES_DEADLINES


# --- helpers ---------------------------------------------------------------------------------


def new_item(buyer, shop, **traits) -> OrderItem:
    return OrderItemFactory(order__buyer=buyer, order__shop=shop, **traits)


def build(state, kind, item, reason=None) -> AfterSalesRequest:
    """A request on ``item`` in ``state``; ``reason`` only matters for a fresh submission."""
    if state == State.SUBMITTED:
        return file_request(item, kind=kind, reason=reason)
    return request_in(state, item, kind=kind)


def reload(request) -> AfterSalesRequest:
    return AfterSalesRequest.objects.get(pk=request.pk)


def counts() -> tuple[int, int, int, int]:
    """Everything an automatic action writes: events, ledger rows, disputes, proposals."""
    return (
        RequestEvent.objects.count(),
        LedgerEntry.objects.count(),
        Dispute.objects.count(),
        Proposal.objects.exclude(status=Proposal.Status.PENDING).count(),
    )


def make_overdue(*requests, by: timedelta = timedelta(minutes=1)) -> None:
    """Move the deadline of each request into the past (the state and due_action stay)."""
    AfterSalesRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        due_at=timezone.now() - by
    )


# --- each automatic action of SPEC §4, at its deadline ------------------------------------------

# (state, kind, item traits, reason, deadline setting, due action, state after the action)
AUTOMATIC_ACTIONS = [
    pytest.param(
        State.SUBMITTED,
        Kind.REFUND_ONLY,
        {"not_shipped": True},
        Reason.CHANGED_MIND,
        "seller_response_not_shipped",
        Action.APPROVE,
        State.REFUNDED,
        id="submitted-refund-only-not-shipped-24h-auto-approve",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.REFUND_ONLY,
        {"in_transit": True},
        Reason.NOT_RECEIVED,
        "seller_response_shipped",
        Action.APPROVE,
        State.REFUNDED,
        id="submitted-refund-only-in-transit-36h-auto-approve",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.REFUND_ONLY,
        {},
        None,
        "seller_response_shipped",
        Action.APPROVE,
        State.REFUNDED,
        id="submitted-refund-only-delivered-36h-auto-approve",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.RETURN_REFUND,
        {},
        None,
        "seller_response",
        Action.APPROVE,
        State.AWAITING_RETURN,
        id="submitted-return-5d-auto-approve",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.EXCHANGE,
        {},
        None,
        "seller_response",
        Action.APPROVE,
        State.AWAITING_RETURN,
        id="submitted-exchange-5d-auto-approve",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.REPAIR,
        {},
        None,
        "seller_response",
        Action.APPROVE,
        State.AWAITING_RETURN,
        id="submitted-repair-5d-auto-approve",
    ),
    pytest.param(
        State.NEGOTIATING,
        Kind.RETURN_REFUND,
        {},
        None,
        "buyer_answer_proposal",
        Action.CLOSE_FOR_TIMEOUT,
        State.CLOSED,
        id="negotiating-5d-close",
    ),
    pytest.param(
        State.REJECTED,
        Kind.RETURN_REFUND,
        {},
        None,
        "buyer_after_rejection",
        Action.CLOSE_FOR_TIMEOUT,
        State.CLOSED,
        id="rejected-5d-close",
    ),
    pytest.param(
        State.AWAITING_RETURN,
        Kind.RETURN_REFUND,
        {},
        None,
        "buyer_ship_return",
        Action.CLOSE_FOR_TIMEOUT,
        State.CLOSED,
        id="awaiting-return-7d-close",
    ),
    pytest.param(
        State.RETURN_SHIPPED,
        Kind.RETURN_REFUND,
        {},
        None,
        "seller_confirm_receipt",
        Action.REFUND_WITHOUT_RECEIPT,
        State.REFUNDED,
        id="return-shipped-return-10d-auto-refund",
    ),
    pytest.param(
        State.RETURN_SHIPPED,
        Kind.EXCHANGE,
        {},
        None,
        "seller_confirm_receipt",
        Action.ESCALATE_OVERDUE,
        State.DISPUTED,
        id="return-shipped-exchange-10d-escalate",
    ),
    pytest.param(
        State.RETURN_SHIPPED,
        Kind.REPAIR,
        {},
        None,
        "seller_confirm_receipt",
        Action.ESCALATE_OVERDUE,
        State.DISPUTED,
        id="return-shipped-repair-10d-escalate",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.RETURN_REFUND,
        {},
        None,
        "seller_inspection",
        Action.PASS_INSPECTION,
        State.REFUNDED,
        id="inspecting-return-3d-deemed-passed-refund",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.REPAIR,
        {},
        None,
        "seller_inspection",
        Action.PASS_INSPECTION,
        State.REPAIRING,
        id="inspecting-repair-3d-deemed-passed-repairing",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.EXCHANGE,
        {},
        None,
        "seller_inspection",
        Action.ESCALATE_OVERDUE,
        State.DISPUTED,
        id="inspecting-exchange-3d-escalate",
    ),
    pytest.param(
        State.REPAIRING,
        Kind.REPAIR,
        {},
        None,
        "seller_repair",
        Action.ESCALATE_OVERDUE,
        State.DISPUTED,
        id="repairing-15d-escalate",
    ),
    pytest.param(
        State.REPLACEMENT_SHIPPED,
        Kind.EXCHANGE,
        {},
        None,
        "buyer_confirm_receipt",
        Action.CONFIRM_DELIVERY,
        State.EXCHANGED,
        id="replacement-shipped-10d-auto-confirm",
    ),
    pytest.param(
        State.REPAIR_SHIPPED,
        Kind.REPAIR,
        {},
        None,
        "buyer_confirm_receipt",
        Action.CONFIRM_DELIVERY,
        State.REPAIRED,
        id="repair-shipped-10d-auto-confirm",
    ),
]

EXPECTED_LIMITS = {
    "seller_response_not_shipped": timedelta(hours=24),
    "seller_response_shipped": timedelta(hours=36),
    "seller_response": timedelta(days=5),
    "buyer_answer_proposal": timedelta(days=5),
    "buyer_after_rejection": timedelta(days=5),
    "buyer_ship_return": timedelta(days=7),
    "seller_confirm_receipt": timedelta(days=10),
    "seller_inspection": timedelta(days=3),
    "seller_repair": timedelta(days=15),
    "buyer_confirm_receipt": timedelta(days=10),
}


def test_deadline_defaults_are_the_specs():
    assert {name: LIMITS[name] for name in EXPECTED_LIMITS} == EXPECTED_LIMITS
    assert LIMITS["reminder_before"] == timedelta(hours=24)


@pytest.mark.parametrize(
    ("state", "kind", "traits", "reason", "limit", "due_action", "after"), AUTOMATIC_ACTIONS
)
def test_automatic_action_happens_when_the_deadline_passes_and_not_before(
    state, kind, traits, reason, limit, due_action, after, buyer, shop, seller
):
    # given: a request in ``state`` whose deadline was set when it entered that state
    item = new_item(buyer, shop, **traits)
    request = reload(build(state, kind, item, reason))
    entered = request.events.last().created_at
    assert request.state == state
    assert (request.due_at, request.due_action) == (entered + EXPECTED_LIMITS[limit], due_action)
    due = request.due_at
    before = counts()
    refunded_before = OrderItem.objects.get(pk=item.pk).refunded_amount

    # when: one second before the deadline, nothing happens
    early = sweep(now=due - SECOND)

    assert (early.applied, early.failed) == (0, [])
    unchanged = reload(request)
    assert (unchanged.state, unchanged.due_at, unchanged.due_action) == (state, due, due_action)
    assert counts() == before

    # when: one second after it, the automatic action is applied by the system
    now = due + SECOND
    result = sweep(now=now)

    # then
    assert (result.applied, result.skipped, result.failed) == (1, 0, [])
    request = reload(request)
    assert request.state == after
    event = request.events.last()
    assert (event.actor_id, event.actor_role) == (None, Role.SYSTEM)
    assert (event.from_state, event.to_state, event.created_at) == (state, after, now)
    assert RequestEvent.objects.count() == before[0] + 1
    assert_outcome(request, item, now=now, refunded_before=refunded_before)

    # and a second sweep at the same moment (or later that minute) changes nothing
    after_first = counts()
    for again in (now, now + SECOND):
        repeat = sweep(now=again)
        assert (repeat.applied, repeat.failed) == (0, [])
    assert counts() == after_first
    assert reload(request).state == after


def assert_outcome(request, item, *, now, refunded_before) -> None:
    """What the new state means, with every new deadline counted from ``now``."""
    refunds = list(
        LedgerEntry.objects.filter(request=request, type=LedgerEntry.Type.REFUND).values_list(
            "amount", flat=True
        )
    )
    refunded_now = OrderItem.objects.get(pk=item.pk).refunded_amount
    if request.state == State.REFUNDED:
        # refund-only "refunds at once"; a return is refunded once the goods are back or deemed so
        assert refunds == [request.refund_amount]
        assert refunded_now == refunded_before + request.refund_amount
    else:
        assert refunds == []
        assert refunded_now == refunded_before

    if request.state == State.AWAITING_RETURN:
        assert request.return_address == str(request.shop.default_return_address)
        assert request.return_address
        assert (request.due_at, request.due_action) == (
            now + timedelta(days=7),
            Action.CLOSE_FOR_TIMEOUT,
        )
        assert request.finished_at is None
    elif request.state == State.REPAIRING:
        assert (request.due_at, request.due_action) == (
            now + timedelta(days=15),
            Action.ESCALATE_OVERDUE,
        )
    elif request.state == State.DISPUTED:
        dispute = request.disputes.get()
        assert dispute.reason == Dispute.Reason.SELLER_UNRESPONSIVE
        assert (dispute.opened_by_id, dispute.opened_by_role) == (None, Role.SYSTEM)
        assert dispute.opened_at == now
        assert dispute.ruling_due_at == now + timedelta(days=5)
        assert (request.due_at, request.due_action) == (None, "")
    else:  # finished
        assert not request.is_open
        assert (request.due_at, request.due_action) == (None, "")
        assert request.finished_at == now

    if request.state == State.CLOSED:
        assert request.close_reason == CloseReason.TIMED_OUT
        assert not request.proposals.filter(status=Proposal.Status.PENDING).exists()
    if request.events.last().from_state == State.NEGOTIATING:
        assert list(request.proposals.values_list("status", "answered_at")) == [
            (Proposal.Status.LAPSED, now)
        ]
    if request.state in (State.EXCHANGED, State.REPAIRED):
        delivered = request.shipments.exclude(purpose=Shipment.Purpose.RETURN).get()
        assert delivered.received_at == now
    if request.events.last().from_state == State.RETURN_SHIPPED:
        assert request.shipments.get(purpose=Shipment.Purpose.RETURN).received_at == (
            now if request.state == State.REFUNDED else None
        )


def test_deadlines_set_by_the_sweep_count_from_its_moment(item, shop):
    """Auto-approval at T gives the buyer until T + 7 days to ship back, and the next sweep
    closes the request exactly then: not from the wall clock, not from the old deadline."""
    request = file_request(item, kind=Kind.RETURN_REFUND)
    t = reload(request).due_at + timedelta(hours=3)  # the sweep runs late: T is what counts

    sweep(now=t)

    request = reload(request)
    assert request.state == State.AWAITING_RETURN
    assert request.due_at == t + timedelta(days=7)
    assert sweep(now=t + timedelta(days=7) - SECOND).applied == 0
    assert reload(request).state == State.AWAITING_RETURN
    assert sweep(now=t + timedelta(days=7) + SECOND).applied == 1
    request = reload(request)
    assert (request.state, request.close_reason) == (State.CLOSED, CloseReason.TIMED_OUT)
    assert list(request.events.values_list("actor_role", "to_state", "created_at"))[1:] == [
        (Role.SYSTEM, State.AWAITING_RETURN, t),
        (Role.SYSTEM, State.CLOSED, t + timedelta(days=7) + SECOND),
    ]


def test_one_sweep_applies_every_kind_of_due_action_once(buyer, shop, seller):
    # given: one overdue request for each row of the table above
    requests = []
    for param in AUTOMATIC_ACTIONS:
        state, kind, traits, reason, *_ = param.values
        requests.append(build(state, kind, new_item(buyer, shop, **traits), reason))
    make_overdue(*requests)
    now = timezone.now()

    # when
    first = sweep(now=now)
    after_first = counts()
    states = dict(AfterSalesRequest.objects.values_list("pk", "state"))
    second = sweep(now=now)

    # then: each action happened exactly once; the second sweep found nothing to do
    assert (first.applied, first.failed) == (len(requests), [])
    assert (second.applied, second.skipped, second.failed) == (0, 0, [])
    assert counts() == after_first
    assert dict(AfterSalesRequest.objects.values_list("pk", "state")) == states
    assert RequestEvent.objects.filter(actor_role=Role.SYSTEM).count() == len(requests)
    for request in requests:
        assert request.events.filter(actor_role=Role.SYSTEM).count() == 1
        assert LedgerEntry.objects.filter(request=request, type="refund").count() <= 1


def test_the_sweep_works_in_batches(buyer, shop, seller):
    requests = [file_request(new_item(buyer, shop), kind=Kind.REFUND_ONLY) for _ in range(5)]
    make_overdue(*requests)

    result = sweep(now=timezone.now(), batch_size=2)

    assert (result.applied, result.failed) == (5, [])
    assert set(AfterSalesRequest.objects.values_list("state", flat=True)) == {State.REFUNDED}
    assert LedgerEntry.objects.filter(type=LedgerEntry.Type.REFUND).count() == 5


def test_requests_without_a_deadline_are_never_touched(buyer, shop, seller, arbitrator):
    finished = request_in(State.REFUNDED, new_item(buyer, shop))
    disputed = request_in(State.DISPUTED, new_item(buyer, shop))
    before = counts()

    result = sweep(now=timezone.now() + timedelta(days=400))

    assert (result.applied, result.skipped, result.failed) == (0, 0, [])
    assert (reload(finished).state, reload(disputed).state) == (State.REFUNDED, State.DISPUTED)
    assert counts() == before


def test_a_request_that_moved_on_after_it_was_found_is_left_alone(item, seller):
    """The sweep re-reads the row under its lock: if the seller answered between the query and
    the lock, the old deadline no longer applies."""
    request = file_request(item, kind=Kind.RETURN_REFUND)
    now = reload(request).due_at + SECOND
    assert list(overdue_requests(now=now).values_list("pk", flat=True)) == [request.pk]

    # the seller rejects a minute before the deadline, but after the sweep's query ran
    services.reject_request(
        request=request,
        actor=seller,
        reason="no_evidence",
        explanation="No dent on the photos.",
        now=now - timedelta(minutes=1),
    )
    before = counts()

    assert apply_due_action(request_id=request.pk, now=now) is False
    assert reload(request).state == State.REJECTED
    assert counts() == before
    assert not request.events.filter(actor_role=Role.SYSTEM).exists()


# --- one bad row -------------------------------------------------------------------------------


def test_a_failing_row_is_logged_rolled_back_and_the_others_are_applied(
    buyer, shop, seller, monkeypatch, caplog
):
    # given: three overdue refund-only requests; the action of the first (the oldest deadline)
    # does its work and then blows up
    requests = [file_request(new_item(buyer, shop), kind=Kind.REFUND_ONLY) for _ in range(3)]
    bad = requests[0]
    now = timezone.now()
    for minutes, request in zip((30, 20, 10), requests, strict=True):
        AfterSalesRequest.objects.filter(pk=request.pk).update(
            due_at=now - timedelta(minutes=minutes)
        )
    real_step, real_approve = SYSTEM_STEPS[Action.APPROVE], SYSTEM_ACTIONS[Action.APPROVE]

    def step_but_refuse_bad(request, **kwargs):  # the batch can't take it ...
        if request.pk == bad.pk:
            raise RuntimeError("payment service exploded")
        return real_step(request, **kwargs)

    def approve_but_fail_for_bad(*, request, **kwargs):  # ... and alone it fails half-way
        result = real_approve(request=request, **kwargs)
        if request.pk == bad.pk:
            raise RuntimeError("payment service exploded")
        return result

    monkeypatch.setitem(SYSTEM_STEPS, Action.APPROVE, step_but_refuse_bad)
    monkeypatch.setitem(SYSTEM_ACTIONS, Action.APPROVE, approve_but_fail_for_bad)

    # when
    with caplog.at_level(logging.ERROR, logger="aftersales.sweep"):
        result = sweep(now=now)

    # then: the bad row is reported and nothing of its half-done action remains
    assert result.failed == [bad.pk]
    assert result.applied == 2
    failures = [r for r in caplog.records if r.name == "aftersales.sweep"]
    assert len(failures) == 1
    assert str(bad.pk) in failures[0].getMessage()
    assert "payment service exploded" in caplog.text  # with the traceback
    bad = reload(bad)
    assert (bad.state, bad.due_action) == (State.SUBMITTED, Action.APPROVE)
    assert not LedgerEntry.objects.filter(request=bad).exists()
    assert not bad.events.filter(actor_role=Role.SYSTEM).exists()
    assert OrderItem.objects.get(pk=bad.order_item_id).refunded_amount == 0
    for good in requests[1:]:
        assert reload(good).state == State.REFUNDED
        assert LedgerEntry.objects.filter(request=good).count() == 1


def test_auto_approval_without_a_return_address_fails_alone(buyer, shop, seller, caplog):
    # given: a shop that never set a return address, with an overdue return request, and an
    # overdue request of a normal shop
    bare_shop = ShopFactory(name="No Address Yet")
    ReturnAddress.objects.filter(shop=bare_shop).delete()
    ShopMemberFactory(shop=bare_shop, user__username="bare-seller")
    stuck = file_request(new_item(buyer, bare_shop), kind=Kind.RETURN_REFUND)
    fine = file_request(new_item(buyer, shop), kind=Kind.RETURN_REFUND)
    make_overdue(stuck, fine)

    with caplog.at_level(logging.ERROR, logger="aftersales.sweep"):
        result = sweep(now=timezone.now())

    assert result.failed == [stuck.pk]
    assert result.applied == 1
    assert f"after-sales request {stuck.pk}" in caplog.text
    assert reload(stuck).state == State.SUBMITTED
    fine = reload(fine)
    assert fine.state == State.AWAITING_RETURN
    assert fine.return_address == str(shop.default_return_address)


# --- the overdue query -------------------------------------------------------------------------


def test_overdue_query_finds_exactly_what_is_due_oldest_first(buyer, shop, seller):
    now = timezone.now()
    due = [file_request(new_item(buyer, shop)) for _ in range(3)]
    later = file_request(new_item(buyer, shop))
    for minutes, request in zip((5, 15, 10), due, strict=True):
        AfterSalesRequest.objects.filter(pk=request.pk).update(
            due_at=now - timedelta(minutes=minutes)
        )
    AfterSalesRequest.objects.filter(pk=later.pk).update(due_at=now + SECOND)
    exactly_now = file_request(new_item(buyer, shop))
    AfterSalesRequest.objects.filter(pk=exactly_now.pk).update(due_at=now)

    found = list(overdue_requests(now=now).values_list("pk", flat=True))

    assert found == [due[1].pk, due[2].pk, due[0].pk, exactly_now.pk]


@pytest.mark.postgres
def test_overdue_query_uses_the_due_at_index(buyer, shop, seller):
    # given: thousands of requests, almost all of them not due (finished ones have no deadline,
    # open ones are due next month), and a handful overdue
    item = new_item(buyer, shop)
    now = timezone.now()
    rows = [
        AfterSalesRequest(
            order_item=item,
            order=item.order,
            buyer=buyer,
            shop=shop,
            kind=Kind.REFUND_ONLY,
            reason=Reason.QUALITY_PROBLEM,
            quantity=1,
            refund_amount=Decimal("1.00"),
            description="bulk",
            state=State.CLOSED,  # terminal: the one-open-request constraint does not apply
            due_at=None if i % 3 == 0 else now + timedelta(days=30, minutes=i),
            due_action="" if i % 3 == 0 else Action.CLOSE_FOR_TIMEOUT,
        )
        for i in range(6000)
    ]
    rows += [
        AfterSalesRequest(
            order_item=item,
            order=item.order,
            buyer=buyer,
            shop=shop,
            kind=Kind.REFUND_ONLY,
            reason=Reason.QUALITY_PROBLEM,
            quantity=1,
            refund_amount=Decimal("1.00"),
            description="bulk",
            state=State.CLOSED,
            due_at=now - timedelta(minutes=i + 1),
            due_action=Action.CLOSE_FOR_TIMEOUT,
        )
        for i in range(5)
    ]
    AfterSalesRequest.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AfterSalesRequest._meta.db_table}")

    # when
    plan = overdue_requests(now=now).values_list("pk", flat=True).explain()

    # then
    assert "request_due" in plan, plan
    assert overdue_requests(now=now).count() == 5


@pytest.mark.postgres
def test_overdue_query_can_use_the_due_at_index_even_on_a_small_table(item):
    file_request(item)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = overdue_requests(now=timezone.now()).explain()

    assert "request_due" in plan, plan


# --- two sweeps at once (PostgreSQL: real row locks) ------------------------------------------


def run_together(*works, timeout: float = 60):
    """Run each callable in its own thread, released together by a barrier; return what each
    returned or raised."""
    barrier = threading.Barrier(len(works))
    outcomes: list = [None] * len(works)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = work()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a sweep hung"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_apply_each_action_exactly_once(buyer, shop, seller, monkeypatch):
    # given: 30 overdue requests, every third a return (→ awaiting_return), the rest refund-only
    # (→ refunded with one refund ledger row each)
    requests = [
        file_request(
            new_item(buyer, shop), kind=Kind.RETURN_REFUND if i % 3 == 0 else Kind.REFUND_ONLY
        )
        for i in range(30)
    ]
    refund_only = [r for r in requests if r.kind == Kind.REFUND_ONLY]
    make_overdue(*requests)
    now = timezone.now()
    # and one request due in two hours: its seller is reminded once, not once per sweep
    due_soon = file_request(new_item(buyer, shop), kind=Kind.RETURN_REFUND)
    AfterSalesRequest.objects.filter(pk=due_soon.pk).update(due_at=now + timedelta(hours=2))
    # each action takes a little while, so the two sweeps really overlap
    real_approve = SYSTEM_STEPS[Action.APPROVE]

    def slow_approve(request, **kwargs):
        time.sleep(0.01)
        return real_approve(request, **kwargs)

    monkeypatch.setitem(SYSTEM_STEPS, Action.APPROVE, slow_approve)

    # when
    outcomes = run_together(lambda: sweep(now=now), lambda: sweep(now=now))

    # then
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert [o.failed for o in outcomes] == [[], []]
    assert sum(o.applied for o in outcomes) == 30, [str(o) for o in outcomes]
    for request in requests:
        assert request.events.filter(action="approve").count() == 1
    assert sorted(
        LedgerEntry.objects.filter(type=LedgerEntry.Type.REFUND).values_list("request", flat=True)
    ) == sorted(r.pk for r in refund_only)
    assert {r.state for r in AfterSalesRequest.objects.filter(kind=Kind.REFUND_ONLY)} == {
        State.REFUNDED
    }
    assert {
        r.state
        for r in AfterSalesRequest.objects.filter(kind=Kind.RETURN_REFUND).exclude(pk=due_soon.pk)
    } == {State.AWAITING_RETURN}
    assert sum(o.reminded for o in outcomes) == 1
    assert [r[0] for r in reminders(due_soon)] == ["seller"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_locked_by_another_sweep_is_skipped_not_waited_for(buyer, shop, seller):
    locked, free = (file_request(new_item(buyer, shop), kind=Kind.REFUND_ONLY) for _ in "ab")
    make_overdue(locked, free)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                AfterSalesRequest.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        result = sweep(now=timezone.now())
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert (result.applied, result.skipped, result.failed) == (1, 1, [])
    assert took < 10  # it did not sit waiting for the lock
    assert reload(locked).state == State.SUBMITTED
    assert reload(free).state == State.REFUNDED
    # the next sweep picks up what was skipped
    assert sweep(now=timezone.now()).applied == 1
    assert reload(locked).state == State.REFUNDED


# --- reminders a day before the deadline -------------------------------------------------------


def reminders(request):
    return list(
        Notification.objects.filter(request=request, kind=Notification.Kind.REMINDER)
        .order_by("recipient__username")
        .values_list("recipient__username", "audience", "due_at")
    )


def test_reminder_goes_once_to_the_party_who_must_act(
    item, shop, seller, django_capture_on_commit_callbacks
):
    ShopMemberFactory(shop=shop, user__username="agent2")
    request = file_request(item, kind=Kind.RETURN_REFUND)
    due = reload(request).due_at
    mail.outbox.clear()

    # 25 hours before the deadline: too early
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=due - timedelta(hours=25)).reminded == 0
    assert reminders(request) == []
    assert mail.outbox == []

    # 23 hours before: every member of the shop is reminded, once each
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(now=due - timedelta(hours=23))
    assert (result.reminded, result.applied) == (1, 0)
    assert reminders(request) == [
        ("agent2", Role.SELLER, due),
        ("seller", Role.SELLER, due),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["agent2@example.com", "seller@example.com"]
    assert all(len(m.to) == 1 and f"#{request.pk}" in m.subject for m in mail.outbox)
    assert reload(request).reminded_at == due - timedelta(hours=23)

    # later sweeps before the deadline send nothing more
    mail.outbox.clear()
    for hours in (22, 1):
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep(now=due - timedelta(hours=hours)).reminded == 0
    assert len(reminders(request)) == 2
    assert mail.outbox == []


def test_a_new_deadline_gets_its_own_reminder(
    item, buyer, seller, django_capture_on_commit_callbacks
):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    first_due = reload(request).due_at
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=first_due - timedelta(hours=23))
    assert [r[0] for r in reminders(request)] == ["seller"]

    # the seller approves: the buyer now has 7 days to ship back, and a reminder of their own
    request = services.approve_request(request=request, actor=seller)
    second_due = reload(request).due_at
    assert reload(request).reminded_at is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=second_due - timedelta(hours=23)).reminded == 1
        assert sweep(now=second_due - timedelta(hours=22)).reminded == 0

    assert reminders(request) == [
        ("buyer", Role.BUYER, second_due),
        ("seller", Role.SELLER, first_due),
    ]
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]


def test_overdue_requests_are_not_reminded_they_are_acted_on(
    item, django_capture_on_commit_callbacks
):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    make_overdue(request)

    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(now=timezone.now())

    assert (result.applied, result.reminded) == (1, 0)
    assert reminders(request) == []


def test_reminders_are_sent_after_commit(item, django_capture_on_commit_callbacks):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    due = reload(request).due_at

    with django_capture_on_commit_callbacks() as callbacks:
        send_reminders(now=due - timedelta(hours=1))

    # written with the mark that the deadline was reminded, e-mailed once that commits
    assert reminders(request) == [("seller", Role.SELLER, due)]
    assert mail.outbox == []
    assert len(callbacks) == 2  # the e-mails, and the unread count of the open pages


def test_reminder_task_for_a_finished_request_sends_nothing(item, buyer):
    request = request_in(State.REFUNDED, item)
    mail.outbox.clear()

    send_reminder.delay(request.pk)

    assert reminders(request) == []
    assert mail.outbox == []


# --- unsticking payouts and cleaning up uploads ------------------------------------------------


@pytest.fixture
def pending_refund(item):
    """A refund row whose payout task never ran (no commit in this test)."""
    request = request_in(State.REFUNDED, item)
    entry = LedgerEntry.objects.get(request=request)
    assert (entry.status, entry.attempts) == (LedgerEntry.Status.PENDING, 0)
    return entry


def test_a_payout_whose_task_never_ran_is_sent_again_after_2_minutes(pending_refund):
    created = pending_refund.created_at

    assert retry_stuck_payouts(now=created + timedelta(seconds=110)) == 0
    assert LedgerEntry.objects.get(pk=pending_refund.pk).status == LedgerEntry.Status.PENDING

    assert retry_stuck_payouts(now=created + timedelta(seconds=130)) == 1

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert (entry.status, entry.attempts, entry.payout_lease_until) == (
        LedgerEntry.Status.PAID,
        1,
        None,
    )
    assert retry_stuck_payouts(now=created + timedelta(minutes=30)) == 0


def test_payouts_being_paid_or_paid_are_not_resent(buyer, shop, seller, pending_refund):
    tried = LedgerEntry.objects.get(request=request_in(State.REFUNDED, new_item(buyer, shop)))
    LedgerEntry.objects.filter(pk=tried.pk).update(  # its retry is on its way
        attempts=2, payout_lease_until=timezone.now() + timedelta(minutes=5)
    )
    paid = LedgerEntry.objects.get(request=request_in(State.REFUNDED, new_item(buyer, shop)))
    pay_out.delay(paid.pk)

    assert retry_stuck_payouts(now=timezone.now() + timedelta(minutes=3)) == 1

    assert LedgerEntry.objects.get(pk=pending_refund.pk).status == LedgerEntry.Status.PAID
    assert LedgerEntry.objects.get(pk=tried.pk).status == LedgerEntry.Status.PENDING
    assert LedgerEntry.objects.get(pk=paid.pk).attempts == 1


def test_a_payout_whose_retry_never_came_is_sent_again_when_its_lease_expires(buyer, shop, seller):
    # given a refund whose retry message was lost after two failed attempts
    lost = LedgerEntry.objects.get(request=request_in(State.REFUNDED, new_item(buyer, shop)))
    held = timezone.now() + timedelta(minutes=3)
    LedgerEntry.objects.filter(pk=lost.pk).update(attempts=2, payout_lease_until=held)

    # when the sweep looks for stuck payouts, before and after the lease expires
    assert retry_stuck_payouts(now=held - timedelta(seconds=1)) == 0
    assert retry_stuck_payouts(now=held) == 1

    # then it is paid, with the attempt counted
    lost.refresh_from_db()
    assert (lost.status, lost.attempts, lost.payout_lease_until) == (
        LedgerEntry.Status.PAID,
        3,
        None,
    )


def test_a_payout_tried_before_leases_existed_is_sent_again_after_an_hour(buyer, shop, seller):
    # given a refund tried twice by a version without leases, whose retry message was lost
    lost = LedgerEntry.objects.get(request=request_in(State.REFUNDED, new_item(buyer, shop)))
    LedgerEntry.objects.filter(pk=lost.pk).update(attempts=2)

    # when the sweep looks for stuck payouts
    assert retry_stuck_payouts(now=lost.created_at + timedelta(minutes=59)) == 0
    assert retry_stuck_payouts(now=lost.created_at + timedelta(hours=1, minutes=1)) == 1

    # then it is paid, with the attempt counted
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == (LedgerEntry.Status.PAID, 3)


def pending_upload(owner, name):
    upload = PendingUpload(
        owner=owner, media_type="photo", original_name=name, content_type="image/jpeg", size=3
    )
    upload.file.save(name, ContentFile(b"jpg"), save=False)
    upload.thumbnail.save(f"thumb-{name}", ContentFile(b"jpg"), save=False)
    upload.save()
    return upload


def test_day_old_pending_uploads_are_discarded_with_their_files(buyer):
    stale = pending_upload(buyer, "stale.jpg")
    fresh = pending_upload(buyer, "fresh.jpg")
    PendingUpload.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    stale_files = (stale.file.name, stale.thumbnail.name)
    assert all(default_storage.exists(name) for name in stale_files)

    assert discard_stale_uploads(now=timezone.now()) == 1

    assert list(PendingUpload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not any(default_storage.exists(name) for name in stale_files)
    assert default_storage.exists(fresh.file.name)


# --- the periodic task -------------------------------------------------------------------------


def test_the_sweep_runs_every_minute():
    schedules = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "aftersales.sweep.sweep_deadlines"
    ]
    assert len(schedules) == 1
    assert schedules[0]["schedule"] == 60.0


def test_the_periodic_task_applies_reminds_and_unsticks(
    buyer, shop, seller, pending_refund, django_capture_on_commit_callbacks
):
    overdue = file_request(new_item(buyer, shop), kind=Kind.REFUND_ONLY)
    make_overdue(overdue)
    soon = file_request(new_item(buyer, shop), kind=Kind.RETURN_REFUND)
    AfterSalesRequest.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(hours=2))
    LedgerEntry.objects.filter(pk=pending_refund.pk).update(  # its worker died
        attempts=1, payout_lease_until=timezone.now() - timedelta(seconds=1)
    )
    stale = pending_upload(buyer, "old.jpg")
    PendingUpload.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        summary = sweep_deadlines.delay().get()

    assert "applied 1" in summary and "reminded 1" in summary and "failed 0" in summary
    assert reload(overdue).state == State.REFUNDED
    assert LedgerEntry.objects.get(request=overdue).status == LedgerEntry.Status.PAID
    assert len(reminders(soon)) == 1
    assert LedgerEntry.objects.get(pk=pending_refund.pk).status == LedgerEntry.Status.PAID
    assert not PendingUpload.objects.exists()


def test_the_soft_time_limit_stops_the_sweep_it_is_not_one_rows_failure(
    buyer, shop, seller, monkeypatch, caplog
):
    """When ``CELERY_TASK_SOFT_TIME_LIMIT`` runs out, Celery raises ``SoftTimeLimitExceeded``
    inside whatever row the sweep is working on. The sweep must stop there and let the task end
    (the next run, a minute later, picks up the rest), not log it as that row's failure and
    carry on into the hard limit, where the worker process is killed mid-transaction and, with
    ``reject_on_worker_lost``, the whole sweep is redelivered to run into the limit again."""
    requests = [file_request(new_item(buyer, shop), kind=Kind.REFUND_ONLY) for _ in range(3)]
    make_overdue(*requests)
    real_approve = SYSTEM_STEPS[Action.APPROVE]
    attempted = []

    def time_runs_out_on_the_first(request, **kwargs):
        attempted.append(request.pk)
        if len(attempted) == 1:
            raise SoftTimeLimitExceeded()
        return real_approve(request, **kwargs)

    monkeypatch.setitem(SYSTEM_STEPS, Action.APPROVE, time_runs_out_on_the_first)

    with pytest.raises(SoftTimeLimitExceeded):
        sweep(now=timezone.now())

    assert len(attempted) == 1  # no row was started after the limit
    assert set(AfterSalesRequest.objects.values_list("state", flat=True)) == {State.SUBMITTED}
    assert "Deadline action failed" not in caplog.text


def test_idempotent_tasks_ack_late_and_are_requeued_if_the_worker_dies():
    from aftersales import sweep as sweep_module
    from aftersales import tasks

    for task in (
        sweep_module.sweep_deadlines,
        tasks.pay_out,
        tasks.announce_transition,
        tasks.send_reminder,
    ):
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name


def test_time_limits_and_backoff_stay_below_the_redis_visibility_timeout():
    """Redis hands an unacknowledged task to another worker after the visibility timeout: a task
    running (or waiting for its ETA) longer than that would run twice. The longest wait is a
    payout retry's backoff, behind a task at its hard limit, plus its own run."""
    from aftersales import tasks

    visibility = settings.REDIS_VISIBILITY_TIMEOUT
    assert visibility <= 600  # short, yet payouts do not wait for it (their lease is shorter)
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility
    longest_wait = (
        PAYOUT_BACKOFF_MAX_SECONDS + settings.CELERY_TASK_TIME_LIMIT + tasks.PAYOUT_TIME_LIMIT
    )
    assert longest_wait < visibility - 60
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    # one payout attempt is killed well inside its lease, so two attempts never overlap
    assert tasks.pay_out.soft_time_limit < tasks.pay_out.time_limit == tasks.PAYOUT_TIME_LIMIT
    assert timedelta(seconds=tasks.PAYOUT_TIME_LIMIT) <= settings.PAYOUT_LEASE / 2
    # a dead worker's payouts come back within 5 minutes: lease + the per-minute pass
    assert settings.PAYOUT_LEASE + timedelta(minutes=1) <= timedelta(minutes=5)
    assert settings.PAYOUT_NEVER_TRIED_AFTER + timedelta(minutes=1) <= timedelta(minutes=5)


def test_redis_gets_the_visibility_timeout():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config.settings import local; print(local.CELERY_BROKER_TRANSPORT_OPTIONS)",
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/3"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == f"{{'visibility_timeout': {settings.REDIS_VISIBILITY_TIMEOUT}}}"


def test_a_user_who_is_not_a_party_gets_no_reminder(item, django_capture_on_commit_callbacks):
    UserFactory(username="bystander")
    request = file_request(item, kind=Kind.RETURN_REFUND)

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=reload(request).due_at - timedelta(hours=2))

    assert [r[0] for r in reminders(request)] == ["seller"]
    assert not Notification.objects.filter(recipient__username__in=["bystander", "buyer"]).filter(
        kind=Notification.Kind.REMINDER
    )
