"""Shop after-sales scores (issue 7): each number checked against a small data set whose right
answer is worked out by hand, in the last-30-days and last-90-days windows.

Every data set is built the way users build it (factories and services), then moved in time with
``queryset.update(...)``. The ``elsewhere`` fixture fills another shop with rows inside both
windows that would change every number if they were counted for ours.
"""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales import services
from aftersales.actors import SYSTEM
from aftersales.history import history_rewrite_allowed
from aftersales.models import (
    AfterSalesRequest,
    Dispute,
    Kind,
    RejectionReason,
    RequestEvent,
    Role,
    Ruling,
    State,
)
from aftersales.services import rule_dispute
from disputes import services as dispute_services
from reviews.models import Review
from reviews.selectors import shop_scores, weekly_trend
from tests.aftersales.factories import TRACKING, file_request, request_in
from tests.orders.factories import OrderItemFactory, ShopFactory, ShopMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever TEST_LANGUAGE_CODE says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def new_item(shop, seller, buyer):
    """Another delivered item bought from our shop (one item per request)."""

    def make(**order):
        return OrderItemFactory(
            order__shop=shop, order__buyer=buyer, **{f"order__{k}": v for k, v in order.items()}
        )

    return make


def move(request: AfterSalesRequest, **times) -> AfterSalesRequest:
    AfterSalesRequest.objects.filter(pk=request.pk).update(**times)
    request.refresh_from_db()
    return request


def filed_at(item, when) -> AfterSalesRequest:
    return move(file_request(item), created_at=when)


def review(request: AfterSalesRequest, stars: tuple[int, int, int], when) -> Review:
    speed, attitude, result = stars
    return Review.objects.create(
        request=request,
        shop_id=request.shop_id,
        buyer_id=request.buyer_id,
        speed=speed,
        attitude=attitude,
        result=result,
        created_at=when,
    )


@pytest.fixture
def elsewhere(arbitrator):
    """Another shop, busy inside both windows: two orders paid 5 days ago, two requests filed 3
    days ago (answered by its seller a day later, refunded an hour after filing), a dispute opened
    and ruled against it, two 1-star reviews yesterday."""
    other = ShopFactory(name="Shenzhen Gadgets")
    ShopMemberFactory(shop=other, user__username="gadget-seller")
    buyer = UserFactory(username="gadget-buyer")
    disputed = request_in(State.DISPUTED, OrderItemFactory(order__shop=other, order__buyer=buyer))
    rule_dispute(
        dispute=disputed.disputes.get(),
        actor=arbitrator,
        outcome=Ruling.Outcome.REFUND,
        refund_amount=Decimal("50.00"),
        rationale="The dent is visible.",
    )
    refunded = request_in(State.REFUNDED, OrderItemFactory(order__shop=other, order__buyer=buyer))
    # moved into the past, so that they are inside the windows of a ``now`` taken before them
    today = timezone.now()
    AfterSalesRequest.objects.filter(shop=other).update(
        created_at=today - 3 * D, finished_at=today - 3 * D + H
    )
    with history_rewrite_allowed():  # the event log refuses this to anyone else
        RequestEvent.objects.filter(request__shop=other).update(created_at=today - 2 * D)
    Dispute.objects.filter(request__shop=other).update(opened_at=today - 2 * D)
    Ruling.objects.filter(dispute__request__shop=other).update(decided_at=today - 1 * D)
    for request in (disputed, refunded):
        review(request, (1, 1, 1), today - 1 * D)
    return other


def scores(shop, now):
    return shop_scores(shop, days=30, now=now), shop_scores(shop, days=90, now=now)


# --- reading the scores table the way a person does -----------------------------------------------


def score_rows(response) -> dict[str, list[str]]:
    """The scores table: each row's heading → the text of its cells (30 days, 90 days)."""
    html = response.content.decode()
    table = re.search(r'<table class="scores">(.*?)</table>', html, re.S)
    assert table, "no scores table on the page"

    def text(fragment: str) -> str:
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())

    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        heading = re.search(r"<th>(.*?)</th>", row, re.S)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        if heading and cells:
            rows[text(heading.group(1))] = [text(cell) for cell in cells]
    return rows


