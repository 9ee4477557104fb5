"""The seller center's front page: the shop's after-sales queue (filter, CSV, bulk approve)
and its scores."""

import csv

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales import services
from aftersales.errors import AfterSalesError
from aftersales.models import Kind, Reason, State
from aftersales.selectors import (
    SELLER_QUEUE_STATES,
    requests_for_seller,
    seller_dashboard_counts,
    seller_queue,
)
from orders.selectors import shops_for_member
from reviews.charts import trend_svg
from reviews.selectors import shop_scores, weekly_trend

from .access import seller_required

PAGE_SIZE = 25
TREND_WEEKS = 12


class QueueFilter(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("open", gettext_lazy("In progress")), ("", gettext_lazy("All")), *State.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", "—"), *Kind.choices]
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), required=False, choices=[("", "—"), *Reason.choices]
    )
    created_from = forms.DateField(
        label=gettext_lazy("Filed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_to = forms.DateField(
        label=gettext_lazy("Filed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = forms.CharField(label=gettext_lazy("Order number or buyer"), required=False, max_length=50)

    def __init__(self, params):
        """Unfiltered, the queue shows what is in progress; ``state=`` asks for all states."""
        params = params.copy()
        params.setdefault("state", "open")
        super().__init__(params)

    def queue(self, user):
        data = self.cleaned_data if self.is_valid() else {"state": "open"}
        return seller_queue(
            user,
            state=data.get("state", ""),
            kind=data.get("kind", ""),
            reason=data.get("reason", ""),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            search=data.get("q", ""),
        )


def scores_context(shops, *, now) -> list[dict]:
    """For the seller dashboard: each of the user's shops with its scores and trend chart."""
    return [
        {
            "shop": shop,
            "scores": [shop_scores(shop, days=days, now=now) for days in (30, 90)],
            "chart": trend_svg(weekly_trend(shop, weeks=TREND_WEEKS, now=now)),
        }
        for shop in shops
    ]


@seller_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The day's work: what waits for the shop, what is due soon, the queue by deadline."""
    filters = QueueFilter(request.GET)
    page = Paginator(filters.queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = seller_dashboard_counts(request.user, now=timezone.now())
    query = filters.data.copy()
    query.pop("page", None)
    return render(
        request,
        "seller/dashboard.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "state_counts": [(State(s), counts[s]) for s in SELLER_QUEUE_STATES],
            "due_soon": counts["due_soon"],
            "overdue": counts["overdue"],
            "shops": shops_for_member(request.user),
            "shop_scores": scores_context(shops_for_member(request.user), now=timezone.now()),
        },
    )


@seller_required
def export_queue(request: HttpRequest) -> HttpResponse:
    """The filtered queue as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    requests = QueueFilter(request.GET).queue(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="aftersales-queue.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Request"),
            _("Order"),
            _("Item"),
            _("Buyer"),
            _("Kind"),
            _("Reason"),
            _("State"),
            _("Quantity"),
            _("Refund amount"),
            _("Filed"),
            _("Deadline"),
        ]
    )
    for r in requests.iterator(chunk_size=500):
        writer.writerow(
            [
                r.pk,
                r.order.number,
                r.order_item.title,
                r.buyer.get_username(),
                r.get_kind_display(),
                r.get_reason_display(),
                r.get_state_display(),
                r.quantity,
                r.refund_amount,
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(r.due_at).strftime("%Y-%m-%d %H:%M") if r.due_at else "",
            ]
        )
    return response


@seller_required
@require_POST
def bulk_approve(request: HttpRequest) -> HttpResponse:
    """Approve several refund-only requests; each goes through the service on its own and
    reports its own result."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    chosen = requests_for_seller(request.user).filter(pk__in=ids)
    if not ids:
        messages.error(request, _("Tick the requests to approve first."))
    for aftersales in chosen:
        if aftersales.kind != Kind.REFUND_ONLY:
            messages.error(
                request,
                _("#%(id)s: only refund-only requests can be approved in bulk.")
                % {"id": aftersales.pk},
            )
            continue
        try:
            services.approve_request(request=aftersales, actor=request.user)
        except AfterSalesError as error:
            messages.error(request, f"#{aftersales.pk}: {error.message}")
        else:
            messages.success(
                request,
                _("#%(id)s approved: ¥%(amount)s refunded.")
                % {"id": aftersales.pk, "amount": aftersales.refund_amount},
            )
    return redirect(reverse("seller:dashboard") + "?" + request.POST.get("query", ""))
