"""The stored shop scores (issue 11): the pages read one row per shop, computed on the spot for
a shop that has none, refreshed after each rating on commit and by beat for everything else."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from aftersales import services
from aftersales.models import State
from reviews import summary
from reviews.models import ShopScoreSummary
from reviews.selectors import shop_scores, weekly_trend
from reviews.services import edit_review, review_request
from reviews.tasks import refresh_all_shop_scores
from tests.aftersales.factories import request_in
from tests.orders.factories import OrderItemFactory, ShopFactory, ShopMemberFactory
from tests.reviews.test_scores import score_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refunded_for(shop, buyer=None):
    return request_in(State.REFUNDED, OrderItemFactory(order__shop=shop, order__buyer=buyer))


def as_of(response) -> str:
    html = response.content.decode()
    return html.split('class="muted as-of">', 1)[1].split("</p>", 1)[0]


def test_the_stored_summary_holds_the_live_figures(shop, seller, buyer):
    # given a refunded request answered by the seller, rated
    request = refunded_for(shop, buyer)
    review_request(request=request, actor=buyer, speed=5, attitude=4, result=2)
    now = timezone.now()
    # when the summary is computed and read back from its row
    summary.refresh(shop.pk, now=now)
    stored = summary.summaries([shop.pk])[shop.pk]
    # then it is what the selectors compute live, window by window and week by week
    assert stored.computed_at == now
    assert stored.scores == [shop_scores(shop, days=days, now=now) for days in (30, 90)]
    assert stored.trend == weekly_trend(shop, weeks=12, now=now)
    assert stored.scores[0].median_time_to_refund is not None
    assert stored.scores[0].speed == 5.0


def test_a_shop_without_a_summary_gets_one_on_its_first_page(shop, seller, buyer):
    refunded_for(shop, buyer)
    assert not ShopScoreSummary.objects.filter(shop=shop).exists()

    first = client_for(seller).get("/seller/")

    assert ShopScoreSummary.objects.filter(shop=shop).count() == 1
    assert score_rows(first)["After-sales rate (requests / orders)"][0] == "100.0% (1/1)"
    computed = ShopScoreSummary.objects.get(shop=shop).computed_at
    assert as_of(first) == f"As of {timezone.localtime(computed):%Y-%m-%d %H:%M}"


def test_the_pages_show_the_stored_figures_and_when_they_were_computed(shop, seller, buyer):
    # given a summary computed yesterday, before the shop's first request
    yesterday = timezone.now() - timedelta(days=1)
    summary.refresh(shop.pk, now=yesterday)
    refunded_for(shop, buyer)
    shown = f"As of {timezone.localtime(yesterday):%Y-%m-%d %H:%M}"
    # then the dashboard and the shop page show yesterday's figures, and say so
    for client, page in [
        (client_for(seller), "/seller/"),
        (client_for(buyer), f"/shops/{shop.pk}/"),
    ]:
        response = client.get(page)
        assert score_rows(response)["After-sales rate (requests / orders)"] == ["— (0/0)"] * 2
        assert as_of(response) == shown
    # when beat refreshes the shops
    assert refresh_all_shop_scores.delay().get() == 1  # Celery runs eagerly in the tests
    # then the request is counted
    response = client_for(buyer).get(f"/shops/{shop.pk}/")
    assert score_rows(response)["After-sales rate (requests / orders)"][0] == "100.0% (1/1)"


def test_a_rating_refreshes_its_shops_summary_once_committed(
    shop, seller, buyer, django_capture_on_commit_callbacks
):
    request = refunded_for(shop, buyer)
    summary.refresh(shop.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        review = review_request(request=request, actor=buyer, speed=2, attitude=2, result=2)
    assert len(callbacks) == 1
    assert summary.summaries([shop.pk])[shop.pk].scores[0].speed == 2.0

    with django_capture_on_commit_callbacks(execute=True):
        edit_review(review=review, actor=buyer, speed=4, attitude=2, result=2)
    assert summary.summaries([shop.pk])[shop.pk].scores[0].speed == 4.0


def test_beat_refreshes_every_shop_every_ten_minutes(shop, seller):
    other = ShopFactory(name="Suzhou Silk")
    ShopMemberFactory(shop=other)
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-shop-scores"]
    assert entry == {"task": "reviews.tasks.refresh_all_shop_scores", "schedule": 600.0}

    assert refresh_all_shop_scores.delay().get() == 2
    assert set(ShopScoreSummary.objects.values_list("shop_id", flat=True)) == {shop.pk, other.pk}


def test_a_ruling_is_counted_at_the_next_refresh(shop, seller, buyer, arbitrator):
    # rulings change the scores without a rating: the periodic refresh picks them up
    disputed = request_in(State.DISPUTED, OrderItemFactory(order__shop=shop, order__buyer=buyer))
    summary.refresh(shop.pk)
    services.rule_dispute(
        dispute=disputed.disputes.get(),
        actor=arbitrator,
        outcome="for_seller",
        rationale="The photos show no dent.",
    )
    assert summary.summaries([shop.pk])[shop.pk].scores[0].rulings == 0
    refresh_all_shop_scores.delay()
    assert summary.summaries([shop.pk])[shop.pk].scores[0].rulings == 1
