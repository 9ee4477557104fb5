"""Paying money back through the payment gateway (SPEC §5).

Refunds go back to the order's original payment method. The gateway is chosen by the
``PAYMENT_GATEWAY`` setting; the default :class:`SimulatedGateway` records each call instead of
moving real money, and can be told to fail so that retries and flagging can be exercised.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from . import metrics
from .models import LedgerEntry


class GatewayError(Exception):
    """The gateway did not confirm the payout; it may succeed on a later try."""


class PaymentGateway(Protocol):
    def pay(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        """Pay ``amount`` back to ``method``; return the gateway's reference.

        Gateways treat a repeated ``idempotency_key`` as the same payment.
        """


@dataclass(frozen=True)
class GatewayCall:
    idempotency_key: str
    amount: Decimal
    method: str


class SimulatedGateway:
    """Records every call; ``fail_next`` makes the next calls raise :class:`GatewayError`."""

    calls: ClassVar[list[GatewayCall]] = []
    fail_next: ClassVar[int] = 0

    def pay(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        if SimulatedGateway.fail_next > 0:
            SimulatedGateway.fail_next -= 1
            raise GatewayError("simulated gateway failure")
        SimulatedGateway.calls.append(GatewayCall(idempotency_key, amount, method))
        return f"SIM-{idempotency_key}"


def gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()


@metrics.observe_payout
def pay_out(*, entry_id: int) -> LedgerEntry:
    """Pay one ledger row. Safe to run twice: a paid row is left alone, and the gateway sees
    the row's idempotency key, so a retry after a lost answer cannot pay twice.

    The attempt is counted (and a failure's reason kept) in its own committed step, so staff
    see every try even when the task gives up.
    """
    with transaction.atomic():
        entry = LedgerEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status == LedgerEntry.Status.PAID:
            return entry
        entry.attempts += 1
        entry.save(update_fields=["attempts"])
    try:
        reference = gateway().pay(
            idempotency_key=entry.idempotency_key, amount=entry.amount, method=entry.payment_method
        )
    except GatewayError as exc:
        LedgerEntry.objects.filter(pk=entry.pk).update(last_error=str(exc))
        raise
    entry.status = LedgerEntry.Status.PAID
    entry.gateway_reference = reference
    entry.paid_at = timezone.now()
    entry.last_error = ""
    entry.save(update_fields=["gateway_reference", "status", "paid_at", "last_error"])
    return entry


def flag_failed_payout(*, entry_id: int) -> None:
    """Retries are exhausted: keep the row, mark it for staff (listed in the admin)."""
    LedgerEntry.objects.filter(pk=entry_id).exclude(status=LedgerEntry.Status.PAID).update(
        status=LedgerEntry.Status.FAILED
    )
