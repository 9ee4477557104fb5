"""The small things a person meets on the pages (issue 13): how the time left reads, the bulk
approval only when a row can be ticked, the trend chart's axis values, the ship-back step's
copy button and 请勿到付 note, the favicon, and the staff queue's order and "back" link."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from aftersales.deadlines import time_left
from aftersales.models import Kind, State
from reviews.charts import trend_svg
from reviews.selectors import WeekPoint
from tests.aftersales.factories import request_in
from tests.orders.factories import OrderItemFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.mark.parametrize(
    ("left", "english", "chinese"),
    [
        (timedelta(days=4, hours=23, minutes=5), "4 days 23 hours", "4天23小时"),
        (timedelta(days=1, minutes=30), "1 day", "1天"),
        (timedelta(hours=3, minutes=1), "3 hours 1 minute", "3小时1分钟"),
        (timedelta(seconds=20), "1 minute", "1分钟"),
    ],
)
def test_time_left_reads_as_people_say_it(left, english, chinese):
    with override("en"):
        assert time_left(NOW + left, now=NOW) == english
    with override("zh-hans"):
        assert time_left(NOW + left, now=NOW) == chinese


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def test_the_request_page_says_the_deadline_with_a_chinese_colon_and_the_time_left(item, buyer):
    request = request_in(State.SUBMITTED, item)
    html = client_for(buyer).get(f"/requests/{request.pk}/").content.decode()
    assert re.search(r"处理截止时间：\s*<time[^>]*>[^<]+</time> · 还剩4天23小时<", html)


def test_the_bulk_approval_shows_only_when_a_row_can_be_ticked(shop, seller, buyer):
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop)
    request_in(State.SUBMITTED, item, kind=Kind.RETURN_REFUND)
    page = client_for(seller).get("/seller/").content.decode()
    assert 'name="ids"' not in page
    assert 'type="submit" class="primary"' not in page.split("</table>")[1].split("</form>")[0]

    request_in(
        State.SUBMITTED,
        OrderItemFactory(order__buyer=buyer, order__shop=shop),
        kind=Kind.REFUND_ONLY,
    )
    page = client_for(seller).get("/seller/").content.decode()
    after_table = page.split("</table>")[1].split("</form>")[0]
    assert 'name="ids"' in page
    assert 'type="submit" class="primary"' in after_table


def test_the_trend_chart_carries_values_on_both_axes():
    points = [
        WeekPoint(NOW - timedelta(weeks=n), requests, stars)
        for n, requests, stars in [(2, 3, 4.0), (1, 7, None), (0, 12, 2.5)]
    ]
    svg = str(trend_svg(points))
    counts = re.findall(r'class="axis count">(\d+)<', svg)
    stars = re.findall(r'class="axis stars">(\d)★<', svg)
    assert counts == ["0", "5", "10", "15"]  # up to at least the busiest week's 12
    assert stars == ["0", "1", "2", "3", "4", "5"]


def test_the_ship_back_step_offers_to_copy_the_address_and_warns_against_freight_collect(
    item, buyer
):
    request = request_in(State.AWAITING_RETURN, item)
    html = client_for(buyer).get(f"/requests/{request.pk}/").content.decode()
    address = re.search(r'<span id="return-address"[^>]*>(.*?)</span>', html).group(1)
    assert address.strip() == request.return_address
    assert 'data-copy="return-address"' in html  # shown by static/js/enhance.js
    assert "请勿到付" in html


def test_every_page_names_its_icon_and_the_old_address_answers(item, buyer):
    html = client_for(buyer).get("/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon\.ico"', html)
    response = Client().get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("/static/favicon.ico")


@pytest.fixture
def staff(arbitrator):
    group = Group.objects.get(name="arbitrators")
    group.permissions.add(
        *Permission.objects.filter(
            codename__startswith="view_", content_type__app_label__in=("aftersales", "disputes")
        )
    )
    return arbitrator


def test_the_dispute_queue_is_sorted_by_ruling_deadline_and_the_case_page_leads_back(
    shop, seller, buyer, staff
):
    disputes = [
        request_in(
            State.DISPUTED, OrderItemFactory(order__buyer=buyer, order__shop=shop)
        ).disputes.get()
        for _ in range(3)
    ]
    for dispute, days in zip(disputes, (4, 1, 2), strict=True):
        dispute.ruling_due_at = NOW + timedelta(days=days)
        dispute.save(update_fields=["ruling_due_at"])
    client = client_for(staff)
    html = client.get("/admin/aftersales/dispute/").content.decode()
    shown = [
        int(pk) for pk in re.findall(r'<th class="field-id"><a href="[^"]*/(\d+)/change/', html)
    ]
    assert shown == [disputes[1].pk, disputes[2].pk, disputes[0].pk]
    # the header marks the deadline (not the status) as what the queue is sorted by
    assert re.search(r'<th scope="col" class="sortable column-target sorted ascending">', html)
    assert "column-status" not in html

    case = client.get(f"/admin/aftersales/dispute/{disputes[0].pk}/change/").content.decode()
    assert "返回列表" in case
    assert ">关闭<" not in case
