"""What a request page shows: the progress stepper of its kind and one negotiation timeline
(events, messages, proposals, shipments, each with its evidence), in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from .models import (
    SUCCESS_STATES,
    AfterSalesRequest,
    Evidence,
    Kind,
    Message,
    Proposal,
    RequestEvent,
    Shipment,
    State,
)

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

# A repair after the warranty: the shop quotes, the buyer accepts and pays, then as usual.
PAID_REPAIR_STEPS = [
    (_("Request filed"), ()),
    (_("Seller quotes the fee"), (State.SUBMITTED, State.REJECTED)),
    (_("Accept and pay"), (State.NEGOTIATING,)),
    *STEPS[Kind.REPAIR][2:],
]


@dataclass
class Step:
    label: str
    status: str  # "done", "current" or "todo"


def progress(request: AfterSalesRequest, entries: "list[Entry] | None" = None) -> list[Step]:
    """The stepper for the request's kind. A dispute or a closed request stops where it was.
    Give the page's ``entries`` (its :func:`timeline`) to read the log from them."""
    steps = PAID_REPAIR_STEPS if request.buyer_pays_repair() else STEPS[Kind(request.kind)]
    state = request.state
    if state in (State.DISPUTED, State.CLOSED):
        # Show how far it got: the state it left to enter the dispute or close, from the log.
        if entries is None:
            left = (
                request.events.filter(to_state=request.state)
                .exclude(from_state=request.state)
                .values_list("from_state", flat=True)
                .last()
            )
        else:
            left = next(
                (
                    entry.obj.from_state
                    for entry in reversed(entries)
                    if entry.kind == "event"
                    and entry.obj.to_state == request.state
                    and entry.obj.from_state != request.state
                ),
                None,
            )
        state = left or State.SUBMITTED
    current = next((i for i, (_, states) in enumerate(steps) if state in states), 1)
    finished = request.state in SUCCESS_STATES
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
        return self.obj.action_label if self.kind == "event" else ""


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
