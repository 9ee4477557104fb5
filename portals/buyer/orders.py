"""My orders (已买到的宝贝): the front page of the buyer portal."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from aftersales import policy
from aftersales.selectors import orders_for_buyer

PAGE_SIZE = 10


def home(request: HttpRequest) -> HttpResponse:
    """The buyer portal's front page: my orders when signed in, else where to go."""
    if request.user.is_authenticated:
        return my_orders(request)
    return render(request, "home.html")


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    """已买到的宝贝: each item says what after-sales service can be asked for and until when,
    or why none (the policy that checks a submission, ``policy.standing``)."""
    page = Paginator(orders_for_buyer(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for order in page:
        for item in order.items.all():
            item.order = order  # the prefetched parent, so the policy reads its shop for free
            item.open_request = item.open_requests[0] if item.open_requests else None
            item.standing = policy.standing(
                item,
                now=now,
                refunded_units=item.units_refunded,
                in_progress=item.open_request is not None,
            )
    return render(request, "buyer/my_orders.html", {"page": page})
