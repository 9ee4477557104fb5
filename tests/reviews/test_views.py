"""Rating the service, the shop's reply, the shop page and the seller dashboard's scores (issue 7),
driven with Django's test client and read the way a person reads the page."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from aftersales.models import AfterSalesRequest, PendingUpload, State
from reviews.models import Review, ReviewPhoto
from reviews.services import reply_to_review, review_request
from tests.aftersales.factories import jpeg_upload, photo, request_in
from tests.aftersales.test_buyer_views import Page
from tests.orders.factories import OrderItemFactory, ShopMemberFactory
from tests.reviews.test_scores import score_rows

pytestmark = pytest.mark.django_db

# The shop page: session, user, shop, its stored scores (``reviews.summary``); the header's
# seller link and unread notifications; the count, the page of reviews and their photos.
SHOP_PAGE_QUERIES = 9  # 4 + 2 + 3


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_buyer(buyer):
    return client_for(buyer)


@pytest.fixture
def as_seller(seller):
    return client_for(seller)


@pytest.fixture
def refunded(item):
    return request_in(State.REFUNDED, item)


@pytest.fixture
def reviewed(refunded, buyer):
    return review_request(
        request=refunded, actor=buyer, speed=2, attitude=3, result=2, comment="Took a week."
    )


def review_url(request) -> str:
    return f"/requests/{request.pk}/review/"


def reply_url(request) -> str:
    return f"/seller/requests/{request.pk}/reply/"


def rating(**overrides) -> dict:
    """What a buyer picks and types into the rating form."""
    data = {"speed": "5", "attitude": "4", "result": "3", "comment": "Refunded the same day."}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def checked_stars(response) -> dict[str, str]:
    """The star each radio group of the form shows as picked."""
    html = response.content.decode()
    return {
        name: value
        for tag in re.findall(r"<input [^>]*>", html)
        if 'type="radio"' in tag and re.search(r"\bchecked\b", tag)
        for name, value in [
            (re.search(r'name="(\w+)"', tag).group(1), re.search(r'value="(\w+)"', tag).group(1))
        ]
    }


def radio_groups(response) -> dict[str, list[str]]:
    html = response.content.decode()
    groups: dict[str, list[str]] = {}
    for tag in re.findall(r'<input type="radio"[^>]*>', html):
        name = re.search(r'name="(\w+)"', tag).group(1)
        groups.setdefault(name, []).append(re.search(r'value="(\w+)"', tag).group(1))
    return groups


def kept_labels(page: Page) -> list[str]:
    return [label for _id, checked, label in page.kept if checked]


def section(response, section_id: str) -> Page | None:
    """One ``<section id=…>`` of the page, read on its own; ``None`` if it is not there."""
    html = response.content.decode()
    match = re.search(rf'<section [^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    return Page(match.group(1)) if match else None


def reviews_on_shop_page(response) -> list[Page]:
    html = response.content.decode()
    return [Page(a) for a in re.findall(r'<article class="review">(.*?)</article>', html, re.S)]


def assert_login_redirect(response, path: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


# --- the buyer rates the service ------------------------------------------------------------------


def test_the_request_page_offers_the_rating_once_the_request_has_ended(as_buyer, refunded):
    page = Page(as_buyer.get(f"/requests/{refunded.pk}/"))

    assert page.link("Rate the after-sales service") == review_url(refunded)


def _open(item):
    return request_in(State.SUBMITTED, item)


def _withdrawn(item):
    return request_in(State.CLOSED, item)


def _window_passed(item):
    request = request_in(State.REFUNDED, item)
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        finished_at=request.finished_at - timedelta(days=15, minutes=1)
    )
    return request


NOT_RATEABLE = {"open": _open, "withdrawn": _withdrawn, "15 days passed": _window_passed}
NOT_ENDED = "You can rate the service once the request has ended."
WHY_NOT = {
    "open": NOT_ENDED,
    "withdrawn": NOT_ENDED,
    "15 days passed": "The time to rate this service has passed (15 days after it ended).",
}


@pytest.mark.parametrize("case", NOT_RATEABLE)
def test_the_request_page_offers_no_rating_when_it_cannot_be_rated(case, as_buyer, item):
    request = NOT_RATEABLE[case](item)

    response = as_buyer.get(f"/requests/{request.pk}/")

    assert response.status_code == 200
    assert Page(response).link("Rate the after-sales service") is None
    assert section(response, "review") is None


def test_the_rating_form(as_buyer, refunded, shop):
    response = as_buyer.get(review_url(refunded))

    page = Page(response)
    assert response.status_code == 200
    assert "Rate the after-sales service" in page.text
    assert f"{shop.name} · {refunded.order_item.title} · Refunded" in page.text
    assert radio_groups(response) == {
        "speed": ["5", "4", "3", "2", "1"],
        "attitude": ["5", "4", "3", "2", "1"],
        "result": ["5", "4", "3", "2", "1"],
    }
    assert "comment" in page.values
    assert 'type="file" name="files"' in response.content.decode()
    assert "Publish the rating" in page.buttons


@pytest.mark.parametrize("case", NOT_RATEABLE)
def test_the_rating_form_is_not_shown_when_the_request_cannot_be_rated(case, as_buyer, item):
    request = NOT_RATEABLE[case](item)

    response = as_buyer.get(review_url(request), follow=True)

    assert response.status_code in (200, 404)
    assert "Publish the rating" not in Page(response).buttons


@pytest.mark.parametrize("case", NOT_RATEABLE)
def test_a_rating_of_a_request_that_cannot_be_rated_is_refused(case, as_buyer, item):
    request = NOT_RATEABLE[case](item)

    response = as_buyer.post(review_url(request), rating(), follow=True)

    assert response.redirect_chain[-1][0] == f"/requests/{request.pk}/"
    assert Page(response).messages == [WHY_NOT[case]]
    assert not Review.objects.exists()


def test_the_buyer_rates_and_sees_the_review_on_the_request_and_shop_pages(
    as_buyer, refunded, shop, other_buyer
):
    # when
    response = as_buyer.post(
        review_url(refunded),
        rating(speed="5", attitude="4", result="3", comment="Refunded the same day."),
        follow=True,
    )

    # then the buyer is back on the request page, which shows the rating
    assert response.redirect_chain == [(f"/requests/{refunded.pk}/", 302)]
    page = Page(response)
    assert page.messages == ["Thank you for rating the service."]
    assert page.link("Rate the after-sales service") is None
    mine = section(response, "review")
    assert "Speed ★★★★★ Attitude ★★★★☆ Result ★★★☆☆" in mine.text
    assert "Refunded the same day." in mine.text
    assert mine.link("Change your rating") == review_url(refunded)
    # and anyone signed in sees it on the shop's page, with the item it was about
    shop_page = client_for(other_buyer).get(f"/shops/{shop.pk}/")
    (shown,) = reviews_on_shop_page(shop_page)
    assert refunded.order_item.title in shown.text
    assert "Speed ★★★★★ Attitude ★★★★☆ Result ★★★☆☆" in shown.text
    assert "Refunded the same day." in shown.text


def test_my_orders_lead_to_the_shop_page(as_buyer, item, shop):
    page = Page(as_buyer.get("/"))

    assert page.link(shop.name) == f"/shops/{shop.pk}/"


def test_the_rating_is_shown_to_the_seller(as_seller, reviewed):
    response = as_seller.get(f"/seller/requests/{reviewed.request_id}/")

    theirs = section(response, "review")
    assert "The buyer's rating" in theirs.text
    assert "Speed ★★☆☆☆ Attitude ★★★☆☆ Result ★★☆☆☆" in theirs.text
    assert "Took a week." in theirs.text


def test_the_rating_can_be_changed_within_24_hours(as_buyer, reviewed):
    request = reviewed.request

    form = as_buyer.get(review_url(request))
    assert "Change your rating" in Page(form).text
    assert checked_stars(form) == {"speed": "2", "attitude": "3", "result": "2"}
    assert Page(form).values["comment"] == "Took a week."
    assert 'name="files"' not in form.content.decode()  # photos go with the first rating only

    response = as_buyer.post(
        review_url(request),
        rating(speed="4", attitude="5", result="4", comment="Sorted."),
        follow=True,
    )

    assert Page(response).messages == ["Thank you for rating the service."]
    mine = section(response, "review")
    assert "Speed ★★★★☆ Attitude ★★★★★ Result ★★★★☆" in mine.text
    assert "Sorted." in mine.text
    assert "· edited" in mine.text
    assert Review.objects.count() == 1


def test_after_24_hours_the_rating_stays_as_it_is(as_buyer, reviewed):
    request = reviewed.request
    Review.objects.filter(pk=reviewed.pk).update(
        created_at=reviewed.created_at - timedelta(hours=24, minutes=1)
    )

    page_response = as_buyer.get(f"/requests/{request.pk}/")
    response = as_buyer.post(review_url(request), rating(speed="5"), follow=True)

    assert section(page_response, "review").link("Change your rating") is None
    assert "Took a week." in section(page_response, "review").text
    assert Page(response).messages == ["A rating can be changed only within 24 hours."]
    reviewed.refresh_from_db()
    assert (reviewed.speed, reviewed.edited_at) == (2, None)


def test_after_24_hours_the_change_form_is_not_shown(as_buyer, reviewed):
    Review.objects.filter(pk=reviewed.pk).update(
        created_at=reviewed.created_at - timedelta(hours=24, minutes=1)
    )

    response = as_buyer.get(review_url(reviewed.request), follow=True)

    assert "Save the change" not in Page(response).buttons


# --- bad input comes back with the error, and nothing typed or uploaded is lost -------------------

FORGED = "“photo.jpg” is not a photo we can read. Upload a JPEG, PNG, WebP or GIF image."


def forged_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")


ALL_PICKED = {"speed": "5", "attitude": "4", "result": "3"}


@pytest.mark.parametrize(
    "bad, error, still_picked",
    [
        ({"speed": None}, "This field is required.", {"attitude": "4", "result": "3"}),
        (
            {"attitude": "6"},
            "Select a valid choice. 6 is not one of the available choices.",
            {"speed": "5", "result": "3"},  # there is no sixth star to show as picked
        ),
        (
            {"comment": "x" * 1001},
            "Ensure this value has at most 1000 characters (it has 1001).",
            ALL_PICKED,
        ),
        ({"files": [forged_photo]}, FORGED, ALL_PICKED),
    ],
    ids=["missing stars", "six stars", "long comment", "forged photo"],
)
def test_bad_input_comes_back_with_the_error_and_everything_kept(
    bad, error, still_picked, as_buyer, refunded
):
    # given a good photo, with whatever is wrong this time
    data = rating(**{k: v for k, v in bad.items() if k != "files"})
    data["files"] = [jpeg_upload("good.jpg")] + [make() for make in bad.get("files", [])]

    response = as_buyer.post(review_url(refunded), data)

    # then the form comes back with the error, and nothing is published
    assert response.status_code == 200
    assert not Review.objects.exists()
    page = Page(response)
    assert error in page.errors
    # with what the buyer picked and typed still in it
    assert checked_stars(response) == still_picked
    assert page.values["comment"] == data["comment"]
    # and the good photo kept, ticked, so it need not be uploaded again
    assert kept_labels(page) == ["good.jpg"]


def test_the_corrected_form_publishes_the_kept_photo(as_buyer, refunded, other_buyer):
    first = Page(
        as_buyer.post(
            review_url(refunded),
            rating(speed=None, files=[jpeg_upload("good.jpg"), forged_photo()]),
        )
    )
    kept = [upload_id for upload_id, checked, _label in first.kept if checked]

    as_buyer.post(review_url(refunded), rating(kept=kept))

    review = Review.objects.get()
    assert [p.original_name for p in review.photos.all()] == ["good.jpg"]
    assert not PendingUpload.objects.exists()
    # the shop page shows its thumbnail, which opens the photo
    shop_page = client_for(other_buyer).get(f"/shops/{refunded.shop_id}/")
    photo_pk = review.photos.get().pk
    assert f"/reviews/photos/{photo_pk}/thumb/" in reviews_on_shop_page(shop_page)[0].images


# --- only the buyer of the request ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_buyer", "seller"])
def test_someone_else_gets_404_for_the_rating_form(who, refunded, request):
    client = client_for(request.getfixturevalue(who))

    assert client.get(review_url(refunded)).status_code == 404
    assert client.post(review_url(refunded), rating()).status_code == 404
    assert not Review.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, reviewed, shop):
    request = reviewed.request
    review_photo = ReviewPhoto.objects.create(review=reviewed, original_name="x.jpg")

    assert_login_redirect(client.get(review_url(request)), review_url(request))
    assert_login_redirect(client.post(review_url(request), rating()), review_url(request))
    assert_login_redirect(client.post(reply_url(request), {"reply": "Hi"}), reply_url(request))
    assert_login_redirect(client.get(f"/shops/{shop.pk}/"), f"/shops/{shop.pk}/")
    photo_url = f"/reviews/photos/{review_photo.pk}/"
    assert_login_redirect(client.get(photo_url), photo_url)
    assert_login_redirect(client.get(f"{photo_url}thumb/"), f"{photo_url}thumb/")
    reviewed.refresh_from_db()
    assert (reviewed.speed, reviewed.reply) == (2, "")


# --- the shop replies -----------------------------------------------------------------------------


def test_the_seller_page_has_no_reply_form_without_a_review(as_seller, refunded):
    response = as_seller.get(f"/seller/requests/{refunded.pk}/")

    assert response.status_code == 200
    assert section(response, "review") is None
    assert "Publish the reply" not in Page(response).buttons


def test_the_seller_replies_and_the_reply_is_public(as_seller, reviewed, shop, other_buyer):
    request = reviewed.request
    before = Page(as_seller.get(f"/seller/requests/{request.pk}/"))
    assert "Publish the reply" in before.buttons

    response = as_seller.post(
        reply_url(request),
        {"reply": "Sorry, our warehouse was closed for the holiday."},
        follow=True,
    )

    assert response.redirect_chain == [(f"/seller/requests/{request.pk}/", 302)]
    page = Page(response)
    assert page.messages == ["Your reply is published."]
    assert "Publish the reply" not in page.buttons
    assert (
        "The shop replied: Sorry, our warehouse was closed for the holiday."
        in section(response, "review").text
    )
    (shown,) = reviews_on_shop_page(client_for(other_buyer).get(f"/shops/{shop.pk}/"))
    assert "The shop replied: Sorry, our warehouse was closed for the holiday." in shown.text


def test_a_second_reply_is_refused_with_a_message(as_seller, reviewed, shop):
    colleague = ShopMemberFactory(shop=shop, user__username="colleague").user
    reply_to_review(review=reviewed, actor=colleague, reply="We are sorry.")

    response = as_seller.post(reply_url(reviewed.request), {"reply": "Me too."}, follow=True)

    assert Page(response).messages == ["The shop has already replied to this review."]
    reviewed.refresh_from_db()
    assert (reviewed.reply, reviewed.replied_by) == ("We are sorry.", colleague)


def test_an_empty_reply_is_refused(as_seller, reviewed):
    response = as_seller.post(reply_url(reviewed.request), {"reply": ""})

    assert response.status_code == 400
    assert "Write your reply first." in Page(response).errors
    reviewed.refresh_from_db()
    assert reviewed.replied_at is None


def test_a_reply_over_1000_characters_is_refused_with_the_reason_and_kept(as_seller, reviewed):
    # 70 short lines: 980 characters as the browser's maxlength counts them (a line break is
    # one), 1050 as the form sends them (each line break is CR LF)
    too_long = "We are sorry.\r\n" * 70

    response = as_seller.post(reply_url(reviewed.request), {"reply": too_long}, follow=True)

    page = Page(response)
    assert "Write your reply first." not in page.messages  # it was written: it is too long
    assert any("at most 1000 characters" in text for text in page.messages + page.errors)
    assert page.values.get("reply", "").split() == too_long.split()
    reviewed.refresh_from_db()
    assert reviewed.replied_at is None


@pytest.mark.parametrize(
    ("who", "answer"),
    [
        ("other_seller", 404),  # a member of another shop: the request does not exist for them
        ("buyer", "not a member of any shop"),  # no shop at all: the seller center says so
        ("arbitrator", "not a member of any shop"),
    ],
)
def test_only_the_shop_can_reply(who, answer, reviewed, request):
    client = client_for(request.getfixturevalue(who))

    response = client.post(reply_url(reviewed.request), {"reply": "Not my shop."})

    if answer == 404:
        assert response.status_code == 404
    else:
        assert answer in Page(response).text
    reviewed.refresh_from_db()
    assert (reviewed.reply, reviewed.replied_at) == ("", None)


def test_another_shops_member_cannot_open_the_request(reviewed, other_seller):
    response = client_for(other_seller).get(f"/seller/requests/{reviewed.request_id}/")

    assert response.status_code == 404


def test_replying_to_a_request_without_review_is_404(as_seller, refunded):
    assert as_seller.post(reply_url(refunded), {"reply": "Thanks!"}).status_code == 404


# --- the shop page --------------------------------------------------------------------------------


@pytest.fixture
def reviews_of(shop, seller):
    """``n`` more reviewed refunds for the shop, each from its own buyer, one in three with a
    photo and a reply."""

    def make(n: int) -> list[Review]:
        made = []
        for _ in range(n):
            request = request_in(State.REFUNDED, OrderItemFactory(order__shop=shop))
            number = Review.objects.count() + 1
            review = review_request(
                request=request,
                actor=request.buyer,
                speed=number % 5 + 1,
                attitude=4,
                result=5,
                comment=f"Review number {number}.",
                photos=[photo(f"r{number}.jpg")] if number % 3 == 0 else [],
            )
            if number % 3 == 0:
                reply_to_review(review=review, actor=seller, reply=f"Thanks, {number}.")
            made.append(review)
        return made

    return make


def shop_page_queries(client, shop, page=1) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/shops/{shop.pk}/?page={page}")
    assert response.status_code == 200
    return len(captured), response


def test_the_shop_page_query_count_does_not_grow_with_reviews(
    as_buyer, shop, reviews_of, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # each rating refreshes the scores
        reviews_of(3)
    with_3, _ = shop_page_queries(as_buyer, shop)
    with django_capture_on_commit_callbacks(execute=True):
        reviews_of(27)
    with_30, response = shop_page_queries(as_buyer, shop)

    assert with_3 == with_30 == SHOP_PAGE_QUERIES
    assert len(reviews_on_shop_page(response)) == 10
    assert score_rows(response)["Reviews"] == ["30", "30"]


def test_the_shop_page_shows_ten_reviews_a_page_newest_first(as_buyer, shop, reviews_of):
    reviews_of(23)

    first = as_buyer.get(f"/shops/{shop.pk}/")
    last = as_buyer.get(f"/shops/{shop.pk}/?page=3")

    def numbers(response):
        return [
            int(re.search(r"Review number (\d+)\.", review.text).group(1))
            for review in reviews_on_shop_page(response)
        ]

    assert numbers(first) == list(range(23, 13, -1))
    assert numbers(last) == [3, 2, 1]
    assert "Page 1 of 3" in Page(first).text
    assert Page(first).link("Next ›") == "?page=2"
    assert Page(last).link("‹ Previous") == "?page=2"


def test_a_shop_without_reviews_says_so(as_buyer, shop):
    response = as_buyer.get(f"/shops/{shop.pk}/")

    assert "No reviews yet." in section(response, "reviews").text
    assert score_rows(response)["Speed"] == ["—", "—"]


def test_an_unknown_shop_is_404(as_buyer, shop):
    assert as_buyer.get(f"/shops/{shop.pk + 1000}/").status_code == 404


# --- the seller dashboard -------------------------------------------------------------------------


def test_the_seller_dashboard_shows_the_scores_and_the_trend_chart(as_seller, reviewed, shop):
    response = as_seller.get("/seller/")

    html = response.content.decode()
    page = Page(response)
    assert f"After-sales scores · {shop.name}" in page.text
    assert page.link("public shop page") == f"/shops/{shop.pk}/"
    scores = score_rows(response)
    assert scores["Speed"] == ["2.00", "2.00"]
    assert scores["Reviews"] == ["1", "1"]
    assert scores["After-sales rate (requests / orders)"] == ["100.0% (1/1)", "100.0% (1/1)"]
    assert "Trend over the last 12 weeks" in page.text
    chart = re.search(r'<svg [^>]*class="trend"[^>]*>(.*?)</svg>', html, re.S)
    assert chart, "no trend chart on the dashboard"
    # one week with activity, labelled by its Monday: a bar for its 1 request, and one point of
    # the average-stars line
    filed = timezone.localtime(reviewed.request.created_at)
    monday = (filed - timedelta(days=filed.weekday())).strftime("%m-%d")
    bars = re.findall(r'<rect [^>]*class="bar"><title>(.*?)</title>', chart.group(1))
    # twelve weeks, quiet ones included; this week's bar has the one request
    assert len(bars) == 12
    assert bars[-1] == f"{monday}: 1"
    assert all(bar.endswith(": 0") for bar in bars[:-1])
    line = re.search(r'<polyline points="([^"]*)" class="line"', chart.group(1))
    assert line and len(line.group(1).split()) == 1


def test_a_shop_without_activity_has_no_chart(as_seller):
    response = as_seller.get("/seller/")

    assert "No after-sales activity yet." in Page(response).text
    assert "<svg" not in response.content.decode()


# --- review photos --------------------------------------------------------------------------------


def test_review_photos_are_served_to_signed_in_users(refunded, buyer, other_seller):
    review = review_request(
        request=refunded, actor=buyer, speed=5, attitude=5, result=5, photos=[photo("tin.jpg")]
    )
    stored = review.photos.get()
    client = client_for(other_seller)  # a stranger to the request: reviews are public

    for url in (f"/reviews/photos/{stored.pk}/", f"/reviews/photos/{stored.pk}/thumb/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "JPEG"
    assert client.get(f"/reviews/photos/{stored.pk + 1}/").status_code == 404
