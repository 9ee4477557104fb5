"""The negotiation thread (协商历史) between buyer, seller and platform."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..actors import Actor
from ..errors import InvalidInput, StaleAction
from ..evidence import PreparedFile
from ..models import AfterSalesRequest, Message, Role
from ..signals import send_live
from ..tasks import announce_message
from .core import PARTIES, attach_evidence, check_role, lock, mark_changed

CONVERSATION_CLOSED = _("This request is finished; the conversation is closed.")


@transaction.atomic
def post_message(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    body: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> Message:
    """Add to the thread. Parties and staff may write while the request is open. Announced
    (to the extension hook: webhooks) and shown on the open pages of the request once it
    commits."""
    request = lock(request)
    role = check_role(actor, request, PARTIES)
    if not request.accepts_messages:
        raise StaleAction(CONVERSATION_CLOSED)
    if not body.strip():
        raise InvalidInput(_("Write a message first."))
    now = now or timezone.now()
    message = Message.objects.create(
        request=request, author=actor, author_role=role, body=body, created_at=now
    )
    attach_evidence(request, files, message=message)
    mark_changed(request, now=now)
    transaction.on_commit(lambda: announce_message.delay(message.pk), robust=True)
    transaction.on_commit(
        lambda: send_live("message", request_id=request.pk, message_id=message.pk), robust=True
    )
    return message


# Whose messages a party reads: the other side's.
READS = {Role.BUYER: Role.SELLER, Role.SELLER: Role.BUYER}


def mark_read(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> list[int]:
    """The party has the thread in front of them (the page, or the live conversation open or
    back in focus): the other side's messages not yet read are read now, and that side's open
    pages say so. Staff reading marks nothing. The ids marked (none when all were read).

    No lock and no transaction of its own: one query finds the unread (the page's only cost
    once all is read), one UPDATE marks those still unread, so two pages reading at once mark
    each message once; the receipts they announce may overlap, which shows the same."""
    role = check_role(actor, request, PARTIES)
    if role not in READS:
        return []
    now = now or timezone.now()
    unread = request.messages.filter(author_role=READS[role], read_at__isnull=True)
    ids = list(unread.values_list("pk", flat=True))
    if ids and Message.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now):
        transaction.on_commit(
            lambda: send_live(
                "read", request_id=request.pk, reader_role=role, message_ids=ids, read_at=now
            ),
            robust=True,
        )
    return ids
