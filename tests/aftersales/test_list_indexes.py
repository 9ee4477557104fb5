"""Every list reads a page from an index in its own filter and order (issue 11), on PostgreSQL.

With sorting and the scans that ignore order switched off for the transaction, the planner
still has to answer each list's query; if the index for it matched neither its filter nor its
order, the plan would show a Sort or another index. (Which index serves an unordered count is
the planner's choice by the table's size: ``bench/explain_pages.py`` shows those plans, and
these, on a database of 100,000 requests.)
"""

import pytest
from django.db import connection

from aftersales.models import Dispute
from aftersales.selectors import (
    orders_for_buyer,
    requests_for_buyer,
    seller_queue,
)
from disputes.admin import DisputeAdmin
from disputes.models import Complaint
from reviews.selectors import recent_reviews
from tests.aftersales.factories import file_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _only_ordered_index_scans():
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")


def plan(queryset) -> str:
    return queryset.explain()


def assert_read_in_order_from(index: str, queryset) -> None:
    shown = plan(queryset)
    assert f"using {index} on" in shown, shown
    assert "Sort" not in shown, shown


def test_the_seller_queue_in_progress(shop, item):
    file_request(item)
    assert_read_in_order_from(
        "request_seller_queue_open", seller_queue([shop.pk], state="open")[:25]
    )


def test_the_seller_queue_of_one_state(shop, item):
    file_request(item)
    queue = seller_queue([shop.pk], state="refunded")[25:50]
    assert_read_in_order_from("request_seller_queue_state", queue)


def test_the_buyers_requests(buyer, item):
    file_request(item)
    assert_read_in_order_from("request_buyer_list", requests_for_buyer(buyer)[:20])
    assert_read_in_order_from(
        "request_buyer_list", requests_for_buyer(buyer, status="processing")[:20]
    )


def test_the_buyers_orders(buyer, item):
    assert_read_in_order_from("order_buyer_list", orders_for_buyer(buyer)[:10])


def test_the_notification_centre(buyer):
    assert_read_in_order_from("notification_list", buyer.notifications.all()[:20])


def test_the_staff_dispute_queue():
    order = [*DisputeAdmin.ordering, "-pk"]  # the admin adds "-pk" to make the order total
    assert_read_in_order_from("dispute_queue", Dispute.objects.order_by(*order)[:100])
    open_ones = Dispute.objects.filter(status="open").order_by(*order)[:100]
    assert_read_in_order_from("dispute_queue", open_ones)


def test_the_staff_complaint_queue():
    assert_read_in_order_from("complaint_queue", Complaint.objects.all()[:100])
    open_ones = Complaint.objects.filter(status="open")[:100]
    assert_read_in_order_from("complaint_queue_status", open_ones)


def test_the_shop_pages_reviews(shop):
    assert_read_in_order_from("review_shop_list", recent_reviews(shop)[:10])
