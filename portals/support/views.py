"""The asker's side of customer service and call backs. Plain form posts; with JavaScript the
conversation page is live too (``portals.live.SupportThreadConsumer``, ``static/js/live.js``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.errors import AfterSalesError
from aftersales.models import Role
from support import selectors, services
from support.forms import CallbackForm, MessageForm, OpenForm, RateForm

from ..common import moved_on


def _own(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.conversations_for_asker(request.user), pk=pk)


@login_required
def conversation_list(request: HttpRequest) -> HttpResponse:
    conversations = selectors.conversations_for_asker(request.user)
    return render(request, "support/conversation_list.html", {"conversations": conversations})


@login_required
def conversation_new(request: HttpRequest) -> HttpResponse:
    about = None
    if "request" in request.GET or "request" in request.POST:
        about = selectors.request_of_party(
            request.user, request.POST.get("request", request.GET.get("request"))
        )
        if about is None:
            raise Http404(_("No such request of yours."))
    form = OpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.open_conversation(
                asker=request.user, body=form.cleaned_data["body"], request=about
            )
        except AfterSalesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Sent. Customer service will answer here."))
            return redirect("support:conversation", conversation.pk)
    return render(request, "support/conversation_new.html", {"form": form, "about": about})


@login_required
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _own(request, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ask(
                    conversation=conversation, actor=request.user, body=form.cleaned_data["body"]
                )
            except AfterSalesError as error:
                if moved_on(request, error):
                    return redirect("support:conversation", pk)
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Sent."))
                return redirect("support:conversation", pk)
    else:
        services.mark_read(conversation=conversation, actor=request.user)
    context = {
        "conversation": conversation,
        "thread": conversation.messages.select_related("author"),
        "form": form,
        "rate_form": RateForm(),
    }
    return render(request, "support/conversation.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _own(request, pk)
    try:
        services.close(conversation=conversation, actor=request.user)
    except AfterSalesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The conversation is closed. How well were you helped?"))
    return redirect("support:conversation", pk)


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _own(request, pk)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.rate(
                conversation=conversation,
                actor=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except AfterSalesError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you for rating the answer."))
        return redirect("support:conversation", pk)
    context = {
        "conversation": conversation,
        "thread": conversation.messages.select_related("author"),
        "form": MessageForm(),
        "rate_form": form,
    }
    return render(request, "support/conversation.html", context, status=400)


@login_required
def callback_new(request: HttpRequest, request_id: int) -> HttpResponse:
    aftersales = selectors.request_of_party(request.user, request_id)
    if aftersales is None:
        raise Http404(_("No such request of yours."))
    is_buyer = aftersales.buyer_id == request.user.pk
    side = "buyer" if is_buyer else "seller"
    back = reverse(f"{side}:request_detail", args=[aftersales.pk])
    form = CallbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.ask_for_callback(
                request=aftersales,
                actor=request.user,
                phone=data["phone"],
                window_start=data["window_start"],
                window_end=data["window_end"],
                note=data["note"],
            )
        except AfterSalesError as error:
            if moved_on(request, error):
                return redirect(back)
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Asked. The platform will call you in the window you chose.")
            )
            return redirect(back)
    context = {
        "form": form,
        "aftersales": aftersales,
        "back": back,
        "side": Role.BUYER if is_buyer else Role.SELLER,
        "earlier": selectors.callbacks_of(request.user, aftersales),
    }
    return render(request, "support/callback_new.html", context, status=400 if form.errors else 200)
