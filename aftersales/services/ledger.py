"""The money ledger (SPEC §5): refunds, compensation, return-shipping reimbursements, the fee
for a repair after the warranty, and a fast refund's advance, settlement and recovery.

Every movement is one :class:`LedgerEntry` with a unique idempotency key, so it happens once
whatever retries. The entries are built first (as data, like the rest of a
:class:`~aftersales.services.core.Change`) and written by :func:`write_entries`, which raises
the item's refunded total under its cap; the payout runs after commit, through the payment
gateway, in a task that retries.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Value, When

from orders.models import OrderItem

from ..errors import RefundLimitExceeded
from ..models import ZERO, AfterSalesRequest, LedgerEntry, Shipment
from ..tasks import pay_out, pay_out_many


def refund_exceeds_cap(item: OrderItem, amount: Decimal) -> bool:
    """The refund cap (SPEC §5): never more than was paid for the item minus what was already
    refunded for it. The database enforces the same with a check constraint on the item."""
    return amount > item.refundable_amount


def compensation_exceeds_cap(item: OrderItem, amount: Decimal) -> bool:
    """Compensation is at most what the buyer paid for the item."""
    return amount > item.amount_paid


def repair_fee_exceeds_cap(item: OrderItem, fee: Decimal) -> bool:
    """A repair fee is at most what the buyer paid for the item: beyond that a repair makes no
    sense, and a typing slip cannot charge a fortune."""
    return fee > item.amount_paid


def repair_fee_charge(request: AfterSalesRequest) -> list[LedgerEntry]:
    """The repair fee the buyer accepted, charged once per request (its idempotency key): a
    double click finds the request moved on, and a second row would break the unique key."""
    if request.repair_fee <= 0:
        return []
    return [
        entry(
            request,
            type=LedgerEntry.Type.REPAIR_FEE,
            amount=request.repair_fee,
            key=f"request-{request.pk}-repair_fee",
        )
    ]


def agreed_money(request: AfterSalesRequest, *, compensation: Decimal = ZERO) -> list[LedgerEntry]:
    """The request's agreed refund, plus any compensation. One key each per request: a request
    is refunded at most once, so a second attempt is refused by the unique key.

    After a fast refund (极速退款) the platform's advance IS the refund: no refund row follows
    (and were one written, it would carry the advance's key and be refused)."""
    refund = ZERO if request.fast_refund_at is not None else request.refund_amount
    return [
        entry(request, type=type, amount=amount, key=f"request-{request.pk}-{type}")
        for type, amount in (
            (LedgerEntry.Type.REFUND, refund),
            (LedgerEntry.Type.COMPENSATION, compensation),
        )
        if amount > 0
    ]


def refund_key(request: AfterSalesRequest) -> str:
    """The one key under which a request's refund is paid, as an ordinary refund or as the
    platform's fast-refund advance: both can never be paid."""
    return f"request-{request.pk}-{LedgerEntry.Type.REFUND}"


def fast_refund_advance(request: AfterSalesRequest) -> LedgerEntry:
    """极速退款: the platform pays the buyer the agreed refund before the shop has the goods,
    under the refund's own key and against the item's refund cap."""
    return entry(
        request,
        type=LedgerEntry.Type.FAST_REFUND,
        amount=request.refund_amount,
        key=refund_key(request),
    )


def shop_settlement(request: AfterSalesRequest, advance: LedgerEntry) -> LedgerEntry:
    """The shop pays the platform back the advance once the goods are signed for."""
    return entry(
        request,
        type=LedgerEntry.Type.SHOP_SETTLEMENT,
        amount=advance.amount,
        key=f"request-{request.pk}-settlement",
    )


def recovery(request: AfterSalesRequest, advance: LedgerEntry) -> LedgerEntry:
    """The advance taken back from the buyer (charged to the order's payment method); it
    lowers the item's refunded total by as much."""
    return entry(
        request,
        type=LedgerEntry.Type.RECOVERY,
        amount=advance.amount,
        key=f"request-{request.pk}-recovery",
    )


def settlement_return(request: AfterSalesRequest, settlement: LedgerEntry) -> LedgerEntry:
    """The settlement paid back to a shop that won the ruling: the recovery covers it."""
    return entry(
        request,
        type=LedgerEntry.Type.SETTLEMENT_RETURN,
        amount=settlement.amount,
        key=f"request-{request.pk}-settlement-return",
    )


def shipping_reimbursement(
    request: AfterSalesRequest, shipment: Shipment, *, covered: Decimal = ZERO
) -> list[LedgerEntry]:
    """The return postage the buyer claimed, when the seller pays it (one row per parcel),
    less what return-shipping insurance ``covered`` of it (``services.insurance``)."""
    amount = shipment.shipping_fee - covered
    if not request.seller_pays_return_shipping or amount <= 0:
        return []
    return [
        entry(
            request,
            type=LedgerEntry.Type.SHIPPING_REIMBURSEMENT,
            amount=amount,
            key=f"shipment-{shipment.pk}-shipping",
        )
    ]


def entry(request: AfterSalesRequest, *, type: str, amount: Decimal, key: str) -> LedgerEntry:
    """One movement of money on the request, paid back to (or, for a charge, taken from) the
    order's payment method."""
    return LedgerEntry(
        request=request,
        order_item_id=request.order_item_id,
        type=type,
        amount=amount,
        payment_method=request.order.payment_method,
        idempotency_key=key,
    )


def write_entries(entries: Iterable[LedgerEntry]) -> None:
    """Write ledger rows; for refunds (and fast-refund advances), first raise the item's
    refunded total; for a recovery, lower it by what came back.

    The item row is locked first, so of two concurrent refunds the second sees the first's
    total and gets :class:`RefundLimitExceeded`; the database check constraint on
    ``OrderItem.refunded_amount`` refuses an overdraft even from code that forgets the lock.
    """
    for row in entries:
        item = OrderItem.objects.select_for_update().get(pk=row.order_item_id)
        change = ZERO
        if row.type in LedgerEntry.REFUNDS:
            if refund_exceeds_cap(item, row.amount):
                raise RefundLimitExceeded()
            change = row.amount
        elif row.type == LedgerEntry.Type.RECOVERY:
            change = -row.amount
        if change:
            try:
                with transaction.atomic():
                    OrderItem.objects.filter(pk=item.pk).update(
                        refunded_amount=F("refunded_amount") + change
                    )
            except IntegrityError as exc:
                raise RefundLimitExceeded() from exc
        row.save()
        # robust: if the broker is unreachable the row stays pending; the sweep re-sends it.
        transaction.on_commit(lambda pk=row.pk: pay_out.delay(pk), robust=True)


def check_caps(item: OrderItem, entries: Iterable[LedgerEntry]) -> None:
    """:class:`RefundLimitExceeded` if these refunds would pass the item's cap (SPEC §5)."""
    refunds = sum(e.amount for e in entries if e.type in LedgerEntry.REFUNDS)
    if refund_exceeds_cap(item, refunds):
        raise RefundLimitExceeded()


def write_entries_together(entries: list[LedgerEntry]) -> None:
    """Write many ledger rows in two statements: one raises every refunded item's total, one
    inserts the rows; one task pays them all after commit.

    The caller checked each item's cap (:func:`check_caps`) on rows it holds locked; the check
    constraint on ``OrderItem.refunded_amount`` refuses the whole statement otherwise.
    """
    if not entries:
        return
    refunded: dict[int, Decimal] = {}
    for row in entries:
        if row.type in LedgerEntry.REFUNDS:
            refunded[row.order_item_id] = refunded.get(row.order_item_id, ZERO) + row.amount
    if refunded:
        raise_by = Case(
            *(When(pk=item_id, then=Value(amount)) for item_id, amount in refunded.items()),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
        try:
            with transaction.atomic():
                OrderItem.objects.filter(pk__in=refunded).update(
                    refunded_amount=F("refunded_amount") + raise_by
                )
        except IntegrityError as exc:
            raise RefundLimitExceeded() from exc
    LedgerEntry.objects.bulk_create(entries)
    ids = [row.pk for row in entries]
    transaction.on_commit(lambda: pay_out_many.delay(ids), robust=True)
