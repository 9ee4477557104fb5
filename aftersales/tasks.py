"""Celery tasks for the side effects of a change, sent on commit: notifications and payouts.
Thin wrappers that take ids. (The periodic deadline sweep is in :mod:`aftersales.sweep`.)

Every task here is idempotent, so each acknowledges late and is re-queued if its worker dies
mid-task (``acks_late`` + ``reject_on_worker_lost``): a crash loses nothing and repeats nothing.
"""

from celery import shared_task

from .notifications import announce, remind
from .payments import GatewayError, flag_failed_payout
from .payments import pay_out as pay

PAYOUT_RETRIES = 5
# Backoff between payout attempts: 30 s, 1, 2, 4, 8 min — each far below the broker's
# visibility timeout, so no task waits with a far-future ETA.
PAYOUT_BACKOFF_SECONDS = 30
PAYOUT_BACKOFF_MAX_SECONDS = 900

IDEMPOTENT = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def announce_transition(event_id: int, audiences: list[str] | None = None) -> None:
    announce(event_id=event_id, audiences=audiences)


@shared_task(**IDEMPOTENT)
def announce_transitions(announcements: list[tuple[int, list[str] | None]]) -> None:
    """The notifications of a whole batch of transitions (the deadline sweep's), in one task."""
    for event_id, audiences in announcements:
        announce(event_id=event_id, audiences=audiences)


@shared_task(**IDEMPOTENT)
def send_reminder(request_id: int) -> None:
    remind(request_id=request_id)


@shared_task(bind=True, max_retries=PAYOUT_RETRIES, **IDEMPOTENT)
def pay_out(self, entry_id: int) -> None:
    """Pay one ledger row, retrying with backoff; after the last failure flag it for staff."""
    try:
        pay(entry_id=entry_id)
    except GatewayError as exc:
        if self.request.retries >= self.max_retries:
            flag_failed_payout(entry_id=entry_id)
            return
        countdown = min(
            PAYOUT_BACKOFF_SECONDS * 2**self.request.retries, PAYOUT_BACKOFF_MAX_SECONDS
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(**IDEMPOTENT)
def pay_out_many(entry_ids: list[int]) -> None:
    """Pay a batch of ledger rows; one that fails goes on alone in :func:`pay_out`, with its
    retries and, in the end, the flag for staff."""
    for entry_id in entry_ids:
        try:
            pay(entry_id=entry_id)
        except GatewayError:
            pay_out.apply_async((entry_id,), countdown=PAYOUT_BACKOFF_SECONDS)
