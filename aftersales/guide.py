"""What the buyer's request page says, in the order a buyer asks it (SPEC, STYLE "Pages"):
what happened; what they can do now and where each button leads; by when; what happens if
nobody acts; and for money: how much, to which payment method, and when.

Built from the request, its timeline (:mod:`.timeline`), its deadline (:mod:`.deadlines`, the
one place that says what each deadline does) and its ledger rows; no rule is restated here.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Order

from . import deadlines
from .models import (
    NEXT_ACTOR,
    Action,
    AfterSalesRequest,
    Kind,
    LedgerEntry,
    Proposal,
    RejectionReason,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from .timeline import Entry

# Where the request stands now, as the buyer reads it under what happened last.
NOW = {
    State.SUBMITTED: gettext_lazy("The seller is reviewing your request."),
    State.NEGOTIATING: gettext_lazy(
        "The seller proposes another solution instead of what you asked for. It is up to you "
        "to accept or decline it."
    ),
    State.REJECTED: gettext_lazy("Your request was turned down. You decide what happens next."),
    State.AWAITING_RETURN: gettext_lazy("The seller is waiting for you to send the goods back."),
    State.RETURN_SHIPPED: gettext_lazy(
        "The goods are on their way back. The seller confirms receipt when they arrive."
    ),
    State.INSPECTING: gettext_lazy("The seller has the goods and is inspecting them."),
    State.REPAIRING: gettext_lazy("The seller is repairing the item."),
    State.REPLACEMENT_SHIPPED: gettext_lazy("The replacement is on its way to you."),
    State.REPAIR_SHIPPED: gettext_lazy("The repaired item is on its way to you."),
    State.DISPUTED: gettext_lazy(
        "The platform is reviewing both sides' evidence and will rule on your request."
    ),
    State.REFUNDED: gettext_lazy("The request is complete: you have been refunded."),
    State.EXCHANGED: gettext_lazy("The exchange is complete."),
    State.REPAIRED: gettext_lazy("The repair is complete."),
    State.CLOSED: gettext_lazy("Closed: %(why)s."),
}
# A repair's item goes to the shop to be repaired, not back (finding 8 of issue 13).
REPAIR_NOW = {
    State.AWAITING_RETURN: gettext_lazy(
        "The seller is waiting for you to send the item for repair."
    ),
    State.RETURN_SHIPPED: gettext_lazy(
        "The item is on its way to be repaired. The seller confirms when it arrives."
    ),
    State.INSPECTING: gettext_lazy("The seller has the item and checks it before repairing it."),
}

# Where each of the buyer's buttons leads.
LEADS_TO = {
    Action.DECLINE_PROPOSAL: gettext_lazy(
        "The proposal is turned down and the request counts as rejected: you can then revise "
        "it, ask the platform to step in, or withdraw it."
    ),
    Action.SHIP_RETURN: gettext_lazy(
        "Send the parcel first, then enter the carrier and tracking number: the seller is told "
        "the goods are on their way and confirms receipt when they arrive."
    ),
    Action.CONFIRM_DELIVERY: gettext_lazy(
        "Confirm only once the item has arrived and is in order: this completes the request."
    ),
    Action.RESUBMIT: gettext_lazy(
        "Change the reason, amount, description or photos and send the request again: the "
        "seller reviews it anew, with a new deadline."
    ),
    Action.ESCALATE: gettext_lazy(
        "The platform reviews both sides' evidence and rules, usually within %(days)s days. "
        "Its ruling is final."
    ),
    Action.WITHDRAW: gettext_lazy(
        "Ends the request now and nothing is refunded. You can file a new request while the "
        "item's after-sales window is open."
    ),
}
ACCEPT_MONEY = gettext_lazy(
    "You keep the goods: %(amount)s is refunded to your %(method)s at once, and the request is "
    "complete."
)
ACCEPT_GOODS_BACK = gettext_lazy(
    "The request continues as “%(kind)s” on the seller's terms: you then send the goods back."
)
ACCEPT_REPAIR = gettext_lazy(
    "The request continues as a repair on the seller's terms: you then send the item for repair."
)

# 极速退款: why the money came before the seller had the goods, and what still follows.
FAST_REFUND_WHY = gettext_lazy(
    "Fast refund: your account is in good standing, so the platform advanced your refund of "
    "%(amount)s to your %(method)s as soon as the carrier picked up the parcel, without "
    "waiting for the seller. The seller still receives and inspects the goods. If they never "
    "arrive or fail inspection, the platform reviews the case and may take the refund back."
)

# Rejections the buyer can answer with more evidence: revising is the way forward. For the
# others the buyer disagrees with the seller's judgement, which the platform decides.
FIXED_BY_REVISING = (RejectionReason.NO_EVIDENCE,)


@dataclass
class Choice:
    """One button the buyer has now, what it leads to, and whether it is the one to press."""

    action: str
    leads_to: str
    primary: bool = False


@dataclass
class Payment:
    """One movement of money to the buyer: a ledger row, and when it arrives."""

    entry: LedgerEntry
    arrives: str  # "" once paid: the page shows the time instead


@dataclass
class Guide:
    # What happened: who did what last, and when; where the request stands now.
    last_event: RequestEvent | None
    now: str
    # A rejection's reason category and the seller's explanation.
    refusal: RequestEvent | None
    choices: list[Choice]
    waiting_for: str  # whose move it is when it is not the buyer's
    due_at: datetime | None
    time_left: str
    if_nobody_acts: str
    payments: list[Payment] = field(default_factory=list)
    expected: str = ""  # money asked for and not yet moved
    fast_refund: str = ""  # why the refund came before the seller had the goods

    @property
    def leads_to(self) -> dict[str, str]:
        return {c.action: c.leads_to for c in self.choices}

    @property
    def primary_action(self) -> str:
        return next((c.action for c in self.choices if c.primary), "")


def method_name(request: AfterSalesRequest) -> str:
    return str(Order.PaymentMethod(request.order.payment_method).label)


def arrival(method: str) -> str:
    days = Order.PaymentMethod(method).refund_days
    return _("usually arrives within %(days)s day(s)") % {"days": days}


def money_moved(request: AfterSalesRequest, entries: list[Entry]) -> bool:
    """Whether the request can have ledger rows, from what the page has read already: money
    moves when a request is refunded (with any compensation) or fast-refunded, return postage
    the shop pays when the parcel arrives, and return-shipping insurance when it is signed for
    (or arrives with no sign-for reported)."""
    insured = bool(request.order.return_insurance)
    return (
        request.state == State.REFUNDED
        or request.fast_refund_at is not None
        or any(
            e.kind == "shipment"
            and (
                (e.obj.received_at and e.obj.shipping_fee > 0)
                or (insured and (e.obj.signed_at or e.obj.received_at))
            )
            for e in entries
        )
    )


def turned_down(request: AfterSalesRequest, moves: list[RequestEvent]) -> RequestEvent | None:
    """The move that turned the request down, while the request still stands on it: rejected,
    or handed to the platform or closed straight from there."""
    state = request.state
    if state in (State.DISPUTED, State.CLOSED):
        entered = next((e for e in reversed(moves) if e.to_state == state), None)
        if entered is None or entered.from_state != State.REJECTED:
            return None
        state = State.REJECTED
    if state != State.REJECTED:
        return None
    return next((e for e in reversed(moves) if e.to_state == State.REJECTED), None)


def recommended_after_rejection(refusal: RequestEvent | None) -> str:
    """What to press after a rejection: revise when more evidence answers the seller's reason
    (or after declining a proposal, to ask for something closer to it); otherwise ask the
    platform to step in."""
    if refusal is None or refusal.action == Action.DECLINE_PROPOSAL:
        return Action.RESUBMIT
    if refusal.reason in FIXED_BY_REVISING:
        return Action.RESUBMIT
    return Action.ESCALATE


def return_signed_at(entries: list[Entry]) -> datetime | None:
    """When the carrier says the return parcel was signed for, from the page's timeline."""
    return next(
        (
            e.obj.signed_at
            for e in reversed(entries)
            if e.kind == "shipment" and e.obj.purpose == Shipment.Purpose.RETURN and e.obj.signed_at
        ),
        None,
    )


