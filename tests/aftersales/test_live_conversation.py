"""The live conversation (portals/live.py): who may join a request's socket, what flows over it,
and that it is the same history as the form's.

The consumer reads the database in worker threads, so these tests commit (transactional
database); each drives the ASGI application with Channels' ``WebsocketCommunicator`` inside
``async_to_sync`` (no pytest-asyncio here).
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from aftersales import services
from aftersales.models import Message, Notification
from config.asgi import application, websocket_urlpatterns
from portals.live import FORBIDDEN
from tests.aftersales.factories import file_request, jpeg_upload

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3


def socket_for(user, request, *, lang="en") -> WebsocketCommunicator:
    """The consumer as the router reaches it, with ``user`` signed in (the session part of the
    stack is tested once, below, with a real cookie)."""
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/requests/{request.pk}/?lang={lang}"
    )
    communicator.scope["user"] = user
    return communicator


async def joined(communicator) -> dict:
    """Connect; the first frame is the header's unread count."""
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    first = await communicator.receive_json_from(timeout=TIMEOUT)
    assert first["type"] == "unread"
    return first


async def refused(communicator) -> int:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected  # accepted, then closed with the reason
    closed = await communicator.receive_output(timeout=TIMEOUT)
    assert closed["type"] == "websocket.close"
    return closed["code"]


async def next_of(communicator, kind: str) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


@pytest.fixture
def aftersales(item):
    return file_request(item)


def test_nobody_joins_another_partys_conversation(
    aftersales, other_buyer, other_seller, django_user_model
):
    from django.contrib.auth.models import AnonymousUser

    staff_of_nothing = django_user_model.objects.create_user("support-less", is_staff=True)

    async def scenario():
        for stranger in (other_buyer, other_seller, AnonymousUser(), staff_of_nothing):
            assert await refused(socket_for(stranger, aftersales)) == FORBIDDEN

    async_to_sync(scenario)()


def test_a_request_that_does_not_exist_is_refused_too(buyer):
    class Missing:
        pk = 999_999

    async def scenario():
        assert await refused(socket_for(buyer, Missing())) == FORBIDDEN

    async_to_sync(scenario)()


def test_each_party_gets_the_others_message_and_the_read_receipt(aftersales, buyer, seller):
    async def scenario():
        as_buyer, as_seller = socket_for(buyer, aftersales), socket_for(seller, aftersales)
        await joined(as_buyer)
        await joined(as_seller)
        await as_buyer.send_json_to({"type": "message", "body": "Is the refund on its way?"})
        sent = await next_of(as_buyer, "sent")
        # the seller sees it at once, with the member's-eye label, unread on their side
        mine = await next_of(as_buyer, "message")
        theirs = await next_of(as_seller, "message")
        assert theirs["id"] == mine["id"] == sent["id"]
        assert theirs["body"] == "Is the refund on its way?"
        assert theirs["who"] == "Buyer (buyer)" and mine["who"] == "Buyer"
        assert mine["receipt"] == "Unread" and theirs["receipt"] is None
        # the seller's page has it in front of them: read; the buyer sees 已读 appear
        await as_seller.send_json_to({"type": "read"})
        receipt = await next_of(as_buyer, "read")
        assert receipt == {"type": "read", "ids": [sent["id"]], "text": "Read"}
        await as_buyer.disconnect()
        await as_seller.disconnect()
        return sent["id"]

    message_id = async_to_sync(scenario)()
    # one history: the form's record, read by the timeline and the arbitrator
    message = Message.objects.get(pk=message_id)
    assert message.request_id == aftersales.pk and message.author == buyer
    assert message.author_role == "buyer" and message.read_at is not None


def test_opening_the_page_reads_the_other_sides_messages(aftersales, buyer, seller):
    services.post_message(request=aftersales, actor=seller, body="Please send a photo.")

    async def scenario():
        as_seller = socket_for(seller, aftersales)
        await joined(as_seller)
        # the buyer opens the request page (a plain GET): the seller's page shows 已读
        client = Client()
        await sync_to_async(client.force_login)(buyer)
        response = await sync_to_async(client.get)(f"/requests/{aftersales.pk}/")
        assert response.status_code == 200
        receipt = await next_of(as_seller, "read")
        await as_seller.disconnect()
        return receipt

    receipt = async_to_sync(scenario)()
    assert receipt["ids"] == [aftersales.messages.get().pk]
    assert aftersales.messages.get().read_at is not None


def test_the_buyer_reading_marks_only_the_shops_messages(aftersales, buyer, seller):
    services.post_message(request=aftersales, actor=buyer, body="Mine")
    services.post_message(request=aftersales, actor=seller, body="Theirs")
    services.mark_read(request=aftersales, actor=buyer)
    read = dict(aftersales.messages.values_list("body", "read_at"))
    assert read["Mine"] is None and read["Theirs"] is not None
    # a second look marks nothing new
    assert services.mark_read(request=aftersales, actor=buyer) == []


