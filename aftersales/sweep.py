"""The system actor at work: apply what is due when a deadline passes, remind whoever must
act a day before, and make sure no payout is forgotten (SPEC §1 "the system", §4, §8).

The sweep is a loop over the overdue ids, a batch at a time. A batch locks its rows with
``SKIP LOCKED`` (another sweep working on one already means: leave it) and re-reads them: a
row whose deadline moved on (the state changed meanwhile) is left alone. The batch then takes
each row's system transition in memory, through the same functions the services use
(``services.approval``, ``timeout_closure``, …), and writes them all in a few statements
(``services.write_together``): states and deadlines, one event each, ledger rows with their
idempotency keys under the refund cap, dispute rows, notifications; e-mails and payouts go
out in one task each when the batch commits.

A row the batch can't take (its step refuses, or the batch write fails) goes the one-request
path: the service itself, in its own transaction, where a failure is logged and the loop goes
on. So running the sweep twice, or in many workers at once, applies each automatic action
exactly once. A large backlog fans out over the workers in chunks (:func:`sweep_deadlines`).
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import Shop

from . import metrics, services
from .actors import SYSTEM
from .models import Action, AfterSalesRequest, LedgerEntry, Notification, PendingUpload, Role
from .notifications import remind
from .selectors import overdue_requests
from .services.core import check_may
from .tasks import IDEMPOTENT, pay_out, send_notification_emails, send_reminder

logger = logging.getLogger(__name__)

BATCH_SIZE = settings.AFTERSALES_SWEEP_BATCH_SIZE
# A backlog larger than this is split into tasks of this many requests for the workers.
CHUNK_SIZE = settings.AFTERSALES_SWEEP_CHUNK_SIZE

# What each system transition (``due_action``, set by ``deadlines``) changes, computed without
# writing: the batch writes many of these together.
SYSTEM_STEPS: dict[str, Callable[..., services.Change]] = {
    Action.APPROVE: services.approval,
    Action.CLOSE_FOR_TIMEOUT: services.timeout_closure,
    Action.CLOSE_UNQUOTED: services.unquoted_closure,
    Action.REFUND_WITHOUT_RECEIPT: services.unconfirmed_return_refund,
    Action.PASS_INSPECTION: services.inspection_pass,
    Action.ESCALATE_OVERDUE: services.overdue_escalation,
    Action.ESCALATE_UNDELIVERED: services.undelivered_escalation,
    Action.CONFIRM_DELIVERY: services.delivery_confirmation,
}
# The service that takes each of them for one request: the path for a row the batch can't take.
SYSTEM_ACTIONS: dict[str, Callable[..., object]] = {
    Action.APPROVE: services.approve_request,
    Action.CLOSE_FOR_TIMEOUT: services.close_for_timeout,
    Action.CLOSE_UNQUOTED: services.close_unquoted,
    Action.REFUND_WITHOUT_RECEIPT: services.refund_without_receipt,
    Action.PASS_INSPECTION: services.pass_inspection,
    Action.ESCALATE_OVERDUE: services.escalate_overdue,
    Action.ESCALATE_UNDELIVERED: services.escalate_undelivered,
    Action.CONFIRM_DELIVERY: services.confirm_delivery,
}


@dataclass
class SweepResult:
    applied: int = 0
    skipped: int = 0
    failed: list[int] = field(default_factory=list)
    reminded: int = 0

    def __str__(self) -> str:
        return (
            f"applied {self.applied}, skipped {self.skipped}, failed {len(self.failed)}, "
            f"reminded {self.reminded}"
        )


def apply_due_action(*, request_id: int, now: datetime) -> bool:
    """Apply the automatic action of one overdue request. False if there was nothing to do:
    another sweep holds it, or it moved on since it was found."""
    with transaction.atomic():
        request = (
            AfterSalesRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order_item", "shop")
            .filter(pk=request_id, due_at__lte=now)
            .first()
        )
        if request is None:
            return False
        SYSTEM_ACTIONS[request.due_action](request=request, actor=SYSTEM, now=now)
        return True


def sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Apply every automatic action due at ``now``, then send the reminders due at ``now``."""
    ids = list(overdue_requests(now=now).values_list("pk", flat=True))
    result = apply_due_actions(ids, now=now, batch_size=batch_size)
    result.reminded = send_reminders(now=now)
    return result


