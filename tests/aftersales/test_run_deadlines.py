"""``./manage.py run_deadlines [--now ISO-8601]``: one deadline sweep in the foreground, at the
current time or at the moment given (Beijing time when the moment has no offset)."""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from aftersales.models import Action, AfterSalesRequest, Kind, Role, State
from tests.aftersales.factories import file_request
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
SECOND = timedelta(seconds=1)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_deadlines", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def reload(request) -> AfterSalesRequest:
    return AfterSalesRequest.objects.get(pk=request.pk)


@pytest.fixture
def pending_return(item):
    """A return request the seller has not answered: auto-approved after 5 days."""
    request = reload(file_request(item, kind=Kind.RETURN_REFUND))
    assert request.due_action == Action.APPROVE
    return request


def test_now_applies_what_is_due_at_that_moment(pending_return):
    moment = pending_return.due_at + SECOND

    out, err = run("--now", moment.isoformat())

    request = reload(pending_return)
    assert request.state == State.AWAITING_RETURN
    event = request.events.last()
    assert (event.actor_role, event.created_at) == (Role.SYSTEM, moment)
    # the new deadline counts from the given moment, not from the wall clock
    assert request.due_at == moment + timedelta(days=7)
    assert "applied 1" in out and "failed 0" in out
    assert err == ""


def test_now_before_the_deadline_changes_nothing(pending_return):
    out, _ = run("--now", (pending_return.due_at - SECOND).isoformat())

    request = reload(pending_return)
    assert (request.state, request.due_at) == (State.SUBMITTED, pending_return.due_at)
    assert request.events.count() == 1
    assert "applied 0" in out


def test_the_moment_is_printed_in_beijing_time(pending_return):
    moment = pending_return.due_at + SECOND

    out, _ = run("--now", moment.isoformat())

    assert moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") in out


def test_offsets_are_honoured(pending_return):
    """The same instant written with another offset is the same moment."""
    moment = (pending_return.due_at + SECOND).astimezone(ZoneInfo("America/New_York"))

    run("--now", moment.isoformat())

    assert reload(pending_return).events.last().created_at == moment


def test_a_time_without_offset_is_beijing_time(pending_return):
    due_in_beijing = pending_return.due_at.astimezone(BEIJING).replace(tzinfo=None)

    # one second before the deadline on a Beijing clock: not due yet (read as UTC it would be
    # eight hours late, and the request would be approved)
    run("--now", (due_in_beijing - SECOND).isoformat())
    assert reload(pending_return).state == State.SUBMITTED

    run("--now", (due_in_beijing + SECOND).isoformat())
    request = reload(pending_return)
    assert request.state == State.AWAITING_RETURN
    assert request.events.last().created_at == pending_return.due_at + SECOND


def test_without_now_it_uses_the_current_time(buyer, shop, seller, pending_return):
    overdue = file_request(
        OrderItemFactory(order__buyer=buyer, order__shop=shop), kind=Kind.REFUND_ONLY
    )
    AfterSalesRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    started = timezone.now()

    out, _ = run()

    finished = timezone.now()
    overdue = reload(overdue)
    assert overdue.state == State.REFUNDED
    assert started <= overdue.events.last().created_at <= finished
    assert reload(pending_return).state == State.SUBMITTED  # due in 5 days: untouched
    assert "applied 1" in out


def test_the_command_sends_reminders_due_at_that_moment(
    pending_return, django_capture_on_commit_callbacks
):
    moment = pending_return.due_at - timedelta(hours=23)

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("--now", moment.isoformat())

    assert "reminded 1" in out
    assert reload(pending_return).reminded_at == moment


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01T09:00", "2026-12-01 25:00", "1700000000", "now"]
)
def test_a_malformed_time_is_refused_with_a_clear_message(pending_return, value):
    with pytest.raises(CommandError) as refused:
        run("--now", value)

    message = str(refused.value)
    assert "--now" in message and "ISO-8601" in message and repr(value) in message
    assert reload(pending_return).events.count() == 1


def test_an_empty_time_is_refused_not_read_as_now(buyer, shop, seller):
    """``--now "$WHEN"`` with an unset variable must not silently run a real sweep."""
    overdue = file_request(
        OrderItemFactory(order__buyer=buyer, order__shop=shop), kind=Kind.REFUND_ONLY
    )
    AfterSalesRequest.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )

    with pytest.raises(CommandError, match="--now"):
        run("--now", "")

    assert reload(overdue).state == State.SUBMITTED


def test_failed_requests_are_listed_on_stderr(buyer, seller, pending_return, monkeypatch):
    from aftersales import sweep as sweep_module

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    # both the batch's step and the one-request path refuse
    monkeypatch.setitem(sweep_module.SYSTEM_STEPS, Action.APPROVE, explode)
    monkeypatch.setitem(sweep_module.SYSTEM_ACTIONS, Action.APPROVE, explode)

    out, err = run("--now", (pending_return.due_at + SECOND).isoformat())

    assert "failed 1" in out
    assert str(pending_return.pk) in err
    assert reload(pending_return).state == State.SUBMITTED
