"""What a request page shows: the progress stepper of its kind and one negotiation timeline
(events, messages, proposals, shipments, each with its evidence), in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from .models import (
    AfterSalesRequest,
    Evidence,
    Kind,
    Message,
    Proposal,
    RequestEvent,
    Shipment,
    State,
)

# What each logged action means, phrased for the timeline ("<who> <did what>").
ACTION_LABELS = {
    "submit": _("filed the request"),
    "resubmit": _("revised and resubmitted the request"),
    "withdraw": _("withdrew the request"),
    "approve": _("approved the request"),
    "propose": _("proposed another solution"),
    "reject": _("rejected the request"),
    "accept_proposal": _("accepted the proposal"),
    "decline_proposal": _("declined the proposal"),
    "ship_return": _("shipped the goods back"),
    "confirm_return_received": _("confirmed receipt of the returned goods"),
    "refund_without_receipt": _("refunded: the seller did not confirm receipt in time"),
    "pass_inspection": _("passed the inspection"),
    "fail_inspection": _("failed the inspection"),
    "ship_replacement": _("shipped the replacement"),
    "ship_repaired": _("shipped the repaired item"),
    "confirm_delivery": _("confirmed receipt"),
    "close_for_timeout": _("closed the request: the deadline passed"),
    "escalate": _("asked the platform to step in"),
    "escalate_overdue": _("handed the request to the platform: the seller's deadline passed"),
    "rule": _("ruled on the dispute"),
    "answer_dispute": _("answered the dispute"),
    "request_evidence": _("asked for more evidence"),
    "provide_evidence": _("provided more evidence"),
    "complain": _("filed a complaint about the shop"),
}

STEPS = {
    Kind.REFUND_ONLY: [
        (_("Request filed"), ()),
        (_("Seller reviews"), (State.SUBMITTED, State.NEGOTIATING, State.REJECTED)),
        (_("Refunded"), (State.REFUNDED,)),
    ],
    Kind.RETURN_REFUND: [
        (_("Request filed"), ()),
        (_("Seller reviews"), (State.SUBMITTED, State.NEGOTIATING, State.REJECTED)),
        (_("Ship back"), (State.AWAITING_RETURN,)),
        (_("Seller receives and inspects"), (State.RETURN_SHIPPED, State.INSPECTING)),
        (_("Refunded"), (State.REFUNDED,)),
    ],
    Kind.EXCHANGE: [
        (_("Request filed"), ()),
        (_("Seller reviews"), (State.SUBMITTED, State.NEGOTIATING, State.REJECTED)),
        (_("Ship back"), (State.AWAITING_RETURN,)),
        (_("Seller receives and inspects"), (State.RETURN_SHIPPED, State.INSPECTING)),
        (_("Replacement on its way"), (State.REPLACEMENT_SHIPPED,)),
        (_("Exchanged"), (State.EXCHANGED,)),
    ],
    Kind.REPAIR: [
        (_("Request filed"), ()),
        (_("Seller reviews"), (State.SUBMITTED, State.NEGOTIATING, State.REJECTED)),
        (_("Ship for repair"), (State.AWAITING_RETURN,)),
        (
            _("Seller inspects and repairs"),
            (State.RETURN_SHIPPED, State.INSPECTING, State.REPAIRING),
        ),
        (_("Repaired item on its way"), (State.REPAIR_SHIPPED,)),
        (_("Repaired"), (State.REPAIRED,)),
    ],
}


@dataclass
class Step:
    label: str
    status: str  # "done", "current" or "todo"


def progress(request: AfterSalesRequest) -> list[Step]:
    """The stepper for the request's kind. A dispute or a closed request stops where it was."""
    steps = STEPS[Kind(request.kind)]
    state = request.state
    if state in (State.DISPUTED, State.CLOSED):
        # Show how far it got: the state it left to enter the dispute or close, from the log.
        state = (
            request.events.filter(to_state=request.state)
            .exclude(from_state=request.state)
            .values_list("from_state", flat=True)
            .last()
        ) or State.SUBMITTED
    current = next((i for i, (_, states) in enumerate(steps) if state in states), 1)
    finished = request.state in (State.REFUNDED, State.EXCHANGED, State.REPAIRED)
    return [
        Step(
            str(label),
            "done" if i < current or finished else "current" if i == current else "todo",
        )
        for i, (label, _states) in enumerate(steps)
    ]


@dataclass
class Entry:
    at: datetime
    kind: str  # "event", "message", "proposal" or "shipment"
    obj: RequestEvent | Message | Proposal | Shipment
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind == "event":
            return str(ACTION_LABELS.get(self.obj.action, self.obj.action))
        return ""


def timeline(request: AfterSalesRequest) -> list[Entry]:
    """Everything that happened on the request, oldest first. Five queries, whatever its size."""
    by_event: dict[int, list[Evidence]] = defaultdict(list)
    by_message: dict[int, list[Evidence]] = defaultdict(list)
    for evidence in request.evidence.all():
        if evidence.event_id:
            by_event[evidence.event_id].append(evidence)
        elif evidence.message_id:
            by_message[evidence.message_id].append(evidence)
    entries = [
        Entry(e.created_at, "event", e, by_event.get(e.pk, []))
        for e in request.events.select_related("actor")
    ]
    entries += [
        Entry(m.created_at, "message", m, by_message.get(m.pk, []))
        for m in request.messages.select_related("author")
    ]
    entries += [Entry(p.created_at, "proposal", p) for p in request.proposals.all()]
    entries += [Entry(s.shipped_at, "shipment", s) for s in request.shipments.all()]
    return sorted(entries, key=lambda entry: entry.at)
