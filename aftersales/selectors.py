"""Reads of after-sales requests, each already limited to what the actor may see (SPEC §6).

A request outside these querysets does not exist for that actor: views turn it into a 404.
"""

from datetime import datetime

from django.db.models import Q, QuerySet

from .actors import is_arbitrator
from .models import OPEN_STATES, AfterSalesRequest, State

# The buyer's list filters (处理中 / 已完成 / 已关闭).
STATUS_STATES = {
    "processing": OPEN_STATES,
    "finished": (State.REFUNDED, State.EXCHANGED, State.REPAIRED),
    "closed": (State.CLOSED,),
}


def _base() -> QuerySet[AfterSalesRequest]:
    return AfterSalesRequest.objects.select_related("order_item", "order", "shop", "buyer")


def requests_for_buyer(buyer, *, status: str = "") -> QuerySet[AfterSalesRequest]:
    requests = _base().filter(buyer=buyer)
    if status in STATUS_STATES:
        requests = requests.filter(state__in=STATUS_STATES[status])
    return requests


def requests_for_seller(user) -> QuerySet[AfterSalesRequest]:
    """Requests on the orders of every shop the user is a member of."""
    return _base().filter(shop__members__user=user)


def requests_for_staff(user) -> QuerySet[AfterSalesRequest]:
    return _base() if is_arbitrator(user) else AfterSalesRequest.objects.none()


def visible_requests(user) -> QuerySet[AfterSalesRequest]:
    """Everything the user may read in any role: their own, their shops', all for staff."""
    if not user.is_authenticated:
        return AfterSalesRequest.objects.none()
    if is_arbitrator(user):
        return _base()
    return _base().filter(Q(buyer=user) | Q(shop__members__user=user)).distinct()


def overdue_requests(*, now: datetime) -> QuerySet[AfterSalesRequest]:
    """Requests whose deadline has passed, oldest first (uses the partial index on due_at)."""
    return AfterSalesRequest.objects.filter(due_at__lte=now).order_by("due_at", "pk")
