"""Customer service's queue and call-back queue in the admin (the support group's work).

The queue of conversations: the longest wait first, with the person's open requests; one page
per conversation with its thread and the forms to answer (with quick replies), hand over to the
arbitrators and close. The call-back queue: the soonest window first, with the number (staff
only) and the form to record the outcome. Every change goes through ``support.services``.
"""

from django.contrib import admin, messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from aftersales.actors import is_arbitrator
from aftersales.errors import AfterSalesError

from . import selectors, services
from .forms import HandoverForm, OutcomeForm, ReplyForm
from .models import Callback, Conversation, QuickReply


class StaffQueueAdmin(admin.ModelAdmin):
    list_per_page = 25
    show_full_result_count = False

    class Media:
        css = {"all": ["css/staff.css"]}

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the forms on the page change it, through the services


def _request_link(aftersales) -> str:
    return format_html(
        '<a href="{}">#{}</a>',
        reverse("admin:aftersales_aftersalesrequest_change", args=[aftersales.pk]),
        aftersales.pk,
    )


@admin.register(Conversation)
class ConversationAdmin(StaffQueueAdmin):
    list_display = ["id", "waiting", "asker", "status", "about", "open_requests", "handed_over"]
    list_filter = ["status", "handed_over"]
    search_fields = ["=id", "asker__username", "=request__id"]
    list_select_related = ["asker", "request"]
    fields = [
        "asker",
        "request",
        "status",
        "created_at",
        "closed_at",
        "handed_over",
        "dispute",
        "complaint",
        "rating",
        "rating_comment",
    ]
    change_form_template = "admin/support/conversation/change_form.html"

    def get_queryset(self, request):
        return selectors.conversations_for_staff(request.user)

    def get_ordering(self, request):
        # The longest wait first; answered and closed ones after, newest first.
        return [F("waiting_since").asc(nulls_last=True), "-created_at"]

    @admin.display(description=_("waiting"), ordering="waiting_since")
    def waiting(self, conversation: Conversation) -> str:
        if conversation.waiting_since is None:
            return "—"
        return format_html("<strong>{}</strong>", timesince(conversation.waiting_since))

    @admin.display(description=_("about"))
    def about(self, conversation: Conversation) -> str:
        return _request_link(conversation.request) if conversation.request else "—"

    @admin.display(description=_("open requests"))
    def open_requests(self, conversation: Conversation) -> str:
        requests = list(selectors.open_requests_of(conversation.asker).order_by("-pk")[:5])
        if not requests:
            return "0"
        count = selectors.open_requests_of(conversation.asker).count()
        return format_html(
            "{}: {}", count, format_html_join(" ", "{}", ((_request_link(r),) for r in requests))
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/answer/", wrap(self.answer_view), name="support_conversation_answer"),
            path("<int:pk>/close/", wrap(self.close_view), name="support_conversation_close"),
            path(
                "<int:pk>/hand-over/",
                wrap(self.hand_over_view),
                name="support_conversation_hand_over",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, pk, **forms) -> dict:
        conversation = get_object_or_404(self.get_queryset(request), pk=pk)
        return {
            "conversation": conversation,
            "thread": conversation.messages.select_related("author"),
            "can_answer": services.is_support(request.user) and not conversation.is_closed,
            "can_hand_over": services.is_support(request.user)
            and not conversation.handed_over
            and conversation.request is not None
            and conversation.request.buyer_id == conversation.asker_id,
            "reply_form": forms.get("reply_form") or ReplyForm(),
            "dispute_form": forms.get("dispute_form")
            or HandoverForm(
                initial={"kind": Conversation.Handover.DISPUTE},
                reasons=services.handover_reasons(Conversation.Handover.DISPUTE),
                prefix="dispute",
            ),
            "complaint_form": forms.get("complaint_form")
            or HandoverForm(
                initial={"kind": Conversation.Handover.COMPLAINT},
                reasons=services.handover_reasons(Conversation.Handover.COMPLAINT),
                prefix="complaint",
            ),
            "quick_replies": QuickReply.objects.all(),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request, object_id, form_url, extra_context=self._context(request, object_id)
        )

    def _back(self, pk) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:support_conversation_change", args=[pk]))

    def _again(self, request, pk, **forms) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            **self._context(request, pk, **forms),
            "opts": self.model._meta,
            "title": _("Conversation #%(id)s") % {"id": pk},
        }
        return TemplateResponse(
            request, "admin/support/conversation/forms.html", context, status=400
        )

    def _run(self, request, pk, do, success) -> HttpResponse:
        try:
            do()
        except AfterSalesError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
        return self._back(pk)

    def answer_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        conversation = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            return self._back(pk)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            return self._again(request, pk, reply_form=form)
        body = form.answer_for(conversation.asker)
        return self._run(
            request,
            pk,
            lambda: services.answer(conversation=conversation, actor=request.user, body=body),
            _("Answer sent."),
        )

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        conversation = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            return self._back(pk)
        return self._run(
            request,
            pk,
            lambda: services.close(conversation=conversation, actor=request.user),
            _("The conversation is closed; the asker may rate the answer."),
        )

    def hand_over_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        conversation = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            return self._back(pk)
        prefix = "complaint" if request.POST.get("complaint-kind") else "dispute"
        kind = request.POST.get(f"{prefix}-kind", "")
        form = HandoverForm(request.POST, reasons=services.handover_reasons(kind), prefix=prefix)
        if not form.is_valid():
            return self._again(request, pk, **{f"{prefix}_form": form})
        data = form.cleaned_data
        try:
            services.hand_over(
                conversation=conversation,
                actor=request.user,
                kind=data["kind"],
                reason=data["reason"],
                statement=data["statement"],
            )
        except AfterSalesError as error:
            form.add_error(None, error.message)
            return self._again(request, pk, **{f"{prefix}_form": form})
        messages.success(request, _("Handed over to the arbitrators."))
        return self._back(pk)