@pytest.fixture
def shop_page(client, buyer):
    client.force_login(buyer)
    return lambda shop: score_rows(client.get(f"/shops/{shop.pk}/"))


# --- average rating per dimension -----------------------------------------------------------------


def test_average_ratings_cover_reviews_written_in_the_window(
    new_item, shop, now, elsewhere, shop_page
):
    written = {
        (5, 4, 3): now - 1 * D,
        (4, 4, 2): now - 10 * D,
        (3, 1, 1): now - 29 * D,
        (1, 5, 5): now - 60 * D,  # 90 days only
        (1, 1, 1): now - 100 * D,  # in neither window
    }
    for stars, when in written.items():
        review(request_in(State.REFUNDED, new_item()), stars, when)

    last30, last90 = scores(shop, now)

    assert last30.reviews == 3
    assert last30.speed == pytest.approx(4.0)  # (5 + 4 + 3) / 3
    assert last30.attitude == pytest.approx(3.0)  # (4 + 4 + 1) / 3
    assert last30.result == pytest.approx(2.0)  # (3 + 2 + 1) / 3
    assert last90.reviews == 4
    assert last90.speed == pytest.approx(3.25)  # (5 + 4 + 3 + 1) / 4
    assert last90.attitude == pytest.approx(3.5)  # (4 + 4 + 1 + 5) / 4
    assert last90.result == pytest.approx(2.75)  # (3 + 2 + 1 + 5) / 4
    page = shop_page(shop)
    assert page["Speed"] == ["4.00", "3.25"]
    assert page["Attitude"] == ["3.00", "3.50"]
    assert page["Result"] == ["2.00", "2.75"]
    assert page["Reviews"] == ["3", "4"]


# --- after-sales rate: requests filed / orders paid -----------------------------------------------


def test_aftersales_rate_is_requests_filed_over_orders_paid(
    new_item, shop, now, elsewhere, shop_page
):
    paid_days_ago = [1, 3, 7, 15, 28, 35, 50, 89, 95]  # 5 in 30 days, 8 in 90 days
    items = [new_item(paid_at=now - days * D) for days in paid_days_ago]
    for item, days in zip(items, [2, 20, 60, 91], strict=False):  # 2 in 30 days, 3 in 90
        filed_at(item, now - days * D)

    last30, last90 = scores(shop, now)

    assert (last30.requests, last30.orders) == (2, 5)
    assert last30.aftersales_rate == pytest.approx(0.4)  # 2 / 5
    assert (last90.requests, last90.orders) == (3, 8)
    assert last90.aftersales_rate == pytest.approx(0.375)  # 3 / 8
    assert shop_page(shop)["After-sales rate (requests / orders)"] == [
        "40.0% (2/5)",
        "37.5% (3/8)",
    ]


def test_orders_without_requests_are_a_zero_rate(new_item, shop, now, shop_page):
    new_item(paid_at=now - 2 * D)

    last30, _ = scores(shop, now)

    assert last30.aftersales_rate == 0
    assert shop_page(shop)["After-sales rate (requests / orders)"][0] == "0.0% (0/1)"


# --- dispute rate: disputes opened / requests filed -----------------------------------------------


def test_dispute_rate_is_disputes_opened_over_requests_filed(
    new_item, shop, now, elsewhere, shop_page
):
    # (filed, dispute opened) days ago
    for filed, opened in [(5, 3), (40, 25), (50, 40), (110, 100)]:
        request = move(request_in(State.DISPUTED, new_item()), created_at=now - filed * D)
        Dispute.objects.filter(request=request).update(opened_at=now - opened * D)
    for filed in [1, 10, 20, 70]:  # requests without a dispute
        filed_at(new_item(), now - filed * D)

    last30, last90 = scores(shop, now)

    # 30 days: filed 1, 5, 10, 20 → 4 requests; opened 3, 25 → 2 disputes
    assert (last30.disputes, last30.requests) == (2, 4)
    assert last30.dispute_rate == pytest.approx(0.5)  # 2 / 4
    # 90 days: filed 1, 5, 10, 20, 40, 50, 70 → 7; opened 3, 25, 40 → 3
    assert (last90.disputes, last90.requests) == (3, 7)
    assert last90.dispute_rate == pytest.approx(3 / 7)  # 0.4286
    assert shop_page(shop)["Dispute rate"] == ["50.0% (2)", "42.9% (3)"]


