"""The events a shop can hear of, mapped from the one vocabulary (``aftersales.models.Action``)
in one table, and what each message says (the payload).

A request event is announced as what was done (its action's type) and, if it finished the
request, as how it finished (the type of its final state): a seller approving a refund-only
request sends ``aftersales.request.approved`` and ``aftersales.request.refunded``. Each is its
own message with its own ``webhook-id``, stable across retries and re-sends.

A payload says what the event said, not what the request says when it is sent (like the
e-mails): a late retry still reports the state the event led to. It carries only what the
seller center shows the shop, never the buyer's name, contact or address.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.models import (
    Action,
    AfterSalesRequest,
    Message,
    RequestEvent,
    Role,
    State,
)
from aftersales.models.vocabulary import NEXT_ACTOR
from aftersales.notifications import request_url

PREFIX = "aftersales."


@dataclass(frozen=True)
class EventType:
    name: str
    label: Promise
    # The actions announced as this type, or the final state it stands for, or neither: a
    # message, a reminder, a test.
    actions: tuple[str, ...] = ()
    ends_in: str = ""


REQUEST_CREATED = "aftersales.request.created"
MESSAGE_POSTED = "aftersales.message.posted"
DEADLINE_REMINDER = "aftersales.deadline.reminder"
TEST = "aftersales.webhook.test"

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(REQUEST_CREATED, _("Request created"), (Action.SUBMIT,)),
    EventType(
        "aftersales.request.resubmitted", _("Request revised and resubmitted"), (Action.RESUBMIT,)
    ),
    EventType("aftersales.request.approved", _("Request approved"), (Action.APPROVE,)),
    EventType("aftersales.request.rejected", _("Request rejected"), (Action.REJECT,)),
    EventType("aftersales.proposal.made", _("Proposal made"), (Action.PROPOSE,)),
    EventType("aftersales.proposal.accepted", _("Proposal accepted"), (Action.ACCEPT_PROPOSAL,)),
    EventType("aftersales.proposal.declined", _("Proposal declined"), (Action.DECLINE_PROPOSAL,)),
    EventType("aftersales.return.shipped", _("Return shipped"), (Action.SHIP_RETURN,)),
    EventType(
        "aftersales.return.signed_for",
        _("Return parcel signed for (the carrier says so)"),
        (Action.PARCEL_SIGNED_FOR,),
    ),
    EventType(
        "aftersales.return.received", _("Return received"), (Action.CONFIRM_RETURN_RECEIVED,)
    ),
    EventType(
        "aftersales.return.inspected",
        _("Return inspected (passed or failed)"),
        (Action.PASS_INSPECTION, Action.FAIL_INSPECTION),
    ),
    EventType(
        "aftersales.goods.shipped",
        _("Replacement or repaired item shipped"),
        (Action.SHIP_REPLACEMENT, Action.SHIP_REPAIRED),
    ),
    EventType("aftersales.request.refunded", _("Refunded"), ends_in=State.REFUNDED),
    EventType("aftersales.request.exchanged", _("Exchange completed"), ends_in=State.EXCHANGED),
    EventType("aftersales.request.repaired", _("Repair completed"), ends_in=State.REPAIRED),
    EventType("aftersales.request.closed", _("Request closed"), ends_in=State.CLOSED),
    EventType(
        "aftersales.request.disputed",
        _("Platform asked to step in"),
        (Action.ESCALATE, Action.ESCALATE_OVERDUE, Action.ESCALATE_UNDELIVERED),
    ),
    EventType(
        "aftersales.fast_refund.updated",
        _("Fast refund advanced by the platform, settled by the shop or recovered"),
        (Action.FAST_REFUND, Action.SETTLE_FAST_REFUND, Action.RECOVER_FAST_REFUND),
    ),
    EventType(
        "aftersales.dispute.updated",
        _("Dispute statement, evidence asked or sent, deadline missed"),
        (
            Action.ANSWER_DISPUTE,
            Action.REQUEST_EVIDENCE,
            Action.PROVIDE_EVIDENCE,
            Action.SELLER_MISSED_ANSWER,
            Action.BUYER_MISSED_EVIDENCE,
            Action.SELLER_MISSED_EVIDENCE,
        ),
    ),
    EventType("aftersales.dispute.ruled", _("Platform ruled"), (Action.RULE,)),
    EventType(MESSAGE_POSTED, _("Message posted")),
    EventType(DEADLINE_REMINDER, _("Deadline reminder")),
)

# Actions no webhook announces (their outcome is announced by its final state, or they are the
# platform's business with the shop, not with a request's desk).
NOT_ANNOUNCED = frozenset(
    {
        Action.WITHDRAW,  # closed
        Action.REFUND_WITHOUT_RECEIPT,  # refunded
        Action.REFUND_ON_SIGN_FOR,  # refunded: a shop's rule, once the parcel was signed for
        Action.CONFIRM_DELIVERY,  # exchanged / repaired
        Action.CLOSE_FOR_TIMEOUT,  # closed
        Action.CLOSE_UNQUOTED,  # closed: a paid repair the shop did not quote
        Action.INSURANCE_CLAIM,  # the insurer pays the buyer: nothing for the shop to do
        Action.COMPLAIN,
        Action.INVESTIGATE_COMPLAINT,
        Action.RESOLVE_COMPLAINT,
        # Call backs: between the platform and the person who asked (never their number).
        Action.CALLBACK_REQUESTED,
        Action.CALLBACK_REACHED,
        Action.CALLBACK_NO_ANSWER,
        Action.CALLBACK_WRONG_NUMBER,
    }
)

BY_ACTION = {action: t.name for t in EVENT_TYPES for action in t.actions}
BY_END = {t.ends_in: t.name for t in EVENT_TYPES if t.ends_in}
NAMES = [t.name for t in EVENT_TYPES]
CHOICES = [(t.name, t.label) for t in EVENT_TYPES]


def types_of(event: RequestEvent) -> list[str]:
    """What one request event is announced as: its action's type, then how the request ended."""
    types = [BY_ACTION[event.action]] if event.action in BY_ACTION else []
    if event.from_state != event.to_state and event.to_state in BY_END:
        types.append(BY_END[event.to_state])
    return types


