"""The seller center's webhooks (README "Webhooks"): a shop owner's endpoints, their signing
secrets, test events and the delivery log with a re-send per delivery.

Only owners: another member of the shop gets the 403 page; another shop's endpoint or
delivery is a 404 (:mod:`webhooks.selectors`). The services check the owner again.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.errors import AfterSalesError
from orders.models import Shop, ShopMember
from webhooks import events, services
from webhooks.forms import EndpointForm
from webhooks.models import Delivery, Endpoint
from webhooks.selectors import deliveries_of, endpoints_for_owner

from .access import seller_required

PAGE_SIZE = 25
# The secret of an endpoint just created is shown on its page once, then only on demand.
NEW_SECRET = "webhooks.new_secret"


def owner_required(view: Callable) -> Callable:
    """A member of a shop who owns one; other members get the 403 page."""

    @seller_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.owned_shop_ids = [
            shop.pk for shop in request.seller_shops if shop.member_role == ShopMember.Role.OWNER
        ]
        if not request.owned_shop_ids:
            return render(request, "seller/webhooks_owner_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _endpoint(request: HttpRequest, pk: int) -> Endpoint:
    return get_object_or_404(endpoints_for_owner(request.user), pk=pk)


@owner_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    shops = Shop.objects.filter(pk__in=request.owned_shop_ids)
    form = EndpointForm(request.POST or None, shops=shops)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.add_endpoint(
                shop=form.cleaned_data.get("shop") or shops.get(),
                actor=request.user,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
        except AfterSalesError as error:
            form.add_error(None, str(error))
        else:
            request.session[NEW_SECRET] = endpoint.pk
            messages.success(request, _("Endpoint added. Copy its signing secret now."))
            return redirect("seller:webhook", endpoint.pk)
    return render(
        request,
        "seller/webhooks.html",
        {"endpoints": endpoints_for_owner(request.user), "form": form, "events": events},
        status=400 if form.errors else 200,
    )


def _detail(request: HttpRequest, endpoint: Endpoint, *, show_secret: bool) -> HttpResponse:
    page = Paginator(deliveries_of(endpoint), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(events.CHOICES) | {events.TEST: _("Test event")}
    for delivery in page:
        delivery.event_label = labels.get(delivery.event_type, delivery.event_type)
    return render(
        request,
        "seller/webhook.html",
        {
            "endpoint": endpoint,
            "page": page,
            "show_secret": show_secret,
            "chosen": [label for name, label in events.CHOICES if name in endpoint.event_types],
        },
    )


@owner_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    new = request.session.pop(NEW_SECRET, None) == endpoint.pk
    return _detail(request, endpoint, show_secret=new)


@owner_required
@require_POST
def reveal_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """The secret on demand: the answer to a POST, so it sits in no URL or history entry."""
    response = _detail(request, _endpoint(request, pk), show_secret=True)
    response["Cache-Control"] = "no-store"
    return response


def _act(request: HttpRequest, endpoint: Endpoint, action, success: str) -> HttpResponse:
    try:
        action()
    except AfterSalesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("seller:webhook", endpoint.pk)


@owner_required
@require_POST
def set_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    enabled = request.POST.get("enabled") == "1"
    return _act(
        request,
        endpoint,
        lambda: services.set_endpoint_enabled(
            endpoint=endpoint, actor=request.user, enabled=enabled
        ),
        _("Endpoint turned on.") if enabled else _("Endpoint turned off."),
    )


@owner_required
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    return _act(
        request,
        endpoint,
        lambda: services.send_test_event(endpoint=endpoint, actor=request.user),
        _("Test event sent. Its delivery is at the top of the log."),
    )


@owner_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    services.delete_endpoint(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Endpoint deleted."))
    return redirect("seller:webhooks")


@owner_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(
        Delivery.objects.select_related("endpoint"),
        pk=pk,
        endpoint__in=endpoints_for_owner(request.user),
    )
    endpoint = delivery.endpoint
    return _act(
        request,
        endpoint,
        lambda: services.resend_delivery(delivery_row=delivery, actor=request.user),
        _("Sent again."),
    )
