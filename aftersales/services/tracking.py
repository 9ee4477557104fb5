"""A parcel's trace (README "Parcel tracking"): the lines a carrier-tracking provider reports,
pulled each minute (``aftersales.parcel_watch``) or pushed by a tracking service
(``portals.tracking``), recorded in one place.

Recording is idempotent and monotonic: a line is stored once per (shipment, provider's id),
whatever order lines come in and however often; the parcel's ``picked_up_at`` and
``signed_at`` are set the first time a line says so, and never unset. What a return parcel's
pickup and sign-for set off (:mod:`.arrivals`) happens exactly once, under the request's lock,
in the transaction that stores the line.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import AfterSalesRequest, Shipment, TrackingEvent
from ..tracking import RANK, TraceLine
from . import arrivals
from .core import lock, mark_changed

Status = TrackingEvent.Status


@transaction.atomic
def record_trace(
    *,
    shipment: Shipment,
    lines: Sequence[TraceLine],
    source: str,
    now: datetime | None = None,
) -> list[TrackingEvent]:
    """Store the lines of ``shipment``'s trace not stored yet and act on what they say; the
    lines stored now (none when all were known). Raises ``ValueError`` for a status outside
    ``TrackingEvent.Status`` (callers check what they were sent).

    A parcel never moves backwards: a pickup reported after the sign-for is kept in the trace
    but sets nothing off. A pickup and a sign-for learnt together act in that order.
    """
    now = now or timezone.now()
    if unknown := {line.status for line in lines} - set(RANK):
        raise ValueError(f"unknown tracking status: {sorted(unknown)}")
    request = lock(AfterSalesRequest(pk=shipment.request_id))
    parcel = Shipment.objects.get(pk=shipment.pk)  # afresh, under the request's lock
    known = set(parcel.trace.values_list("external_id", flat=True))
    new: dict[str, TrackingEvent] = {}
    for line in lines:
        if line.external_id in known or line.external_id in new:
            continue
        new[line.external_id] = TrackingEvent(
            shipment=parcel,
            status=line.status,
            happened_at=line.happened_at,
            place=line.place[:100],
            source=source,
            external_id=line.external_id,
        )
    if not new:
        return []
    stored = TrackingEvent.objects.bulk_create(new.values())

    picked_up = _first(stored, Status.PICKED_UP)
    signed = _first(stored, Status.SIGNED)
    was_signed = parcel.signed_at is not None
    changed = []
    if picked_up and parcel.picked_up_at is None:
        parcel.picked_up_at = picked_up.happened_at
        changed.append("picked_up_at")
    else:
        picked_up = None
    if signed and not was_signed:
        parcel.signed_at = signed.happened_at
        changed.append("signed_at")
    else:
        signed = None
    if changed:
        parcel.save(update_fields=changed)
    mark_changed(request, now=now)

    if parcel.purpose != Shipment.Purpose.RETURN:
        return stored
    if picked_up and not was_signed:
        arrivals.parcel_picked_up(request, parcel, now=now)
    if signed:
        arrivals.parcel_signed_for(request, parcel, now=now)
    return stored


def _first(lines: Sequence[TrackingEvent], status: str) -> TrackingEvent | None:
    return min((line for line in lines if line.status == status), key=_when, default=None)


def _when(line: TrackingEvent) -> datetime:
    return line.happened_at
