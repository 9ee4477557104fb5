"""Shop pages with their after-sales scores and reviews; rating a finished request; the
shop's reply. Reviews are public to signed-in users; writing them is not."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import AfterSalesError
from aftersales.selectors import requests_for_buyer
from orders.models import Shop
from reviews import services
from reviews.forms import ReviewForm
from reviews.models import Review, ReviewPhoto
from reviews.selectors import recent_reviews
from reviews.summary import summary

from ..common import moved_on
from ..files import serve

PAGE_SIZE = 10


@login_required
def shop_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The shop's after-sales scores (stored: see :mod:`reviews.summary`) and its reviews."""
    shop = get_object_or_404(Shop, pk=pk)
    page = Paginator(recent_reviews(shop), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "reviews/shop.html", {"shop": shop, "summary": summary(shop.pk), "page": page}
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Rate the service of a finished request (GET shows the form), or change the rating
    within 24 hours."""
    aftersales = get_object_or_404(requests_for_buyer(request.user), pk=pk)
    existing = Review.objects.filter(request=aftersales).first()
    now = timezone.now()
    if existing:
        refusal = (
            None
            if services.can_edit(existing, now=now)
            else _("A rating can be changed only within 24 hours.")
        )
    else:
        refusal = services.why_not_reviewable(aftersales, now=now)
    if refusal:
        messages.error(request, refusal)
        return redirect("buyer:request_detail", pk=aftersales.pk)
    initial = (
        {k: getattr(existing, k) for k in ("speed", "attitude", "result", "comment")}
        if existing
        else None
    )
    form = ReviewForm(
        request.POST or None, request.FILES or None, owner=request.user, initial=initial
    )
    if existing:
        del form.fields["files"]  # photos go with the first rating only
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("speed", "attitude", "result", "comment")}
        try:
            if existing:
                services.edit_review(review=existing, actor=request.user, **data)
            else:
                services.review_request(
                    request=aftersales, actor=request.user, photos=form.evidence(), **data
                )
        except AfterSalesError as error:
            if moved_on(request, error):
                return redirect("buyer:request_detail", pk=aftersales.pk)
            form.add_error(None, error.message)
        else:
            form.discard_kept()
            messages.success(request, _("Thank you for rating the service."))
            return redirect("buyer:request_detail", pk=aftersales.pk)
    if request.method == "POST" and not existing:
        form.keep_accepted()
    return render(
        request,
        "reviews/review_form.html",
        {"aftersales": aftersales, "form": form, "existing": existing},
    )


@login_required
def photo(request: HttpRequest, pk: int, variant: str = "file") -> FileResponse:
    photo = get_object_or_404(ReviewPhoto, pk=pk)
    field = photo.thumbnail if variant == "thumb" else photo.file
    return serve(field, "image/jpeg", download_name=f"review-{photo.pk}-{variant}.jpg")
