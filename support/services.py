"""What happens in customer service and call backs; every change goes through here.

Conversations are not the request's history: they are between one person and the platform.
What touches a request goes through :mod:`aftersales.services` and :mod:`disputes.services`
(a hand-over opens a dispute or files a complaint by the request's own rules; a call back is
logged on the request's history, without the number).

The live layer (WebSockets) can follow conversations through :data:`message_posted`, sent once
a message has been committed.
"""

import logging
from datetime import datetime

import django.dispatch
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.actors import ARBITRATORS_GROUP, SUPPORT_GROUP, Actor, SystemActor, role_of
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.models import Action, AfterSalesRequest, Dispute, Role
from aftersales.services import escalate_to_platform, record_activity
from disputes.models import Complaint
from disputes.services import file_complaint

from .models import Callback, Conversation, Message

logger = logging.getLogger(__name__)

# Sent on commit with ``message`` (a :class:`Message`): the hook for live updates.
message_posted = django.dispatch.Signal()

PARTIES = frozenset({Role.BUYER, Role.SELLER})
STAFF = frozenset({Role.STAFF})

CALLBACK_ACTIONS = {
    Callback.Outcome.REACHED: Action.CALLBACK_REACHED,
    Callback.Outcome.NO_ANSWER: Action.CALLBACK_NO_ANSWER,
    Callback.Outcome.WRONG_NUMBER: Action.CALLBACK_WRONG_NUMBER,
}


def is_support(user: Actor) -> bool:
    """Answers customer service: the ``support`` group (and superusers)."""
    if isinstance(user, SystemActor) or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=SUPPORT_GROUP).exists()


def is_arbitrator_only(user: Actor) -> bool:
    """An arbitrator outside support: reads only the conversations handed to arbitrators."""
    if isinstance(user, SystemActor) or not user.is_authenticated or is_support(user):
        return False
    return user.groups.filter(name=ARBITRATORS_GROUP).exists()


def _lock(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _post(conversation: Conversation, *, author, body: str, from_support: bool, now) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        author=author,
        body=body,
        from_support=from_support,
        created_at=now,
    )
    transaction.on_commit(lambda: _tell_live(message))
    return message


def _tell_live(message: Message) -> None:
    """A receiver that fails (the channel layer down) is logged, never raised: the message is
    already saved, and the pages show it on their next load (as ``aftersales.signals``)."""
    for _receiver, outcome in message_posted.send_robust(sender=Message, message=message):
        if isinstance(outcome, Exception):
            logger.warning("live update of support message %s not sent: %r", message.pk, outcome)


