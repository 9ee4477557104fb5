"""Shop after-sales scores, from aggregate queries only (never one row at a time in Python).

Each score covers a window of days up to ``now``:

* average rating per dimension: reviews written in the window;
* after-sales rate: requests filed in the window / orders paid in the window;
* dispute rate: disputes opened in the window / requests filed in the window;
* ruled against the shop: rulings in the window that were not "for the seller" / all rulings;
* median first response: for requests filed in the window that the seller has answered, the
  time from filing to the seller's first action (``AfterSalesRequest.first_response_at``);
* median time to refund: for requests refunded in the window, the time from filing to refund.

Medians are taken in the database: count the rows, then read the middle one or two in order.

These are the live figures. The pages show them from the stored summary that
:mod:`reviews.summary` keeps per shop, so a busy shop's page costs the same as a quiet one's.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Dispute, Ruling, State
from orders.models import Order, Shop

from .models import Review


@dataclass(frozen=True)
class ShopScores:
    days: int
    reviews: int
    speed: float | None
    attitude: float | None
    result: float | None
    orders: int
    requests: int
    disputes: int
    rulings: int
    ruled_against: int
    median_first_response: timedelta | None
    median_time_to_refund: timedelta | None

    @property
    def aftersales_rate(self) -> float | None:
        return self.requests / self.orders if self.orders else None

    @property
    def dispute_rate(self) -> float | None:
        return self.disputes / self.requests if self.requests else None

    @property
    def ruled_against_share(self) -> float | None:
        return self.ruled_against / self.rulings if self.rulings else None

    # Stored as JSON in the shop's summary: spans as seconds.
    SPANS = ("median_first_response", "median_time_to_refund")

    def as_json(self) -> dict:
        data = asdict(self)
        for name in self.SPANS:
            data[name] = data[name].total_seconds() if data[name] is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ShopScores":
        spans = {
            name: timedelta(seconds=data[name]) if data[name] is not None else None
            for name in cls.SPANS
        }
        return cls(**{**data, **spans})


def _median(queryset: QuerySet, expression) -> timedelta | None:
    count = queryset.count()
    if not count:
        return None
    middle = (
        queryset.annotate(_value=expression)
        .order_by("_value")
        .values_list("_value", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    values = list(middle)
    return sum(values, timedelta()) / len(values)


def _of(shop: Shop | int | None, path: str) -> dict:
    """The lookup that keeps a query to one shop's rows; none for the whole marketplace."""
    return {} if shop is None else {path: shop}


def shop_scores(shop: Shop | int | None, *, days: int, now: datetime) -> ShopScores:
    """The scores of one shop, or (``shop=None``) of the whole marketplace, by the same rules:
    the marketplace's figures are what every shop is compared with."""
    since = now - timedelta(days=days)
    ratings = Review.objects.filter(
        **_of(shop, "shop"), created_at__gt=since, created_at__lte=now
    ).aggregate(
        reviews=Count("pk"), speed=Avg("speed"), attitude=Avg("attitude"), result=Avg("result")
    )
    filed = AfterSalesRequest.objects.filter(
        **_of(shop, "shop"), created_at__gt=since, created_at__lte=now
    )
    rulings = Ruling.objects.filter(
        **_of(shop, "dispute__request__shop"), decided_at__gt=since, decided_at__lte=now
    ).aggregate(
        rulings=Count("pk"), against=Count("pk", filter=~Q(outcome=Ruling.Outcome.FOR_SELLER))
    )
    answered = filed.filter(first_response_at__isnull=False)
    refunded = AfterSalesRequest.objects.filter(
        **_of(shop, "shop"), state=State.REFUNDED, finished_at__gt=since, finished_at__lte=now
    )
    return ShopScores(
        days=days,
        reviews=ratings["reviews"],
        speed=ratings["speed"],
        attitude=ratings["attitude"],
        result=ratings["result"],
        orders=Order.objects.filter(
            **_of(shop, "shop"), paid_at__gt=since, paid_at__lte=now
        ).count(),
        requests=filed.count(),
        disputes=Dispute.objects.filter(
            **_of(shop, "request__shop"), opened_at__gt=since, opened_at__lte=now
        ).count(),
        rulings=rulings["rulings"],
        ruled_against=rulings["against"],
        median_first_response=_median(
            answered,
            ExpressionWrapper(
                F("first_response_at") - F("created_at"), output_field=DurationField()
            ),
        ),
        median_time_to_refund=_median(
            refunded,
            ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField()),
        ),
    )


@dataclass(frozen=True)
class WeekPoint:
    week: datetime
    requests: int
    stars: float | None

    def as_json(self) -> dict:
        return {"week": self.week.isoformat(), "requests": self.requests, "stars": self.stars}

    @classmethod
    def from_json(cls, data: dict) -> "WeekPoint":
        return cls(datetime.fromisoformat(data["week"]), data["requests"], data["stars"])


def weekly_trend(shop: Shop, *, weeks: int, now: datetime) -> list[WeekPoint]:
    """Requests filed and average stars per week (Monday to Sunday, Beijing time) for the
    last ``weeks`` weeks including this one, quiet weeks included: two grouped queries."""
    this_week = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    this_week -= timedelta(days=this_week.weekday())
    first = this_week - timedelta(weeks=weeks - 1)
    window = {"created_at__gte": first, "created_at__lte": now}
    requests = dict(
        AfterSalesRequest.objects.filter(shop=shop, **window)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    stars = dict(
        Review.objects.filter(shop=shop, **window)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(avg=Avg((F("speed") + F("attitude") + F("result")) / 3.0))
        .values_list("week", "avg")
    )
    weeks_shown = [first + timedelta(weeks=n) for n in range(weeks)]
    return [WeekPoint(week, requests.get(week, 0), stars.get(week)) for week in weeks_shown]


def recent_reviews(shop: Shop) -> QuerySet[Review]:
    return (
        Review.objects.filter(shop=shop)
        .select_related("request__order_item", "buyer")
        .prefetch_related("photos")
    )
