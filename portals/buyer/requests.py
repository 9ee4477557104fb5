"""The buyer's after-sales pages (SPEC §1): file a request, follow it, act on it.

Views stay thin: they find the row through a buyer-scoped selector (someone else's id is a
404), validate a form, call one service, and report the result. A service refusing the action
(stale page, double click) becomes a message on the request page; nothing changes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales import guide, policy, services, timeline
from aftersales.errors import AfterSalesError
from aftersales.forms import EscalateForm, MessageForm, NoteForm, RequestForm, ReturnShipmentForm
from aftersales.models import Action, AfterSalesRequest, Kind, LedgerEntry, Proposal, Role, State
from aftersales.selectors import STATUS_STATES, requests_for_buyer
from aftersales.services.messages import CONVERSATION_CLOSED
from disputes import services as dispute_services
from disputes.forms import ComplaintForm, EvidenceAnswerForm
from disputes.models import EvidenceRequest
from orders.selectors import items_for_buyer

from ..common import act, evidence_asks, latest_dispute, moved_on, review_context, submit

PAGE_SIZE = 20


def _own_request(request: HttpRequest, pk: int) -> AfterSalesRequest:
    return get_object_or_404(requests_for_buyer(request.user), pk=pk)


def _url(aftersales: AfterSalesRequest) -> str:
    return reverse("buyer:request_detail", args=[aftersales.pk])


def _done(aftersales: AfterSalesRequest) -> HttpResponse:
    return redirect(_url(aftersales))


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """售后列表: the buyer's requests, newest first, filtered by processing / finished / closed."""
    status = request.GET.get("status", "")
    status = status if status in STATUS_STATES else ""
    page = Paginator(requests_for_buyer(request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "status": status, "query": f"status={status}" if status else ""}
    return render(request, "buyer/request_list.html", context)


def _detail_context(request: HttpRequest, aftersales: AfterSalesRequest, **forms) -> dict:
    """The request page. Only what the current state shows is read and built: the forms of
    the actions the buyer may take now (or the one that came back with errors), the pending
    proposal from the timeline, the dispute if the request was ever escalated, the complaint
    and the review once it has ended."""
    available = aftersales.available_actions(Role.BUYER)
    entries = timeline.timeline(aftersales)
    pending = None
    if "accept_proposal" in available:
        pending = next(
            (
                entry.obj
                for entry in reversed(entries)
                if entry.kind == "proposal" and entry.obj.status == Proposal.Status.PENDING
            ),
            None,
        )
    dispute = latest_dispute(aftersales, entries)
    ended = not aftersales.is_open
    return {
        "aftersales": aftersales,
        "guide": guide.buyer_guide(aftersales, entries, actions=available, proposal=pending),
        "steps": timeline.progress(aftersales, entries),
        "entries": entries,
        "actions": available,
        "proposal": pending,
        "dispute": dispute,
        "evidence_asks": evidence_asks(request, dispute, Role.BUYER, forms.get("answer_forms")),
        "complaint": aftersales.complaints.last() if ended else None,
        # The repair fee the buyer accepted: charged to which payment method, and when.
        "fee_charge": aftersales.ledger_entries.filter(type=LedgerEntry.Type.REPAIR_FEE).first()
        if aftersales.repair_fee
        else None,
        "may_complain": dispute_services.may_complain(aftersales),
        **review_context(aftersales),
        "ship_form": forms.get("ship_form")
        or (ReturnShipmentForm(aftersales=aftersales) if "ship_return" in available else None),
        "decline_form": forms.get("decline_form")
        or (NoteForm() if "decline_proposal" in available else None),
        "message_form": forms.get("message_form")
        or (MessageForm(owner=request.user) if aftersales.accepts_messages else None),
    }


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    services.mark_read(request=aftersales, actor=request.user)  # the shop's messages: 已读
    return render(request, "buyer/request_detail.html", _detail_context(request, aftersales))


def _apply_form_context(item, kind, standing, form) -> dict:
    return {"item": item, "kind": kind, "standing": standing, "form": form}


def _apply_kind_context(item, standing, now) -> dict:
    """The kinds the item may still ask for; a repair says whether the shop or the buyer pays."""
    return {
        "item": item,
        "standing": standing,
        "paid_repair": policy.out_of_warranty(item, now=now),
        "warranty_ends_at": policy.warranty_ends_at(item),
    }


@login_required
def apply(request: HttpRequest, item_id: int) -> HttpResponse:
    """申请售后: choose the kind, then the reason, quantity, amount, description and evidence."""
    item = get_object_or_404(items_for_buyer(request.user), pk=item_id)
    now = timezone.now()
    standing = policy.standing(item, now=now)
    open_request = policy.open_request(item)
    if open_request is not None:
        messages.info(request, policy.ONE_OPEN_REQUEST)
        return _done(open_request)
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in standing.kinds:
        context = _apply_kind_context(item, standing, now)
        if request.method == "POST":
            # The page was older than the window: say so, and give back what was typed.
            messages.error(
                request,
                standing.why_not
                or _(
                    "The window for this kind of request has passed for this item. Here is "
                    "what is still open."
                ),
            )
            context["typed"] = request.POST.get("description", "")
        return render(request, "buyer/apply_kind.html", context)
    kind = Kind(kind)
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        owner=request.user,
        item=item,
        kind=kind,
        now=now,
        standing=standing,
    )
    if request.method == "POST" and form.is_valid():
        try:
            aftersales = services.submit_request(
                buyer=request.user,
                order_item=item,
                kind=kind,
                reason=form.cleaned_data["reason"],
                quantity=form.cleaned_data["quantity"],
                refund_amount=form.refund,
                description=form.cleaned_data["description"],
                files=form.evidence(),
                now=now,
                **form.exchange_terms,
            )
        except AfterSalesError as error:
            form.add_error(None, error.message)
        else:
            form.discard_kept()
            messages.success(request, _filed(aftersales, _("Your request was sent to the seller.")))
            return _done(aftersales)
    if request.method == "POST":
        form.keep_accepted()
    return render(request, "buyer/apply_form.html", _apply_form_context(item, kind, standing, form))


