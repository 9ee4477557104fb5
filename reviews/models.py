"""The buyer's rating of the after-sales service of one finished request, the seller's public
reply, and the photos that go with a review. Shop scores are computed from these (and from the
requests and disputes) in ``reviews.selectors``."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.models import AfterSalesRequest

STARS = [MinValueValidator(1), MaxValueValidator(5)]


class Review(models.Model):
    request = models.OneToOneField(
        AfterSalesRequest,
        verbose_name=_("after-sales request"),
        on_delete=models.CASCADE,
        related_name="review",
    )
    shop = models.ForeignKey(
        "orders.Shop", verbose_name=_("shop"), on_delete=models.CASCADE, related_name="reviews"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    speed = models.PositiveSmallIntegerField(_("speed"), validators=STARS)
    attitude = models.PositiveSmallIntegerField(_("attitude"), validators=STARS)
    result = models.PositiveSmallIntegerField(_("result"), validators=STARS)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    reply = models.TextField(_("seller's reply"), max_length=1000, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)

    class Meta:
        verbose_name = _("after-sales review")
        verbose_name_plural = _("after-sales reviews")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-created_at", "-id"], name="review_shop_list")]
        constraints = [
            models.CheckConstraint(
                condition=Q(speed__gte=1, speed__lte=5)
                & Q(attitude__gte=1, attitude__lte=5)
                & Q(result__gte=1, result__lte=5),
                name="review_stars_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.speed}/{self.attitude}/{self.result}"

    @property
    def stars(self) -> float:
        return round((self.speed + self.attitude + self.result) / 3, 1)


def review_photo_path(instance: "ReviewPhoto", filename: str) -> str:
    return f"reviews/{instance.review_id}/{filename}"


class ReviewPhoto(models.Model):
    """Reviews are public to signed-in users, so their photos are served apart from the
    request's private evidence."""

    review = models.ForeignKey(
        Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(upload_to=review_photo_path)
    thumbnail = models.FileField(upload_to=review_photo_path)
    original_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class ShopScoreSummary(models.Model):
    """A shop's scores (last 30 and 90 days) and 12-week trend as last computed: what the
    seller dashboard and the shop page show, so that they read one row however busy the shop
    is. Kept by :mod:`reviews.summary`; the figures themselves are ``reviews.selectors``'s."""

    shop = models.OneToOneField(
        "orders.Shop",
        verbose_name=_("shop"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    computed_at = models.DateTimeField(_("computed"))
    # One ``ShopScores.as_json()`` per window, and one ``WeekPoint.as_json()`` per week.
    scores = models.JSONField(_("scores"))
    trend = models.JSONField(_("trend"))

    class Meta:
        verbose_name = _("shop score summary")
        verbose_name_plural = _("shop score summaries")

    def __str__(self) -> str:
        return f"{self.shop_id} @ {self.computed_at:%Y-%m-%d %H:%M}"


class MarketplaceScoreSummary(models.Model):
    """The whole marketplace's scores (last 30 and 90 days) as last computed, by the same
    selectors as a shop's (``reviews.selectors.shop_scores`` over all shops): what the seller
    dashboard compares a shop's speed with. One row, kept by :mod:`reviews.summary`."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY, editable=False)
    computed_at = models.DateTimeField(_("computed"))
    scores = models.JSONField(_("scores"))

    class Meta:
        verbose_name = _("marketplace score summary")
        verbose_name_plural = _("marketplace score summaries")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="one_marketplace_summary"),
        ]

    def __str__(self) -> str:
        return f"marketplace @ {self.computed_at:%Y-%m-%d %H:%M}"