def _check_text(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write your message."))
    return body


@transaction.atomic
def open_conversation(
    *,
    asker: Actor,
    body: str,
    request: AfterSalesRequest | None = None,
    now: datetime | None = None,
) -> Conversation:
    """A buyer or seller asks the platform; about one of their own requests, or in general."""
    now = now or timezone.now()
    body = _check_text(body)
    if isinstance(asker, SystemActor) or not asker.is_authenticated:
        raise ActionNotAllowed()
    if request is not None and role_of(asker, request) not in PARTIES:
        raise ActionNotAllowed(_("You can only ask about your own requests."))
    conversation = Conversation.objects.create(
        asker=asker, request=request, created_at=now, waiting_since=now
    )
    _post(conversation, author=asker, body=body, from_support=False, now=now)
    return conversation


@transaction.atomic
def ask(*, conversation: Conversation, actor: Actor, body: str, now: datetime | None = None):
    """The asker writes again: the conversation waits for support (since the first unanswered
    message)."""
    now = now or timezone.now()
    body = _check_text(body)
    conversation = _lock(conversation)
    if conversation.asker_id != getattr(actor, "pk", None):
        raise ActionNotAllowed()
    if conversation.is_closed:
        raise StaleAction(_("This conversation is closed; open a new one."))
    conversation.status = Conversation.Status.WAITING
    conversation.waiting_since = conversation.waiting_since or now
    conversation.save(update_fields=["status", "waiting_since"])
    return _post(conversation, author=actor, body=body, from_support=False, now=now)


@transaction.atomic
def answer(*, conversation: Conversation, actor: Actor, body: str, now: datetime | None = None):
    """Support staff answer; the asker sees the answer marked unread."""
    now = now or timezone.now()
    body = _check_text(body)
    if not is_support(actor):
        raise ActionNotAllowed(_("Only customer service staff can answer."))
    conversation = _lock(conversation)
    if conversation.is_closed:
        raise StaleAction(_("This conversation is closed."))
    conversation.status = Conversation.Status.ANSWERED
    conversation.waiting_since = None
    conversation.unread_by_asker = True
    conversation.save(update_fields=["status", "waiting_since", "unread_by_asker"])
    return _post(conversation, author=actor, body=body, from_support=True, now=now)


def mark_read(*, conversation: Conversation, actor: Actor) -> None:
    """The asker has seen the latest answer (their page was shown)."""
    if conversation.asker_id == getattr(actor, "pk", None) and conversation.unread_by_asker:
        Conversation.objects.filter(pk=conversation.pk).update(unread_by_asker=False)
        conversation.unread_by_asker = False


@transaction.atomic
def close(*, conversation: Conversation, actor: Actor, now: datetime | None = None):
    """Support staff or the asker close the conversation; the asker may then rate it."""
    now = now or timezone.now()
    conversation = _lock(conversation)
    if not (is_support(actor) or conversation.asker_id == getattr(actor, "pk", None)):
        raise ActionNotAllowed()
    if conversation.is_closed:
        raise StaleAction(_("This conversation is already closed."))
    conversation.status = Conversation.Status.CLOSED
    conversation.waiting_since = None
    conversation.closed_at = now
    conversation.save(update_fields=["status", "waiting_since", "closed_at"])
    return conversation


@transaction.atomic
def rate(
    *,
    conversation: Conversation,
    actor: Actor,
    score: int,
    comment: str = "",
    now: datetime | None = None,
) -> Conversation:
    """The asker rates the answer once, after the conversation is closed."""
    now = now or timezone.now()
    conversation = _lock(conversation)
    if conversation.asker_id != getattr(actor, "pk", None):
        raise ActionNotAllowed()
    if not conversation.is_closed:
        raise StaleAction(_("You can rate the answer once the conversation is closed."))
    if conversation.rated_at is not None:
        raise StaleAction(_("You have already rated this conversation."))
    if score not in range(1, 6):
        raise InvalidInput(_("Choose from 1 to 5 stars."))
    conversation.rating = score
    conversation.rating_comment = comment.strip()
    conversation.rated_at = now
    conversation.save(update_fields=["rating", "rating_comment", "rated_at"])
    return conversation


@transaction.atomic
def hand_over(
    *,
    conversation: Conversation,
    actor: Actor,
    kind: str,
    reason: str,
    statement: str,
    now: datetime | None = None,
) -> Conversation:
    """Support staff hand a buyer's conversation to the arbitrators: a dispute opened on the
    linked request (平台介入) or a complaint about the shop (维权).

    Both are the buyer's own actions in the request's rules, so they are taken in the buyer's
    name, with the buyer's words from the conversation as the statement, and only where the
    buyer could take them (a dispute after a rejection, a complaint once finished): the state
    machine decides, nothing is bypassed. The conversation records who handed it over.
    """
    now = now or timezone.now()
    if not is_support(actor):
        raise ActionNotAllowed(_("Only customer service staff can hand a conversation over."))
    conversation = _lock(conversation)
    if conversation.handed_over:
        raise StaleAction(_("This conversation has already been handed over."))
    request = conversation.request
    if request is None or request.buyer_id != conversation.asker_id:
        raise InvalidInput(
            _("Only a buyer's conversation about one of their requests can be handed over.")
        )
    statement = statement.strip()
    if not statement:
        raise InvalidInput(_("Write the statement the arbitrator will read."))
    buyer = conversation.asker
    if kind == Conversation.Handover.DISPUTE:
        conversation.dispute = escalate_to_platform(
            request=request, actor=buyer, reason=reason, statement=statement, now=now
        )
    elif kind == Conversation.Handover.COMPLAINT:
        conversation.complaint = file_complaint(
            request=request, actor=buyer, reason=reason, description=statement, now=now
        )
    else:
        raise InvalidInput(_("Choose a dispute or a complaint."))
    conversation.handed_over = kind
    conversation.handed_by = actor
    conversation.save(update_fields=["handed_over", "handed_by", "dispute", "complaint"])
    return conversation


def handover_reasons(kind: str) -> list[tuple[str, str]]:
    if kind == Conversation.Handover.DISPUTE:
        return list(Dispute.Reason.buyer_choices())
    return list(Complaint.Reason.choices)


# --- call backs --------------------------------------------------------------------------------


@transaction.atomic
def ask_for_callback(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    phone: str,
    window_start: datetime,
    window_end: datetime,
    note: str = "",
    now: datetime | None = None,
) -> Callback:
    """The buyer or the seller asks to be called about the request. The history says only that
    a call back was asked; the number and the note stay on the call back, for staff."""
    now = now or timezone.now()
    if not phone:
        raise InvalidInput(_("Enter a phone number."))
    if window_start <= now or window_end <= window_start:
        raise InvalidInput(_("Choose a time window in the future."))
    event = record_activity(
        request,
        actor=actor,
        roles=PARTIES,
        action=Action.CALLBACK_REQUESTED,
        now=now,
        notify=[Role.STAFF],
    )
    return Callback.objects.create(
        request=request,
        asker=actor,
        asker_role=event.actor_role,
        phone=phone,
        window_start=window_start,
        window_end=window_end,
        note=note.strip(),
        created_at=now,
    )


@transaction.atomic
def record_callback(
    *,
    callback: Callback,
    actor: Actor,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> Callback:
    """Staff (arbitrators: the platform's role on a request) record how the call went; the
    history says so in words, the asker is told. The staff note stays with the call back."""
    now = now or timezone.now()
    if outcome not in CALLBACK_ACTIONS:
        raise InvalidInput(_("Choose how the call went."))
    callback = Callback.objects.select_for_update().get(pk=callback.pk)
    if callback.outcome:
        raise StaleAction(_("The outcome of this call back is already recorded."))
    record_activity(
        callback.request,
        actor=actor,
        roles=STAFF,
        action=CALLBACK_ACTIONS[outcome],
        now=now,
        notify=[Role(callback.asker_role)],
    )
    callback.outcome = outcome
    callback.outcome_note = note.strip()
    callback.handled_by = actor
    callback.handled_at = now
    callback.save(update_fields=["outcome", "outcome_note", "handled_by", "handled_at"])
    return callback
