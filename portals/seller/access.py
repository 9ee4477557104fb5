"""Who reaches the seller center: members of a shop."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.selectors import shops_for_member


def seller_required(view: Callable) -> Callable:
    """Signed in and a member of at least one shop; otherwise 403 with a page that explains,
    for every seller URL, GET or POST.

    The member's shops are read once, here, and kept on the request (``request.seller_shops``)
    for the view, its selectors and the page header."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.seller_shops = list(shops_for_member(request.user))
        if not request.seller_shops:
            return render(request, "seller/no_shop.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def shop_ids(request: HttpRequest) -> list[int]:
    return [shop.pk for shop in request.seller_shops]
