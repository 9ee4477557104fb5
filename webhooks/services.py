"""Every change to webhooks: a shop owner's endpoints, and the deliveries written when the
after-sales core announces what happened (:data:`aftersales.signals.committed`).

Only a shop's owner manages its endpoints (they carry the shop's data out of the platform);
every function here re-checks that, whatever the page did.
"""

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.errors import ActionNotAllowed, InvalidInput
from aftersales.models import AfterSalesRequest, Message, RequestEvent
from orders.models import Shop, ShopMember

from . import delivery, events, signing
from .models import Delivery, Endpoint
from .tasks import deliver

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_owner(actor, shop_id: int) -> None:
    if not ShopMember.objects.filter(
        shop_id=shop_id, user=actor, role=ShopMember.Role.OWNER
    ).exists():
        raise ActionNotAllowed()


def check_url(url: str) -> None:
    """HTTPS to a public host; plain HTTP only to this machine, and only while developing or
    testing (``DEBUG`` or ``WEBHOOKS["ALLOW_HTTP_LOOPBACK"]``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    loopback_allowed = settings.DEBUG or settings.WEBHOOKS["ALLOW_HTTP_LOOPBACK"]
    if host in LOOPBACK_HOSTS:
        if not loopback_allowed or parts.scheme not in ("http", "https"):
            raise ValidationError(_("The URL must be on the internet, not this machine."))
        return
    if parts.scheme != "https":
        raise ValidationError(_("The URL must start with https://."))


@transaction.atomic
def add_endpoint(
    *, shop: Shop, actor, url: str, event_types: Sequence[str], now: datetime | None = None
) -> Endpoint:
    check_owner(actor, shop.pk)
    try:
        check_url(url)
    except ValidationError as error:
        raise InvalidInput(error.messages[0]) from error
    unknown = set(event_types) - set(events.NAMES)
    if not event_types or unknown:
        raise InvalidInput(_("Choose at least one event."))
    return Endpoint.objects.create(
        shop=shop,
        url=url,
        event_types=[name for name in events.NAMES if name in event_types],
        secret=signing.new_secret(),
        created_by=actor,
        created_at=now or timezone.now(),
    )


@transaction.atomic
def set_endpoint_enabled(
    *, endpoint: Endpoint, actor, enabled: bool, now: datetime | None = None
) -> Endpoint:
    """Turn an endpoint on or off. On again, it starts afresh: its run of failures is forgotten,
    and deliveries that waited while it was off go out with the next per-minute pass."""
    check_owner(actor, endpoint.shop_id)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.enabled == enabled:
        return endpoint
    endpoint.enabled = enabled
    if enabled:
        endpoint.disabled_at, endpoint.disabled_because = None, ""
        endpoint.failed_deliveries, endpoint.failing_since = 0, None
    else:
        endpoint.disabled_at = now or timezone.now()
        endpoint.disabled_because = Endpoint.DisabledBecause.OWNER
    endpoint.save()
    return endpoint


@transaction.atomic
def delete_endpoint(*, endpoint: Endpoint, actor) -> None:
    check_owner(actor, endpoint.shop_id)
    endpoint.delete()


@transaction.atomic
def send_test_event(*, endpoint: Endpoint, actor, now: datetime | None = None) -> Delivery:
    """A ping the owner sends to see the endpoint answer (and check their signature code)."""
    check_owner(actor, endpoint.shop_id)
    if not endpoint.enabled:
        raise InvalidInput(_("Turn the endpoint on first."))
    now = now or timezone.now()
    lease = delivery.new_lease(now)
    sent = Delivery.objects.create(
        endpoint=endpoint,
        webhook_id=f"test_{secrets.token_hex(12)}",
        event_type=events.TEST,
        payload=delivery.serialize(events.ping_payload(at=now)),
        next_attempt_at=now,
        lease_until=lease,
        created_at=now,
    )
    transaction.on_commit(lambda: deliver.delay(sent.pk, lease.isoformat(), True), robust=True)
    return sent


@transaction.atomic
def resend_delivery(*, delivery_row: Delivery, actor, now: datetime | None = None) -> Delivery:
    """Send a delivery again now, once, with the same ``webhook-id`` (a receiver that has it
    already drops it), whatever became of it before. A delivery on its way is left to it."""
    check_owner(actor, delivery_row.endpoint.shop_id)
    if not delivery_row.endpoint.enabled:
        raise InvalidInput(_("Turn the endpoint on first."))
    now = now or timezone.now()
    lease = delivery.new_lease(now)
    row = Delivery.objects.select_for_update().get(pk=delivery_row.pk)
    if row.lease_until is not None and row.lease_until > now:
        raise InvalidInput(_("This delivery is being sent right now."))
    row.status, row.next_attempt_at, row.lease_until = Delivery.Status.PENDING, now, lease
    row.save(update_fields=["status", "next_attempt_at", "lease_until"])
    transaction.on_commit(lambda: deliver.delay(row.pk, lease.isoformat(), True), robust=True)
    return row


# --- hearing what happened ----------------------------------------------------------------------


def on_committed(sender, *, events=(), messages=(), reminders=(), **kwargs) -> None:
    """Receiver of :data:`aftersales.signals.committed` (connected in ``WebhooksConfig.ready``)."""
    queue_deliveries(event_ids=events, message_ids=messages, reminder_ids=reminders)


@transaction.atomic
def queue_deliveries(
    *,
    event_ids: Iterable[int] = (),
    message_ids: Iterable[int] = (),
    reminder_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> list[int]:
    """Write the deliveries of these events, messages and reminders to the enabled endpoints of
    each one's own shop that chose its type, and queue the first attempt of each once this
    commits. The ids of the deliveries written.

    Exactly once: a delivery that exists already (the announcing task ran twice) is not
    written again (the database refuses a second row per endpoint and message id), and its
    attempt is not queued again: the rows this call wrote are the ones carrying its lease."""
    now = now or timezone.now()
    event_rows = list(RequestEvent.objects.filter(pk__in=list(event_ids)).select_related("request"))
    message_rows = list(Message.objects.filter(pk__in=list(message_ids)).select_related("request"))
    reminded = list(
        AfterSalesRequest.objects.filter(
            pk__in=list(reminder_ids), reminded_at__isnull=False, due_at__isnull=False
        )
    )
    shops = (
        {e.request.shop_id for e in event_rows}
        | {m.request.shop_id for m in message_rows}
        | {r.shop_id for r in reminded}
    )
    endpoints: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in Endpoint.objects.filter(shop_id__in=shops, enabled=True):
        endpoints[endpoint.shop_id].append(endpoint)
    if not endpoints:
        return []
    counts = _event_counts([e.request_id for e in event_rows])
    lease = delivery.new_lease(now)
    rows: list[Delivery] = []

    def add(request: AfterSalesRequest, event_type: str, webhook_id: str, payload) -> None:
        for endpoint in endpoints.get(request.shop_id, ()):
            if event_type in endpoint.event_types:
                rows.append(
                    Delivery(
                        endpoint=endpoint,
                        webhook_id=webhook_id,
                        event_type=event_type,
                        request=request,
                        payload=delivery.serialize(payload()),
                        next_attempt_at=now,
                        lease_until=lease,
                        created_at=now,
                    )
                )

    for event in event_rows:
        version = sum(1 for pk in counts[event.request_id] if pk <= event.pk)
        for event_type in events.types_of(event):
            add(
                event.request,
                event_type,
                events.webhook_id_of_event(event, event_type),
                lambda e=event, t=event_type, v=version: events.event_payload(e, t, version=v),
            )
    message_versions = _versions_at([(m.request_id, m.created_at) for m in message_rows])
    for message in message_rows:
        version = message_versions[message.request_id, message.created_at]
        add(
            message.request,
            events.MESSAGE_POSTED,
            events.webhook_id_of_message(message),
            lambda m=message, v=version: events.message_payload(
                m, state=m.request.state, version=v
            ),
        )
    reminder_versions = _versions_at([(r.pk, now) for r in reminded])
    for request in reminded:
        add(
            request,
            events.DEADLINE_REMINDER,
            events.webhook_id_of_reminder(request),
            lambda r=request: events.reminder_payload(
                r, version=reminder_versions[r.pk, now], at=r.reminded_at
            ),
        )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    written = list(
        Delivery.objects.filter(
            lease_until=lease,
            attempts=0,
            endpoint__in={row.endpoint_id for row in rows},
            webhook_id__in={row.webhook_id for row in rows},
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for delivery_id in written:
        transaction.on_commit(
            lambda pk=delivery_id: deliver.delay(pk, lease.isoformat()), robust=True
        )
    return written


def _event_counts(request_ids: Sequence[int]) -> dict[int, list[int]]:
    """The event ids of each request (a handful each), for the versions."""
    counts: dict[int, list[int]] = defaultdict(list)
    for request_id, pk in RequestEvent.objects.filter(request_id__in=request_ids).values_list(
        "request_id", "pk"
    ):
        counts[request_id].append(pk)
    return counts


def _versions_at(moments: Sequence[tuple[int, datetime]]) -> dict[tuple[int, datetime], int]:
    """How many events each request's log held at each moment."""
    return {
        (request_id, moment): RequestEvent.objects.filter(
            request_id=request_id, created_at__lte=moment
        ).aggregate(n=Count("pk"))["n"]
        for request_id, moment in set(moments)
    }
