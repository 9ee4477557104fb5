"""Money rules (SPEC §5): refunds never exceed what was paid, each payout happens once, a payout
that keeps failing is flagged for staff, and two refunds racing for one item cannot both win."""

import threading
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from aftersales import payments, services
from aftersales.errors import Ineligible, RefundLimitExceeded, StaleAction
from aftersales.models import Kind, LedgerEntry, Ruling, State
from aftersales.payments import SimulatedGateway
from aftersales.services import ledger
from aftersales.sweep import retry_stuck_payouts
from aftersales.tasks import PAYOUT_RETRIES, pay_out_many
from aftersales.tasks import pay_out as pay_out_task
from orders.models import OrderItem
from tests.aftersales.factories import file_request, request_in
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db


def refunded(item) -> Decimal:
    return OrderItem.objects.get(pk=item.pk).refunded_amount


@pytest.fixture
def pending_refund(item):
    """A ¥100 refund ledger row whose payout has not run yet (no commit in a test)."""
    request = request_in(State.REFUNDED, item)
    entry = LedgerEntry.objects.get(request=request)
    assert entry.status == LedgerEntry.Status.PENDING
    return entry


# --- the item's refunded total -----------------------------------------------------------------


def test_database_refuses_refunded_amount_above_paid(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderItem.objects.filter(pk=item.pk).update(refunded_amount=Decimal("200.01"))

    assert refunded(item) == 0


def test_database_refuses_a_negative_refunded_amount(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderItem.objects.filter(pk=item.pk).update(refunded_amount=Decimal("-1.00"))


def test_database_accepts_a_full_refund(item):
    OrderItem.objects.filter(pk=item.pk).update(refunded_amount=F("amount_paid"))

    assert refunded(item) == Decimal("200.00")


def test_two_requests_cannot_refund_more_than_was_paid(item, buyer, arbitrator):
    # given: the first tin was refunded, ¥100
    request_in(State.REFUNDED, item)
    assert refunded(item) == Decimal("100.00")

    # when: a second request ends in a dispute, and the platform tries to refund ¥150
    second = request_in(State.DISPUTED, item)
    dispute = second.disputes.get()
    with pytest.raises(RefundLimitExceeded):
        services.rule_dispute(
            dispute=dispute,
            actor=arbitrator,
            outcome=Ruling.Outcome.REFUND,
            rationale="Both tins were dented.",
            refund_amount=Decimal("150.00"),
        )

    # then: nothing moved; the remaining ¥100 can still be refunded, and not a cent more
    assert refunded(item) == Decimal("100.00")
    assert LedgerEntry.objects.count() == 1
    services.rule_dispute(
        dispute=dispute,
        actor=arbitrator,
        outcome=Ruling.Outcome.REFUND,
        rationale="The second tin was dented too.",
        refund_amount=Decimal("100.00"),
    )
    assert refunded(item) == Decimal("200.00")
    assert sum(LedgerEntry.objects.values_list("amount", flat=True)) == Decimal("200.00")
    with pytest.raises(Ineligible):
        file_request(item, kind=Kind.REFUND_ONLY, refund_amount=Decimal("0.01"))


def test_record_money_refuses_an_overdraft(item):
    request = request_in(State.REFUNDED, item)

    with pytest.raises(RefundLimitExceeded), transaction.atomic():
        ledger.write_entries(
            [
                ledger.entry(
                    request, type=LedgerEntry.Type.REFUND, amount=Decimal("100.01"), key="extra"
                )
            ]
        )

    assert refunded(item) == Decimal("100.00")
    assert not LedgerEntry.objects.filter(idempotency_key="extra").exists()


def test_duplicate_idempotency_key_is_refused_by_the_database(pending_refund):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            request=pending_refund.request,
            order_item=pending_refund.order_item,
            type=LedgerEntry.Type.COMPENSATION,
            amount=Decimal("1.00"),
            payment_method=pending_refund.payment_method,
            idempotency_key=pending_refund.idempotency_key,
        )

    assert LedgerEntry.objects.count() == 1


def test_a_request_is_refunded_only_once(pending_refund):
    request = pending_refund.request

    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.write_entries(ledger.agreed_money(request))

    assert LedgerEntry.objects.count() == 1
    assert refunded(pending_refund.order_item) == Decimal("100.00")


def test_amounts_are_decimals_with_two_places(pending_refund):
    entry = LedgerEntry.objects.get(pk=pending_refund.pk)

    assert isinstance(entry.amount, Decimal)
    assert entry.amount.as_tuple().exponent == -2


# --- payouts -----------------------------------------------------------------------------------


def test_pay_out_twice_calls_the_gateway_once(pending_refund):
    payments.pay_out(entry_id=pending_refund.pk)
    payments.pay_out(entry_id=pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.PAID
    assert entry.gateway_reference
    assert entry.paid_at is not None
    assert [(c.idempotency_key, c.amount) for c in SimulatedGateway.calls] == [
        (entry.idempotency_key, Decimal("100.00"))
    ]


def test_payout_goes_back_to_the_original_payment_method(pending_refund):
    payments.pay_out(entry_id=pending_refund.pk)

    assert [c.method for c in SimulatedGateway.calls] == [
        pending_refund.order_item.order.payment_method
    ]


def test_gateway_failure_keeps_the_entry_pending(pending_refund):
    SimulatedGateway.fail_next = 1

    with pytest.raises(payments.GatewayError):
        payments.pay_out(entry_id=pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.PENDING
    assert SimulatedGateway.calls == []


def run_like_a_worker(entry_id):
    """Run the payout task as a worker would: each ``self.retry`` re-delivers the task with
    ``retries`` one higher. (Eager mode with CELERY_TASK_EAGER_PROPAGATES does not re-run a
    retried task: ``self.retry`` raises ``celery.exceptions.Retry`` out of ``apply``.)
    Returns the countdowns the task asked for."""
    countdowns = []
    kwargs = {}
    for retries in range(PAYOUT_RETRIES + 2):
        try:
            pay_out_task.apply(args=[entry_id], kwargs=kwargs, retries=retries)
        except Retry as retry:
            countdowns.append(retry.when)
            kwargs = retry.sig.kwargs  # the retry carries the lease the row is kept under
            continue
        return countdowns
    raise AssertionError("the task kept asking for retries past max_retries")


def test_eager_payout_task_that_fails_asks_for_a_retry(pending_refund):
    SimulatedGateway.fail_next = 1

    with pytest.raises(Retry):
        pay_out_task.delay(pending_refund.pk)

    assert LedgerEntry.objects.get(pk=pending_refund.pk).status == LedgerEntry.Status.PENDING


@pytest.mark.parametrize("failures", [1, PAYOUT_RETRIES])
def test_payout_task_retries_until_the_gateway_answers(failures, pending_refund):
    SimulatedGateway.fail_next = failures

    countdowns = run_like_a_worker(pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.PAID
    assert len(SimulatedGateway.calls) == 1
    assert len(countdowns) == failures
    assert countdowns == sorted(countdowns)  # backing off, not hammering the gateway


def test_payout_that_keeps_failing_is_flagged_not_lost(pending_refund):
    SimulatedGateway.fail_next = PAYOUT_RETRIES + 1  # the first try and every retry fail

    countdowns = run_like_a_worker(pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.FAILED
    assert entry.amount == Decimal("100.00")
    assert len(countdowns) == PAYOUT_RETRIES
    assert SimulatedGateway.calls == []
    assert SimulatedGateway.fail_next == 0  # it really tried 1 + PAYOUT_RETRIES times
    # the money is still owed: the item's refunded total is kept for the staff to pay out
    assert refunded(pending_refund.order_item) == Decimal("100.00")


def test_failed_payout_attempts_are_recorded_for_staff(pending_refund):
    """Staff looking at a flagged row need to see how often it was tried and why it failed."""
    SimulatedGateway.fail_next = PAYOUT_RETRIES + 1

    run_like_a_worker(pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.FAILED
    assert entry.attempts == PAYOUT_RETRIES + 1
    assert "fail" in entry.last_error


def test_successful_retry_counts_its_attempts(pending_refund):
    SimulatedGateway.fail_next = 2

    run_like_a_worker(pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.PAID
    assert entry.attempts == 3


def test_flagged_payout_can_still_be_paid_by_staff(pending_refund):
    SimulatedGateway.fail_next = PAYOUT_RETRIES + 1
    run_like_a_worker(pending_refund.pk)

    payments.pay_out(entry_id=pending_refund.pk)

    entry = LedgerEntry.objects.get(pk=pending_refund.pk)
    assert entry.status == LedgerEntry.Status.PAID
    assert len(SimulatedGateway.calls) == 1


def test_paid_entry_is_not_flagged(pending_refund):
    payments.pay_out(entry_id=pending_refund.pk)

    payments.flag_failed_payout(entry_id=pending_refund.pk)

    assert LedgerEntry.objects.get(pk=pending_refund.pk).status == LedgerEntry.Status.PAID


# --- leases: a row is tried by one task at a time, and a dead worker's row comes back ----------


class WorkerDied(BaseException):
    """``kill -9`` in the middle of a gateway call: nothing after it runs in that process."""


class DyingGateway(SimulatedGateway):
    """The gateway takes the payment; the worker dies before it hears the answer."""

    def pay(self, **call) -> str:
        super().pay(**call)
        raise WorkerDied()


def reload(entry) -> LedgerEntry:
    return LedgerEntry.objects.get(pk=entry.pk)


def test_an_attempt_leases_the_row_and_a_payment_releases_it(pending_refund, settings):
    def during_the_call(**call):
        entry = reload(pending_refund)
        leases.append((entry.attempts, entry.payout_lease_until - timezone.now()))
        return "REF-1"

    leases = []
    with mock.patch.object(SimulatedGateway, "pay", side_effect=during_the_call):
        payments.pay_out(entry_id=pending_refund.pk)

    [(attempts, left)] = leases
    assert attempts == 1  # counted, and committed, before the gateway was called
    assert settings.PAYOUT_LEASE - timedelta(seconds=5) < left <= settings.PAYOUT_LEASE
    entry = reload(pending_refund)
    assert (entry.status, entry.payout_lease_until) == (LedgerEntry.Status.PAID, None)


def test_a_row_another_attempt_holds_is_left_alone(pending_refund):
    # given: another worker is paying it right now
    LedgerEntry.objects.filter(pk=pending_refund.pk).update(
        attempts=1, payout_lease_until=timezone.now() + timedelta(minutes=1)
    )

    # when: a duplicate task (a redelivered batch, a re-send) comes for it
    payments.pay_out(entry_id=pending_refund.pk)
    pay_out_many.delay([pending_refund.pk])

    # then: it does not call the gateway a second time
    assert SimulatedGateway.calls == []
    assert (reload(pending_refund).status, reload(pending_refund).attempts) == (
        LedgerEntry.Status.PENDING,
        1,
    )


def test_a_row_whose_worker_died_is_paid_once_its_lease_expires(pending_refund, settings):
    # given: the worker died after the gateway took the payment, before the row was marked
    settings.PAYMENT_GATEWAY = "tests.aftersales.test_money.DyingGateway"
    with pytest.raises(WorkerDied):
        payments.pay_out(entry_id=pending_refund.pk)
    settings.PAYMENT_GATEWAY = "aftersales.payments.SimulatedGateway"
    expires = reload(pending_refund).payout_lease_until

    # when: the per-minute pass looks, before and after the lease expires
    assert retry_stuck_payouts(now=expires - timedelta(seconds=1)) == 0
    assert reload(pending_refund).status == LedgerEntry.Status.PENDING
    assert retry_stuck_payouts(now=expires + timedelta(seconds=1)) == 1

    # then: it is paid, and the gateway saw the same payment twice (its idempotency key), which
    # it pays once
    entry = reload(pending_refund)
    assert (entry.status, entry.attempts, entry.payout_lease_until) == (
        LedgerEntry.Status.PAID,
        2,
        None,
    )
    assert [c.idempotency_key for c in SimulatedGateway.calls] == [entry.idempotency_key] * 2
    assert retry_stuck_payouts(now=expires + timedelta(minutes=10)) == 0


def test_the_pass_leases_a_row_to_the_task_it_sends(pending_refund, settings, monkeypatch):
    # given: a row never tried, and a broker that takes tasks but delivers none yet
    sent = []
    monkeypatch.setattr(pay_out_task, "delay", lambda *args: sent.append(args))
    now = pending_refund.created_at + timedelta(minutes=3)

    # when: the pass runs every minute
    assert retry_stuck_payouts(now=now) == 1
    assert retry_stuck_payouts(now=now + timedelta(minutes=1)) == 0  # its task is on its way
    lease = now + settings.PAYOUT_LEASE
    assert retry_stuck_payouts(now=lease + timedelta(seconds=1)) == 1  # it never came

    # then: only the latest task may take the row; the first, arriving late, leaves it alone
    assert [entry_id for entry_id, _ in sent] == [pending_refund.pk] * 2
    monkeypatch.undo()
    first, latest = (held for _, held in sent)
    pay_out_task.delay(pending_refund.pk, first)
    assert reload(pending_refund).status == LedgerEntry.Status.PENDING
    pay_out_task.delay(pending_refund.pk, latest)
    assert reload(pending_refund).status == LedgerEntry.Status.PAID
    assert len(SimulatedGateway.calls) == 1


def test_a_failed_attempt_keeps_the_row_for_its_retry(pending_refund):
    # given: the first attempt failed; its retry is scheduled
    SimulatedGateway.fail_next = 1
    with pytest.raises(Retry) as retry:
        pay_out_task.delay(pending_refund.pk)
    held = reload(pending_refund).payout_lease_until
    assert retry.value.sig.kwargs == {"lease": held.isoformat()}
    assert held > timezone.now() + timedelta(seconds=retry.value.when)

    # when: another task comes meanwhile (a duplicate), then the retry
    pay_out_many.delay([pending_refund.pk])
    assert SimulatedGateway.calls == []
    pay_out_task.apply(args=[pending_refund.pk], kwargs=retry.value.sig.kwargs, retries=1)

    # then: the retry paid it
    entry = reload(pending_refund)
    assert (entry.status, entry.attempts) == (LedgerEntry.Status.PAID, 2)
    assert len(SimulatedGateway.calls) == 1


def test_a_redelivered_batch_pays_nothing_twice(buyer, shop, seller):
    items = [OrderItemFactory(order__buyer=buyer, order__shop=shop) for _ in range(3)]
    entries = [LedgerEntry.objects.get(request=request_in(State.REFUNDED, i)) for i in items]
    ids = [entry.pk for entry in entries]

    pay_out_many.delay(ids)
    pay_out_many.delay(ids)  # delivered again: the worker died before acknowledging it

    assert sorted(c.idempotency_key for c in SimulatedGateway.calls) == sorted(
        e.idempotency_key for e in entries
    )
    assert set(LedgerEntry.objects.values_list("status", "attempts")) == {
        (LedgerEntry.Status.PAID, 1)
    }


def test_retries_are_counted_on_the_row_whoever_sends_them(pending_refund):
    """A row whose retries were cut short (their worker died) and which the pass sends again
    gets the rest of its attempts, not a fresh set."""
    LedgerEntry.objects.filter(pk=pending_refund.pk).update(attempts=PAYOUT_RETRIES)
    SimulatedGateway.fail_next = 1

    pay_out_task.delay(pending_refund.pk)

    entry = reload(pending_refund)
    assert (entry.status, entry.attempts) == (LedgerEntry.Status.FAILED, PAYOUT_RETRIES + 1)
    assert entry.payout_lease_until is None


# --- two refunds at the same moment (PostgreSQL: real row locks) -------------------------------


def race(*workers):
    """Run each worker in its own thread, released together; return what each returned or
    raised, in the workers' order."""
    barrier = threading.Barrier(len(workers))
    outcomes: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = work()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_refund_once(item, seller):
    request = file_request(item, kind=Kind.REFUND_ONLY, quantity=1)

    def approve():
        return services.approve_request(request=request, actor=seller)

    outcomes = race(approve, approve)

    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and won[0].state == State.REFUNDED
    assert len(lost) == 1 and isinstance(lost[0], StaleAction), lost
    assert list(LedgerEntry.objects.values_list("type", "amount")) == [
        (LedgerEntry.Type.REFUND, Decimal("100.00"))
    ]
    assert refunded(item) == Decimal("100.00")
    assert request.events.filter(to_state=State.REFUNDED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_racing_for_the_same_money(item):
    # given: an item with ¥200 refundable; two refunds of ¥150 and ¥120 each fit alone
    request = request_in(State.DISPUTED, item)

    def refund(amount, key):
        def work():
            with transaction.atomic():
                entry = ledger.entry(request, type=LedgerEntry.Type.REFUND, amount=amount, key=key)
                ledger.write_entries([entry])
                time.sleep(0.2)  # hold the item's lock so the other refund must wait for it
            return entry

        return work

    # when: both run at the same moment
    outcomes = race(refund(Decimal("150.00"), "race-a"), refund(Decimal("120.00"), "race-b"))

    # then: exactly one is paid, the other is refused with a clear error
    won = [o for o in outcomes if isinstance(o, LedgerEntry)]
    lost = [o for o in outcomes if not isinstance(o, LedgerEntry)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1 and isinstance(lost[0], RefundLimitExceeded), lost
    assert refunded(item) == won[0].amount
    assert list(LedgerEntry.objects.values_list("idempotency_key", flat=True)) == [
        won[0].idempotency_key
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_check_stops_racing_updates_that_skip_the_lock(item):
    """Code that forgets the row lock still cannot overdraw: the second UPDATE re-reads the
    committed total and fails the check constraint."""

    def add(amount):
        def work():
            with transaction.atomic():
                OrderItem.objects.filter(pk=item.pk).update(
                    refunded_amount=F("refunded_amount") + amount
                )
                time.sleep(0.2)
            return amount

        return work

    outcomes = race(add(Decimal("150.00")), add(Decimal("120.00")))

    won = [o for o in outcomes if isinstance(o, Decimal)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], IntegrityError), outcomes
    assert refunded(item) == won[0]
