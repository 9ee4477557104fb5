"""Rating the after-sales service (售后评价) and the seller's public reply.

A buyer rates a request once, after it ended (refunded, exchanged, repaired, or closed by a
ruling), within 15 days of the end, and may edit the rating for 24 hours. The shop answers
once, publicly. Each action locks the row it changes, so a double click cannot write twice.
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.actors import Actor, is_shop_member
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.evidence import PreparedFile
from aftersales.models import SUCCESS_STATES, AfterSalesRequest, CloseReason, State

from .models import Review, ReviewPhoto
from .tasks import refresh_shop_scores

REVIEWABLE_STATES = SUCCESS_STATES


def review_closes_at(request: AfterSalesRequest) -> datetime | None:
    """Until when the buyer may rate the request; ``None`` if it cannot be rated at all."""
    ended = request.state in REVIEWABLE_STATES or (
        request.state == State.CLOSED and request.close_reason == CloseReason.RULED_FOR_SELLER
    )
    if not ended or request.finished_at is None:
        return None
    return request.finished_at + settings.AFTERSALES_DEADLINES["review_window"]


def why_not_reviewable(request: AfterSalesRequest, *, now: datetime) -> str | None:
    """The reason the buyer cannot rate this request now, or ``None`` if they can."""
    closes = review_closes_at(request)
    if closes is None:
        return _("You can rate the service once the request has ended.")
    if now > closes:
        return _("The time to rate this service has passed (15 days after it ended).")
    return None


def can_review(request: AfterSalesRequest, *, now: datetime) -> bool:
    return why_not_reviewable(request, now=now) is None


def can_edit(review: Review, *, now: datetime) -> bool:
    return now <= review.created_at + settings.AFTERSALES_DEADLINES["review_edit_window"]


def refresh_scores_on_commit(shop_id: int) -> None:
    """The shop's stored scores (:mod:`reviews.summary`) are refreshed once the rating is
    committed; robust, so a broker hiccup cannot turn a saved rating into an error page."""
    transaction.on_commit(lambda: refresh_shop_scores.delay(shop_id), robust=True)


def _check_stars(**stars: int) -> None:
    if any(not isinstance(value, int) or not 1 <= value <= 5 for value in stars.values()):
        raise InvalidInput(_("Give each rating from 1 to 5 stars."))


@transaction.atomic
def review_request(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    speed: int,
    attitude: int,
    result: int,
    comment: str = "",
    photos: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> Review:
    now = now or timezone.now()
    _check_stars(speed=speed, attitude=attitude, result=result)
    request = AfterSalesRequest.objects.select_for_update().get(pk=request.pk)
    if getattr(actor, "pk", None) != request.buyer_id:
        raise ActionNotAllowed()
    if Review.objects.filter(request=request).exists():
        raise StaleAction(_("You have already rated this request."))
    if reason := why_not_reviewable(request, now=now):
        raise StaleAction(reason)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                request=request,
                shop_id=request.shop_id,
                buyer=actor,
                speed=speed,
                attitude=attitude,
                result=result,
                comment=comment,
                created_at=now,
            )
    except IntegrityError as exc:
        raise StaleAction(_("You have already rated this request.")) from exc
    for prepared in photos:
        photo = ReviewPhoto(review=review, original_name=prepared.original_name)
        photo.file.save(prepared.content.name, prepared.content, save=False)
        photo.thumbnail.save(prepared.thumbnail.name, prepared.thumbnail, save=False)
        photo.save()
    refresh_scores_on_commit(review.shop_id)
    return review


@transaction.atomic
def edit_review(
    *,
    review: Review,
    actor: Actor,
    speed: int,
    attitude: int,
    result: int,
    comment: str = "",
    now: datetime | None = None,
) -> Review:
    now = now or timezone.now()
    _check_stars(speed=speed, attitude=attitude, result=result)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if getattr(actor, "pk", None) != review.buyer_id:
        raise ActionNotAllowed()
    if not can_edit(review, now=now):
        raise StaleAction(_("A rating can be changed only within 24 hours."))
    review.speed, review.attitude, review.result = speed, attitude, result
    review.comment = comment
    review.edited_at = now
    review.save(update_fields=["speed", "attitude", "result", "comment", "edited_at"])
    refresh_scores_on_commit(review.shop_id)
    return review


@transaction.atomic
def reply_to_review(
    *, review: Review, actor: Actor, reply: str, now: datetime | None = None
) -> Review:
    """The shop's one public answer to a review."""
    if not reply.strip():
        raise InvalidInput(_("Write your reply first."))
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not is_shop_member(actor, review.shop_id):
        raise ActionNotAllowed()
    if review.replied_at is not None:
        raise StaleAction(_("The shop has already replied to this review."))
    review.reply = reply
    review.replied_by = actor
    review.replied_at = now or timezone.now()
    review.save(update_fields=["reply", "replied_by", "replied_at"])
    return review