def buyer_guide(
    request: AfterSalesRequest,
    entries: list[Entry],
    *,
    actions: set[str],
    proposal: Proposal | None = None,
) -> Guide:
    """The buyer's page, answered in order. ``entries`` is the page's timeline, ``actions``
    the buyer's available transitions, ``proposal`` the pending one."""
    events = [e.obj for e in entries if e.kind == "event"]
    moves = [e for e in events if e.to_state != e.from_state]
    last = moves[-1] if moves else (events[-1] if events else None)
    refusal = turned_down(request, moves)
    now = (REPAIR_NOW if request.kind == Kind.REPAIR else {}).get(request.state)
    now = now or NOW[State(request.state)]
    now = (
        now % {"why": request.get_close_reason_display() or request.get_state_display()}
        if request.state == State.CLOSED
        else str(now)
    )
    if request.state == State.RETURN_SHIPPED and (signed := return_signed_at(entries)):
        when = timezone.localtime(signed).strftime("%Y-%m-%d %H:%M")
        now = _(
            "The carrier says the parcel was signed for on %(when)s; the seller now confirms "
            "receipt."
        ) % {"when": when}
    method = method_name(request)
    choices = []
    recommended = recommended_after_rejection(refusal) if "resubmit" in actions else ""
    for action in (
        Action.ACCEPT_PROPOSAL,
        Action.DECLINE_PROPOSAL,
        Action.SHIP_RETURN,
        Action.CONFIRM_DELIVERY,
        Action.RESUBMIT,
        Action.ESCALATE,
        Action.WITHDRAW,
    ):
        if action not in actions:
            continue
        if action == Action.ACCEPT_PROPOSAL:
            if proposal is None:
                continue
            leads_to = (
                str(ACCEPT_REPAIR)
                if proposal.kind == Kind.REPAIR
                else ACCEPT_GOODS_BACK % {"kind": proposal.get_kind_display()}
                if Kind(proposal.kind).needs_goods_back
                else ACCEPT_MONEY
                % {
                    "amount": _yuan(proposal.refund_amount + proposal.compensation_amount),
                    "method": method,
                }
            )
        elif action == Action.ESCALATE:
            leads_to = LEADS_TO[action] % {"days": deadlines.ruling_target().days}
        else:
            leads_to = str(LEADS_TO[action])
        primary = (
            action == recommended
            if recommended
            else action in (Action.ACCEPT_PROPOSAL, Action.SHIP_RETURN, Action.CONFIRM_DELIVERY)
        )
        choices.append(Choice(action, leads_to, primary))

    next_role = NEXT_ACTOR.get(request.state)
    waiting_for = ""
    if next_role is not None and next_role != Role.BUYER:
        waiting_for = _("Nothing is needed from you now: it is the %(who)s's move.") % {
            "who": Role(next_role).label
        }
    elif request.state in (State.REFUNDED, State.EXCHANGED, State.REPAIRED, State.CLOSED):
        waiting_for = _("Nothing more is needed from you.")

    if request.due_at:
        if_nobody_acts = deadlines.if_nobody_acts(request)
    elif request.state == State.DISPUTED:
        if_nobody_acts = _(
            "Nothing happens by itself: the platform rules on the evidence it has, usually "
            "within %(days)s days."
        ) % {"days": deadlines.ruling_target().days}
    else:
        if_nobody_acts = _("Nothing more happens: the request is finished.")

    time_left = ""
    if request.due_at and request.due_at > timezone.now():
        time_left = deadlines.time_left(request.due_at)
    payments = [
        Payment(row, "" if row.paid_at else arrival(row.payment_method))
        # the repair fee the buyer pays is shown with the repair's terms, not as money back;
        # what passes between the shop and the platform is not the buyer's
        for row in (
            request.ledger_entries.exclude(
                type__in=(LedgerEntry.Type.REPAIR_FEE, *LedgerEntry.SHOP_MOVEMENTS)
            )
            if money_moved(request, entries)
            else ()
        )
    ]
    expected = ""
    # The insurer's claim is postage, not the refund the buyer is still waiting for.
    refunds = [p for p in payments if p.entry.type != LedgerEntry.Type.INSURANCE_CLAIM]
    if not refunds and request.is_open and request.refund_amount:
        expected = _(
            "You asked for %(amount)s. If the request succeeds, it goes back to your "
            "%(method)s and %(arrives)s."
        ) % {
            "amount": _yuan(request.refund_amount),
            "method": method,
            "arrives": arrival(request.order.payment_method),
        }
    fast_refund = ""
    if request.fast_refund_at is not None:
        fast_refund = FAST_REFUND_WHY % {
            "amount": _yuan(request.refund_amount),
            "method": method,
        }
    return Guide(
        fast_refund=fast_refund,
        last_event=last,
        now=now,
        refusal=refusal,
        choices=choices,
        waiting_for=waiting_for,
        due_at=request.due_at,
        time_left=time_left,
        if_nobody_acts=if_nobody_acts,
        payments=payments,
        expected=expected,
    )


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"
