"""Reads of after-sales requests, each already limited to what the actor may see (SPEC §6).

A request outside these querysets does not exist for that actor: views turn it into a 404.
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Max, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from orders.models import Order, OrderItem

from .actors import is_platform_staff
from .models import (
    OPEN_STATES,
    SUCCESS_STATES,
    AfterSalesRequest,
    LedgerEntry,
    Role,
    State,
    states_waiting_for,
)

# The buyer's list filters (处理中 / 已完成 / 已关闭).
STATUS_STATES = {
    "processing": OPEN_STATES,
    "finished": SUCCESS_STATES,
    "closed": (State.CLOSED,),
}


def _base() -> QuerySet[AfterSalesRequest]:
    return AfterSalesRequest.objects.select_related(
        "order_item__order__shop", "order", "shop", "buyer"
    )


def requests_for_buyer(buyer, *, status: str = "") -> QuerySet[AfterSalesRequest]:
    requests = _base().filter(buyer=buyer)
    if status in STATUS_STATES:
        requests = requests.filter(state__in=STATUS_STATES[status])
    return requests


def orders_for_buyer(buyer) -> QuerySet[Order]:
    """已买到的宝贝: the buyer's orders, newest first, with what each item's after-sales
    standing needs (units already refunded, the open request) fetched in two more queries."""
    items = OrderItem.objects.annotate(
        units_refunded=Coalesce(
            Sum(
                "aftersales_requests__quantity",
                filter=Q(aftersales_requests__state=State.REFUNDED),
            ),
            Value(0),
            output_field=IntegerField(),
        )
    ).order_by("pk")
    open_requests = AfterSalesRequest.objects.filter(state__in=OPEN_STATES)
    return (
        Order.objects.filter(buyer=buyer)
        .select_related("shop")
        .prefetch_related(
            Prefetch("items", queryset=items),
            Prefetch("items__aftersales_requests", queryset=open_requests, to_attr="open_requests"),
        )
        .order_by("-paid_at", "-pk")
    )


def requests_for_seller(user) -> QuerySet[AfterSalesRequest]:
    """Requests on the orders of every shop the user is a member of."""
    return _base().filter(shop__members__user=user)


def requests_in_shops(shop_ids: Sequence[int]) -> QuerySet[AfterSalesRequest]:
    """Requests of these shops: the seller center resolves the member's shops once per page
    (``orders.selectors.shops_for_member``) and reads through this, without the join."""
    return _in_shops(_base(), shop_ids)


def _in_shops(requests: QuerySet, shop_ids: Sequence[int]) -> QuerySet:
    shop_ids = list(shop_ids)
    if len(shop_ids) == 1:  # ``shop_id = …``: the planner can walk an index in its order
        return requests.filter(shop_id=shop_ids[0])
    return requests.filter(shop_id__in=shop_ids)


def visible_requests(user) -> QuerySet[AfterSalesRequest]:
    """Everything the user may read in any role: their own, their shops', all for staff."""
    if not user.is_authenticated:
        return AfterSalesRequest.objects.none()
    if is_platform_staff(user):
        return _base()
    return _base().filter(Q(buyer=user) | Q(shop__members__user=user)).distinct()


def overdue_requests(*, now: datetime) -> QuerySet[AfterSalesRequest]:
    """Requests whose deadline has passed, oldest first (uses the partial index on due_at)."""
    return AfterSalesRequest.objects.filter(due_at__lte=now).order_by("due_at", "pk")


# --- the seller's queue ------------------------------------------------------------------------

# The states in which the seller must act, as the dashboard counts them (待处理, 待收货, 质检中,
# 维修中), plus disputes, where the seller may still add evidence.
SELLER_TURN_STATES = states_waiting_for(Role.SELLER)
SELLER_QUEUE_STATES = (*SELLER_TURN_STATES, State.DISPUTED)