def test_a_refused_message_is_answered_with_the_reason_and_nothing_is_stored(aftersales, buyer):
    async def scenario():
        as_buyer = socket_for(buyer, aftersales, lang="zh-hans")
        await joined(as_buyer)
        await as_buyer.send_json_to({"type": "message", "body": "   ", "ref": "1"})
        empty = await next_of(as_buyer, "refused")
        await as_buyer.send_json_to({"type": "message", "body": "x" * 2001, "ref": "2"})
        long = await next_of(as_buyer, "refused")
        await as_buyer.disconnect()
        return empty, long

    empty, long = async_to_sync(scenario)()
    assert empty["ref"] == "1" and empty["errors"] == ["该字段是必填项。"]
    assert long["ref"] == "2" and "2000" in long["errors"][0]
    assert not aftersales.messages.exists()


def test_a_finished_requests_conversation_refuses_new_messages(item, buyer, seller):
    from tests.aftersales.factories import request_in

    closed = request_in("refunded", item)

    async def scenario():
        as_buyer = socket_for(buyer, closed)
        await joined(as_buyer)
        await as_buyer.send_json_to({"type": "message", "body": "One more thing"})
        answer = await next_of(as_buyer, "refused")
        await as_buyer.disconnect()
        return answer

    answer = async_to_sync(scenario)()
    assert answer["errors"] == ["This request is finished; the conversation is closed."]
    assert not closed.messages.filter(body="One more thing").exists()


def test_an_arbitrator_may_read_along_but_not_write(aftersales, arbitrator, buyer):
    async def scenario():
        as_staff, as_buyer = socket_for(arbitrator, aftersales), socket_for(buyer, aftersales)
        await joined(as_staff)
        await joined(as_buyer)
        await as_staff.send_json_to({"type": "message", "body": "Hello from staff"})
        answer = await next_of(as_staff, "refused")
        await as_buyer.send_json_to({"type": "message", "body": "Hello"})
        seen = await next_of(as_staff, "message")
        await as_staff.disconnect()
        await as_buyer.disconnect()
        return answer, seen

    answer, seen = async_to_sync(scenario)()
    assert answer["errors"] == ["Staff answer from the admin."]
    assert seen["body"] == "Hello" and seen["receipt"] is None
    assert list(aftersales.messages.values_list("body", flat=True)) == ["Hello"]


def test_a_form_post_with_a_photo_is_broadcast_too(aftersales, buyer, seller):
    async def scenario():
        as_seller = socket_for(seller, aftersales)
        await joined(as_seller)
        client = Client()
        await sync_to_async(client.force_login)(buyer)
        response = await sync_to_async(client.post)(
            f"/requests/{aftersales.pk}/messages/",
            {"body": "Here is the dent.", "files": [jpeg_upload("dent.jpg")]},
        )
        assert response.status_code == 302
        frame = await next_of(as_seller, "message")
        await as_seller.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    evidence = aftersales.evidence.get(message__isnull=False)
    assert frame["body"] == "Here is the dent."
    assert frame["photos"] == [
        {
            "url": f"/evidence/{evidence.pk}/",
            "thumb": f"/evidence/{evidence.pk}/thumb/",
            "name": "dent.jpg",
        }
    ]


def test_the_unread_count_follows_new_notifications(aftersales, buyer, seller):
    async def scenario():
        as_buyer = socket_for(buyer, aftersales)
        before = await joined(as_buyer)
        # the seller rejects in the seller centre: the buyer is notified, their header counts
        await sync_to_async(services.reject_request)(
            request=aftersales,
            actor=seller,
            reason="no_evidence",
            explanation="The photos show no damage.",
        )
        after = await next_of(as_buyer, "unread")
        await as_buyer.disconnect()
        return before, after

    before, after = async_to_sync(scenario)()
    count = Notification.objects.filter(recipient=buyer, read_at__isnull=True).count()
    assert after["count"] == count == before["count"] + 1


def test_the_full_stack_knows_the_user_by_the_session_and_checks_the_origin(
    aftersales, buyer, client
):
    client.force_login(buyer)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    path = f"/ws/requests/{aftersales.pk}/"

    async def scenario():
        good = WebsocketCommunicator(
            application,
            path,
            headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", cookie.encode())],
        )
        await joined(good)
        await good.disconnect()
        # the same cookie from another site's page is turned away before the consumer
        forged = WebsocketCommunicator(
            application,
            path,
            headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie.encode())],
        )
        connected, _ = await forged.connect(timeout=TIMEOUT)
        assert not connected
        # no cookie: anonymous, closed as a stranger
        assert (
            await refused(
                WebsocketCommunicator(application, path, headers=[(b"origin", b"http://127.0.0.1")])
            )
            == FORBIDDEN
        )

    async_to_sync(scenario)()


def test_a_page_that_reconnects_is_sent_what_it_missed(aftersales, buyer, seller):
    seen = services.post_message(request=aftersales, actor=seller, body="Shown on the page")
    services.post_message(request=aftersales, actor=seller, body="Written while away")

    async def scenario():
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns),
            f"/ws/requests/{aftersales.pk}/?lang=en&after={seen.pk}",
        )
        communicator.scope["user"] = buyer
        await joined(communicator)
        missed = await next_of(communicator, "message")
        await communicator.disconnect()
        return missed

    assert async_to_sync(scenario)()["body"] == "Written while away"
