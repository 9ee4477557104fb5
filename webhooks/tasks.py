"""Celery tasks of the webhooks: one per delivery attempt, and the per-minute pass. Thin; the
rules are in :mod:`webhooks.delivery`.

Both are idempotent (an attempt needs the lease its task carries; the pass leases by compare
and set), so they acknowledge late like the after-sales tasks.
"""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from aftersales.tasks import IDEMPOTENT

from . import delivery

# One attempt: the HTTP timeout plus the bookkeeping, far inside the row's lease.
SOFT_TIME_LIMIT = 30
TIME_LIMIT = 40


@shared_task(soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT, **IDEMPOTENT)
def deliver(delivery_id: int, lease: str, final: bool = False) -> None:
    """One attempt of one delivery, held under ``lease``; ``final``: the shop's re-send."""
    delivery.attempt(delivery_id, lease=datetime.fromisoformat(lease), final=final)


@shared_task(**IDEMPOTENT)
def send_due_deliveries(now: str | None = None) -> int:
    """Every minute (beat): retries that are due, and attempts whose task was lost. (``now``:
    the moment to look from, for tests; beat leaves it to the clock.)"""
    leased = delivery.lease_due(now=datetime.fromisoformat(now) if now else timezone.now())
    for delivery_id, lease in leased:
        deliver.delay(delivery_id, lease.isoformat())
    return len(leased)
