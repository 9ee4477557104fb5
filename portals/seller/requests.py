"""One request in the seller center: the page and every seller action on it."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales import services, timeline
from aftersales.errors import AfterSalesError
from aftersales.forms import (
    ApproveForm,
    MessageForm,
    ProposalForm,
    QuoteForm,
    RefusalForm,
    TrackingForm,
)
from aftersales.guide import money_moved
from aftersales.models import AfterSalesRequest, Kind, Role
from aftersales.selectors import (
    buyer_history_count,
    fast_refund_lines,
    requests_in_shops,
    shipping_reimbursed,
)
from aftersales.services.messages import CONVERSATION_CLOSED
from disputes import services as dispute_services
from disputes.forms import DisputeAnswerForm, EvidenceAnswerForm
from disputes.models import EvidenceRequest
from reviews import services as review_services
from reviews.forms import ReplyForm
from reviews.models import Review

from ..common import act, evidence_asks, latest_dispute, moved_on, review_context, submit
from .access import seller_required, shop_ids


def _shop_request(request: HttpRequest, pk: int) -> AfterSalesRequest:
    return get_object_or_404(requests_in_shops(shop_ids(request)), pk=pk)


def _url(aftersales: AfterSalesRequest) -> str:
    return reverse("seller:request_detail", args=[aftersales.pk])


def _done(aftersales: AfterSalesRequest) -> HttpResponse:
    return redirect(_url(aftersales))


def _detail(
    request: HttpRequest, aftersales: AfterSalesRequest, status=200, **forms
) -> HttpResponse:
    """The request page. Only what the current state shows is read and built: a form for
    each action the seller may take now (or the one that came back with errors), the dispute
    if the request was ever escalated, the review once it has ended."""
    available = aftersales.available_actions(Role.SELLER)
    owner = request.user
    entries = timeline.timeline(aftersales)
    dispute = latest_dispute(aftersales, entries)
    reviews = review_context(aftersales)

    def form(name: str, shown: bool, build):
        return forms.get(name) or (build() if shown else None)

    context = {
        "aftersales": aftersales,
        "steps": timeline.progress(aftersales, entries),
        "entries": entries,
        "gallery": [evidence for entry in entries for evidence in entry.evidence],
        "show_members": True,
        "actions": available,
        "earlier_requests": buyer_history_count(aftersales),
        # Every money movement on the request, the insurer's claim its own line (read only
        # once the timeline shows that money can have moved).
        "ledger": list(aftersales.ledger_entries.all()) if money_moved(aftersales, entries) else [],
        # Named on the pass-inspection button: what the shop pays besides the refund.
        "shipping_reimbursed": shipping_reimbursed(aftersales)
        if "pass_inspection" in available
        else None,
        "dispute": dispute,
        "fast_refund": fast_refund_lines(aftersales),
        **reviews,
        "evidence_asks": evidence_asks(request, dispute, Role.SELLER, forms.get("answer_forms")),
        "reply_form": form(
            "reply_form", reviews["review"] is not None and not reviews["review"].reply, ReplyForm
        ),
        "dispute_form": form(
            "dispute_form",
            dispute is not None and dispute.waiting_for_seller,
            lambda: DisputeAnswerForm(owner=owner),
        ),
        "approve_form": form(
            "approve_form", "approve" in available, lambda: ApproveForm(aftersales=aftersales)
        ),
        # After the warranty the seller's offer is the quote of the repair fee.
        "proposal_form": form(
            "proposal_form",
            "propose" in available
            and not aftersales.buyer_pays_repair()
            and "quote_form" not in forms,
            ProposalForm,
        ),
        "quote_form": form(
            "quote_form", "propose" in available and aftersales.buyer_pays_repair(), QuoteForm
        ),
        "reject_form": form("reject_form", "reject" in available, lambda: RefusalForm(owner=owner)),
        "fail_form": form(
            "fail_form",
            "fail_inspection" in available,
            lambda: RefusalForm(owner=owner, photo_required=True),
        ),
        "ship_form": form(
            "ship_form", bool({"ship_replacement", "ship_repaired"} & available), TrackingForm
        ),
        "message_form": form(
            "message_form", aftersales.accepts_messages, lambda: MessageForm(owner=owner)
        ),
    }
    return render(request, "seller/request_detail.html", context, status=status)


@seller_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    services.mark_read(request=aftersales, actor=request.user)  # the buyer's messages: 已读
    return _detail(request, aftersales)


@seller_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    form = ApproveForm(request.POST, aftersales=aftersales)
    if not form.is_valid():
        return _detail(request, aftersales, status=400, approve_form=form)
    address = form.cleaned_data.get("return_address")
    success = (
        _("Approved. The buyer has been told where to send the goods.")
        if address
        else _("Approved and refunded.")
    )
    return act(
        request,
        lambda: services.approve_request(
            request=aftersales, actor=request.user, return_address=address
        ),
        success=success,
        done=_url(aftersales),
    )


@seller_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    form = ProposalForm(request.POST)
    if form.is_valid():
        try:
            services.propose_solution(request=aftersales, actor=request.user, **form.cleaned_data)
        except AfterSalesError as error:
            if moved_on(request, error):
                return _done(aftersales)
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Proposal sent. The buyer can accept or decline it."))
            return _done(aftersales)
    return _detail(request, aftersales, status=400, proposal_form=form)


@seller_required
@require_POST
def quote(request: HttpRequest, pk: int) -> HttpResponse:
    """报价: the fee for a repair after the warranty, for the buyer to accept and pay."""
    aftersales = _shop_request(request, pk)
    form = QuoteForm(request.POST)
    if form.is_valid():
        try:
            services.quote_repair_fee(request=aftersales, actor=request.user, **form.cleaned_data)
        except AfterSalesError as error:
            if moved_on(request, error):
                return _done(aftersales)
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Quote sent. The buyer can accept and pay it, or decline it.")
            )
            return _done(aftersales)
    return _detail(request, aftersales, status=400, quote_form=form)


def _refusal(request: HttpRequest, pk: int, *, failing_inspection: bool) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    form = RefusalForm(
        request.POST, request.FILES, owner=request.user, photo_required=failing_inspection
    )
    service = services.fail_inspection if failing_inspection else services.reject_request
    response = submit(
        request,
        form,
        lambda data, files: service(
            request=aftersales,
            actor=request.user,
            reason=data["reason"],
            explanation=data["explanation"],
            files=files,
        ),
        success=_("Inspection failed; the buyer has been told why.")
        if failing_inspection
        else _("Request rejected; the buyer has been told why."),
        done=_url(aftersales),
    )
    key = "fail_form" if failing_inspection else "reject_form"
    return response or _detail(request, aftersales, status=400, **{key: form})


@seller_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _refusal(request, pk, failing_inspection=False)


@seller_required
@require_POST
def fail_inspection(request: HttpRequest, pk: int) -> HttpResponse:
    return _refusal(request, pk, failing_inspection=True)


@seller_required
@require_POST
def confirm_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    return act(
        request,
        lambda: services.confirm_return_received(request=aftersales, actor=request.user),
        success=_("Receipt confirmed. Inspect the goods next."),
        done=_url(aftersales),
    )


@seller_required
@require_POST
def pass_inspection(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    return act(
        request,
        lambda: services.pass_inspection(request=aftersales, actor=request.user),
        success=_("Inspection passed."),
        done=_url(aftersales),
    )


@seller_required
@require_POST
def ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Ship the replacement (exchange) or the repaired item (repair)."""
    aftersales = _shop_request(request, pk)
    form = TrackingForm(request.POST)
    if not form.is_valid():
        return _detail(request, aftersales, status=400, ship_form=form)
    service = (
        services.ship_replacement if aftersales.kind == Kind.EXCHANGE else services.ship_repaired
    )
    return act(
        request,
        lambda: service(request=aftersales, actor=request.user, **form.cleaned_data),
        success=_("Shipment recorded. The buyer has been told it is on its way."),
        done=_url(aftersales),
    )


