"""After the requests: buyers rate the finished ones, and shops answer some of the ratings,
through the reviews services, a few hours or days after the request finished."""

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from aftersales.models import AfterSalesRequest
from reviews.services import reply_to_review, review_closes_at, review_request

from . import texts


def rate_finished_requests(
    request_ids: Sequence[int], *, rng: random.Random, now: datetime
) -> None:
    """Most buyers rate a finished request within days; shops answer about half of them."""
    finished = (
        AfterSalesRequest.objects.filter(pk__in=request_ids, finished_at__isnull=False)
        .select_related("buyer", "shop")
        .order_by("pk")
    )
    for request in finished:
        if review_closes_at(request) is None or rng.random() < 0.25:
            continue
        when = request.finished_at + timedelta(hours=rng.uniform(2, 96))
        if when >= now:
            continue
        happy = request.state != "closed" and rng.random() < 0.8
        stars = rng.choice([4, 5, 5]) if happy else rng.choice([1, 2, 3])
        speed, result = stars, stars
        attitude = max(1, stars - rng.choice([0, 0, 1]))
        review = review_request(
            request=request,
            actor=request.buyer,
            speed=speed,
            attitude=attitude,
            result=result,
            comment=rng.choice(texts.REVIEW_COMMENTS_GOOD if happy else texts.REVIEW_COMMENTS_BAD),
            now=when,
        )
        if rng.random() < 0.5:
            replied = when + timedelta(hours=rng.uniform(1, 30))
            if replied < now:
                member = request.shop.members.first().user
                reply_to_review(
                    review=review,
                    actor=member,
                    reply=rng.choice(texts.REVIEW_REPLIES),
                    now=replied,
                )
