"""The negotiation thread (协商历史) between buyer, seller and platform."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..actors import Actor
from ..errors import InvalidInput, StaleAction
from ..evidence import PreparedFile
from ..models import AfterSalesRequest, Message
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
    (to the extension hook: webhooks) once it commits."""
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
    return message
