"""The dispute deadline pass, every minute (beat; ``CELERY_BEAT_SCHEDULE``). Beside the
request sweep (``aftersales.sweep.sweep_deadlines``), which may not know about disputes."""

from celery import shared_task
from django.utils import timezone

from aftersales.tasks import IDEMPOTENT

from .deadlines import sweep


@shared_task(**IDEMPOTENT)
def sweep_dispute_deadlines() -> str:
    """Apply what passed and send the reminders due now; running it twice does nothing more."""
    return str(sweep(now=timezone.now()))
