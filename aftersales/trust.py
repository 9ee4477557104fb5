"""A buyer's trust level (买家信誉, issue 15): what fast refunds (极速退款) and the shops' rules
read. Computed from the buyer's history and stored in :class:`BuyerStanding`.

The facts, per buyer:

- orders completed: their order items that were delivered;
- after-sales rate: after-sales requests filed ÷ items completed;
- disputes lost: rulings "for the seller" on their requests;
- fast refunds lost: fast-refunded requests whose advance the platform had to recover (the
  goods never arrived, or failed inspection, and the ruling went against the buyer).

The levels, the highest whose every limit the buyer meets (:data:`LEVELS`):

=========  ===============  =================  =============  ==================
level      items completed  after-sales rate   disputes lost  fast refunds lost
=========  ===============  =================  =============  ==================
EXCELLENT  at least 20      at most 10 %       0              0
GOOD       at least 5       at most 25 %       at most 1      0
ORDINARY   at least 1       any                any            any
NEW        none yet         —                  —              —
=========  ===============  =================  =============  ==================

A buyer at ``settings.FAST_REFUND_MIN_TRUST`` (GOOD) or above is trusted with fast refunds.
Standings are refreshed for everyone once a day (:func:`refresh_stale`, a beat task), and for
one buyer right after something that changes them (a ruling; a fast refund asks afresh).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from orders.models import OrderItem

from .models import AfterSalesRequest, BuyerStanding, LedgerEntry, Ruling, TrustLevel

# A standing older than this is recomputed by the daily pass.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Level:
    level: TrustLevel
    min_completed: int
    max_rate: Decimal | None  # requests filed per item completed
    max_disputes_lost: int | None
    max_fast_refunds_lost: int | None


# Highest first; a buyer gets the first level whose every limit they meet.
LEVELS = (
    Level(TrustLevel.EXCELLENT, 20, Decimal("0.10"), 0, 0),
    Level(TrustLevel.GOOD, 5, Decimal("0.25"), 1, 0),
    Level(TrustLevel.ORDINARY, 1, None, None, None),
)


def level_for(
    *, orders_completed: int, requests_filed: int, disputes_lost: int, fast_refunds_lost: int
) -> TrustLevel:
    """The trust level these facts earn (the table above)."""
    for row in LEVELS:
        if orders_completed < row.min_completed:
            continue
        if row.max_rate is not None and requests_filed > row.max_rate * orders_completed:
            continue
        if row.max_disputes_lost is not None and disputes_lost > row.max_disputes_lost:
            continue
        if row.max_fast_refunds_lost is not None and fast_refunds_lost > row.max_fast_refunds_lost:
            continue
        return row.level
    return TrustLevel.NEW


def is_trusted(level: int) -> bool:
    """Whether a buyer at ``level`` gets fast refunds."""
    return level >= settings.FAST_REFUND_MIN_TRUST


def _count(queryset, *, buyer: str, field: str = "pk"):
    """A per-buyer count as a subquery: ``queryset`` is already narrowed to the outer buyer,
    grouped by the path to the buyer (``buyer``) so that it counts in one row."""
    counted = queryset.order_by().values(buyer).annotate(n=Count(field, distinct=True)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def refresh_standings(buyer_ids, *, now: datetime) -> list[BuyerStanding]:
    """Compute the standing of these buyers from their history and store it: one query for
    the facts of all of them, one upsert. Returns the rows written."""
    outer = OuterRef("pk")
    facts = (
        get_user_model()
        .objects.filter(pk__in=list(buyer_ids))
        .annotate(
            completed=_count(
                OrderItem.objects.filter(order__buyer=outer, delivered_at__isnull=False),
                buyer="order__buyer",
            ),
            filed=_count(AfterSalesRequest.objects.filter(buyer=outer), buyer="buyer"),
            lost=_count(
                Ruling.objects.filter(
                    dispute__request__buyer=outer, outcome=Ruling.Outcome.FOR_SELLER
                ),
                buyer="dispute__request__buyer",
            ),
            fast_lost=_count(
                LedgerEntry.objects.filter(request__buyer=outer, type=LedgerEntry.Type.RECOVERY),
                buyer="request__buyer",
                field="request",
            ),
        )
        .values_list("pk", "completed", "filed", "lost", "fast_lost")
    )
    rows = [
        BuyerStanding(
            buyer_id=pk,
            level=level_for(
                orders_completed=completed,
                requests_filed=filed,
                disputes_lost=lost,
                fast_refunds_lost=fast_lost,
            ),
            orders_completed=completed,
            requests_filed=filed,
            disputes_lost=lost,
            fast_refunds_lost=fast_lost,
            computed_at=now,
        )
        for pk, completed, filed, lost, fast_lost in facts
    ]
    BuyerStanding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["buyer"],
        update_fields=[
            "level",
            "orders_completed",
            "requests_filed",
            "disputes_lost",
            "fast_refunds_lost",
            "computed_at",
        ],
    )
    return rows


def standing_of(buyer_id: int, *, now: datetime) -> BuyerStanding:
    """The buyer's standing, computed afresh (what a fast refund decides on)."""
    return refresh_standings([buyer_id], now=now)[0]


def refresh_stale(*, now: datetime, batch_size: int = 1000) -> int:
    """The daily pass: every buyer with a history whose standing is missing or older than
    :data:`STALE_AFTER`, a batch at a time. Returns how many were refreshed."""
    fresh = BuyerStanding.objects.filter(computed_at__gt=now - STALE_AFTER).values("buyer")
    ids = list(
        get_user_model()
        .objects.filter(Q(orders__isnull=False) | Q(aftersales_requests__isnull=False))
        .exclude(pk__in=fresh)
        .distinct()
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        refresh_standings(ids[start : start + batch_size], now=now)
    return len(ids)
