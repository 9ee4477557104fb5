"""What a request page shows: the progress stepper of its kind and one negotiation timeline
(events, messages, proposals, shipments, each with its evidence), in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from .models import (
    SUCCESS_STATES,
    Action,
    AfterSalesRequest,
    Evidence,
    Kind,
    Message,
    Proposal,
    RequestEvent,
    Shipment,
    State,
    TrackingEvent,
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


# What the step where the request stopped says when the request was turned down there, by
# the event that turned it down.
TURNED_DOWN = {
    Action.REJECT: _("Rejected by the seller"),
    Action.FAIL_INSPECTION: _("Inspection failed"),
    Action.DECLINE_PROPOSAL: _("Proposal declined"),
}
# States that stop the journey where it was: the stepper shows the step the request left.
STOPS = (State.DISPUTED, State.CLOSED, State.REJECTED)


@dataclass
class Step:
    label: str
    # "done" (it happened), "skipped" (the request went past it without it happening: goods
    # the buyer kept never went back), "current", "rejected" (where the request was turned
    # down) or "todo".
    status: str


def progress(request: AfterSalesRequest, entries: "list[Entry] | None" = None) -> list[Step]:
    """The stepper for the request's kind. A step is ticked only if the request went through
    one of its states (the event log says so), so a refund the platform granted while the buyer
    kept the goods does not tick "ship back". A rejection, a dispute or a closed request stops
    at the step where it was; a rejection shows there. Give the page's ``entries`` (its
    :func:`timeline`) to read the log from them."""
    steps = PAID_REPAIR_STEPS if request.buyer_pays_repair() else STEPS[Kind(request.kind)]
    if entries is None:
        moves = list(request.events.values_list("action", "from_state", "to_state"))
    else:
        moves = [
            (e.obj.action, e.obj.from_state, e.obj.to_state) for e in entries if e.kind == "event"
        ]
    visited = {request.state} | {to for _, _, to in moves} | {fr for _, fr, _ in moves if fr}
    position, turned_down = request.state, None
    for _stop in STOPS:  # each is left at most once on the way back
        if position not in STOPS:
            break
        # The move that entered it last: where it came from, and how.
        action, came_from = next(
            ((a, fr) for a, fr, to in reversed(moves) if to == position and fr != position),
            ("", ""),
        )
        if position == State.REJECTED and turned_down is None:
            turned_down = TURNED_DOWN.get(action)
        position = came_from or State.SUBMITTED
    current = next((i for i, (_, states) in enumerate(steps) if position in states), 1)
    finished = request.state in SUCCESS_STATES
    result = []
    for i, (label, states) in enumerate(steps):
        happened = not states or bool(visited & set(states))
        if i == current and not finished:
            status = "rejected" if turned_down else "current"
            label = turned_down or label
        elif i < current or finished:
            status = "done" if happened else "skipped"
        else:
            status = "todo"
        result.append(Step(str(label), status))
    return result


@dataclass
class Entry:
    at: datetime
    kind: str  # "event", "message", "proposal" or "shipment"
    obj: RequestEvent | Message | Proposal | Shipment
    evidence: list[Evidence] = field(default_factory=list)
    trace: list[TrackingEvent] = field(default_factory=list)  # a parcel's, newest first

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
        for e in request.events.select_related("actor", "rule")
    ]
    entries += [
        Entry(m.created_at, "message", m, by_message.get(m.pk, []))
        for m in request.messages.select_related("author")
    ]
    entries += [Entry(p.created_at, "proposal", p) for p in request.proposals.all()]
    entries += [
        Entry(parcel.shipped_at, "shipment", parcel, trace=trace)
        for parcel, trace in parcels_with_traces(request)
    ]
    return sorted(entries, key=lambda entry: entry.at)


# The columns of a trace line a page shows, read with its parcel.
TRACE_COLUMNS = ["id", "status", "happened_at", "place", "source", "external_id", "created_at"]


def parcels_with_traces(
    request: AfterSalesRequest,
) -> list[tuple[Shipment, list[TrackingEvent]]]:
    """The request's parcels, each with its trace newest line first, in one query (the parcels
    joined to their lines), so tracking costs the request page nothing more."""
    columns = [f.attname for f in Shipment._meta.concrete_fields]
    rows = request.shipments.values_list(*columns, *[f"trace__{c}" for c in TRACE_COLUMNS])
    parcels: dict[int, tuple[Shipment, list[TrackingEvent]]] = {}
    for row in rows:
        head, line = row[: len(columns)], row[len(columns) :]
        if head[0] not in parcels:
            parcel = Shipment.from_db(rows.db, columns, head)
            parcel.request = request
            parcels[head[0]] = (parcel, [])
        parcel, trace = parcels[head[0]]
        if line[0] is not None:
            trace.append(
                TrackingEvent(shipment=parcel, **dict(zip(TRACE_COLUMNS, line, strict=True)))
            )
    for _parcel, trace in parcels.values():
        trace.sort(key=lambda t: (t.happened_at, t.pk), reverse=True)
    return list(parcels.values())