@login_required
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """修改申请: revise a rejected request and send it to the seller again."""
    aftersales = _own_request(request, pk)
    if not aftersales.allows(Action.RESUBMIT, Role.BUYER):
        messages.error(request, _("This request cannot be revised now."))
        return _done(aftersales)
    item, now = aftersales.order_item, timezone.now()
    standing = policy.standing(item, now=now)
    kind = Kind(request.POST.get("kind") or request.GET.get("kind") or aftersales.kind)
    if kind not in standing.kinds:
        kind = aftersales.kind
    initial = {
        "reason": aftersales.reason,
        "quantity": aftersales.quantity,
        "refund_amount": aftersales.refund_amount,
        "description": aftersales.description,
        "replacement": aftersales.replacement,
        "replacement_details": aftersales.replacement_details,
        "delivery_address": aftersales.delivery_address or item.order.shipping_address,
    }
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        owner=request.user,
        item=item,
        kind=kind,
        now=now,
        standing=standing,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.resubmit_request(
                request=aftersales,
                actor=request.user,
                kind=kind,
                reason=form.cleaned_data["reason"],
                quantity=form.cleaned_data["quantity"],
                refund_amount=form.refund,
                description=form.cleaned_data["description"],
                files=form.evidence(),
                now=now,
                **form.exchange_terms,
            )
        except AfterSalesError as error:
            if moved_on(request, error):
                return _done(aftersales)
            form.add_error(None, error.message)
        else:
            form.discard_kept()
            messages.success(
                request, _filed(aftersales, _("Your revised request was sent to the seller."))
            )
            return _done(aftersales)
    if request.method == "POST":
        form.keep_accepted()
    context = _apply_form_context(item, kind, standing, form)
    context["revising"] = aftersales
    return render(request, "buyer/apply_form.html", context)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    return act(
        request,
        lambda: services.withdraw_request(request=aftersales, actor=request.user),
        success=_("You withdrew the request."),
        done=_url(aftersales),
    )


@login_required
@require_POST
def accept_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    return act(
        request,
        lambda: services.accept_proposal(request=aftersales, actor=request.user),
        success=_(
            "You accepted the repair fee; it is charged to your payment method. Now send the "
            "item for repair."
        )
        if aftersales.buyer_pays_repair()
        else _("You accepted the seller's proposal."),
        done=_url(aftersales),
    )


@login_required
@require_POST
def decline_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, aftersales, decline_form=form)
        return render(request, "buyer/request_detail.html", context, status=400)
    return act(
        request,
        lambda: services.decline_proposal(
            request=aftersales, actor=request.user, note=form.cleaned_data["note"]
        ),
        success=_("You declined the repair fee. The request is closed; nothing was charged.")
        if aftersales.buyer_pays_repair()
        else _(
            "You declined the proposal. You can revise your request, ask the platform to step "
            "in, or withdraw."
        ),
        done=_url(aftersales),
    )