def seller_dashboard_counts(shop_ids: Sequence[int], *, now: datetime) -> dict[str, int]:
    """One aggregate query, read from the ``request_seller_queue_state`` index alone: the
    shops' requests per state that needs the seller, and how many of the seller's deadlines
    fall within 24 hours or have passed."""
    seller_turn = Q(state__in=SELLER_TURN_STATES)
    waiting = AfterSalesRequest.objects.filter(state__in=SELLER_QUEUE_STATES)
    return _in_shops(waiting, shop_ids).aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in SELLER_QUEUE_STATES},
        due_soon=Count(
            "pk", filter=seller_turn & Q(due_at__gt=now, due_at__lte=now + timedelta(hours=24))
        ),
        overdue=Count("pk", filter=seller_turn & Q(due_at__lte=now)),
    )


def shops_changed_at(shop_ids: Sequence[int]) -> datetime | None:
    """When any of the shops' requests last changed (filed, moved, re-dated), from the
    ``request_shop_changed`` index alone: what the seller center's rendering of its queue is
    cached under, so the cache never serves a queue older than its last change."""
    requests = _in_shops(AfterSalesRequest.objects.all(), shop_ids)
    return requests.aggregate(at=Max("updated_at"))["at"]


def seller_queue(
    shop_ids: Sequence[int],
    *,
    state: str = "",
    kind: str = "",
    reason: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    search: str = "",
) -> QuerySet[AfterSalesRequest]:
    """The shops' requests, soonest deadline first (no deadline last), then newest, filtered.

    In progress (``state="open"``, how the dashboard opens) or in one state, the filter and the
    order are those of an index (``request_seller_queue_open``, ``…_state``), so a page of it
    is read in index order; wrap it in :class:`ByIds` to read deep pages as cheaply as the
    first."""
    requests = requests_in_shops(shop_ids)
    if state == "open":
        requests = requests.filter(state__in=OPEN_STATES)
    elif state:
        requests = requests.filter(state=state)
    if kind:
        requests = requests.filter(kind=kind)
    if reason:
        requests = requests.filter(reason=reason)
    if created_from:
        requests = requests.filter(created_at__date__gte=created_from)
    if created_to:
        requests = requests.filter(created_at__date__lte=created_to)
    if search := search.strip():
        requests = requests.filter(
            Q(order__number__icontains=search) | Q(buyer__username__icontains=search)
        )
    return requests.order_by(F("due_at").asc(nulls_last=True), "-created_at", "-pk")


def buyer_history_count(request: AfterSalesRequest) -> int:
    """How many requests this buyer made with this shop before this one."""
    return AfterSalesRequest.objects.filter(
        buyer_id=request.buyer_id, shop_id=request.shop_id, created_at__lt=request.created_at
    ).count()


class ByIds:
    """A list to paginate (``Paginator(ByIds(queryset), 25)``) whose page is read in one query
    that first takes the page's ids from the index that orders the list, then joins only those
    rows: a deep page (``OFFSET`` in the thousands) costs what the first one does, where the
    plain query would join every row before it."""

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> QuerySet:
        return self.queryset.filter(pk__in=self.queryset.values("pk")[page])


def shipping_reimbursed(request: AfterSalesRequest) -> Decimal:
    """The return shipping the shop pays the buyer on this request (its ledger rows)."""
    return request.ledger_entries.filter(type=LedgerEntry.Type.SHIPPING_REIMBURSEMENT).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")


def fast_refund_lines(request: AfterSalesRequest) -> list[LedgerEntry]:
    """极速退款 on the seller's page: the platform's advance and what followed it (the shop's
    settlement, a recovery from the buyer, the settlement returned); empty without an advance."""
    if request.fast_refund_at is None:
        return []
    return list(
        request.ledger_entries.filter(
            type__in=[
                LedgerEntry.Type.FAST_REFUND,
                LedgerEntry.Type.SHOP_SETTLEMENT,
                LedgerEntry.Type.RECOVERY,
                LedgerEntry.Type.SETTLEMENT_RETURN,
            ]
        ).order_by("created_at", "pk")
    )
