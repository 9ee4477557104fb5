"""Rating the after-sales service and the shop's reply (issue 7): who may, when, and how often."""

from datetime import timedelta

import pytest
from PIL import Image

from aftersales import services
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.models import OPEN_STATES, CloseReason, Ruling, State
from aftersales.services import rule_dispute
from reviews.models import Review, ReviewPhoto
from reviews.services import (
    can_edit,
    can_review,
    edit_review,
    reply_to_review,
    review_closes_at,
    review_request,
)
from tests.aftersales.factories import photo, request_in
from tests.orders.factories import ShopMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def refunded(item):
    return request_in(State.REFUNDED, item)


def rate(request, actor, *, speed=5, attitude=4, result=3, **kwargs) -> Review:
    return review_request(
        request=request, actor=actor, speed=speed, attitude=attitude, result=result, **kwargs
    )


def ruled_for_seller(item, arbitrator):
    request = request_in(State.DISPUTED, item)
    rule_dispute(
        dispute=request.disputes.get(),
        actor=arbitrator,
        outcome=Ruling.Outcome.FOR_SELLER,
        rationale="The photos show no dent.",
    )
    request.refresh_from_db()
    return request


# --- the buyer rates a finished request once ------------------------------------------------------


def test_the_buyer_rates_a_refunded_request(refunded, buyer, shop):
    review = rate(refunded, buyer, speed=5, attitude=4, result=3, comment="Quick and polite.")

    review = Review.objects.get(pk=review.pk)
    assert (review.speed, review.attitude, review.result) == (5, 4, 3)
    assert review.comment == "Quick and polite."
    assert (review.request, review.shop, review.buyer) == (refunded, shop, buyer)
    assert review.stars == 4.0  # (5 + 4 + 3) / 3
    assert (review.reply, review.replied_at, review.edited_at) == ("", None, None)


@pytest.mark.parametrize("state", [State.REFUNDED, State.EXCHANGED, State.REPAIRED])
def test_every_successful_end_can_be_rated(state, item, buyer):
    request = request_in(state, item)

    rate(request, buyer)

    assert Review.objects.filter(request=request).count() == 1


def test_a_request_closed_by_a_ruling_for_the_seller_can_be_rated(item, buyer, arbitrator):
    request = ruled_for_seller(item, arbitrator)
    assert (request.state, request.close_reason) == (State.CLOSED, CloseReason.RULED_FOR_SELLER)

    rate(request, buyer, speed=1, attitude=1, result=1)

    assert Review.objects.get().request == request


def test_a_second_rating_is_refused(refunded, buyer):
    rate(refunded, buyer, speed=5, attitude=5, result=5)

    with pytest.raises(StaleAction) as refused:
        rate(refunded, buyer, speed=1, attitude=1, result=1)

    assert str(refused.value) == "You have already rated this request."
    assert list(Review.objects.values_list("speed", "attitude", "result")) == [(5, 5, 5)]


def test_a_racing_second_rating_is_refused_by_the_database(refunded, buyer, monkeypatch):
    # given the first rating is saved, and a second submit that raced past the existence check
    rate(refunded, buyer, speed=5, attitude=5, result=5)
    monkeypatch.setattr(Review.objects, "filter", lambda **kwargs: Review.objects.none())
    assert not Review.objects.filter(request=refunded).exists()

    # when it is written, the one-to-one on the request refuses it
    with pytest.raises(StaleAction) as refused:
        rate(refunded, buyer, speed=1, attitude=1, result=1)

    # then the buyer gets the same answer as a plain second try, and the first rating stands
    assert str(refused.value) == "You have already rated this request."
    monkeypatch.undo()
    assert list(Review.objects.values_list("speed", "attitude", "result")) == [(5, 5, 5)]


# --- not before the end ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", OPEN_STATES)
def test_an_open_request_cannot_be_rated(state, item, buyer):
    request = request_in(state, item)
    assert review_closes_at(request) is None

    with pytest.raises(StaleAction) as refused:
        rate(request, buyer)

    assert str(refused.value) == "You can rate the service once the request has ended."
    assert not Review.objects.exists()


def test_a_withdrawn_request_cannot_be_rated(item, buyer):
    request = request_in(State.CLOSED, item)  # withdrawn by the buyer
    assert request.close_reason == CloseReason.WITHDRAWN

    with pytest.raises(StaleAction):
        rate(request, buyer)

    assert not Review.objects.exists()
    assert not can_review(request, now=request.finished_at)


def test_a_request_closed_for_timeout_cannot_be_rated(item, buyer):
    request = request_in(State.NEGOTIATING, item)
    request = services.close_for_timeout(request=request)
    assert (request.state, request.close_reason) == (State.CLOSED, CloseReason.TIMED_OUT)

    with pytest.raises(StaleAction):
        rate(request, buyer)

    assert not Review.objects.exists()


# --- within 15 days of the end --------------------------------------------------------------------


def test_the_last_moment_of_the_window_is_allowed(refunded, buyer):
    last_moment = refunded.finished_at + timedelta(days=15)
    assert review_closes_at(refunded) == last_moment

    review = rate(refunded, buyer, now=last_moment)

    assert review.created_at == last_moment


def test_one_second_after_the_window_is_refused(refunded, buyer):
    too_late = refunded.finished_at + timedelta(days=15, seconds=1)
    assert not can_review(refunded, now=too_late)

    with pytest.raises(StaleAction) as refused:
        rate(refunded, buyer, now=too_late)

    assert str(refused.value) == (
        "The time to rate this service has passed (15 days after it ended)."
    )
    assert not Review.objects.exists()


