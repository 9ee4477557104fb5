"""An ERP's incremental sync under concurrent changes: following the cursor, it sees every
request's latest change and never the same change twice, even when a change commits a while
after it was stamped (the settle time, ``API_SYNC_SETTLE``, covers that)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from aftersales.models import AfterSalesRequest
from tests.aftersales.factories import file_request
from tests.orders.factories import OrderItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SETTLE = timedelta(seconds=1)


def touch(pk: int, *, hold: float) -> None:
    """Change a request in a transaction that stays open ``hold`` seconds after the row was
    stamped, as a slow service call would."""
    with transaction.atomic():
        row = AfterSalesRequest.objects.select_for_update().get(pk=pk)
        row.save(update_fields=["updated_at"])
        time.sleep(hold)


def slow_changes(ids: list[int]) -> None:
    """Each of these requests changes once, slowly: that change is its last."""
    try:
        for pk in ids:
            touch(pk, hold=0.4)
    finally:
        connection.close()


def fast_changes(ids: list[int], stop: threading.Event) -> None:
    """Meanwhile other requests change quickly and commit first, with later stamps."""
    try:
        while not stop.is_set():
            for pk in ids:
                touch(pk, hold=0)
            time.sleep(0.02)
    finally:
        connection.close()


def test_a_cursor_sync_misses_nothing_and_repeats_nothing(api, shop, buyer, settings):
    settings.API_SYNC_SETTLE = SETTLE
    ids = [
        file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop)).pk for _ in range(12)
    ]
    seen: list[tuple[int, str]] = []
    cursor = None

    def sync() -> None:
        nonlocal cursor
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            body = api.get("/api/v1/requests/", params).json()
            seen.extend((row["id"], row["updated_at"]) for row in body["results"])
            cursor = body["next_cursor"]
            if not body["has_more"]:
                return

    stop = threading.Event()
    slow = threading.Thread(target=slow_changes, args=(ids[:6],))
    fast = threading.Thread(target=fast_changes, args=(ids[6:], stop))
    slow.start()
    fast.start()
    while slow.is_alive():
        sync()
        time.sleep(0.02)
    stop.set()
    fast.join()
    time.sleep(SETTLE.total_seconds() + 0.2)
    sync()

    assert len(seen) == len(set(seen)), "a change came twice"
    latest = {pk: api.get(f"/api/v1/requests/{pk}/").json()["updated_at"] for pk in ids}
    assert set(latest.items()) <= set(seen), "a request's latest change was missed"
    assert len(seen) > len(ids)  # the writers did change rows while the sync ran