@metrics.observe_sweep
def apply_due_actions(
    ids: Sequence[int], *, now: datetime, batch_size: int = BATCH_SIZE
) -> SweepResult:
    """Apply the automatic actions of these overdue requests, a batch at a time."""
    result = SweepResult()
    for start in range(0, len(ids), batch_size):
        batch = apply_due_batch(ids[start : start + batch_size], now=now)
        result.applied += batch.applied
        result.skipped += batch.skipped
        result.failed += batch.failed
    return result


def apply_due_batch(ids: Sequence[int], *, now: datetime) -> SweepResult:
    """One batch: lock, take every row's step in memory, write them together; the rows the
    batch can't take go the one-request path afterwards."""
    result = SweepResult()
    one_by_one: list[int] = []
    with transaction.atomic():
        requests = _lock_due(ids, now=now)
        result.skipped = len(ids) - len(requests)
        changes = []
        for request in requests:
            try:
                changes.append(_system_step(request, now=now))
            except SoftTimeLimitExceeded:
                raise  # the whole sweep ran out of time; the next one picks up the rest
            except Exception as exc:  # this row alone; the one-request path will say why
                logger.info("Request %s takes the one-request path: %r", request.pk, exc)
                one_by_one.append(request.pk)
        try:
            with transaction.atomic():
                services.write_together(changes)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.warning("A batch of %s failed; each goes alone", len(changes), exc_info=True)
            one_by_one += [change.request.pk for change in changes]
        else:
            result.applied = len(changes)
    for request_id in one_by_one:
        _apply_alone(request_id, now=now, result=result)
    return result


def _lock_due(ids: Sequence[int], *, now: datetime) -> list[AfterSalesRequest]:
    """The batch's rows that are still due, locked; rows another sweep holds are skipped. Rows
    of one shop share one shop object, so its default return address is read once."""
    requests = list(
        AfterSalesRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("order_item", "order", "shop")
        .prefetch_related("shipments")
        .filter(pk__in=ids, due_at__lte=now)
        .order_by("due_at", "pk")
    )
    shops: dict[int, Shop] = {}
    for request in requests:
        request.shop = shops.setdefault(request.shop_id, request.shop)
    return requests


def _system_step(request: AfterSalesRequest, *, now: datetime) -> services.Change:
    action = request.due_action
    check_may(SYSTEM, action, request)
    return SYSTEM_STEPS[action](request, role=Role.SYSTEM, actor=SYSTEM, now=now)


def _apply_alone(request_id: int, *, now: datetime, result: SweepResult) -> None:
    try:
        applied = apply_due_action(request_id=request_id, now=now)
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # one bad row must not stop the others
        logger.exception("Deadline action failed for after-sales request %s", request_id)
        result.failed.append(request_id)
    else:
        if applied:
            result.applied += 1
        else:
            result.skipped += 1


@metrics.observe_reminders
def send_reminders(*, now: datetime) -> int:
    """Remind the party who must act, once per deadline, when it is less than a day away.

    ``reminded_at`` is cleared by every transition, so a new deadline gets its own reminder.
    """
    window = now + settings.AFTERSALES_DEADLINES["reminder_before"]
    sent = 0
    ids = AfterSalesRequest.objects.filter(
        due_at__gt=now, due_at__lte=window, reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for request_id in list(ids):
        with transaction.atomic():
            request = (
                AfterSalesRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=request_id, reminded_at__isnull=True, due_at__gt=now, due_at__lte=window)
                .first()
            )
            if request is None:
                continue
            AfterSalesRequest.objects.filter(pk=request.pk).update(reminded_at=now)
            remind(request)  # the reminders, written with the mark: neither goes without the other
            transaction.on_commit(lambda pk=request.pk: send_reminder.delay(pk), robust=True)
            sent += 1
    return sent


