"""The staff portal (平台小二): the dispute queue, one page per dispute with both sides, all
evidence and the whole history, and the forms to ask for evidence and to rule; complaints.

Nothing here edits rows directly: every decision goes through ``disputes.services``. Support
staff see the same pages without the forms; only arbitrators decide: anyone else who posts a
decision anyway (an old page, a hand-made request) gets 403 and a page that says why.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aftersales import services as request_services
from aftersales import timeline
from aftersales.actors import is_arbitrator
from aftersales.admin import ReadOnlyAdminMixin
from aftersales.errors import AfterSalesError
from aftersales.models import Dispute, LedgerEntry, Ruling
from aftersales.services import fast_refunds

from . import services
from .forms import ComplaintResultForm, EvidenceRequestForm, RulingForm
from .models import Complaint, EvidenceRequest
from .selectors import SELLER_HAS_SPOKEN, with_readiness

# The rows that follow a fast refund, shown on the case beside the advance.
FAST_REFUND_ROWS = (
    LedgerEntry.Type.SHOP_SETTLEMENT,
    LedgerEntry.Type.RECOVERY,
    LedgerEntry.Type.SETTLEMENT_RETURN,
)


def refused(
    request: HttpRequest, reason: str, *, back: int, complaint: bool = False
) -> TemplateResponse:
    """403 for a staff member whose role may not take the decision: why, and the way back."""
    name = "disputes_complaint_change" if complaint else "aftersales_dispute_change"
    title = _("Complaint #%(id)s") if complaint else _("Dispute #%(id)s")
    context = {
        **admin.site.each_context(request),
        "title": _("Not for your role"),
        "reason": reason,
        "back": reverse(f"admin:{name}", args=[back]),
        "back_title": title % {"id": back},
    }
    return TemplateResponse(request, "admin/refused.html", context, status=403)


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("1", _("under a day")), ("3", _("1–3 days")), ("old", _("over 3 days"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "1":
            return queryset.filter(opened_at__gt=now - timedelta(days=1))
        if self.value() == "3":
            return queryset.filter(
                opened_at__lte=now - timedelta(days=1), opened_at__gt=now - timedelta(days=3)
            )
        if self.value() == "old":
            return queryset.filter(opened_at__lte=now - timedelta(days=3))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("ruling target")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("past the 5-day target")), ("no", _("within target"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(status=Dispute.Status.OPEN, ruling_due_at__lt=now)
        if self.value() == "no":
            return queryset.filter(status=Dispute.Status.OPEN, ruling_due_at__gte=now)
        return queryset


class WaitingForFilter(admin.SimpleListFilter):
    """Open cases by whom they wait for: the seller's answer, evidence, or nobody (issue 12)."""

    title = _("waiting for")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [
            ("nobody", _("ready for a ruling")),
            ("seller", _("the seller's answer")),
            ("evidence", _("more evidence")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "nobody":
            return queryset.filter(ready_for_ruling=True)
        if self.value() == "seller":
            return queryset.filter(status=Dispute.Status.OPEN).exclude(SELLER_HAS_SPOKEN)
        if self.value() == "evidence":
            return queryset.filter(status=Dispute.Status.OPEN, awaiting_evidence=True)
        return queryset


# The admin is the staff's workplace: the queue needs the width the app menu beside every page
# would take (at 1280 px it pushed the dispute queue into sideways scrolling). The index page
# and the breadcrumbs lead everywhere the menu did.
admin.site.enable_nav_sidebar = False
# The staff see the platform's name, not the framework's ("Django 管理").
admin.site.site_header = _("After-sales platform · staff")
admin.site.site_title = _("After-sales platform · staff")
admin.site.index_title = _("Disputes, complaints and payouts")


class WorkQueueMixin:
    """A staff work queue, worked from the top: pages the size of the seller center's, and one
    count of what the filter matches (no second count of the whole table)."""

    list_per_page = 25
    show_full_result_count = False


@admin.register(Dispute)
class DisputeAdmin(WorkQueueMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # What the queue is sorted by comes first, so it shows on a narrow screen too; the order,
    # item, shop and buyer share one column, so the queue fits 1280 px without scrolling.
    list_display = ["id", "target", "state", "waiting_for", "case", "reason", "opened"]
    list_filter = ["status", OverdueFilter, WaitingForFilter, AgeFilter, "reason", "request__shop"]
    search_fields = ["=id", "request__order__number", "request__buyer__username"]
    list_select_related = [
        "request__order",
        "request__order_item",
        "request__shop",
        "request__buyer",
    ]
    # By ruling deadline, the soonest first, the cases already ruled after all open ones ("open"
    # sorts before "ruled"; the dispute_queue index reads it in this order). The status column
    # is not sortable, so the header marks the deadline as what the queue is sorted by.
    ordering = ["status", "ruling_due_at"]
    fields = ["request", "status"]  # the case file below the form shows the rest
    change_form_template = "admin/disputes/dispute/change_form.html"

    class Media:
        css = {"all": ["css/staff.css"]}  # the overdue mark in the queue

    @admin.display(description=_("item · order · shop · buyer"))
    def case(self, dispute: Dispute) -> str:
        request = dispute.request
        return format_html(
            '{}<br><span class="quiet">{} · {} · {}</span>',
            request.order_item.title,
            request.order.number,
            request.shop.name,
            request.buyer.get_username(),
        )

    @admin.display(description=Dispute._meta.get_field("status").verbose_name)
    def state(self, dispute: Dispute) -> str:
        return dispute.get_status_display()

    @admin.display(description=_("opened"), ordering="opened_at")
    def opened(self, dispute: Dispute) -> str:
        return timezone.localtime(dispute.opened_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("ruling target"), ordering="ruling_due_at")
    def target(self, dispute: Dispute) -> str:
        when = timezone.localtime(dispute.ruling_due_at).strftime("%Y-%m-%d %H:%M")
        if dispute.is_overdue:
            return format_html('<strong class="overdue">{} · {}</strong>', when, _("overdue"))
        return when

    def get_queryset(self, request):
        return with_readiness(super().get_queryset(request))

    @admin.display(description=_("waiting for"), ordering="ready_for_ruling")
    def waiting_for(self, dispute: Dispute) -> str:
        if dispute.status != Dispute.Status.OPEN:
            return "—"
        if dispute.ready_for_ruling:
            return format_html("<strong>{}</strong>", _("ready for a ruling"))
        if not dispute.seller_has_spoken:
            return _("the seller's answer")
        return _("more evidence")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/rule/", wrap(self.rule_view), name="aftersales_dispute_rule"),
            path("<int:pk>/ask/", wrap(self.ask_view), name="aftersales_dispute_request_evidence"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request, object_id, form_url, extra_context=self._context(request, object_id)
        )

    def _context(self, request: HttpRequest, object_id, **forms) -> dict:
        dispute = get_object_or_404(
            with_readiness(Dispute.objects).select_related(
                "request__order_item__order__shop", "request__buyer", "request__shop"
            ),
            pk=object_id,
        )
        entries = timeline.timeline(dispute.request)
        can_rule = is_arbitrator(request.user) and dispute.status == Dispute.Status.OPEN
        advance = fast_refunds.advance_of(dispute.request)
        return {
            "dispute": dispute,
            "aftersales": dispute.request,
            "entries": entries,
            "show_members": True,
            "gallery": [evidence for entry in entries for evidence in entry.evidence],
            "evidence_requests": dispute.evidence_requests.all(),
            "ruling": Ruling.objects.filter(dispute=dispute).select_related("decided_by").first(),
            "can_rule": can_rule,
            "ruling_form": forms.get("ruling_form") or RulingForm(advance=advance),
            "advance": advance,
            "fast_refund_rows": (
                dispute.request.ledger_entries.exclude(type=LedgerEntry.Type.FAST_REFUND).filter(
                    type__in=FAST_REFUND_ROWS
                )
                if advance
                else ()
            ),
            "ask_form": forms.get("ask_form") or EvidenceRequestForm(),
        }

    def _back(self, dispute_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:aftersales_dispute_change", args=[dispute_id]))

    def _form_failed(self, request, pk: int, **forms) -> HttpResponse:
        """Show the decision forms again with their errors and everything typed kept."""
        context = {
            **self.admin_site.each_context(request),
            **self._context(request, pk, **forms),
            "opts": self.model._meta,
            "title": _("Dispute #%(id)s") % {"id": pk},
        }
        return TemplateResponse(
            request, "admin/disputes/dispute/decision_form.html", context, status=400
        )

    def rule_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        dispute = get_object_or_404(Dispute, pk=pk)
        if not is_arbitrator(request.user):
            return refused(request, _("Only arbitrators can rule or ask for evidence."), back=pk)
        if request.method != "POST":
            return self._back(pk)
        form = RulingForm(request.POST, advance=fast_refunds.advance_of(dispute.request))
        if form.is_valid():
            try:
                request_services.rule_dispute(
                    dispute=dispute, actor=request.user, **form.cleaned_data
                )
            except AfterSalesError as error:
                if error.moved_on:
                    messages.error(request, error.message)
                    return self._back(pk)
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Ruling recorded; both parties have been told."))
                return self._back(pk)
        return self._form_failed(request, pk, ruling_form=form)

    def ask_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        dispute = get_object_or_404(Dispute, pk=pk)
        if not is_arbitrator(request.user):
            return refused(request, _("Only arbitrators can rule or ask for evidence."), back=pk)
        if request.method != "POST":
            return self._back(pk)
        form = EvidenceRequestForm(request.POST)
        if form.is_valid():
            try:
                services.request_evidence(
                    dispute=dispute,
                    actor=request.user,
                    party=form.cleaned_data["party"],
                    question=form.cleaned_data["question"],
                    due_at=timezone.now() + timedelta(days=form.cleaned_data["days"]),
                )
            except AfterSalesError as error:
                if error.moved_on:
                    messages.error(request, error.message)
                    return self._back(pk)
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Request for evidence sent."))
                return self._back(pk)
        return self._form_failed(request, pk, ask_form=form)


@admin.register(Ruling)
class RulingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "dispute",
        "outcome",
        "refund_amount",
        "compensation_amount",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome"]
    list_select_related = ["dispute__request__order_item", "decided_by"]


@admin.register(EvidenceRequest)
class EvidenceRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["dispute", "party", "question", "due_at", "answered_at", "lapsed_at"]
    list_filter = ["party"]
    list_select_related = ["dispute__request__order_item"]


@admin.register(Complaint)
class ComplaintAdmin(WorkQueueMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "shop", "buyer", "reason", "status", "created_at", "resolved_at"]
    list_filter = ["status", "reason", "shop"]
    search_fields = ["=id", "request__order__number", "buyer__username", "shop__name"]
    list_select_related = ["shop", "buyer"]
    fields = ["request", "shop", "buyer", "status", "created_at", "handled_by", "resolved_at"]
    change_form_template = "admin/disputes/complaint/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/investigate/",
                wrap(self.investigate_view),
                name="disputes_complaint_investigate",
            ),
            path("<int:pk>/resolve/", wrap(self.resolve_view), name="disputes_complaint_resolve"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = self._complaint_context(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _complaint_context(self, request: HttpRequest, pk, result_form=None) -> dict:
        complaint = get_object_or_404(Complaint.objects.select_related("request"), pk=pk)
        return {
            "complaint": complaint,
            "aftersales": complaint.request,
            "entries": timeline.timeline(complaint.request),
            "show_members": True,
            "can_handle": is_arbitrator(request.user),
            "result_form": result_form or ComplaintResultForm(),
        }

    def _handle(self, request, pk: int, do, success: str) -> HttpResponse:
        if not is_arbitrator(request.user):
            return refused(
                request, _("Only arbitrators can handle complaints."), back=pk, complaint=True
            )
        if request.method == "POST":
            try:
                do(get_object_or_404(Complaint, pk=pk))
            except AfterSalesError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, success)
        return HttpResponseRedirect(reverse("admin:disputes_complaint_change", args=[pk]))

    def investigate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._handle(
            request,
            pk,
            lambda complaint: services.investigate_complaint(
                complaint=complaint, actor=request.user
            ),
            _("The complaint is now being investigated."),
        )

    def resolve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = ComplaintResultForm(request.POST or None)
        if is_arbitrator(request.user) and request.method == "POST" and not form.is_valid():
            # The form again with its error and what was typed.
            context = {
                **self.admin_site.each_context(request),
                **self._complaint_context(request, pk, result_form=form),
                "opts": self.model._meta,
                "title": _("Complaint #%(id)s") % {"id": pk},
            }
            return TemplateResponse(
                request, "admin/disputes/complaint/decision_form.html", context, status=400
            )
        return self._handle(
            request,
            pk,
            lambda complaint: services.resolve_complaint(
                complaint=complaint, actor=request.user, result=form.cleaned_data["result"]
            ),
            _("The complaint is resolved; the buyer can read the result."),
        )
