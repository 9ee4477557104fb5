"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from .payments import GatewayError

PAYOUT_RETRIES = 5


@shared_task(ignore_result=True)
def announce_transition(event_id: int) -> None:
    from .notifications import announce

    announce(event_id=event_id)


@shared_task(bind=True, ignore_result=True, max_retries=PAYOUT_RETRIES, acks_late=True)
def pay_out(self, entry_id: int) -> None:
    """Pay one ledger row, retrying with backoff; after the last failure flag it for staff."""
    from .payments import flag_failed_payout
    from .payments import pay_out as pay

    try:
        pay(entry_id=entry_id)
    except GatewayError as exc:
        if self.request.retries >= self.max_retries:
            flag_failed_payout(entry_id=entry_id)
            return
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 30, 900)) from exc
