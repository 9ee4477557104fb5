"""The live conversation (旺旺 / 千牛 style): a request's thread and the header's unread count,
updated on the open pages over a WebSocket (Django Channels).

One history: a message sent over the socket goes through the same form and the same service
as the page's form (``MessageForm``, ``services.post_message``), so it is the same record the
timeline and the arbitrator read. Photos still go through the form's upload. Nothing here
decides anything: who may join is the request's role (``aftersales.actors.role_of``: the
buyer, the shop's members, arbitrators to read only; anyone else is closed with 4403), and
what is shown is said by the core's ``live`` hook (:func:`broadcast`), sent once what it
announces has committed, whoever wrote it (the socket, a form, the API, the sweep).

Customer service (``ws/support/<id>/``, :class:`SupportThreadConsumer`) is the same machinery
for a conversation with the platform: who may join is the support app's own rule
(``support.selectors.conversation_seen_by``), a message sent over the socket goes through the
page's form and the support service, and ``support.services.message_posted`` tells the group
``support-<id>`` once the message has committed, whichever page wrote it.

Groups: ``request-<id>`` (everyone with that request's page open) and ``user-<id>`` (every
page of one person, for the unread count). With ``REDIS_URL`` the channel layer is Redis and
any web process reaches every open page; without it, the memory of the one process.
"""

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from aftersales import services
from aftersales.actors import role_of
from aftersales.errors import AfterSalesError
from aftersales.forms import MessageForm
from aftersales.models import AfterSalesRequest, Message, Role
from aftersales.services.messages import READS
from support import selectors as support_selectors
from support import services as support_services
from support.forms import MessageForm as SupportMessageForm
from support.forms import ReplyForm
from support.models import Message as SupportMessage

FORBIDDEN = 4403  # the WebSocket close code for "not yours" (an HTTP 403 in the 4000 range)
LANGUAGES = {code for code, _name in settings.LANGUAGES}
# Messages missed while the socket was down, sent on reconnecting; past that, reload the page.
MISSED_AT_MOST = 50


def request_group(request_id: int) -> str:
    return f"request-{request_id}"


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def support_group(conversation_id: int) -> str:
    return f"support-{conversation_id}"


def language_in(scope) -> str:
    """The page's language, as it says in ``?lang=`` (else the site's)."""
    language = query_of(scope).get("lang", "")
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def query_of(scope) -> dict[str, str]:
    return dict(
        pair.split("=", 1)
        for pair in scope.get("query_string", b"").decode().split("&")
        if "=" in pair
    )


# --- what the socket says, in the viewer's language -------------------------------------------


def message_payload(message: Message, *, role: Role, language: str) -> dict:
    """A message as the thread shows it on ``role``'s side of the request."""
    with translation.override(language):
        who = capfirst(message.get_author_role_display())
        if role != Role.BUYER:  # the shop and staff see which member wrote, as on their page
            who = f"{who} ({message.author.get_username()})"
        photos = [
            {
                "url": reverse("evidence", args=[e.pk]),
                "thumb": reverse("evidence_thumb", args=[e.pk]),
                "name": e.original_name,
            }
            for e in message.evidence.all()
            if e.media_type == "photo"
        ]
        return {
            "type": "message",
            "id": message.pk,
            "role": message.author_role,
            "who": who,
            "wrote": _("wrote"),
            "at": message.created_at.isoformat(),
            "at_text": timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M"),
            "body": message.body,
            "photos": photos,
            # A receipt only on one's own side's messages, as the page shows them.
            "receipt": receipt_text(message.read_at) if message.author_role == role else None,
            "read": message.read_at is not None,
        }


def receipt_text(read_at) -> str:
    return _("Read") if read_at else _("Unread")


def support_payload(message: SupportMessage, *, language: str) -> dict:
    """A customer-service message as ``support/_thread.html`` shows it (to either side)."""
    with translation.override(language):
        return {
            "type": "message",
            "id": message.pk,
            "from_support": message.from_support,
            "who": _("Customer service") if message.from_support else message.author.get_username(),
            "at": message.created_at.isoformat(),
            "at_text": timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M"),
            "body": message.body,
        }


def unread_count(user) -> int:
    return user.notifications.filter(read_at__isnull=True).count()


# --- the hook: what the core announces, to the groups ------------------------------------------


