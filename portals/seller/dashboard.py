"""The seller center's front page: the shop's after-sales queue (filter, CSV, bulk approve)
and its scores."""

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales import rules, services
from aftersales.errors import AfterSalesError
from aftersales.models import AfterSalesRequest, Kind, Reason, State
from aftersales.selectors import (
    SELLER_QUEUE_STATES,
    ByIds,
    requests_in_shops,
    seller_dashboard_counts,
    seller_queue,
    shops_changed_at,
)
from orders.models import ShopMember
from reviews.charts import trend_svg
from reviews.summary import marketplace, summaries

from .access import seller_required, shop_ids

PAGE_SIZE = 25
RULES_WEEK = timedelta(days=7)


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

    def queue(self, shop_ids: list[int]) -> QuerySet[AfterSalesRequest]:
        data = self.cleaned_data if self.is_valid() else {"state": "open"}
        return seller_queue(
            shop_ids,
            state=data.get("state", ""),
            kind=data.get("kind", ""),
            reason=data.get("reason", ""),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            search=data.get("q", ""),
        )


def scores_context(shops) -> list[dict]:
    """For the seller dashboard: each of the user's shops with its stored scores and trend
    chart, and its speed (median first response and time to refund, last 30 days) against
    the marketplace's (two queries for all of them; see :mod:`reviews.summary`)."""
    stored = summaries(shop.pk for shop in shops)
    everyone = marketplace()
    return [
        {
            "shop": shop,
            "scores": stored[shop.pk].scores,
            "chart": trend_svg(stored[shop.pk].trend),
            "computed_at": stored[shop.pk].computed_at,
            "speed": stored[shop.pk].scores[0],
            "marketplace": everyone.scores[0],
            "marketplace_at": everyone.computed_at,
        }
        for shop in shops
    ]


# How long a rendering of the queue is served at most: its deadline texts ("还剩4天23小时") and
# the due-soon and overdue counters are read against the clock.
QUEUE_CACHE_SECONDS = 60


def approvable_in_bulk(aftersales) -> bool:
    """A row gets a tick box when one click may approve it: a refund-only request waiting for
    the seller's answer."""
    return aftersales.kind == Kind.REFUND_ONLY and aftersales.state == State.SUBMITTED


@seller_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The day's work: what waits for the shop, what is due soon, the queue by deadline.

    The queue (counters, filters, rows, pages) is rendered once per change and served from the
    cache (``{% cache %}`` in the template) until one of the shops' requests changes, another
    minute passes, or another filter or page is asked for: then one query for the queue's
    freshness (:func:`shops_changed_at`, from an index) stands for the counters' aggregate,
    the page count and the page's rows, which run only when the rendering is made. The stored
    scores are one more query."""
    shops = request.seller_shops
    ids = shop_ids(request)
    filters = QueueFilter(request.GET)
    query = filters.data.copy()
    query.pop("page", None)

    def queue() -> dict:
        counts = seller_dashboard_counts(ids, now=timezone.now())
        page = Paginator(ByIds(filters.queue(ids)), PAGE_SIZE).get_page(request.GET.get("page"))
        return {
            "page": page,
            "tickable": {r.pk for r in page if approvable_in_bulk(r)},
            "state_counts": [(State(s), counts[s]) for s in SELLER_QUEUE_STATES],
            "due_soon": counts["due_soon"],
            "overdue": counts["overdue"],
            # A rule's step changes its request, so the cached rendering is made afresh.
            "handled_by_rules": rules.handled_since(ids, since=timezone.now() - RULES_WEEK),
        }

    return render(
        request,
        "seller/dashboard.html",
        {
            "filters": filters,
            "queue": SimpleLazyObject(queue),
            "queue_seconds": QUEUE_CACHE_SECONDS,
            "queue_version": (ids, shops_changed_at(ids), request.GET.urlencode()),
            "query": query.urlencode(),
            "shops": shops,
            "shop_scores": scores_context(shops),
            "owns_shop": any(shop.member_role == ShopMember.Role.OWNER for shop in shops),
        },
    )


# Spreadsheet programs run a cell that starts like a formula (CSV injection): such a cell is
# written with a leading apostrophe, which they show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = [
    "pk",
    "order__number",
    "order_item__title",
    "buyer__username",
    "kind",
    "reason",
    "state",
    "quantity",
    "refund_amount",
    "created_at",
    "due_at",
]
EXPORT_ROWS_PER_CHUNK = 500


def cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_chunks(header: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
    """The CSV text, a few hundred rows at a time, starting with the byte order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(value) for value in row])
        if n % EXPORT_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@seller_required
def export_queue(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered queue as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese),
    streamed while it is read: plain values from a database cursor, never model instances, so
    memory stays the same for 10 rows or 100,000. Labels and the time zone are resolved here,
    in the request's language, before the response is streamed."""
    values = QueueFilter(request.GET).queue(shop_ids(request)).values_list(*EXPORT_COLUMNS)
    labels = {**dict(Kind.choices), **dict(Reason.choices), **dict(State.choices)}
    labels = {value: str(label) for value, label in labels.items()}
    zone = timezone.get_current_timezone()

    def when(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = (
        [pk, number, title, buyer, labels[kind], labels[reason], labels[state], quantity, amount]
        + [when(created), when(due)]
        for pk, number, title, buyer, kind, reason, state, quantity, amount, created, due in (
            values.iterator(chunk_size=2000)
        )
    )
    header = [
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
    response = StreamingHttpResponse(
        csv_chunks(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="aftersales-queue.csv"'
    return response


@seller_required
@require_POST
def bulk_approve(request: HttpRequest) -> HttpResponse:
    """Approve several refund-only requests; each goes through the service on its own and
    reports its own result."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    chosen = requests_in_shops(shop_ids(request)).filter(pk__in=ids)
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