@login_required
@require_POST
def ship_return(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    form = ReturnShipmentForm(request.POST, aftersales=aftersales)
    if not form.is_valid():
        context = _detail_context(request, aftersales, ship_form=form)
        return render(request, "buyer/request_detail.html", context, status=400)
    return act(
        request,
        lambda: services.ship_return(request=aftersales, actor=request.user, **form.cleaned_data),
        success=_("Tracking number saved. The seller has been told the goods are on their way."),
        done=_url(aftersales),
    )


@login_required
@require_POST
def confirm_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    return act(
        request,
        lambda: services.confirm_delivery(request=aftersales, actor=request.user),
        success=_("You confirmed receipt. This after-sales request is complete."),
        done=_url(aftersales),
    )


@login_required
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    """申请平台介入: the buyer's statement and evidence open a dispute."""
    aftersales = _own_request(request, pk)
    if not aftersales.allows(Action.ESCALATE, Role.BUYER):
        messages.error(request, _("The platform can be asked to step in only after a rejection."))
        return _done(aftersales)
    form = EscalateForm(request.POST or None, request.FILES or None, owner=request.user)
    if request.method == "POST" and (
        response := submit(
            request,
            form,
            lambda data, files: services.escalate_to_platform(
                request=aftersales,
                actor=request.user,
                reason=data["reason"],
                statement=data["statement"],
                files=files,
            ),
            success=_("The platform will review your case."),
            done=_url(aftersales),
        )
    ):
        return response
    return render(request, "buyer/escalate.html", {"aftersales": aftersales, "form": form})


@login_required
@require_POST
def post_message(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _own_request(request, pk)
    if not aftersales.accepts_messages:
        messages.error(request, CONVERSATION_CLOSED)
        return _done(aftersales)
    form = MessageForm(request.POST, request.FILES, owner=request.user)
    response = submit(
        request,
        form,
        lambda data, files: services.post_message(
            request=aftersales, actor=request.user, body=data["body"], files=files
        ),
        success=_("Message sent."),
        done=_url(aftersales) + "#thread",
    )
    return response or render(
        request,
        "buyer/request_detail.html",
        _detail_context(request, aftersales, message_form=form),
        status=400,
    )


@login_required
@require_POST
def provide_evidence(request: HttpRequest, pk: int, ask_id: int) -> HttpResponse:
    """Answer the platform's request for more evidence."""
    aftersales = _own_request(request, pk)
    ask = get_object_or_404(
        EvidenceRequest, pk=ask_id, dispute__request=aftersales, party=Role.BUYER
    )
    form = EvidenceAnswerForm(
        request.POST, request.FILES, owner=request.user, id_prefix=f"ask{ask.pk}"
    )
    response = submit(
        request,
        form,
        lambda data, files: dispute_services.provide_evidence(
            evidence_request=ask, actor=request.user, answer=data["answer"], files=files
        ),
        success=_("Thank you. The platform has your evidence."),
        done=_url(aftersales),
    )
    return response or render(
        request,
        "buyer/request_detail.html",
        _detail_context(request, aftersales, answer_forms={ask.pk: form}),
        status=400,
    )


@login_required
def complain(request: HttpRequest, pk: int) -> HttpResponse:
    """维权: complain to the platform about the shop, once the request is finished."""
    aftersales = _own_request(request, pk)
    if not dispute_services.may_complain(aftersales):
        messages.error(request, dispute_services.COMPLAIN_ONCE_FINISHED)
        return _done(aftersales)
    form = ComplaintForm(request.POST or None, request.FILES or None, owner=request.user)
    if request.method == "POST" and (
        response := submit(
            request,
            form,
            lambda data, files: dispute_services.file_complaint(
                request=aftersales,
                actor=request.user,
                reason=data["reason"],
                description=data["description"],
                files=files,
            ),
            success=_("Your complaint was sent to the platform."),
            done=_url(aftersales),
        )
    ):
        return response
    return render(request, "buyer/complain.html", {"aftersales": aftersales, "form": form})


def _filed(aftersales, sent: str) -> str:
    """What the buyer is told once the request is filed: sent to the seller, or agreed at once
    by the shop's automation rule (售后自动化), named."""
    if aftersales.state == State.SUBMITTED:
        return sent
    step = aftersales.events.filter(rule__isnull=False).select_related("rule").last()
    if step is None:
        return sent
    return _("The shop's automation rule “%(rule)s” agreed at once: %(state)s.") % {
        "rule": step.rule.name,
        "state": aftersales.state_label,
    }