# --- the messages ------------------------------------------------------------------------------


def webhook_id_of_event(event: RequestEvent, event_type: str) -> str:
    return f"evt_{event.pk}_{event_type.removeprefix(PREFIX).replace('.', '_')}"


def webhook_id_of_message(message: Message) -> str:
    return f"msg_{message.pk}"


def webhook_id_of_reminder(request: AfterSalesRequest) -> str:
    return f"rem_{request.pk}_{int(request.due_at.timestamp())}"


def request_data(request: AfterSalesRequest, *, state: str, version: int) -> dict:
    """The request as the message shows it: ``version`` is how many events its log held then
    (it grows with every change, so a receiver keeps the highest it has seen and ignores an
    older message arriving late)."""
    return {
        "id": request.pk,
        "state": state,
        "kind": request.kind,
        "version": version,
        "url": settings.SITE_URL + request_url(request.pk, Role.SELLER),
        "api_url": f"{settings.SITE_URL}/api/v1/requests/{request.pk}/",
    }


def envelope(event_type: str, at: datetime, data: dict) -> dict:
    return {"type": event_type, "timestamp": _iso(at), "data": data}


def event_payload(event: RequestEvent, event_type: str, *, version: int) -> dict:
    return envelope(
        event_type,
        event.created_at,
        {
            "request": request_data(event.request, state=event.to_state, version=version),
            "event": {
                "id": event.pk,
                "action": event.action,
                "by": event.actor_role,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "reason": event.reason,
                "created_at": _iso(event.created_at),
            },
        },
    )


def message_payload(message: Message, *, state: str, version: int) -> dict:
    return envelope(
        MESSAGE_POSTED,
        message.created_at,
        {
            "request": request_data(message.request, state=state, version=version),
            "message": {
                "id": message.pk,
                "by": message.author_role,
                "body": message.body,
                "created_at": _iso(message.created_at),
            },
        },
    )


def reminder_payload(request: AfterSalesRequest, *, version: int, at: datetime) -> dict:
    return envelope(
        DEADLINE_REMINDER,
        at,
        {
            "request": request_data(request, state=request.state, version=version),
            "deadline": {
                "due_at": _iso(request.due_at),
                "waiting_for": NEXT_ACTOR.get(request.state, ""),
                "then": request.due_action,
            },
        },
    )


def ping_payload(*, at: datetime) -> dict:
    return envelope(TEST, at, {"test": True})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
