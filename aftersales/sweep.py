"""The system actor at work: apply what is due when a deadline passes, remind whoever must
act a day before, and make sure no payout is forgotten (SPEC §1 "the system", §4, §8).

The sweep is a thin loop over ids. Each overdue request gets its own transaction, in which it
is locked with ``SKIP LOCKED`` (another sweep working on it already means: leave it) and
re-read: if its deadline moved on (the state changed meanwhile), nothing happens. So running
the sweep twice, or in two workers at once, applies each automatic action exactly once. One
row's failure is logged and the loop goes on.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import services
from .actors import SYSTEM
from .models import Action, AfterSalesRequest, LedgerEntry, PendingUpload
from .selectors import overdue_requests
from .tasks import IDEMPOTENT, pay_out, send_reminder

logger = logging.getLogger(__name__)

BATCH_SIZE = 200

# The service that takes each system transition (``due_action``, set by ``deadlines``).
SYSTEM_ACTIONS: dict[str, Callable[..., object]] = {
    Action.APPROVE: services.approve_request,
    Action.CLOSE_FOR_TIMEOUT: services.close_for_timeout,
    Action.REFUND_WITHOUT_RECEIPT: services.refund_without_receipt,
    Action.PASS_INSPECTION: services.pass_inspection,
    Action.ESCALATE_OVERDUE: services.escalate_overdue,
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
    result = SweepResult()
    ids = list(overdue_requests(now=now).values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        for request_id in ids[start : start + batch_size]:
            try:
                applied = apply_due_action(request_id=request_id, now=now)
            except SoftTimeLimitExceeded:
                raise  # the whole sweep ran out of time; the next one picks up the rest
            except Exception:  # one bad row must not stop the others
                logger.exception("Deadline action failed for after-sales request %s", request_id)
                result.failed.append(request_id)
            else:
                if applied:
                    result.applied += 1
                else:
                    result.skipped += 1
    result.reminded = send_reminders(now=now)
    return result


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
            transaction.on_commit(lambda pk=request.pk: send_reminder.delay(pk), robust=True)
            sent += 1
    return sent


def retry_stuck_payouts(
    *,
    now: datetime,
    never_tried_after: timedelta = timedelta(minutes=15),
    given_up_after: timedelta = timedelta(hours=1),
) -> int:
    """Send pending payouts again whose task was lost: never tried 15 minutes after the
    refund (the broker was down at commit), or still pending an hour later (a retry message
    was lost; the retries themselves end within about 16 minutes). Paying is idempotent per
    ledger row, so a duplicate task is harmless."""
    stuck = list(
        LedgerEntry.objects.filter(status=LedgerEntry.Status.PENDING)
        .filter(
            Q(attempts=0, created_at__lte=now - never_tried_after)
            | Q(created_at__lte=now - given_up_after)
        )
        .values_list("pk", flat=True)
    )
    for entry_id in stuck:
        pay_out.delay(entry_id)
    return len(stuck)


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
    """Every minute (beat): apply due automatic actions, send reminders, unstick payouts."""
    now = timezone.now()
    result = sweep(now=now)
    retry_stuck_payouts(now=now)
    discard_stale_uploads(now=now)
    return str(result)