# --- rulings against the shop ---------------------------------------------------------------------


def test_share_of_rulings_against_the_shop(new_item, shop, now, arbitrator, elsewhere, shop_page):
    rulings = [
        (Ruling.Outcome.FOR_SELLER, 2, {}),
        (Ruling.Outcome.REFUND, 5, {"refund_amount": Decimal("50.00")}),
        (Ruling.Outcome.RETURN_AND_REFUND, 12, {"refund_amount": Decimal("100.00")}),
        (Ruling.Outcome.COMPENSATION, 20, {"compensation_amount": Decimal("20.00")}),
        (Ruling.Outcome.FOR_SELLER, 40, {}),  # 90 days only
        (Ruling.Outcome.FOR_SELLER, 60, {}),  # 90 days only
        (Ruling.Outcome.REFUND, 100, {"refund_amount": Decimal("50.00")}),  # in neither
    ]
    for outcome, days, amounts in rulings:
        request = request_in(State.DISPUTED, new_item())
        rule_dispute(
            dispute=request.disputes.get(),
            actor=arbitrator,
            outcome=outcome,
            rationale="Decided on the photos.",
            now=now - days * D,
            **amounts,
        )
    request_in(State.DISPUTED, new_item())  # still waiting for a ruling: not counted

    last30, last90 = scores(shop, now)

    # 30 days: refund, return and refund, compensation against; one for the seller
    assert (last30.ruled_against, last30.rulings) == (3, 4)
    assert last30.ruled_against_share == pytest.approx(0.75)  # 3 / 4
    # 90 days: the same 3 against, plus two more for the seller
    assert (last90.ruled_against, last90.rulings) == (3, 6)
    assert last90.ruled_against_share == pytest.approx(0.5)  # 3 / 6
    assert shop_page(shop)["Disputes ruled against the shop"] == ["75.0% (3/4)", "50.0% (3/6)"]


# --- median time to the seller's first response ---------------------------------------------------


def test_median_first_response_odd_and_even(
    new_item, shop, seller, buyer, now, elsewhere, shop_page
):
    # filed 2 days ago, approved after 1 h; the seller's later step (50 h) is not the first
    a = filed_at(new_item(), now - 2 * D)
    services.approve_request(request=a, actor=seller, now=a.created_at + 1 * H)
    services.ship_return(request=a, actor=buyer, now=a.created_at + 20 * H, **TRACKING)
    services.confirm_return_received(request=a, actor=seller, now=a.created_at + 50 * H)
    # filed 5 days ago, rejected after 3 h
    b = filed_at(new_item(), now - 5 * D)
    services.reject_request(
        request=b,
        actor=seller,
        reason=RejectionReason.NO_EVIDENCE,
        explanation="No photo of the dent.",
        now=b.created_at + 3 * H,
    )
    # filed 20 days ago, answered with a proposal after 10 h (event moved in time afterwards)
    c = filed_at(new_item(), now - 20 * D)
    services.propose_solution(
        request=c,
        actor=seller,
        kind=Kind.REFUND_ONLY,
        refund_amount=Decimal("30.00"),
        compensation_amount=Decimal("0.00"),
        note="Keep the tin.",
    )
    proposal = RequestEvent.objects.get(request=c, actor_role=Role.SELLER)
    assert move(c).first_response_at == proposal.created_at  # kept on the request
    with history_rewrite_allowed():
        RequestEvent.objects.filter(pk=proposal.pk).update(created_at=c.created_at + 10 * H)
    move(c, first_response_at=c.created_at + 10 * H)
    # filed 3 days ago, the seller never answered: the system approved it after 48 h
    d = filed_at(new_item(), now - 3 * D)
    services.approve_request(request=d, actor=SYSTEM, now=d.created_at + 48 * H)
    # filed 4 days ago, still waiting
    filed_at(new_item(), now - 4 * D)
    # filed 50 days ago (90 days only), answered after 20 h
    e = filed_at(new_item(), now - 50 * D)
    services.approve_request(request=e, actor=seller, now=e.created_at + 20 * H)
    # filed 100 days ago (in neither), answered after 30 minutes
    f = filed_at(new_item(), now - 100 * D)
    services.approve_request(request=f, actor=seller, now=f.created_at + H / 2)

    last30, last90 = scores(shop, now)

    assert last30.median_first_response == 3 * H  # 1 h, [3 h], 10 h
    assert last90.median_first_response == 6.5 * H  # 1 h, [3 h, 10 h], 20 h → (3 + 10) / 2
    assert shop_page(shop)["Median time to the seller's first response"] == ["3.0 h", "6.5 h"]