@seller_required
@require_POST
def post_message(request: HttpRequest, pk: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
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
    return response or _detail(request, aftersales, status=400, message_form=form)


@seller_required
@require_POST
def answer_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    """商家举证: the shop's statement and counter-evidence for the platform."""
    aftersales = _shop_request(request, pk)
    dispute = aftersales.disputes.last()
    if dispute is None:
        raise Http404
    form = DisputeAnswerForm(request.POST, request.FILES, owner=request.user)
    response = submit(
        request,
        form,
        lambda data, files: dispute_services.answer_dispute(
            dispute=dispute, actor=request.user, statement=data["statement"], files=files
        ),
        success=_("Your answer was sent to the platform."),
        done=_url(aftersales),
    )
    return response or _detail(request, aftersales, status=400, dispute_form=form)


@seller_required
@require_POST
def provide_evidence(request: HttpRequest, pk: int, ask_id: int) -> HttpResponse:
    aftersales = _shop_request(request, pk)
    ask = get_object_or_404(
        EvidenceRequest, pk=ask_id, dispute__request=aftersales, party=Role.SELLER
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
    return response or _detail(request, aftersales, status=400, answer_forms={ask.pk: form})


@seller_required
@require_POST
def reply_to_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The shop's one public reply to the buyer's rating."""
    aftersales = _shop_request(request, pk)
    review = get_object_or_404(Review, request=aftersales)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            review_services.reply_to_review(
                review=review, actor=request.user, reply=form.cleaned_data["reply"]
            )
        except AfterSalesError as error:
            if moved_on(request, error):
                return _done(aftersales)
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your reply is published."))
            return _done(aftersales)
    return _detail(request, aftersales, status=400, reply_form=form)
