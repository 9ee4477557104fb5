"""Paying money back through the payment gateway (SPEC §5).

Refunds go back to the order's original payment method; a repair fee (or a fast refund
recovered) is charged to it; a fast refund's settlement moves money from the shop's balance to
the platform (and back, when the platform recovers the advance from the buyer). The
gateway is chosen by the ``PAYMENT_GATEWAY`` setting; the default :class:`SimulatedGateway`
records each call instead of moving real money, and can be told to fail so that retries and
flagging can be exercised.

Each payout happens once: a paid row is never paid again, a lease on the row
(``payout_lease_until``) keeps two tasks from trying it at the same moment and tells the
per-minute pass which rows a dead worker left behind, and the gateway sees the row's
idempotency key, the last line of defence.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from . import metrics
from .models import AfterSalesRequest, LedgerEntry

logger = logging.getLogger(__name__)


class GatewayError(Exception):
    """The gateway did not confirm the payout; it may succeed on a later try."""


class PaymentGateway(Protocol):
    def pay(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        """Pay ``amount`` back to ``method``; return the gateway's reference.

        Gateways treat a repeated ``idempotency_key`` as the same payment.
        """

    def charge(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        """Charge ``amount`` to ``method`` (a repair fee the buyer accepted, a fast refund
        recovered); return the gateway's reference. A repeated ``idempotency_key`` is the same
        charge."""

    def settle(self, *, idempotency_key: str, amount: Decimal, shop_id: int) -> str:
        """Move ``amount`` from the shop's balance to the platform (a fast refund the platform
        advanced, settled once the goods are signed for); return the gateway's reference. A
        repeated ``idempotency_key`` is the same settlement."""

    def return_settlement(self, *, idempotency_key: str, amount: Decimal, shop_id: int) -> str:
        """Move ``amount`` from the platform back to the shop's balance (a settlement the shop
        paid for an advance the platform then recovered from the buyer)."""


@dataclass(frozen=True)
class GatewayCall:
    idempotency_key: str
    amount: Decimal
    method: str
    charge: bool = False  # money taken from the buyer (or, with a shop, from the shop)
    shop_id: int | None = None  # a movement between the shop's balance and the platform


class SimulatedGateway:
    """Records every call; ``fail_next`` makes the next calls raise :class:`GatewayError`."""

    calls: ClassVar[list[GatewayCall]] = []
    fail_next: ClassVar[int] = 0

    def pay(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        return self._call(GatewayCall(idempotency_key, amount, method))

    def charge(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        return self._call(GatewayCall(idempotency_key, amount, method, charge=True))

    def settle(self, *, idempotency_key: str, amount: Decimal, shop_id: int) -> str:
        return self._call(GatewayCall(idempotency_key, amount, "", charge=True, shop_id=shop_id))

    def return_settlement(self, *, idempotency_key: str, amount: Decimal, shop_id: int) -> str:
        return self._call(GatewayCall(idempotency_key, amount, "", shop_id=shop_id))

    def _call(self, call: GatewayCall) -> str:
        if SimulatedGateway.fail_next > 0:
            SimulatedGateway.fail_next -= 1
            raise GatewayError("simulated gateway failure")
        SimulatedGateway.calls.append(call)
        return f"SIM-{call.idempotency_key}"


def gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()


class PayoutFailed(GatewayError):
    """The gateway refused or did not answer this attempt; ``attempts`` counts every try."""

    def __init__(self, message: str, *, attempts: int):
        super().__init__(message)
        self.attempts = attempts


@metrics.observe_payout
def pay_out(*, entry_id: int, lease: datetime | None = None) -> LedgerEntry:
    """Pay one ledger row (charge it, for a repair fee), once, however many tasks are sent for
    it and whoever dies.

    1. Take the row (locked, read afresh; committed on its own): a row already paid is left
       alone, and so is one whose lease is live and not ``lease``, the one this caller was
       handed (another attempt is in flight, or the retry of a failed one is on its way).
       The attempt is counted and the row leased for ``PAYOUT_LEASE``; should this process die
       from here on, the lease expires and the per-minute pass sends the row again.
    2. Call the gateway, outside any transaction, with the row's idempotency key: a retry after
       the gateway paid but before step 3 committed is the same payment to the gateway.
    3. Mark it paid and release the lease; or keep why it failed and raise
       :class:`PayoutFailed` (the lease stays, for the caller's retry: :func:`hold_for_retry`).
    """
    with transaction.atomic():
        entry = LedgerEntry.objects.select_for_update().get(pk=entry_id)
        now = timezone.now()
        if entry.status == LedgerEntry.Status.PAID:
            return entry
        held = entry.payout_lease_until
        if held is not None and held > now and held != lease:
            logger.info("Payout %s is held until %s; left alone", entry_id, held.isoformat())
            return entry
        entry.attempts += 1
        entry.payout_lease_until = now + settings.PAYOUT_LEASE
        entry.save(update_fields=["attempts", "payout_lease_until"])
    try:
        reference = _move(entry)
    except GatewayError as exc:
        LedgerEntry.objects.filter(pk=entry.pk).update(last_error=str(exc))
        raise PayoutFailed(str(exc), attempts=entry.attempts) from exc
    entry.status = LedgerEntry.Status.PAID
    entry.gateway_reference = reference
    entry.paid_at = timezone.now()
    entry.last_error = ""
    entry.payout_lease_until = None
    entry.save(
        update_fields=["gateway_reference", "status", "paid_at", "last_error", "payout_lease_until"]
    )
    return entry


def _move(entry: LedgerEntry) -> str:
    """The gateway call for the row: paid to the buyer's method, charged to it, or moved
    between the shop's balance and the platform."""
    gate = gateway()
    if entry.is_shop_movement:
        shop_id = AfterSalesRequest.objects.values_list("shop_id", flat=True).get(
            pk=entry.request_id
        )
        settling = entry.type == LedgerEntry.Type.SHOP_SETTLEMENT
        move = gate.settle if settling else gate.return_settlement
        return move(idempotency_key=entry.idempotency_key, amount=entry.amount, shop_id=shop_id)
    move = gate.charge if entry.is_charge else gate.pay
    return move(
        idempotency_key=entry.idempotency_key, amount=entry.amount, method=entry.payment_method
    )


def hold_for_retry(*, entry_id: int, retry_in: timedelta) -> datetime:
    """Keep a failed row for the retry that comes in ``retry_in``: leased until the retry is due
    plus a lease of its own. Returns the lease, which the retry carries to take the row back;
    if the retry never comes, the lease expires and the per-minute pass sends the row again."""
    until = timezone.now() + retry_in + settings.PAYOUT_LEASE
    LedgerEntry.objects.filter(pk=entry_id, status=LedgerEntry.Status.PENDING).update(
        payout_lease_until=until
    )
    return until


def flag_failed_payout(*, entry_id: int) -> None:
    """Retries are exhausted: keep the row, mark it for staff (listed in the admin)."""
    LedgerEntry.objects.filter(pk=entry_id).exclude(status=LedgerEntry.Status.PAID).update(
        status=LedgerEntry.Status.FAILED, payout_lease_until=None
    )