@admin.register(Callback)
class CallbackAdmin(StaffQueueAdmin):
    list_display = ["window", "number", "asker_role", "about", "outcome", "handled_by"]
    list_filter = ["outcome", "asker_role"]
    search_fields = ["=request__id", "phone"]
    list_select_related = ["request", "handled_by"]
    fields = [
        "request",
        "asker",
        "asker_role",
        "phone",
        "window_start",
        "window_end",
        "note",
        "created_at",
        "outcome",
        "outcome_note",
        "handled_by",
        "handled_at",
    ]
    change_form_template = "admin/support/callback/change_form.html"

    def get_ordering(self, request):
        # What is still to be called first, the soonest window first.
        return [F("handled_at").desc(nulls_first=True), "window_start"]

    @admin.display(description=_("window"), ordering="window_start")
    def window(self, callback: Callback) -> str:
        start = timezone.localtime(callback.window_start)
        end = timezone.localtime(callback.window_end)
        text = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        if not callback.outcome and callback.window_end < timezone.now():
            return format_html('<strong class="overdue">{} · {}</strong>', text, _("missed"))
        return text

    @admin.display(description=_("phone number"))
    def number(self, callback: Callback) -> str:
        return callback.phone_display

    @admin.display(description=_("after-sales request"))
    def about(self, callback: Callback) -> str:
        return _request_link(callback.request)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/outcome/", wrap(self.outcome_view), name="support_callback_outcome"),
            *super().get_urls(),
        ]

    def _context(self, request, pk, form=None) -> dict:
        callback = get_object_or_404(Callback.objects.select_related("request"), pk=pk)
        return {
            "callback": callback,
            "can_record": is_arbitrator(request.user) and not callback.outcome,
            "outcome_form": form or OutcomeForm(),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request, object_id, form_url, extra_context=self._context(request, object_id)
        )

    def outcome_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        callback = get_object_or_404(Callback, pk=pk)
        back = HttpResponseRedirect(reverse("admin:support_callback_change", args=[pk]))
        if request.method != "POST":
            return back
        if not is_arbitrator(request.user):
            context = {
                **self.admin_site.each_context(request),
                "title": _("Not for your role"),
                "reason": _(
                    "Arbitrators record the outcome: it goes on the request's history as the "
                    "platform's."
                ),
                "back": back.url,
                "back_title": _("Call back #%(id)s") % {"id": pk},
            }
            return TemplateResponse(request, "admin/refused.html", context, status=403)
        form = OutcomeForm(request.POST)
        if form.is_valid():
            try:
                services.record_callback(
                    callback=callback,
                    actor=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except AfterSalesError as error:
                if error.moved_on:
                    messages.error(request, error.message)
                    return back
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The outcome is on the request's history."))
                return back
        context = {
            **self.admin_site.each_context(request),
            **self._context(request, pk, form=form),
            "opts": self.model._meta,
            "title": _("Call back #%(id)s") % {"id": pk},
        }
        return TemplateResponse(request, "admin/support/callback/forms.html", context, status=400)


@admin.register(QuickReply)
class QuickReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "text_zh", "text_en", "position"]
    list_editable = ["position"]