def broadcast(sender=None, *, what: str, **details) -> None:
    """``aftersales.signals.live``: tell the groups. Only ids travel; each connection reads
    the rows itself, in its viewer's language and scope."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    if what == "message":
        send(
            request_group(details["request_id"]),
            {"type": "thread.message", "message_id": details["message_id"]},
        )
    elif what == "read":
        send(
            request_group(details["request_id"]),
            {
                "type": "thread.read",
                "reader_role": str(details["reader_role"]),
                "message_ids": list(details["message_ids"]),
            },
        )
    elif what == "notified":
        for user_id in details["user_ids"]:
            send(user_group(user_id), {"type": "user.notified"})


def broadcast_support(sender=None, *, message: SupportMessage, **kwargs) -> None:
    """``support.services.message_posted``: tell the conversation's open pages (by id)."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        support_group(message.conversation_id),
        {"type": "support.message", "message_id": message.pk},
    )


# --- the consumer ------------------------------------------------------------------------------


class RequestThreadConsumer(AsyncJsonWebsocketConsumer):
    """``ws/requests/<id>/``: one open request page."""

    async def connect(self) -> None:
        await self.accept()
        self.user = self.scope["user"]
        self.request_id = self.scope["url_route"]["kwargs"]["pk"]
        query = query_of(self.scope)
        self.language = language_in(self.scope)
        self.role = await self._role()
        if self.role is None:
            await self.close(code=FORBIDDEN)
            return
        self.groups_joined = [request_group(self.request_id), user_group(self.user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "unread", "count": await self._unread()})
        # What was written since the page was drawn (or the socket dropped): the page says
        # the last message it shows.
        after = query.get("after", "")
        if after.isdigit():
            for payload in await self._messages_after(int(after)):
                await self.send_json(payload)
        await self._mark_read()

    async def disconnect(self, code) -> None:
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "read":
            await self._mark_read()
        elif kind == "message":
            answer = await self._post(str(content.get("body", "")))
            answer["ref"] = str(content.get("ref", ""))[:40]
            await self.send_json(answer)
        else:
            await self.send_json({"type": "error", "message": await self._say("unknown")})

    # group events

    async def thread_message(self, event) -> None:
        payload = await self._message(event["message_id"])
        if payload is not None:
            await self.send_json(payload)

    async def thread_read(self, event) -> None:
        # The receipts are for the side whose messages were read.
        if READS.get(Role(event["reader_role"])) == self.role:
            text = await self._say("read")
            await self.send_json({"type": "read", "ids": event["message_ids"], "text": text})

    async def user_notified(self, event) -> None:
        await self.send_json({"type": "unread", "count": await self._unread()})

    # the database and the services, off the event loop

    @database_sync_to_async
    def _role(self) -> Role | None:
        if not self.user.is_authenticated:
            return None
        request = AfterSalesRequest.objects.filter(pk=self.request_id).first()
        return role_of(self.user, request) if request is not None else None

    @database_sync_to_async
    def _unread(self) -> int:
        return unread_count(self.user)

    @database_sync_to_async
    def _mark_read(self) -> None:
        if self.role in READS:
            request = AfterSalesRequest.objects.get(pk=self.request_id)
            services.mark_read(request=request, actor=self.user)

    @database_sync_to_async
    def _post(self, body: str) -> dict:
        """The form's checks, then the service: an error is answered with what was typed kept
        on the page, never dropped. The message itself comes back through the group."""
        with translation.override(self.language):
            if self.role == Role.STAFF:
                return {"type": "refused", "errors": [_("Staff answer from the admin.")]}
            form = MessageForm({"body": body}, {}, owner=self.user)
            if not form.is_valid():
                errors = [str(e) for field in form.errors.values() for e in field]
                return {"type": "refused", "errors": errors}
            request = AfterSalesRequest.objects.get(pk=self.request_id)
            try:
                message = services.post_message(
                    request=request, actor=self.user, body=form.cleaned_data["body"]
                )
            except AfterSalesError as error:
                return {"type": "refused", "errors": [str(error.message)]}
            return {"type": "sent", "id": message.pk}

    @database_sync_to_async
    def _messages_after(self, message_id: int) -> list[dict]:
        messages = (
            Message.objects.filter(request_id=self.request_id, pk__gt=message_id)
            .select_related("author")
            .prefetch_related("evidence")
            .order_by("pk")[:MISSED_AT_MOST]
        )
        return [message_payload(m, role=self.role, language=self.language) for m in messages]

    @database_sync_to_async
    def _message(self, message_id: int) -> dict | None:
        message = (
            Message.objects.filter(pk=message_id, request_id=self.request_id)
            .select_related("author")
            .prefetch_related("evidence")
            .first()
        )
        if message is None:
            return None
        return message_payload(message, role=self.role, language=self.language)

    @database_sync_to_async
    def _say(self, what: str) -> str:
        with translation.override(self.language):
            if what == "read":
                return receipt_text(True)
            return _("The page could not understand that; reload it.")