def test_the_window_of_a_ruling_counts_from_the_ruling(item, buyer, arbitrator):
    request = ruled_for_seller(item, arbitrator)

    with pytest.raises(StaleAction):
        rate(request, buyer, now=request.finished_at + timedelta(days=15, seconds=1))
    rate(request, buyer, now=request.finished_at + timedelta(days=15))

    assert Review.objects.filter(request=request).exists()


# --- edited within 24 hours -----------------------------------------------------------------------


def test_the_buyer_changes_the_rating_within_24_hours(refunded, buyer):
    review = rate(refunded, buyer, speed=1, attitude=2, result=3, comment="Slow.")
    later = review.created_at + timedelta(hours=24)
    assert can_edit(review, now=later)

    edit_review(
        review=review, actor=buyer, speed=4, attitude=5, result=5, comment="Fixed.", now=later
    )

    review.refresh_from_db()
    assert (review.speed, review.attitude, review.result, review.comment) == (4, 5, 5, "Fixed.")
    assert review.edited_at == later


def test_a_change_after_24_hours_is_refused(refunded, buyer):
    review = rate(refunded, buyer, speed=1, attitude=2, result=3, comment="Slow.")
    too_late = review.created_at + timedelta(hours=24, seconds=1)

    with pytest.raises(StaleAction) as refused:
        edit_review(review=review, actor=buyer, speed=5, attitude=5, result=5, now=too_late)

    assert str(refused.value) == "A rating can be changed only within 24 hours."
    review.refresh_from_db()
    assert (review.speed, review.attitude, review.result, review.comment) == (1, 2, 3, "Slow.")
    assert review.edited_at is None


# --- only the buyer of the request ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["seller", "other_buyer", "other_seller", "arbitrator"])
def test_only_the_buyer_rates(who, refunded, request):
    stranger = request.getfixturevalue(who)

    with pytest.raises(ActionNotAllowed):
        rate(refunded, stranger)

    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["seller", "other_buyer", "other_seller", "arbitrator"])
def test_only_the_buyer_changes_the_rating(who, refunded, buyer, request):
    review = rate(refunded, buyer, speed=5, attitude=5, result=5)
    stranger = request.getfixturevalue(who)

    with pytest.raises(ActionNotAllowed):
        edit_review(review=review, actor=stranger, speed=1, attitude=1, result=1)

    review.refresh_from_db()
    assert (review.speed, review.attitude, review.result) == (5, 5, 5)


# --- stars from 1 to 5 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stars",
    [
        {"speed": 0, "attitude": 3, "result": 3},
        {"speed": 3, "attitude": 6, "result": 3},
        {"speed": 3, "attitude": 3, "result": -1},
        {"speed": 3, "attitude": 3, "result": None},
    ],
)
def test_stars_outside_one_to_five_are_refused(stars, refunded, buyer):
    with pytest.raises(InvalidInput) as refused:
        review_request(request=refunded, actor=buyer, **stars)

    assert str(refused.value) == "Give each rating from 1 to 5 stars."
    assert not Review.objects.exists()


def test_a_change_to_six_stars_is_refused(refunded, buyer):
    review = rate(refunded, buyer, speed=2, attitude=2, result=2)

    with pytest.raises(InvalidInput):
        edit_review(review=review, actor=buyer, speed=6, attitude=2, result=2)

    review.refresh_from_db()
    assert review.speed == 2


# --- photos ---------------------------------------------------------------------------------------


def test_photos_are_stored_with_thumbnails(refunded, buyer):
    review = rate(refunded, buyer, photos=[photo("tin.jpg"), photo("receipt.jpg")])

    photos = list(ReviewPhoto.objects.filter(review=review))
    assert [p.original_name for p in photos] == ["tin.jpg", "receipt.jpg"]
    for stored in photos:
        for field in (stored.file, stored.thumbnail):
            assert field.storage.exists(field.name)
            with field.open("rb") as handle:
                assert Image.open(handle).format == "JPEG"


# --- the shop's reply -----------------------------------------------------------------------------


@pytest.fixture
def review(refunded, buyer):
    return rate(refunded, buyer, speed=2, attitude=3, result=2, comment="Took a week.")


def test_a_member_of_the_shop_replies_once(review, seller):
    reply_to_review(review=review, actor=seller, reply="Sorry, the warehouse was closed.")

    review.refresh_from_db()
    assert review.reply == "Sorry, the warehouse was closed."
    assert review.replied_by == seller
    assert review.replied_at is not None


def test_any_member_of_the_shop_may_reply(review, shop):
    colleague = ShopMemberFactory(shop=shop, user__username="colleague").user

    reply_to_review(review=review, actor=colleague, reply="We are sorry.")

    review.refresh_from_db()
    assert review.replied_by == colleague


def test_a_second_reply_is_refused(review, seller, shop):
    reply_to_review(review=review, actor=seller, reply="Sorry, the warehouse was closed.")

    with pytest.raises(StaleAction) as refused:
        reply_to_review(review=review, actor=seller, reply="Second thoughts.")

    assert str(refused.value) == "The shop has already replied to this review."
    review.refresh_from_db()
    assert review.reply == "Sorry, the warehouse was closed."


@pytest.mark.parametrize("who", ["buyer", "other_buyer", "other_seller", "arbitrator"])
def test_only_a_member_of_the_shop_replies(who, review, request):
    stranger = request.getfixturevalue(who)

    with pytest.raises(ActionNotAllowed):
        reply_to_review(review=review, actor=stranger, reply="Not my shop.")

    review.refresh_from_db()
    assert (review.reply, review.replied_at) == ("", None)


def test_an_empty_reply_is_refused(review, seller):
    with pytest.raises(InvalidInput):
        reply_to_review(review=review, actor=seller, reply="   ")

    review.refresh_from_db()
    assert review.replied_at is None
