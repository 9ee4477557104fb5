"""Shop scores as the pages show them: one stored summary per shop (:class:`ShopScoreSummary`).

Computing a busy shop's scores takes twenty aggregate queries over its requests, reviews and
disputes; reading the summary takes one query for all the shops on a page. The summary is
refreshed

* by Celery beat every 10 minutes (``reviews.tasks.refresh_all_shop_scores``, one task per
  shop), which also picks up what changes the scores without a review: requests filed,
  answered or finished, disputes opened and ruled, and the windows moving on;
* after a review is written or edited, on commit (``reviews.services``);
* on the spot, once, for a shop that has none yet (a new shop).

The pages say when it was computed ("as of").
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import MarketplaceScoreSummary, ShopScoreSummary
from .selectors import ShopScores, WeekPoint, shop_scores, weekly_trend

SCORE_WINDOWS = (30, 90)
TREND_WEEKS = 12


@dataclass(frozen=True)
class ScoreSummary:
    shop_id: int
    computed_at: datetime
    scores: list[ShopScores]  # one per window in SCORE_WINDOWS
    trend: list[WeekPoint]  # TREND_WEEKS weeks, oldest first

    @classmethod
    def from_row(cls, row: ShopScoreSummary) -> "ScoreSummary":
        return cls(
            shop_id=row.shop_id,
            computed_at=row.computed_at,
            scores=[ShopScores.from_json(data) for data in row.scores],
            trend=[WeekPoint.from_json(data) for data in row.trend],
        )


def refresh(shop_id: int, *, now: datetime | None = None) -> ScoreSummary:
    """Compute the shop's scores and trend now and store them (one upsert: two refreshes of
    the same shop at once both succeed, the later one stays)."""
    now = now or timezone.now()
    row = ShopScoreSummary(
        shop_id=shop_id,
        computed_at=now,
        scores=[shop_scores(shop_id, days=days, now=now).as_json() for days in SCORE_WINDOWS],
        trend=[point.as_json() for point in weekly_trend(shop_id, weeks=TREND_WEEKS, now=now)],
    )
    ShopScoreSummary.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["shop"],
        update_fields=["computed_at", "scores", "trend"],
    )
    return ScoreSummary.from_row(row)


def summaries(shop_ids: Iterable[int]) -> dict[int, ScoreSummary]:
    """The stored summaries of these shops (one query); a shop without one gets it computed
    and stored now."""
    shop_ids = list(shop_ids)
    stored = {
        row.shop_id: ScoreSummary.from_row(row)
        for row in ShopScoreSummary.objects.filter(shop_id__in=shop_ids)
    }
    for shop_id in shop_ids:
        if shop_id not in stored:
            stored[shop_id] = refresh(shop_id)
    return stored


def summary(shop_id: int) -> ScoreSummary:
    return summaries([shop_id])[shop_id]


@dataclass(frozen=True)
class MarketplaceSummary:
    computed_at: datetime
    scores: list[ShopScores]  # one per window in SCORE_WINDOWS


def refresh_marketplace(*, now: datetime | None = None) -> MarketplaceSummary:
    """Compute the whole marketplace's scores now (the same figures as a shop's, over all
    shops) and store them: beat refreshes them with the shops' (``reviews.tasks``)."""
    now = now or timezone.now()
    row = MarketplaceScoreSummary(
        computed_at=now,
        scores=[shop_scores(None, days=days, now=now).as_json() for days in SCORE_WINDOWS],
    )
    MarketplaceScoreSummary.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["computed_at", "scores"],
    )
    return MarketplaceSummary(now, [ShopScores.from_json(data) for data in row.scores])


def marketplace() -> MarketplaceSummary:
    """The stored marketplace scores (one query); computed and stored now if there are none."""
    row = MarketplaceScoreSummary.objects.filter(pk=MarketplaceScoreSummary.ONLY).first()
    if row is None:
        return refresh_marketplace()
    return MarketplaceSummary(row.computed_at, [ShopScores.from_json(d) for d in row.scores])
