"""退货运费险 (README "Return-shipping insurance"): who pays the buyer's return postage when the
order is insured, and the insurer's claim.

The rule, in one place:

- An order carries return-shipping insurance when the buyer bought it or the shop gave it
  (退货宝, ``Order.return_insurance``). It covers a request whose goods go back to the shop: a
  return-and-refund, an exchange, a repair under warranty; not a repair after the warranty,
  which the buyer pays for as a whole, postage included (``policy.insurance_covers``).
- When a covered request's return parcel is signed for, the insurer pays the buyer the fixed
  claim for the order's region (``settings.RETURN_INSURANCE_CLAIMS``), once per request
  whatever parcels and tracking pushes: nobody at the shop does anything. Should the goods
  reach the shop with no sign-for reported (no tracking, a push lost), the claim is paid when
  they are received, with that step. It is postage, not the item's price, so it is not
  counted against the item's refund cap.
- Insurance pays first. Where the shop also owes the return shipping (a seller-responsible
  reason, or its policy for no-reason returns), it reimburses only what the buyer claimed
  beyond the insurer's claim (still within ``RETURN_SHIPPING_REIMBURSEMENT_LIMIT``), whenever
  the goods reach it, before or after the sign-for: the buyer is never paid twice for the same
  postage. The claim is a fixed table, not the receipt, so a buyer whose postage cost less than
  the claim keeps the difference (as with any 运费险) and the shop pays nothing.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from .. import policy
from ..actors import SYSTEM
from ..models import ZERO, Action, AfterSalesRequest, LedgerEntry, Role, Shipment
from . import ledger
from .core import record_activity


def claim_key(request: AfterSalesRequest) -> str:
    return f"request-{request.pk}-insurance"


def claim(request: AfterSalesRequest, amount: Decimal) -> LedgerEntry:
    """The insurer's payment of the buyer's postage: a payout like any other
    (``payments.pay_out``: the gateway's ``pay``, to the order's payment method), of a type of
    its own so that the shop's books and the refund cap leave it out."""
    return ledger.entry(
        request, type=LedgerEntry.Type.INSURANCE_CLAIM, amount=amount, key=claim_key(request)
    )


def claim_on_sign_for(request: AfterSalesRequest, parcel: Shipment, *, now: datetime) -> None:
    """The return parcel was signed for: the insurer pays the buyer's claim, through the
    payment gateway to the order's payment method, once per request. The caller (the tracking
    service, via ``arrivals``) holds the request's lock, so of two pushes for the same parcel,
    or for two parcels, the second finds the claim written and does nothing."""
    if parcel.purpose != Shipment.Purpose.RETURN or parcel.request_id != request.pk:
        return
    amount = policy.insurance_claim(request)
    if amount <= 0 or LedgerEntry.objects.filter(idempotency_key=claim_key(request)).exists():
        return
    ledger.write_entries([claim(request, amount)])
    record_activity(
        request,
        actor=SYSTEM,
        roles=frozenset({Role.SYSTEM}),
        action=Action.INSURANCE_CLAIM,
        now=now,
        notify=[Role.BUYER],
    )


def postage_on_arrival(
    request: AfterSalesRequest, arriving: Sequence[Shipment]
) -> list[LedgerEntry]:
    """The return postage paid when the goods reach the shop (``returns.receive_return``; the
    caller holds the request's lock): the insurer's claim if no sign-for has paid it yet, and
    what the shop reimburses (:func:`shop_reimbursements`)."""
    if not arriving:
        return []
    rows = []
    amount = policy.insurance_claim(request)
    if amount > 0 and not LedgerEntry.objects.filter(idempotency_key=claim_key(request)).exists():
        rows.append(claim(request, amount))
    return rows + shop_reimbursements(request, arriving)


def shop_reimbursements(
    request: AfterSalesRequest, arriving: Iterable[Shipment]
) -> list[LedgerEntry]:
    """The return postage the shop pays the buyer for the parcels arriving now: what the buyer
    claimed on each, less what the insurance covers. The insurer's claim covers the request's
    first postage, parcels that arrived earlier first, so it is deducted once in all."""
    covered = policy.insurance_claim(request)
    if covered > 0:
        arrived = [
            p.shipping_fee
            for p in request.shipments.all()  # prefetched by the deadline sweep
            if p.purpose == Shipment.Purpose.RETURN and p.received_at is not None
        ]
        covered = max(ZERO, covered - sum(arrived, ZERO))
    rows: list[LedgerEntry] = []
    for parcel in arriving:
        deducted = min(covered, parcel.shipping_fee)
        covered -= deducted
        rows += ledger.shipping_reimbursement(request, parcel, covered=deducted)
    return rows
