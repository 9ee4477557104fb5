"""Keeping the stored shop scores fresh (:mod:`reviews.summary`): thin tasks that take ids.

Both are idempotent (a refresh recomputes from the database), so they acknowledge late like
the after-sales tasks.
"""

from celery import shared_task

from aftersales.tasks import IDEMPOTENT
from orders.models import Shop

from . import summary


@shared_task(**IDEMPOTENT)
def refresh_shop_scores(shop_id: int) -> None:
    summary.refresh(shop_id)


@shared_task(**IDEMPOTENT)
def refresh_marketplace_scores() -> None:
    summary.refresh_marketplace()


@shared_task(**IDEMPOTENT)
def refresh_all_shop_scores() -> int:
    """Beat's periodic refresh: one task per shop, so the workers share a big marketplace, and
    one for the marketplace's own figures, which every shop is compared with."""
    shop_ids = list(Shop.objects.order_by("pk").values_list("pk", flat=True))
    for shop_id in shop_ids:
        refresh_shop_scores.delay(shop_id)
    refresh_marketplace_scores.delay()
    return len(shop_ids)