# --- the seller's first response, kept on the request ---------------------------------------------


def test_the_first_response_is_the_sellers_first_step_and_stays(new_item, seller, buyer, now):
    request = file_request(new_item(), kind=Kind.RETURN_REFUND)
    assert request.first_response_at is None
    services.approve_request(request=request, actor=seller, now=now + 1 * H)
    services.ship_return(request=request, actor=buyer, now=now + 2 * H, **TRACKING)
    services.confirm_return_received(request=request, actor=seller, now=now + 3 * H)
    assert move(request).first_response_at == now + 1 * H


def test_steps_by_the_buyer_or_the_system_are_no_response(new_item, buyer, now):
    request = file_request(new_item(), kind=Kind.RETURN_REFUND)
    services.approve_request(request=request, actor=SYSTEM, now=now + 48 * H)
    services.ship_return(request=request, actor=buyer, now=now + 50 * H, **TRACKING)
    assert move(request).first_response_at is None


def test_an_answer_to_the_platform_is_the_first_response_of_a_silent_seller(
    new_item, seller, buyer, now
):
    # given an exchange the system approved, and handed to the platform when the seller did not
    # confirm the goods came back
    request = file_request(new_item(), kind=Kind.EXCHANGE)
    services.approve_request(request=request, actor=SYSTEM, now=now + 120 * H)
    services.ship_return(request=request, actor=buyer, now=now + 121 * H, **TRACKING)
    services.escalate_overdue(request=request, now=now + 361 * H)
    assert move(request).first_response_at is None
    # when the seller answers the platform, that is their first response
    dispute_services.answer_dispute(
        dispute=request.disputes.get(), actor=seller, statement="It arrived broken.",
        now=now + 362 * H,
    )  # fmt: skip
    assert move(request).first_response_at == now + 362 * H
    # and it is the one the event log shows first for the seller
    first = RequestEvent.objects.filter(request=request, actor_role=Role.SELLER).first()
    assert first.created_at == now + 362 * H


# --- median time to refund ------------------------------------------------------------------------


def test_median_time_to_refund_odd_and_even(new_item, shop, now, elsewhere, shop_page):
    # (filed, refunded) days ago
    for filed, refunded in [
        (3, 3 - 2 / 24),  # 2 h
        (11, 10),  # 24 h
        (28, 25),  # 72 h
        (35, 28),  # 168 h: filed before the 30 days, refunded inside them
        (50, 45),  # 120 h: 90 days only
        (120, 100),  # in neither
    ]:
        move(
            request_in(State.REFUNDED, new_item()),
            created_at=now - filed * D,
            finished_at=now - refunded * D,
        )
    # finished inside the window, but not refunded: not counted
    move(request_in(State.EXCHANGED, new_item()), created_at=now - 10 * D, finished_at=now - 5 * D)
    move(request_in(State.CLOSED, new_item()), created_at=now - 10 * D, finished_at=now - 9 * D)

    last30, last90 = scores(shop, now)

    assert last30.median_time_to_refund == 48 * H  # 2, [24, 72], 168 h → (24 + 72) / 2
    assert last90.median_time_to_refund == 72 * H  # 2, 24, [72], 120, 168 h
    assert shop_page(shop)["Median time to refund"] == ["2.0 days", "3.0 days"]


