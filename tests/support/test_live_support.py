"""Customer service, live (portals/live.py, ``ws/support/<id>/``): who may join a conversation's
socket (the support app's own rule), that either side's message reaches the other's open page,
and that a message sent over the socket is the service's record, with the form's checks.

Transactional database and ``async_to_sync``, as tests/aftersales/test_live_conversation.py.
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Group

from config.asgi import websocket_urlpatterns
from orders.preferences import language_of
from portals.live import FORBIDDEN
from support import services
from support.models import Conversation, Message, QuickReply
from tests.aftersales.factories import file_request
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3


@pytest.fixture
def support_staff(db):
    user = UserFactory(username="support", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="support")[0])
    return user


@pytest.fixture
def asked(buyer, item):
    return services.open_conversation(
        asker=buyer, body="Where is my refund?", request=file_request(item)
    )


def socket_for(user, conversation, *, lang="en", after="") -> WebsocketCommunicator:
    path = f"/ws/support/{conversation.pk}/?lang={lang}"
    if after:
        path += f"&after={after}"
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


async def joined(communicator) -> None:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    assert await communicator.receive_nothing(timeout=0.2)  # still open, nothing refused


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


def test_the_asker_and_support_staff_join_nobody_else(
    asked, buyer, other_buyer, seller, arbitrator, support_staff, django_user_model
):
    staff_of_nothing = django_user_model.objects.create_user("staff-only", is_staff=True)
    superuser = django_user_model.objects.create_superuser("root")

    async def scenario():
        for person in (buyer, support_staff, superuser):
            communicator = socket_for(person, asked)
            await joined(communicator)
            await communicator.disconnect()
        # the shop of the request the buyer asks about is no party to the conversation
        for stranger in (other_buyer, seller, staff_of_nothing, AnonymousUser(), arbitrator):
            assert await refused(socket_for(stranger, asked)) == FORBIDDEN

    async_to_sync(scenario)()


def test_a_conversation_that_does_not_exist_is_refused(buyer):
    class Missing:
        pk = 999_999

    async def scenario():
        assert await refused(socket_for(buyer, Missing())) == FORBIDDEN

    async_to_sync(scenario)()


def test_an_arbitrator_joins_a_handed_over_conversation_and_only_reads(asked, arbitrator):
    Conversation.objects.filter(pk=asked.pk).update(handed_over=Conversation.Handover.DISPUTE)

    async def scenario():
        communicator = socket_for(arbitrator, asked)
        await joined(communicator)
        await communicator.send_json_to({"type": "message", "body": "I decide here."})
        answer = await next_of(communicator, "refused")
        await communicator.disconnect()
        return answer

    answer = async_to_sync(scenario)()
    assert answer["errors"] == ["You can only read this conversation."]
    assert not Message.objects.filter(body="I decide here.").exists()


def test_a_staff_answer_from_the_admin_reaches_the_askers_page(asked, buyer, support_staff):
    from django.test import Client

    staff_page = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff_page.force_login(support_staff)

    async def scenario():
        as_buyer = socket_for(buyer, asked)
        await joined(as_buyer)
        # the admin's plain form post (no socket on the staff's side)
        response = await sync_to_async(staff_page.post)(
            f"/admin/support/conversation/{asked.pk}/answer/", {"body": "On its way <b>today</b>."}
        )
        assert response.status_code == 302
        frame = await next_of(as_buyer, "message")
        await as_buyer.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    message = Message.objects.get(pk=frame["id"])
    assert message.from_support and message.author == support_staff
    assert frame["who"] == "Customer service" and frame["from_support"]
    assert frame["body"] == "On its way <b>today</b>."  # data: the page puts it in as text


def test_the_askers_socket_message_is_the_services_record_and_reaches_support(
    asked, buyer, support_staff
):
    async def scenario():
        as_buyer, as_staff = socket_for(buyer, asked), socket_for(support_staff, asked)
        await joined(as_buyer)
        await joined(as_staff)
        await as_buyer.send_json_to({"type": "message", "body": "  ", "ref": 1})
        empty = await next_of(as_buyer, "refused")
        await as_buyer.send_json_to({"type": "message", "body": "Still nothing.", "ref": 2})
        sent = await next_of(as_buyer, "sent")
        theirs = await next_of(as_staff, "message")
        await as_buyer.disconnect()
        await as_staff.disconnect()
        return empty, sent, theirs

    empty, sent, theirs = async_to_sync(scenario)()
    assert empty["errors"] == ["This field is required."] and empty["ref"] == "1"
    assert theirs["id"] == sent["id"] and theirs["who"] == "buyer"
    message = Message.objects.get(pk=sent["id"])
    assert message.conversation == asked and message.author == buyer and not message.from_support
    asked.refresh_from_db()
    assert asked.status == Conversation.Status.WAITING  # ask() ran: the queue waits again


def test_support_answers_over_the_socket_with_a_quick_reply_in_the_askers_language(
    asked, buyer, support_staff
):
    quick = QuickReply.objects.create(
        title="Refund", text_zh="退款已发出。", text_en="Refund sent."
    )

    async def scenario():
        as_staff, as_buyer = socket_for(support_staff, asked), socket_for(buyer, asked)
        await joined(as_staff)
        await joined(as_buyer)
        await as_staff.send_json_to({"type": "message", "body": "", "quick_reply": ""})
        nothing = await next_of(as_staff, "refused")
        await as_staff.send_json_to({"type": "message", "body": "", "quick_reply": str(quick.pk)})
        await next_of(as_staff, "sent")
        frame = await next_of(as_buyer, "message")
        await as_buyer.send_json_to({"type": "read"})
        await as_buyer.receive_nothing(timeout=0.3)
        await as_staff.disconnect()
        await as_buyer.disconnect()
        return nothing, frame

    nothing, frame = async_to_sync(scenario)()
    assert nothing["errors"] == ["Write an answer or choose a quick reply."]
    assert frame["body"] == quick.text_for(language_of(buyer))
    asked.refresh_from_db()
    assert asked.status == Conversation.Status.ANSWERED
    assert not asked.unread_by_asker  # the open page read it


def test_a_closed_conversation_refuses_a_socket_message_and_keeps_nothing(asked, buyer):
    services.close(conversation=asked, actor=buyer)

    async def scenario():
        communicator = socket_for(buyer, asked)
        await joined(communicator)
        await communicator.send_json_to({"type": "message", "body": "One more thing"})
        answer = await next_of(communicator, "refused")
        await communicator.disconnect()
        return answer

    answer = async_to_sync(scenario)()
    assert answer["errors"] == ["This conversation is closed; open a new one."]
    assert not Message.objects.filter(body="One more thing").exists()


def test_what_was_missed_is_sent_on_reconnecting(asked, buyer, support_staff):
    first = asked.messages.get()
    services.answer(conversation=asked, actor=support_staff, body="Answered while away.")

    async def scenario():
        communicator = socket_for(buyer, asked, after=str(first.pk))
        await communicator.connect(timeout=TIMEOUT)
        frame = await next_of(communicator, "message")
        await communicator.disconnect()
        return frame

    assert async_to_sync(scenario)()["body"] == "Answered while away."
