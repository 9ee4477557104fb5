"""The published table of every deadline (/help/deadlines/), read off the rules the sweep runs.

Nothing here restates a length or a consequence: each row comes from asking
``aftersales.deadlines.next_deadline`` what it would set for a request in that state, of that
kind and in that case, and saying the answer with ``WHEN_DUE`` and ``if_nobody_acts``, the words
the request pages use. Change ``settings.AFTERSALES_DEADLINES`` and the table follows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aftersales import deadlines
from aftersales.models import NEXT_ACTOR, OPEN_STATES, Action, AfterSalesRequest, Kind, Role, State
from aftersales.timeline import STEPS
from orders.models import OrderItem

from .text import duration


@dataclass(frozen=True)
class Case:
    """A circumstance that changes a state's deadline, and how the table names it."""

    label: object  # a lazy translation; "" for the ordinary case
    shipped: bool = True
    paid_repair: bool = False
    fast_refund: bool = False
    signed: bool = False


ORDINARY = Case("")
CASES = (
    Case(_("the goods had not been shipped"), shipped=False),
    Case(_("a repair after the warranty (the shop quotes a fee)"), paid_repair=True),
    Case(_("a fast refund paid at pickup, from the pickup"), fast_refund=True),
    Case(_("once the carrier says the parcel was signed for, from the signature"), signed=True),
)


@dataclass(frozen=True)
class Row:
    state: State
    kinds: tuple[Kind, ...]
    case: Case
    who: Role
    limit: timedelta
    action: Action
    if_passes: str

    @property
    def kind_labels(self) -> str:
        return " / ".join(str(k.label) for k in self.kinds)

    @property
    def every_kind(self) -> bool:
        return set(self.kinds) == set(Kind)

    @property
    def length(self) -> str:
        return duration(self.limit)

    @property
    def label(self) -> str:
        return str(deadlines.WHEN_DUE[self.action][0])


def _ask(state: State, kind: Kind, case: Case, now: datetime) -> tuple[timedelta, str, str] | None:
    """What ``next_deadline`` sets for such a request entering ``state`` at ``now``."""
    request = AfterSalesRequest(
        state=state,
        kind=kind,
        out_of_warranty=case.paid_repair,
        fast_refund_at=now if case.fast_refund else None,
    )
    request.order_item = OrderItem(shipped_at=now if case.shipped else None, delivered_at=now)
    due_at, action = deadlines.next_deadline(
        request, now=now, signed_at=now if case.signed else None
    )
    if due_at is None:
        return None
    request.due_action = action
    return due_at - now, action, deadlines.if_nobody_acts(request)


def applies(kind: Kind, case: Case) -> bool:
    """Whether the case can happen to a request of this kind at all."""
    if case.paid_repair:
        return kind == Kind.REPAIR
    if case.fast_refund:
        return kind == Kind.RETURN_REFUND  # 极速退款 refunds a return on pickup
    return True


def on_the_way(state: State, kind: Kind) -> bool:
    """Whether a request of this kind passes through this state (its stepper's steps)."""
    return any(state in states for _label, states in STEPS[kind])


def table(*, now: datetime | None = None) -> list[Row]:
    """Every deadline a request can carry: one row per state and case, kinds merged where
    the deadline and its consequence are the same. A case gets a row only where it changes
    the answer."""
    from django.utils import timezone

    now = now or timezone.now()
    rows: dict[tuple, list[Kind]] = {}
    for state in OPEN_STATES:
        for kind in Kind:
            if not on_the_way(state, kind):
                continue
            ordinary = _ask(state, kind, ORDINARY, now)
            found = [(ORDINARY, ordinary)] if ordinary else []
            for case in CASES:
                if not applies(kind, case):
                    continue
                answer = _ask(state, kind, case, now)
                if answer is not None and answer != ordinary:
                    found.append((case, answer))
            for case, (limit, action, sentence) in found:
                rows.setdefault((state, case, limit, action, sentence), []).append(kind)
    return [
        Row(state, tuple(kinds), case, NEXT_ACTOR[state], limit, Action(action), sentence)
        for (state, case, limit, action, sentence), kinds in rows.items()
    ]


@dataclass(frozen=True)
class Limit:
    what: str
    length: str


def other_limits() -> list[Limit]:
    """The time limits that are not a request's own deadline, from the same settings."""
    limits = settings.AFTERSALES_DEADLINES
    return [
        Limit(
            _(
                "Before any deadline passes, whoever must act is reminded by a notification and "
                "an e-mail."
            ),
            duration(limits["reminder_before"]),
        ),
        Limit(
            _(
                "The platform aims to rule on a dispute within this time; a ruling that takes "
                "longer shows as overdue to staff."
            ),
            duration(limits["ruling_target"]),
        ),
        Limit(
            _(
                "When the platform asks either side for more evidence, this is the usual time "
                "to provide it."
            ),
            duration(limits["evidence_request"]),
        ),
        Limit(
            _(
                "After a request is finished, the buyer can rate the after-sales service for "
                "this long."
            ),
            duration(limits["review_window"]),
        ),
    ]