# --- nothing in the window ------------------------------------------------------------------------


def test_an_empty_window_has_no_scores_and_the_page_shows_dashes(shop, seller, now, shop_page):
    # given only activity from long ago
    old = move(
        request_in(
            State.REFUNDED, OrderItemFactory(order__shop=shop, order__paid_at=now - 201 * D)
        ),
        created_at=now - 200 * D,
        finished_at=now - 199 * D,
    )
    review(old, (5, 5, 5), now - 199 * D)

    for window in scores(shop, now):
        assert window.reviews == 0
        assert (window.speed, window.attitude, window.result) == (None, None, None)
        assert (window.orders, window.requests, window.disputes) == (0, 0, 0)
        assert (window.rulings, window.ruled_against) == (0, 0)
        assert window.aftersales_rate is None
        assert window.dispute_rate is None
        assert window.ruled_against_share is None
        assert window.median_first_response is None
        assert window.median_time_to_refund is None
    assert shop_page(shop) == {
        "Speed": ["—", "—"],
        "Attitude": ["—", "—"],
        "Result": ["—", "—"],
        "Reviews": ["0", "0"],
        "After-sales rate (requests / orders)": ["— (0/0)", "— (0/0)"],
        "Dispute rate": ["— (0)", "— (0)"],
        "Disputes ruled against the shop": ["— (0/0)", "— (0/0)"],
        "Median time to the seller's first response": ["—", "—"],
        "Median time to refund": ["—", "—"],
    }


# --- aggregate queries only -----------------------------------------------------------------------


def test_scores_take_the_same_number_of_queries_for_3_and_30_requests(new_item, shop, now):
    def reviewed_refunds(n):
        for _ in range(n):
            review(request_in(State.REFUNDED, new_item()), (4, 4, 4), timezone.now())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            shop_scores(shop, days=90, now=timezone.now())
        return len(captured)

    reviewed_refunds(3)
    with_3 = queries()
    reviewed_refunds(27)
    with_30 = queries()

    assert with_3 == with_30
    assert shop_scores(shop, days=90, now=timezone.now()).requests == 30


# --- the weekly trend -----------------------------------------------------------------------------


def test_weekly_trend_buckets_requests_and_stars_by_beijing_week(new_item, shop, elsewhere):
    local = timezone.localtime()
    this_monday = (local - local.weekday() * D).replace(hour=0, minute=0, second=0, microsecond=0)
    now = this_monday + 3 * D + 12 * H  # a Thursday noon
    week_1, week_2, week_3 = (this_monday - n * 7 * D for n in (1, 2, 3))
    # requests: two a week ago (Monday morning, Sunday night), one this Monday at 01:00 in
    # Beijing (still Sunday in UTC), one 13 weeks ago (outside the 12 weeks)
    for when in [
        week_1 + 9 * H,
        week_1 + 6 * D + 23.5 * H,
        this_monday + 1 * H,
        this_monday - 13 * 7 * D,
    ]:
        filed_at(new_item(), when)
    # reviews: two a week ago, one three weeks ago (their requests were filed long before)
    for stars, when in [
        ((5, 5, 5), week_1 + 2 * D),
        ((3, 3, 3), week_1 + 4 * D),
        ((2, 3, 4), week_3 + 1 * D),
    ]:
        request = move(request_in(State.REFUNDED, new_item()), created_at=now - 200 * D)
        review(request, stars, when)

    points = weekly_trend(shop, weeks=12, now=now)

    trend = {point.week: (point.requests, point.stars) for point in points}
    assert trend[week_3] == (0, pytest.approx(3.0))  # (2 + 3 + 4) / 3
    assert trend[week_1] == (2, pytest.approx(4.0))  # ((5 + 5 + 5) / 3 + (3 + 3 + 3) / 3) / 2
    assert trend[this_monday] == (1, None)
    assert trend.get(week_2, (0, None)) == (0, None)
    assert sum(requests for requests, _stars in trend.values()) == 3
    assert [point.week for point in points] == sorted(trend)
