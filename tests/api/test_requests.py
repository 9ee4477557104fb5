"""The seller API on one shop's requests: every action, every wrong party, the error shape.

Assertions read the documented status and body, and what changed in the database (state,
events and who caused them, proposals, shipments, evidence)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import (
    AfterSalesRequest,
    Evidence,
    Kind,
    Message,
    Proposal,
    RejectionReason,
    RequestEvent,
    Shipment,
    State,
)
from apikeys import services as keys
from orders.models import ShopMember
from tests.aftersales.factories import TRACKING, file_request, jpeg_upload, request_in
from tests.api.conftest import client_with
from tests.orders.factories import (
    OrderItemFactory,
    ReturnAddressFactory,
    ShopFactory,
    ShopMemberFactory,
)

pytestmark = pytest.mark.django_db


def url(request, action: str = "") -> str:
    return f"/api/v1/requests/{request.pk}/" + (f"{action}/" if action else "")


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]


@pytest.fixture
def other_shop_key(db):
    other = ShopFactory(name="Other Shop")
    boss = ShopMemberFactory(shop=other, role=ShopMember.Role.OWNER).user
    return keys.create_shop_key(shop=other, actor=boss, name="Other ERP", scopes=["read", "act"])


# --- reading ---------------------------------------------------------------------------------


def test_one_request_with_its_events_evidence_shipments_proposals_and_messages(api, item, seller):
    request = request_in(State.RETURN_SHIPPED, item)
    Message.objects.create(request=request, author=seller, author_role="seller", body="Got it?")

    response = api.get(url(request))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == request.pk and body["state"] == "return_shipped"
    assert body["state_label"] == "Waiting for the seller to confirm receipt"
    assert [e["action"] for e in body["events"]] == ["submit", "approve", "ship_return"]
    assert body["shipments"][0]["tracking_number"] == TRACKING["tracking_number"]
    assert body["messages"][0]["body"] == "Got it?"
    assert body["available_actions"] == ["confirm_return_received"]
    assert body["order_number"] == item.order.number


def test_the_list_filters_by_state_kind_and_modification_time(api, shop, seller, buyer):
    refund = file_request(
        OrderItemFactory(order__buyer=buyer, order__shop=shop), kind="refund_only"
    )
    exchange = file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop), kind="exchange")
    AfterSalesRequest.objects.filter(pk=refund.pk).update(
        updated_at=timezone.now() - timedelta(days=2)
    )

    def ids(**params):
        response = api.get("/api/v1/requests/", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [refund.pk, exchange.pk]  # oldest change first
    assert ids(kind="exchange") == [exchange.pk]
    assert ids(state="refunded") == []
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(modified_since=since) == [exchange.pk]
    assert ids(modified_until=since) == [refund.pk]


def test_the_cursor_pages_without_gaps_or_repeats(api, shop, buyer):
    requests = [
        file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop)) for _ in range(5)
    ]
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get(
            "/api/v1/requests/", {"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        cursor, pages = body["next_cursor"], pages + 1
        if not body["has_more"]:
            break
    assert seen == [r.pk for r in requests] and pages == 3
    # Later, with the last cursor: only what changed since.
    assert api.get("/api/v1/requests/", {"cursor": cursor}).json()["results"] == []
    request_in_shop = AfterSalesRequest.objects.get(pk=requests[1].pk)
    request_in_shop.save()  # any change moves the row to the end
    later = api.get("/api/v1/requests/", {"cursor": cursor}).json()
    assert [row["id"] for row in later["results"]] == [requests[1].pk]


def test_a_buyers_message_or_statement_brings_the_request_back_into_the_sync(api, shop, buyer):
    from aftersales import services

    first, second = (
        file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop)) for _ in range(2)
    )
    cursor = api.get("/api/v1/requests/").json()["next_cursor"]
    # the buyer writes on the first: nothing moves, but the ERP must see the new message
    services.post_message(request=first, actor=buyer, body="Any news?")
    later = api.get("/api/v1/requests/", {"cursor": cursor}).json()
    assert [row["id"] for row in later["results"]] == [first.pk]
    detail = api.get(f"/api/v1/requests/{first.pk}/").json()
    assert [m["body"] for m in detail["messages"]] == ["Any news?"]
    assert second.pk not in [row["id"] for row in later["results"]]


def test_the_keys_user_gets_no_notifications_the_shops_people_do(api, owner, item):
    from aftersales.models import Notification

    file_request(item)
    assert Notification.objects.filter(recipient=owner).exists()
    assert not Notification.objects.filter(recipient=api.key.user).exists()


def test_bad_filters_answer_400_with_the_fields(api):
    response = api.get("/api/v1/requests/", {"state": "lost", "cursor": "nonsense", "limit": 0})
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"state", "cursor", "limit"}


# --- every seller action ---------------------------------------------------------------------


def test_approve_with_the_default_address_is_logged_as_the_key(api, item, shop):
    request = file_request(item, kind=Kind.RETURN_REFUND)

    response = api.post(url(request, "approve"), {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "awaiting_return"
    request.refresh_from_db()
    assert "文一西路" in request.return_address
    event = request.events.get(action="approve")
    assert event.actor == api.key.user and event.actor.first_name == "Warehouse ERP (API)"
    assert response.json()["events"][-1]["actor"] == "Warehouse ERP (API)"


def test_approve_with_another_of_the_shops_addresses_and_not_another_shops(api, item, shop):
    request = file_request(item, kind=Kind.EXCHANGE)
    foreign = ShopFactory(name="Elsewhere").default_return_address
    refused = api.post(url(request, "approve"), {"return_address": foreign.pk}, format="json")
    assert refused.status_code == 400 and "return_address" in error(refused)["fields"]

    second = ReturnAddressFactory(shop=shop, address="上海市青浦区 88 号", is_default=False)
    response = api.post(url(request, "approve"), {"return_address": second.pk}, format="json")
    assert response.status_code == 200
    request.refresh_from_db()
    assert "青浦区" in request.return_address


def test_propose_and_its_refusals(api, item):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    missing = api.post(url(request, "propose"), {"kind": "refund_only"}, format="json")
    assert missing.status_code == 400 and "note" in error(missing)["fields"]
    wrong = api.post(
        url(request, "propose"),
        {"kind": "exchange", "compensation_amount": "5.00", "note": "Swap it"},
        format="json",
    )
    assert wrong.status_code == 400
    assert "Compensation can only be offered" in error(wrong)["message"]

    response = api.post(
        url(request, "propose"),
        {"kind": "refund_only", "refund_amount": "30.00", "note": "Keep it, ¥30 back."},
        format="json",
    )

    assert response.status_code == 200 and response.json()["state"] == "negotiating"
    assert Proposal.objects.get(request=request).refund_amount == 30


def test_a_repair_after_the_warranty_is_quoted_through_propose(api, buyer, shop):
    from datetime import timedelta

    from django.utils import timezone

    delivered = timezone.now() - timedelta(days=400)
    old_item = OrderItemFactory(
        order__buyer=buyer,
        order__shop=shop,
        shipped_at=delivered - timedelta(days=2),
        delivered_at=delivered,
    )
    request = file_request(old_item, kind=Kind.REPAIR)
    free = api.post(
        url(request, "propose"),
        {"kind": "refund_only", "refund_amount": "10.00", "note": "¥10 back"},
        format="json",
    )
    assert free.status_code == 400  # after the warranty the only offer is the quote
    response = api.post(
        url(request, "propose"),
        {"kind": "repair", "repair_fee": "80.00", "note": "New hinge."},
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == "negotiating"
    assert Proposal.objects.get(request=request).repair_fee == 80


def test_reject_with_a_photo_and_the_evidence_link_works_with_the_key(api, item, other_shop_key):
    request = file_request(item)
    response = api.post(
        url(request, "reject"),
        {
            "reason": RejectionReason.NO_EVIDENCE,
            "explanation": "The photos show no dent.",
            "files": [jpeg_upload()],
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "rejected"
    link = response.json()["evidence"][0]
    assert Evidence.objects.get(pk=link["id"]).uploaded_by == api.key.user

    assert api.get(link["url"]).status_code == 200
    assert api.get(link["thumbnail_url"]).status_code == 200
    assert client_with(other_shop_key[1]).get(link["url"]).status_code == 404
    assert client_with(None).get(link["url"]).status_code == 302  # to the sign-in page
    keys.revoke_key(key=api.key, actor=api.key.created_by)
    assert api.get(link["url"]).status_code == 401


def test_confirm_receipt_then_pass_inspection_refunds(api, item):
    request = request_in(State.RETURN_SHIPPED, item)
    assert api.post(url(request, "confirm-receipt")).json()["state"] == "inspecting"
    assert api.post(url(request, "pass-inspection")).json()["state"] == "refunded"


def test_fail_inspection_needs_a_photo(api, item):
    request = request_in(State.INSPECTING, item)
    data = {"reason": RejectionReason.USED, "explanation": "Worn."}
    refused = api.post(url(request, "fail-inspection"), data, format="json")
    assert refused.status_code == 400 and "files" in error(refused)["fields"]

    response = api.post(
        url(request, "fail-inspection"), {**data, "files": [jpeg_upload()]}, format="multipart"
    )
    assert response.status_code == 200 and response.json()["state"] == "rejected"


@pytest.mark.parametrize(
    ("kind", "state", "purpose", "after"),
    [
        (Kind.EXCHANGE, State.INSPECTING, Shipment.Purpose.REPLACEMENT, "replacement_shipped"),
        (Kind.REPAIR, State.REPAIRING, Shipment.Purpose.REPAIRED, "repair_shipped"),
    ],
)
def test_ship_the_replacement_or_the_repaired_item(api, item, kind, state, purpose, after):
    request = request_in(state, item, kind=kind)
    bad = api.post(url(request, "ship"), {"carrier": "sf", "tracking_number": "12"}, format="json")
    assert bad.status_code == 400 and "tracking_number" in error(bad)["fields"]

    response = api.post(url(request, "ship"), TRACKING, format="json")

    assert response.status_code == 200 and response.json()["state"] == after
    assert request.shipments.filter(purpose=purpose).exists()


def test_message_while_open_and_409_once_closed(api, item):
    request = file_request(item)
    response = api.post(
        url(request, "messages"), {"body": "Could you send a photo?"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["messages"][-1]["author"] == "Warehouse ERP (API)"

    closed = request_in(State.CLOSED, OrderItemFactory(order=item.order))
    refused = api.post(url(closed, "messages"), {"body": "Hello?"}, format="json")
    assert refused.status_code == 409
    assert error(refused)["current"]["state"] == "closed"


def test_answer_a_dispute_once(api, item):
    request = request_in(State.DISPUTED, item)
    statement = {"statement": "The tin left our warehouse intact; see the packing video."}
    assert api.post(url(request, "answer-dispute"), statement, format="json").status_code == 200
    assert request.disputes.get().seller_statement.startswith("The tin left")
    again = api.post(url(request, "answer-dispute"), statement, format="json")
    assert again.status_code == 409 and error(again)["code"] == "stale"


def test_answering_without_a_dispute_is_stale(api, item):
    request = file_request(item)
    response = api.post(url(request, "answer-dispute"), {"statement": "x"}, format="json")
    assert response.status_code == 409


# --- stale, bad input, languages -------------------------------------------------------------


def test_a_stale_action_answers_409_with_the_current_state(api, item):
    request = file_request(item)
    assert api.post(url(request, "approve")).status_code == 200

    response = api.post(url(request, "approve"))

    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "stale" and body["current"]["state"] == "awaiting_return"
    assert request.events.filter(action="approve").count() == 1


def test_the_error_message_is_in_the_requests_language(make_key, item):
    _, token = make_key()
    request = file_request(item)
    client = client_with(token, language="zh-hans")
    client.post(url(request, "approve"))
    response = client.post(url(request, "approve"))
    assert response.status_code == 409
    assert error(response)["message"].startswith("页面打开后该售后单状态已发生变化")


def test_bad_json_and_a_body_that_is_not_an_object(api, item):
    request = file_request(item)
    broken = api.post(url(request, "propose"), "{not json", content_type="application/json")
    assert broken.status_code == 400 and error(broken)["code"] == "bad_json"
    listed = api.post(url(request, "propose"), "[1, 2]", content_type="application/json")
    assert listed.status_code == 400 and error(listed)["code"] == "bad_json"
    assert request.events.count() == 1


# --- wrong parties ---------------------------------------------------------------------------


def test_another_shops_key_gets_404_everywhere(item, other_shop_key):
    request = file_request(item)
    client = client_with(other_shop_key[1])
    assert client.get(url(request)).status_code == 404
    response = client.post(url(request, "approve"))
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert client.get("/api/v1/requests/").json()["results"] == []
    assert RequestEvent.objects.filter(request=request).count() == 1


def test_a_read_only_key_reads_but_may_not_act(make_key, item):
    _, token = make_key(scopes=["read"])
    request = file_request(item)
    client = client_with(token)
    assert client.get(url(request)).status_code == 200
    response = client.post(url(request, "approve"))
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    request.refresh_from_db()
    assert request.state == State.SUBMITTED


def test_a_revoked_key_or_none_or_a_wrong_one_is_401(make_key, owner, item):
    key, token = make_key()
    request = file_request(item)
    keys.revoke_key(key=key, actor=owner)
    for client in (client_with(token), client_with(None), client_with(token[:-2] + "xx")):
        response = client.get(url(request))
        assert response.status_code == 401
        assert error(response)["code"] == "unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    key.user.refresh_from_db()
    assert not key.user.is_active


def test_a_platform_key_cannot_read_requests(item):
    _, token = keys.create_platform_key(name="Order system")
    assert client_with(token).get(url(file_request(item))).status_code == 403


def test_only_an_owner_creates_or_revokes_keys(shop, seller, make_key):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        keys.create_shop_key(shop=shop, actor=seller, name="Mine", scopes=["read"])
    key, _ = make_key()
    with pytest.raises(PermissionDenied):
        keys.revoke_key(key=key, actor=seller)
