"""The push endpoint a carrier-tracking service calls (``POST /tracking/push/``), and the trace
as the buyer's and the seller's request pages show it."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.models import Action, Shipment, State, TrackingEvent
from aftersales.services import arrivals
from aftersales.services.tracking import record_trace
from aftersales.tracking import TraceLine
from portals.tracking import MAX_BODY_BYTES, signature
from tests.aftersales.factories import TRACKING, request_in

pytestmark = pytest.mark.django_db

SECRET = "push-secret-for-tests"
URL = "/tracking/push/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.TRACKING_PUSH_SECRET = SECRET


@pytest.fixture
def arrived(monkeypatch):
    calls = []

    def recorder(step):
        return lambda request, parcel, *, now: calls.append(step)

    monkeypatch.setattr(arrivals.fast_refunds, "refund_on_pickup", recorder("pickup_refund"))
    monkeypatch.setattr(arrivals.fast_refunds, "settle_on_sign_for", recorder("settle"))
    monkeypatch.setattr(arrivals.insurance, "claim_on_sign_for", recorder("insurance"))
    monkeypatch.setattr(arrivals.automation, "apply_on_sign_for", recorder("rules"))
    return calls


@pytest.fixture
def parcel(item):
    return request_in(State.RETURN_SHIPPED, item).shipments.get()


def body(events=None, **fields) -> bytes:
    payload = {
        "carrier": TRACKING["carrier"],
        "tracking_number": TRACKING["tracking_number"],
        "events": events
        if events is not None
        else [
            {
                "id": "L1",
                "status": "picked_up",
                "time": "2026-12-01T09:30:00+08:00",
                "place": "杭州",
            },
            {"id": "L2", "status": "signed", "time": "2026-12-02T15:00:00+08:00", "place": "上海"},
        ],
        **fields,
    }
    return json.dumps(payload).encode()


def push(raw: bytes, *, secret=SECRET, timestamp=None, headers=None):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    sent = {
        "HTTP_X_TRACKING_TIMESTAMP": timestamp,
        "HTTP_X_TRACKING_SIGNATURE": signature(secret, timestamp=timestamp, body=raw),
    }
    if headers is not None:
        sent = headers
    return Client().post(URL, raw, content_type="application/json", **sent)


def test_a_signed_push_records_the_trace_and_the_sign_for(parcel, arrived):
    response = push(body())
    assert response.status_code == 200, response.content
    assert response.json() == {"recorded": 2, "parcels": 1}
    assert list(parcel.trace.order_by("happened_at").values_list("status", "place", "source")) == [
        ("picked_up", "杭州", "push"),
        ("signed", "上海", "push"),
    ]
    parcel.refresh_from_db()
    assert parcel.signed_at.isoformat() == "2026-12-02T07:00:00+00:00"
    assert parcel.request.events.filter(action=Action.PARCEL_SIGNED_FOR).count() == 1
    assert arrived == ["pickup_refund", "settle", "insurance", "rules"]


def test_the_same_push_twice_is_the_same_rows(parcel, arrived):
    first, second = push(body()), push(body())
    assert first.status_code == second.status_code == 200
    assert second.json() == {"recorded": 0, "parcels": 1}
    assert parcel.trace.count() == 2 and len(arrived) == 4


def test_the_tracking_number_is_matched_as_stored(parcel, arrived):
    spaced = "sf 1234-5678-90123"
    assert push(body(tracking_number=spaced)).status_code == 200
    assert parcel.trace.count() == 2


@pytest.mark.parametrize(
    ("case", "status"),
    [("bad", 401), ("other secret", 401), ("missing", 401), ("stale", 401), ("tampered", 401)],
)
def test_a_push_not_signed_with_the_secret_is_refused(parcel, arrived, case, status):
    raw = body()
    now = str(int(time.time()))
    if case == "bad":
        response = push(
            raw,
            headers={"HTTP_X_TRACKING_TIMESTAMP": now, "HTTP_X_TRACKING_SIGNATURE": "sha256=00"},
        )
    elif case == "other secret":
        response = push(raw, secret="not-the-secret")
    elif case == "missing":
        response = push(raw, headers={})
    elif case == "stale":  # a push replayed ten minutes later
        response = push(raw, timestamp=str(int(time.time()) - 600))
    else:  # the body changed after signing
        signed = signature(SECRET, timestamp=now, body=raw)
        response = Client().post(
            URL,
            raw.replace(b"L2", b"L3"),
            content_type="application/json",
            HTTP_X_TRACKING_TIMESTAMP=now,
            HTTP_X_TRACKING_SIGNATURE=signed,
        )
    assert response.status_code == status
    assert response.json()["error"]
    assert not TrackingEvent.objects.exists() and arrived == []


def test_a_replayed_signature_with_a_new_timestamp_does_not_match(parcel):
    raw = body()
    old = str(int(time.time()) - 600)
    response = push(
        raw,
        headers={
            "HTTP_X_TRACKING_TIMESTAMP": str(int(time.time())),
            "HTTP_X_TRACKING_SIGNATURE": signature(SECRET, timestamp=old, body=raw),
        },
    )
    assert response.status_code == 401


def test_without_a_secret_no_push_is_accepted(parcel, settings):
    settings.TRACKING_PUSH_SECRET = ""
    response = push(body(), secret="")
    assert response.status_code == 503
    assert "no secret" in response.json()["error"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "not valid JSON"),
        (json.dumps([1, 2]).encode(), "JSON object"),
        (body(carrier="dhl"), "Unknown carrier"),
        (body(tracking_number=""), "tracking number is missing"),
        (body(events=[]), "at least one"),
        (
            body(events=[{"id": "x", "status": "lost", "time": "2026-12-01T09:30:00Z"}]),
            "unknown status “lost”",
        ),
        (body(events=[{"id": "x", "status": "signed", "time": "yesterday"}]), "ISO 8601"),
        (
            body(events=[{"id": "x", "status": "signed", "time": "2026-12-01T09:30:00"}]),
            "UTC offset",
        ),
        (body(events=[{"status": "signed", "time": "2026-12-01T09:30:00Z"}]), "needs an “id”"),
        (
            body(
                events=[
                    {
                        "id": "x",
                        "status": "signed",
                        "time": "2026-12-01T09:30:00Z",
                        "place": "x" * 101,
                    }
                ]
            ),
            "100 characters",
        ),
        (
            body(
                events=[
                    {"id": str(n), "status": "in_transit", "time": "2026-12-01T09:30:00Z"}
                    for n in range(101)
                ]
            ),
            "At most 100",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(
    parcel, arrived, raw, says
):
    response = push(raw)
    assert response.status_code == 400
    assert says in response.json()["error"]
    assert not TrackingEvent.objects.exists()


def test_a_push_for_an_unknown_parcel_is_404_so_the_service_retries(parcel):
    response = push(body(tracking_number="SF9999999999999"))
    assert response.status_code == 404
    assert "No parcel" in response.json()["error"]


def test_a_too_large_push_is_refused_before_it_is_read(parcel):
    raw = b"{" + b" " * MAX_BODY_BYTES + b"}"
    assert push(raw).status_code == 413


def test_only_post_and_no_csrf_token_needed(parcel, arrived):
    assert Client().get(URL).status_code == 405
    csrf_checking = Client(enforce_csrf_checks=True)
    raw = body()
    now = str(int(time.time()))
    response = csrf_checking.post(
        URL,
        raw,
        content_type="application/json",
        HTTP_X_TRACKING_TIMESTAMP=now,
        HTTP_X_TRACKING_SIGNATURE=signature(SECRET, timestamp=now, body=raw),
    )
    assert response.status_code == 200


# --- the trace on the request pages -----------------------------------------------------------


def traced(parcel: Shipment) -> None:
    t = parcel.shipped_at
    record_trace(
        shipment=parcel,
        lines=[
            TraceLine("picked_up", t + timedelta(hours=1), "杭州 Hangzhou 揽收 pickup", "a"),
            TraceLine(
                "in_transit", t + timedelta(hours=6), "顺丰 SF 上海 Shanghai 转运中心 hub", "b"
            ),
        ],
        source="simulated",
    )


def test_the_buyer_and_the_seller_see_the_trace_newest_first(parcel, buyer, seller, arrived):
    traced(parcel)
    for user, url in [
        (buyer, f"/requests/{parcel.request_id}/"),
        (seller, f"/seller/requests/{parcel.request_id}/"),
    ]:
        client = Client()
        client.force_login(user)
        html = client.get(url).content.decode()
        assert 'class="trace"' in html
        transit, pickup = html.index("In transit"), html.index("Picked up by the carrier")
        assert transit < pickup  # newest first
        assert "顺丰 SF 上海 Shanghai 转运中心 hub" in html


def test_the_trace_is_shown_in_chinese(parcel, buyer, arrived):
    traced(parcel)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(buyer)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(
        f"/requests/{parcel.request_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "运输中" in html and "已揽收" in html


def test_before_any_news_the_page_says_so(parcel, buyer):
    client = Client()
    client.force_login(buyer)
    html = client.get(f"/requests/{parcel.request_id}/").content.decode()
    assert "No news from the carrier yet" in html


def test_strangers_do_not_see_the_parcel(parcel, other_buyer, other_seller, arrived):
    traced(parcel)
    for user, url in [
        (other_buyer, f"/requests/{parcel.request_id}/"),
        (other_seller, f"/seller/requests/{parcel.request_id}/"),
    ]:
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_staff_see_the_trace_in_the_admin(parcel, arrived, admin_client):
    traced(parcel)
    html = admin_client.get(f"/admin/aftersales/shipment/{parcel.pk}/change/").content.decode()
    assert "顺丰 SF 上海 Shanghai 转运中心 hub" in html
    html = admin_client.get(
        f"/admin/aftersales/aftersalesrequest/{parcel.request_id}/change/"
    ).content.decode()
    assert "Picked up by the carrier" in html or "picked up by the carrier" in html


def test_the_trace_costs_the_page_no_query(parcel, buyer, seller, arrived):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(user, url):
        client = Client()
        client.force_login(user)
        client.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    pages = [
        (buyer, f"/requests/{parcel.request_id}/"),
        (seller, f"/seller/requests/{parcel.request_id}/"),
    ]
    before = [count(user, url) for user, url in pages]
    traced(parcel)
    assert [count(user, url) for user, url in pages] == before


def test_the_buyer_is_told_the_parcel_was_signed_for(parcel, buyer, arrived):
    client = Client()
    client.force_login(buyer)
    url = f"/requests/{parcel.request_id}/"
    assert "signed for on" not in client.get(url).content.decode()
    record_trace(
        shipment=parcel,
        lines=[TraceLine("signed", parcel.shipped_at + timedelta(hours=24), "上海", "s")],
        source="push",
    )
    html = client.get(url).content.decode()
    signed = timezone.localtime(parcel.shipped_at + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
    assert f"The carrier says the parcel was signed for on {signed}" in html
