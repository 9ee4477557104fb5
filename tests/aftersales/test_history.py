"""The event log and the ledger are history (SPEC §10 "Operations"): on PostgreSQL the database
itself refuses to change or delete a request event, or anything of a ledger row but its payout
status, whoever asks; SQLite keeps the guard in ``RequestEvent.save()``/``delete()``. Only the
demo loader, in its own transaction, may delete (and date) its own data."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from aftersales import payments
from aftersales.history import history_rewrite_allowed
from aftersales.models import AfterSalesRequest, LedgerEntry, RequestEvent, State
from demo import loader
from tests.aftersales.factories import request_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def refunded(item):
    """A refunded request: its events, and a ledger row waiting for its payout."""
    return request_in(State.REFUNDED, item)


def refused():
    """The statement fails, and only its savepoint rolls back (PostgreSQL aborts the rest)."""
    return pytest.raises(IntegrityError, match="the after-sales history cannot be rewritten")


# --- the Python guard, everywhere ---------------------------------------------------------------


def test_an_event_refuses_to_be_saved_again_or_deleted(refunded):
    event = refunded.events.first()
    event.note = "changed"

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


# --- the triggers, on PostgreSQL ----------------------------------------------------------------


@pytest.mark.postgres
def test_a_queryset_update_of_events_is_refused(refunded):
    events = RequestEvent.objects.filter(request=refunded)
    before = list(events.values_list("pk", "note", "to_state", "created_at"))

    with refused(), transaction.atomic():
        events.update(note="It never happened.")
    with refused(), transaction.atomic():
        events.filter(to_state=State.REFUNDED).update(to_state=State.CLOSED)
    with refused(), transaction.atomic():
        events.update(created_at=timezone.now() - timedelta(days=30))

    assert list(events.values_list("pk", "note", "to_state", "created_at")) == before


@pytest.mark.postgres
def test_a_queryset_delete_of_events_is_refused(refunded):
    count = RequestEvent.objects.filter(request=refunded).count()

    with refused(), transaction.atomic():
        RequestEvent.objects.filter(request=refunded).delete()
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM aftersales_requestevent")

    assert RequestEvent.objects.filter(request=refunded).count() == count


@pytest.mark.postgres
def test_deleting_a_request_does_not_take_its_history_with_it(item):
    request = request_in(State.SUBMITTED, item)  # no ledger row holds it

    with refused(), transaction.atomic():
        AfterSalesRequest.objects.filter(pk=request.pk).delete()  # cascades to its events

    assert AfterSalesRequest.objects.filter(pk=request.pk).exists()
    assert request.events.count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        {"amount": Decimal("1.00")},
        {"payment_method": "wechat"},
        {"idempotency_key": "another-key"},
        {"type": LedgerEntry.Type.COMPENSATION},
        {"created_at": timezone.now() - timedelta(days=3)},
        {"amount": Decimal("1.00"), "status": LedgerEntry.Status.PAID},  # hidden in a payout
    ],
    ids=lambda change: "+".join(change),
)
def test_a_ledger_rows_money_cannot_be_changed(refunded, change):
    entry = LedgerEntry.objects.get(request=refunded)

    with refused(), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(**change)

    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


@pytest.mark.postgres
def test_a_ledger_row_cannot_be_deleted(refunded):
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM aftersales_ledgerentry")

    assert LedgerEntry.objects.filter(request=refunded).count() == 1


@pytest.mark.postgres
def test_a_ledger_rows_payout_status_still_changes(refunded):
    entry = LedgerEntry.objects.get(request=refunded)

    # every step of a payout: an attempt, a failure, a lease, the flag, then paid
    LedgerEntry.objects.filter(pk=entry.pk).update(
        attempts=2, last_error="timeout", payout_lease_until=timezone.now()
    )
    payments.flag_failed_payout(entry_id=entry.pk)
    payments.pay_out(entry_id=entry.pk)

    entry = LedgerEntry.objects.get(pk=entry.pk)
    assert (entry.status, entry.attempts, entry.last_error) == (LedgerEntry.Status.PAID, 3, "")
    assert entry.gateway_reference and entry.paid_at and entry.payout_lease_until is None


@pytest.mark.postgres
def test_the_allowance_ends_with_its_block(refunded):
    event = refunded.events.last()
    with transaction.atomic(), history_rewrite_allowed():
        RequestEvent.objects.filter(pk=event.pk).update(note="demo")

    with refused(), transaction.atomic():
        RequestEvent.objects.filter(pk=event.pk).update(note="after the block")

    assert RequestEvent.objects.get(pk=event.pk).note == "demo"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_allowance_needs_a_transaction_and_ends_with_it(item):
    request = request_in(State.SUBMITTED, item)
    with pytest.raises(TransactionManagementError), history_rewrite_allowed():
        pass

    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:  # set, and never switched off: the transaction ends
            cursor.execute("SELECT set_config('aftersales.allow_history_rewrite', 'on', true)")
        raise RuntimeError()

    with refused():
        RequestEvent.objects.filter(request=request).delete()
    assert request.events.count() == 1


@pytest.mark.postgres
def test_the_demo_reset_still_deletes_and_loads_the_demo_on_postgresql():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    first = set(LedgerEntry.objects.values_list("pk", flat=True))
    assert first and RequestEvent.objects.exists()

    call_command("load_demo", "--reset", stdout=out)

    assert "Deleted the demo data" in out.getvalue()
    assert not LedgerEntry.objects.filter(pk__in=first).exists()  # gone, and loaded afresh
    assert LedgerEntry.objects.exists() and RequestEvent.objects.exists()
    with refused(), transaction.atomic():  # and the history is guarded again afterwards
        RequestEvent.objects.all().delete()
    with transaction.atomic():
        loader.delete()
    assert not RequestEvent.objects.exists()
