"""The periodic pull of parcel traces (README "Parcel tracking"): each minute, ask the tracking
provider about the parcels still moving and record what is new.

A parcel is still moving until it is signed for, for ``TRACKING_WATCH_DAYS`` after it was
handed in (one partial index finds them). The provider is asked a batch at a time; only the
parcels with a line not stored yet go to the service, which locks their request and stores
each line once. So two pulls at the same moment, or one that a dead worker left half-done and
the next that starts over, store every line once and set off every arrival once.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Shipment, TrackingEvent
from .services.tracking import record_trace
from .tasks import IDEMPOTENT
from .tracking import provider

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


@dataclass
class PullResult:
    recorded: int = 0  # trace lines stored
    parcels: int = 0  # parcels that had news
    failed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"recorded {self.recorded} lines of {self.parcels} parcels, failed {len(self.failed)}"
        )


def moving_parcels(*, now: datetime):
    """The parcels the provider is asked about: handed in recently, neither signed for nor
    confirmed received (once the seller has the goods, the trace would set nothing off)."""
    since = now - timedelta(days=settings.TRACKING_WATCH_DAYS)
    return Shipment.objects.filter(
        signed_at__isnull=True, received_at__isnull=True, shipped_at__gte=since
    ).order_by("pk")


def pull_traces(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> PullResult:
    """Record what the provider knows now of every moving parcel."""
    now = now or timezone.now()
    tracker = provider()
    result = PullResult()
    ids = list(moving_parcels(now=now).values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = list(
            Shipment.objects.filter(pk__in=ids[start : start + batch_size]).select_related(
                "request__order"
            )
        )
        traces = tracker.trace(batch, now=now)
        known = set(
            TrackingEvent.objects.filter(shipment__in=list(traces)).values_list(
                "shipment_id", "external_id"
            )
        )
        for shipment in batch:
            lines = [
                line
                for line in traces.get(shipment.pk, [])
                if (shipment.pk, line.external_id) not in known
            ]
            if not lines:
                continue
            try:
                stored = record_trace(
                    shipment=shipment, lines=lines, source=tracker.source, now=now
                )
            except Exception:
                # One parcel's failure (a step it sets off refused) must not stop the others;
                # its lines were not stored, so the next pull tries again.
                logger.exception("Recording the trace of shipment %s failed", shipment.pk)
                result.failed.append(shipment.pk)
                continue
            result.recorded += len(stored)
            result.parcels += bool(stored)
    return result


@shared_task(**IDEMPOTENT)
def pull_parcel_traces() -> str:
    """The beat's entry (every minute): safe to run twice at once, and to run again after a
    worker died half-way."""
    return str(pull_traces())
