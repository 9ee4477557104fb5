"""Sending deliveries: one signed HTTP POST per attempt, retries with backoff, and turning off an
endpoint that keeps failing (README "Webhooks").

Nothing is lost and nothing overlaps, whatever the broker and the workers do:

- An attempt holds its row under a lease (``lease_until``), given by whoever queued the task
  (the delivery's creation, a re-send, the per-minute pass) and carried by the task; a task
  whose lease is no longer the row's does nothing. The lease outlasts one attempt (timeout
  ``WEBHOOKS["TIMEOUT"]``, the task's hard limit) by far, so two attempts never overlap.
- A failed attempt sets the next one (``WEBHOOKS["BACKOFF"]``) and releases the row; the
  per-minute pass (:func:`lease_due`) leases every due row to a new task, and rows whose lease
  expired with it (the task was lost, or its worker died). Retries wait in the database, not in
  the broker, so a backoff of hours outlives any restart.
- 2xx is delivered; anything else (another status, a redirect, a timeout, a refused connection)
  is a failed attempt. After the last one the delivery is failed; the shop can still re-send it.
- An endpoint with ``DISABLE_AFTER_FAILED_DELIVERIES`` deliveries in a row that ran out of
  attempts, or failing for ``DISABLE_AFTER`` without one success, is turned off and its shop's
  owners are told by e-mail, once (the switch is a compare-and-set).
"""

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from orders.models import ShopMember
from orders.preferences import language_of

from . import signing
from .models import Delivery, Endpoint

logger = logging.getLogger(__name__)

USER_AGENT = "aftersales-webhooks/1"


def config(name: str):
    return settings.WEBHOOKS[name]


def backoff(attempts: int) -> timedelta | None:
    """The wait before the next attempt after ``attempts`` failed ones; None: no more."""
    schedule = config("BACKOFF")
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1]


def new_lease(now: datetime) -> datetime:
    return now + config("LEASE")


def serialize(payload: dict) -> str:
    """The body as stored and sent: compact JSON, keys in the order written (the signature
    covers these exact bytes, the same on every attempt)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


# --- one attempt --------------------------------------------------------------------------------


@dataclass
class Outcome:
    status_code: int | None
    response_ms: int
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address: the attempt fails with its status."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``; the answer's status and how long it took."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=config("TIMEOUT")) as response:
            response.read(1024)
            status, error = response.status, ""
    except urllib.error.HTTPError as answer:
        status, error = answer.code, ""
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        status, error = None, (str(reason) or type(reason).__name__)[:300]
    return Outcome(status, round((time.monotonic() - started) * 1000), error)


def attempt(delivery_id: int, *, lease: datetime, final: bool = False) -> Outcome | None:
    """Send the delivery once, if it is still held under ``lease`` and its endpoint is on;
    record what happened. ``final``: a re-send by the shop, which is not retried."""
    delivery = (
        Delivery.objects.select_related("endpoint")
        .filter(
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            lease_until=lease,
            endpoint__enabled=True,
        )
        .first()
    )
    if delivery is None:
        return None
    body = delivery.payload.encode()
    outcome = post(
        delivery.endpoint.url,
        body,
        signing.headers(
            delivery.endpoint.secret,
            webhook_id=delivery.webhook_id,
            timestamp=int(time.time()),
            body=body,
        ),
    )
    record(delivery, outcome, lease=lease, now=timezone.now(), final=final)
    return outcome


@transaction.atomic
def record(
    delivery: Delivery, outcome: Outcome, *, lease: datetime, now: datetime, final: bool = False
) -> None:
    """The attempt's outcome on the delivery, and on its endpoint's run of failures."""
    endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    attempts = delivery.attempts + 1
    wait = None if final or outcome.delivered else backoff(attempts)
    status = (
        Delivery.Status.DELIVERED
        if outcome.delivered
        else Delivery.Status.PENDING
        if wait
        else Delivery.Status.FAILED
    )
    updated = Delivery.objects.filter(pk=delivery.pk, lease_until=lease).update(
        attempts=F("attempts") + 1,
        status=status,
        status_code=outcome.status_code,
        response_ms=outcome.response_ms,
        error=outcome.error,
        last_attempt_at=now,
        next_attempt_at=now + wait if wait else None,
        delivered_at=now if outcome.delivered else None,
        lease_until=None,
    )
    if not updated:  # the lease was taken over meanwhile: the other attempt records its own
        return
    if outcome.delivered:
        endpoint.failed_deliveries, endpoint.failing_since = 0, None
    else:
        endpoint.failing_since = endpoint.failing_since or now
        if status == Delivery.Status.FAILED and not final:
            endpoint.failed_deliveries += 1
    endpoint.save(update_fields=["failed_deliveries", "failing_since"])
    if not outcome.delivered and _keeps_failing(endpoint, now=now):
        turn_off_failing(endpoint.pk, now=now)


def _keeps_failing(endpoint: Endpoint, *, now: datetime) -> bool:
    return endpoint.failed_deliveries >= config("DISABLE_AFTER_FAILED_DELIVERIES") or (
        endpoint.failing_since is not None
        and endpoint.failing_since <= now - config("DISABLE_AFTER")
    )


def turn_off_failing(endpoint_id: int, *, now: datetime) -> bool:
    """Turn the endpoint off and tell the shop's owners, once: of two workers deciding so at the
    same moment, one does."""
    if not Endpoint.objects.filter(pk=endpoint_id, enabled=True).update(
        enabled=False, disabled_at=now, disabled_because=Endpoint.DisabledBecause.FAILING
    ):
        return False
    transaction.on_commit(lambda: tell_owners_turned_off(endpoint_id), robust=True)
    return True


def tell_owners_turned_off(endpoint_id: int) -> int:
    """E-mail each owner of the endpoint's shop, in their language, that it was turned off and
    where to turn it on again; how many were sent."""
    endpoint = Endpoint.objects.select_related("shop").get(pk=endpoint_id)
    owners = [
        member.user
        for member in ShopMember.objects.filter(
            shop_id=endpoint.shop_id, role=ShopMember.Role.OWNER
        ).select_related("user__preferences")
        if member.user.email
    ]
    link = settings.SITE_URL + reverse("seller:webhook", args=[endpoint.pk])
    messages = []
    for owner in owners:
        with translation.override(language_of(owner)):
            subject = _("Webhook endpoint turned off: %(url)s") % {"url": endpoint.url}
            lines = [
                _(
                    "%(shop)s: the endpoint %(url)s kept failing, so no more events are sent "
                    "to it. Deliveries that were waiting are kept."
                )
                % {"shop": endpoint.shop.name, "url": endpoint.url},
                "",
                _("See what it answered and turn it on again: %(link)s") % {"link": link},
            ]
        messages.append(EmailMessage(subject, "\n".join(lines), None, [owner.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages)


# --- the per-minute pass ------------------------------------------------------------------------


def lease_due(*, now: datetime, limit: int = 1000) -> list[tuple[int, datetime]]:
    """Lease every pending delivery whose next attempt is due and which nobody holds (never
    leased, or its lease expired): retries, and attempts whose task was lost. Each row is leased
    by compare and set, so of two passes at once, one gets it; the caller queues a task for each
    (delivery id, lease)."""
    due = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__enabled=True
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", "lease_until")[:limit]
    )
    leased = []
    for delivery_id, held in due:
        lease = new_lease(now)
        if Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.PENDING, lease_until=held
        ).update(lease_until=lease):
            leased.append((delivery_id, lease))
    return leased