class SupportThreadConsumer(AsyncJsonWebsocketConsumer):
    """``ws/support/<id>/``: one open customer-service conversation, the asker's page or the
    staff's page in the admin. Who joins and who writes is the support app's rule."""

    async def connect(self) -> None:
        await self.accept()
        self.user = self.scope["user"]
        self.conversation_id = self.scope["url_route"]["kwargs"]["pk"]
        self.language = language_in(self.scope)
        self.side = await self._side()
        if self.side is None:
            await self.close(code=FORBIDDEN)
            return
        self.groups_joined = [support_group(self.conversation_id)]
        await self.channel_layer.group_add(self.groups_joined[0], self.channel_name)
        after = query_of(self.scope).get("after", "")
        if after.isdigit():
            for payload in await self._messages_after(int(after)):
                await self.send_json(payload)

    async def disconnect(self, code) -> None:
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "read":
            await self._mark_read()
        elif kind == "message":
            answer = await self._post(
                str(content.get("body", "")), str(content.get("quick_reply", "") or "")
            )
            answer["ref"] = str(content.get("ref", ""))[:40]
            await self.send_json(answer)
        else:
            await self.send_json({"type": "error", "message": await self._say()})

    async def support_message(self, event) -> None:
        payload = await self._message(event["message_id"])
        if payload is not None:
            await self.send_json(payload)

    @database_sync_to_async
    def _side(self) -> str | None:
        seen = support_selectors.conversation_seen_by(self.user, self.conversation_id)
        return seen[1] if seen is not None else None

    def _conversation(self):
        # Read again each time: the access rule holds on every write, not only on joining.
        seen = support_selectors.conversation_seen_by(self.user, self.conversation_id)
        return seen[0] if seen is not None else None

    @database_sync_to_async
    def _mark_read(self) -> None:
        conversation = self._conversation()
        if conversation is not None:
            support_services.mark_read(conversation=conversation, actor=self.user)

    @database_sync_to_async
    def _post(self, body: str, quick_reply: str) -> dict:
        """The page's form, then the service (the asker asks, support answers; arbitrators
        read only). A refusal is answered; the page keeps what was typed."""
        with translation.override(self.language):
            conversation = self._conversation()
            if conversation is None or self.side == support_selectors.ARBITRATOR:
                return {"type": "refused", "errors": [_("You can only read this conversation.")]}
            if self.side == support_selectors.SUPPORT:
                form = ReplyForm({"body": body, "quick_reply": quick_reply})
            else:
                form = SupportMessageForm({"body": body})
            if not form.is_valid():
                errors = [str(e) for field in form.errors.values() for e in field]
                return {"type": "refused", "errors": errors}
            try:
                if self.side == support_selectors.SUPPORT:
                    message = support_services.answer(
                        conversation=conversation,
                        actor=self.user,
                        body=form.answer_for(conversation.asker),
                    )
                else:
                    message = support_services.ask(
                        conversation=conversation, actor=self.user, body=form.cleaned_data["body"]
                    )
            except AfterSalesError as error:
                return {"type": "refused", "errors": [str(error.message)]}
            return {"type": "sent", "id": message.pk}

    @database_sync_to_async
    def _messages_after(self, message_id: int) -> list[dict]:
        messages = (
            SupportMessage.objects.filter(conversation_id=self.conversation_id, pk__gt=message_id)
            .select_related("author")
            .order_by("pk")[:MISSED_AT_MOST]
        )
        return [support_payload(m, language=self.language) for m in messages]

    @database_sync_to_async
    def _message(self, message_id: int) -> dict | None:
        message = (
            SupportMessage.objects.filter(pk=message_id, conversation_id=self.conversation_id)
            .select_related("author")
            .first()
        )
        return support_payload(message, language=self.language) if message else None

    @database_sync_to_async
    def _say(self) -> str:
        with translation.override(self.language):
            return _("The page could not understand that; reload it.")