def retry_stuck_payouts(
    *,
    now: datetime,
    never_tried_after: timedelta | None = None,
    given_up_after: timedelta = timedelta(hours=1),
) -> int:
    """Send pending payouts again that nobody is paying (SPEC §5: a payout is never lost):

    - a lease that has expired: the worker holding the row died mid-attempt, or the retry of a
      failed attempt (or an earlier re-send) never arrived: within ``PAYOUT_LEASE`` + a minute;
    - never tried ``PAYOUT_NEVER_TRIED_AFTER`` after the refund: its task never reached the
      broker (it was down at commit);
    - no lease and still pending an hour later: rows tried before leases existed.

    Each re-sent row is leased to the task sent for it (the task carries the lease), so the next
    passes leave it alone while that task is on its way, and a late duplicate finds the row
    held or paid. Paying is idempotent per row and per gateway key anyway."""
    never_tried_after = never_tried_after or settings.PAYOUT_NEVER_TRIED_AFTER
    unleased = Q(payout_lease_until__isnull=True)
    stuck = list(
        LedgerEntry.objects.filter(status=LedgerEntry.Status.PENDING)
        .filter(
            Q(payout_lease_until__lte=now)
            | unleased & Q(attempts=0, created_at__lte=now - never_tried_after)
            | unleased & Q(created_at__lte=now - given_up_after)
        )
        .values_list("pk", "payout_lease_until")
    )
    sent = 0
    for entry_id, held in stuck:
        lease = now + settings.PAYOUT_LEASE
        # Compare and set: of two passes at once, one re-sends the row.
        if LedgerEntry.objects.filter(
            pk=entry_id, status=LedgerEntry.Status.PENDING, payout_lease_until=held
        ).update(payout_lease_until=lease):
            pay_out.delay(entry_id, lease.isoformat())
            sent += 1
    return sent


def send_owed_emails(*, now: datetime, limit: int = 1000) -> int:
    """E-mails still owed for notifications written more than
    ``NOTIFICATION_EMAIL_RESEND_AFTER`` ago: their task was lost (the broker was down at commit,
    or restarted empty). Sent in tasks of 100; a row already being sent is passed by."""
    owed = list(
        Notification.objects.filter(
            email_pending=True, created_at__lte=now - settings.NOTIFICATION_EMAIL_RESEND_AFTER
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(owed), 100):
        send_notification_emails.delay(owed[start : start + 100])
    return len(owed)


def discard_stale_uploads(*, now: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    """Files kept for a form nobody came back to."""
    stale = list(PendingUpload.objects.filter(created_at__lte=now - older_than))
    for upload in stale:
        upload.file.delete(save=False)
        if upload.thumbnail:
            upload.thumbnail.delete(save=False)
        upload.delete()
    return len(stale)


@shared_task(**IDEMPOTENT)
def sweep_deadlines() -> str:
    """Every minute (beat): apply due automatic actions, send reminders, unstick payouts and
    e-mails whose tasks were lost.

    A backlog larger than ``CHUNK_SIZE`` fans out: each chunk of ids becomes a task, so every
    worker process (on every machine) takes a share; ``SKIP LOCKED`` keeps them apart."""
    now = timezone.now()
    ids = list(overdue_requests(now=now).values_list("pk", flat=True))
    if len(ids) > CHUNK_SIZE:
        for start in range(0, len(ids), CHUNK_SIZE):
            apply_due_chunk.delay(ids[start : start + CHUNK_SIZE], now.isoformat())
        summary = f"fanned out {len(ids)} due requests, reminded {send_reminders(now=now)}"
    else:
        result = apply_due_actions(ids, now=now)
        result.reminded = send_reminders(now=now)
        summary = str(result)
    retry_stuck_payouts(now=now)
    send_owed_emails(now=now)
    discard_stale_uploads(now=now)
    return summary


@shared_task(**IDEMPOTENT)
def apply_due_chunk(ids: list[int], now: str) -> str:
    """A share of a large backlog. Running it again is harmless: what was applied is no longer
    due at ``now``."""
    return str(apply_due_actions(ids, now=datetime.fromisoformat(now)))
