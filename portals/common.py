"""Pieces the buyer's and the seller's pages share."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from aftersales.errors import AfterSalesError
from aftersales.forms import EvidenceForm
from aftersales.models import Action, Role
from aftersales.timeline import Entry
from disputes.forms import EvidenceAnswerForm
from disputes.models import Dispute
from reviews.models import Review
from reviews.services import can_edit, can_review, review_closes_at


def moved_on(request: HttpRequest, error: AfterSalesError) -> bool:
    """True if the action was refused because the request moved on (stale page, double click,
    a colleague was faster): the page that had the form may no longer show it, so the reason
    goes into a message above the current page instead."""
    if error.moved_on:
        messages.error(request, error.message)
        return True
    return False


def act(
    request: HttpRequest, action: Callable[[], object], *, success: str, done: str
) -> HttpResponse:
    """Run a one-button action (a POST without a form) and come back to ``done`` saying how
    it went: the success, or why nothing was done."""
    try:
        action()
    except AfterSalesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(done)


def submit(
    request: HttpRequest,
    form: EvidenceForm,
    action: Callable[[dict, list], object],
    *,
    success: str,
    done: str,
) -> HttpResponse | None:
    """Run a form with evidence the way every form in the portals runs: validate, call the
    service with the cleaned data and the files, and say how it went.

    Returns the redirect to ``done`` when the action happened (or the request moved on, said
    in a message); ``None`` when the form must be shown again with its errors, the files it
    accepted kept for the next try.
    """
    if form.is_valid():
        try:
            action(form.cleaned_data, form.evidence())
        except AfterSalesError as error:
            if moved_on(request, error):
                return redirect(done)
            form.add_error(None, error.message)
        else:
            form.discard_kept()
            messages.success(request, success)
            return redirect(done)
    form.keep_accepted()
    return None


ESCALATIONS = (Action.ESCALATE, Action.ESCALATE_OVERDUE)


def latest_dispute(aftersales, entries: list[Entry]) -> Dispute | None:
    """The request's latest dispute with its ruling; read only if the timeline shows that the
    request was ever handed to the platform (the only ways a dispute opens)."""
    if not any(e.kind == "event" and e.obj.action in ESCALATIONS for e in entries):
        return None
    return aftersales.disputes.select_related("ruling").last()


def evidence_asks(
    request: HttpRequest, dispute: Dispute | None, party: Role, bound_forms: dict | None
) -> list:
    """The platform's open requests for evidence addressed to ``party``, each with its form."""
    if dispute is None or dispute.status != dispute.Status.OPEN:
        return []
    bound_forms = bound_forms or {}
    return [
        (
            ask,
            bound_forms.get(ask.pk)
            or EvidenceAnswerForm(owner=request.user, id_prefix=f"ask{ask.pk}"),
        )
        for ask in dispute.evidence_requests.filter(
            party=party, answered_at__isnull=True, lapsed_at__isnull=True
        )
    ]


def review_context(aftersales) -> dict:
    """The request's review, and whether its buyer may still write or change one. Only a
    request that has ended can have one: for the others nothing is read."""
    now = timezone.now()
    review = None
    if review_closes_at(aftersales) is not None:
        review = Review.objects.filter(request=aftersales).prefetch_related("photos").first()
    return {
        "review": review,
        "can_review": review is None and can_review(aftersales, now=now),
        "can_edit_review": review is not None and can_edit(review, now=now),
    }
