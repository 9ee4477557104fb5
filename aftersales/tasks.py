"""Celery tasks for the side effects of a change, sent on commit: notification e-mails and
payouts. Thin wrappers that take ids. (The periodic deadline sweep is in :mod:`aftersales.sweep`.)

Every task here is idempotent, so each acknowledges late and is re-queued if its worker dies
mid-task (``acks_late`` + ``reject_on_worker_lost``): a crash loses nothing and repeats nothing.
The notifications themselves are written with their event; these tasks send what they still
owe. A task that is lost altogether (the broker was down at commit, or restarted empty) is made
up by the sweep's per-minute pass: owed e-mails and payouts whose lease expired are sent again.

The announce tasks also tell the extension hook (:data:`aftersales.signals.committed`) what
committed, after their e-mails: the apps above (webhooks) hear of events, messages and
reminders there, in the worker, without this core importing them.
"""

from datetime import datetime, timedelta

from celery import shared_task

from .notifications import announce, send_emails, send_reminder_emails
from .payments import PayoutFailed, flag_failed_payout, hold_for_retry
from .payments import pay_out as pay
from .signals import send_committed

PAYOUT_RETRIES = 5
# Backoff between payout attempts: 30 s, 1, 2, 4, 4 min. Each retry waits in a worker for its
# ETA, unacknowledged, so the longest one stays far below the broker's visibility timeout
# (settings.REDIS_VISIBILITY_TIMEOUT, 10 min); all six attempts are over in about 12 minutes.
PAYOUT_BACKOFF_SECONDS = 30
PAYOUT_BACKOFF_MAX_SECONDS = 240
# One gateway call: killed well inside the row's lease (settings.PAYOUT_LEASE, 2 min), so two
# attempts never overlap.
PAYOUT_SOFT_TIME_LIMIT = 45
PAYOUT_TIME_LIMIT = 60

IDEMPOTENT = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def announce_transition(event_id: int, audiences: list[str] | None = None) -> None:
    """E-mail the notifications of one event, then tell the extension hook
    (:data:`aftersales.signals.committed`)."""
    try:
        announce([(event_id, audiences)])
    finally:  # the hook hears of the event even when an e-mail could not go out
        send_committed(events=[event_id])


@shared_task(**IDEMPOTENT)
def announce_transitions(announcements: list[tuple[int, list[str] | None]]) -> None:
    """The e-mails of a whole batch of transitions (the deadline sweep's), in one task; then
    the extension hook hears of them all at once."""
    try:
        announce([(event_id, audiences) for event_id, audiences in announcements])
    finally:
        send_committed(events=[event_id for event_id, _ in announcements])


@shared_task(**IDEMPOTENT)
def announce_message(message_id: int) -> None:
    """A message posted to a request's thread, for the extension hook (it sends no e-mail)."""
    send_committed(messages=[message_id])


@shared_task(**IDEMPOTENT)
def send_reminder(request_id: int) -> None:
    """E-mail the reminders of a request's deadline, then tell the extension hook."""
    try:
        send_reminder_emails(request_id=request_id)
    finally:
        send_committed(reminders=[request_id])


@shared_task(**IDEMPOTENT)
def send_notification_emails(notification_ids: list[int]) -> None:
    """E-mails still owed for these notifications (the per-minute pass sends this)."""
    send_emails(notification_ids)


def payout_backoff(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones."""
    return min(PAYOUT_BACKOFF_SECONDS * 2 ** (attempts - 1), PAYOUT_BACKOFF_MAX_SECONDS)


@shared_task(
    bind=True,
    max_retries=PAYOUT_RETRIES,
    soft_time_limit=PAYOUT_SOFT_TIME_LIMIT,
    time_limit=PAYOUT_TIME_LIMIT,
    **IDEMPOTENT,
)
def pay_out(self, entry_id: int, lease: str | None = None) -> None:
    """Pay one ledger row, retrying with backoff; after the last failure flag it for staff.

    ``lease`` is the lease the row is held under for this task (a retry, or a re-send by the
    per-minute pass); any other task finding the row leased leaves it alone. The attempts are
    counted on the row, so however many tasks took turns, the row is flagged after
    ``1 + PAYOUT_RETRIES`` failures."""
    try:
        pay(entry_id=entry_id, lease=datetime.fromisoformat(lease) if lease else None)
    except PayoutFailed as failure:
        if failure.attempts > PAYOUT_RETRIES:
            flag_failed_payout(entry_id=entry_id)
            return
        countdown = payout_backoff(failure.attempts)
        held = hold_for_retry(entry_id=entry_id, retry_in=timedelta(seconds=countdown))
        raise self.retry(
            exc=failure, countdown=countdown, kwargs={"lease": held.isoformat()}
        ) from failure


@shared_task(**IDEMPOTENT)
def pay_out_many(entry_ids: list[int]) -> None:
    """Pay a batch of ledger rows; one that fails goes on alone in :func:`pay_out`, with its
    retries and, in the end, the flag for staff. A row another task holds is left to it."""
    for entry_id in entry_ids:
        try:
            pay(entry_id=entry_id)
        except PayoutFailed as failure:
            countdown = payout_backoff(failure.attempts)
            held = hold_for_retry(entry_id=entry_id, retry_in=timedelta(seconds=countdown))
            pay_out.apply_async((entry_id,), {"lease": held.isoformat()}, countdown=countdown)


@shared_task(**IDEMPOTENT)
def refresh_trust_levels() -> int:
    """Daily (beat): recompute buyers' standings older than a day (``aftersales.trust``)."""
    from django.utils import timezone

    from .trust import refresh_stale

    return refresh_stale(now=timezone.now())
