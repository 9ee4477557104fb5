"""Every action refused for every wrong actor and every wrong state, changing nothing (SPEC §4, §6).

The table below says, for each action, who may take it and where it applies. For each state a
request is brought there through the services, then every action is tried by every actor
except the allowed actor where the action applies: a wrong actor gets ActionNotAllowed, a
right actor in the wrong state gets StaleAction, and the request is left exactly as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import services
from aftersales.actors import SYSTEM
from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.models import (
    WITHDRAWABLE_STATES,
    AfterSalesRequest,
    Carrier,
    Dispute,
    Evidence,
    Kind,
    LedgerEntry,
    Reason,
    RejectionReason,
    Role,
    Ruling,
    State,
)
from tests.aftersales.factories import TRACKING, photo, request_in

pytestmark = pytest.mark.django_db

ZTO = {"carrier": Carrier.ZTO, "tracking_number": "73123456789012"}
ANY_KIND = frozenset(Kind)


@dataclass(frozen=True)
class Action:
    name: str
    call: Callable  # (request, actor, ctx) -> anything
    roles: frozenset[Role]
    states: frozenset[State]
    kinds: frozenset[Kind] = ANY_KIND

    def applies(self, state: State, kind: Kind) -> bool:
        return state in self.states and kind in self.kinds


def _open_dispute(request):
    return request.disputes.get(status=Dispute.Status.OPEN)


ACTIONS = [
    Action(
        "resubmit",
        lambda r, a, ctx: services.resubmit_request(
            request=r,
            actor=a,
            kind=Kind.RETURN_REFUND,
            reason=Reason.QUALITY_PROBLEM,
            quantity=1,
            refund_amount=Decimal("50.00"),
            description="Revised.",
        ),
        frozenset({Role.BUYER}),
        frozenset({State.REJECTED}),
    ),
    Action(
        "withdraw",
        lambda r, a, ctx: services.withdraw_request(request=r, actor=a),
        frozenset({Role.BUYER}),
        frozenset(WITHDRAWABLE_STATES),
    ),
    Action(
        "approve",
        lambda r, a, ctx: services.approve_request(request=r, actor=a),
        frozenset({Role.SELLER, Role.SYSTEM}),
        frozenset({State.SUBMITTED}),
    ),
    Action(
        "propose",
        lambda r, a, ctx: services.propose_solution(
            request=r,
            actor=a,
            kind=Kind.REFUND_ONLY,
            refund_amount=Decimal("10.00"),
            compensation_amount=Decimal("0.00"),
            note="¥10 and keep it.",
        ),
        frozenset({Role.SELLER}),
        frozenset({State.SUBMITTED}),
    ),
    Action(
        "reject",
        lambda r, a, ctx: services.reject_request(
            request=r, actor=a, reason=RejectionReason.OTHER, explanation="No."
        ),
        frozenset({Role.SELLER}),
        frozenset({State.SUBMITTED}),
    ),
    Action(
        "accept_proposal",
        lambda r, a, ctx: services.accept_proposal(request=r, actor=a),
        frozenset({Role.BUYER}),
        frozenset({State.NEGOTIATING}),
    ),
    Action(
        "decline_proposal",
        lambda r, a, ctx: services.decline_proposal(request=r, actor=a),
        frozenset({Role.BUYER}),
        frozenset({State.NEGOTIATING}),
    ),
    Action(
        "ship_return",
        lambda r, a, ctx: services.ship_return(request=r, actor=a, **TRACKING),
        frozenset({Role.BUYER}),
        frozenset({State.AWAITING_RETURN}),
    ),
    Action(
        "confirm_return_received",
        lambda r, a, ctx: services.confirm_return_received(request=r, actor=a),
        frozenset({Role.SELLER, Role.SYSTEM}),
        frozenset({State.RETURN_SHIPPED}),
    ),
    Action(
        "refund_without_receipt",
        lambda r, a, ctx: services.refund_without_receipt(request=r, actor=a),
        frozenset({Role.SYSTEM}),
        frozenset({State.RETURN_SHIPPED}),
        kinds=frozenset({Kind.RETURN_REFUND}),
    ),
    Action(
        "refund_on_sign_for",
        lambda r, a, ctx: services.refund_on_sign_for(
            request=r, actor=a, parcel=r.shipments.filter(purpose="return").first()
        ),
        frozenset({Role.SYSTEM}),
        frozenset({State.RETURN_SHIPPED}),
        kinds=frozenset({Kind.RETURN_REFUND}),
    ),
    Action(
        "pass_inspection",
        lambda r, a, ctx: services.pass_inspection(request=r, actor=a),
        frozenset({Role.SELLER, Role.SYSTEM}),
        frozenset({State.INSPECTING}),
        kinds=frozenset({Kind.RETURN_REFUND, Kind.REPAIR}),
    ),
    Action(
        "fail_inspection",
        lambda r, a, ctx: services.fail_inspection(
            request=r,
            actor=a,
            reason=RejectionReason.USED,
            explanation="Used.",
            files=[ctx["photo"]],
        ),
        frozenset({Role.SELLER}),
        frozenset({State.INSPECTING}),
    ),
    Action(
        "ship_replacement",
        lambda r, a, ctx: services.ship_replacement(request=r, actor=a, **ZTO),
        frozenset({Role.SELLER}),
        frozenset({State.INSPECTING}),
        kinds=frozenset({Kind.EXCHANGE}),
    ),
    Action(
        "ship_repaired",
        lambda r, a, ctx: services.ship_repaired(request=r, actor=a, **ZTO),
        frozenset({Role.SELLER}),
        frozenset({State.REPAIRING}),
    ),
    Action(
        "confirm_delivery",
        lambda r, a, ctx: services.confirm_delivery(request=r, actor=a),
        frozenset({Role.BUYER, Role.SYSTEM}),
        frozenset({State.REPLACEMENT_SHIPPED, State.REPAIR_SHIPPED}),
    ),
    Action(
        "close_for_timeout",
        lambda r, a, ctx: services.close_for_timeout(request=r, actor=a),
        frozenset({Role.SYSTEM}),
        frozenset({State.NEGOTIATING, State.REJECTED, State.AWAITING_RETURN}),
    ),
    Action(
        "escalate_to_platform",
        lambda r, a, ctx: services.escalate_to_platform(
            request=r, actor=a, reason=Dispute.Reason.UNFAIR_REJECTION, statement="Unfair."
        ),
        frozenset({Role.BUYER}),
        frozenset({State.REJECTED}),
    ),
    Action(
        "escalate_overdue",
        lambda r, a, ctx: services.escalate_overdue(request=r, actor=a),
        frozenset({Role.SYSTEM}),
        frozenset({State.RETURN_SHIPPED, State.INSPECTING, State.REPAIRING}),
    ),
    Action(
        "rule_dispute",
        lambda r, a, ctx: services.rule_dispute(
            dispute=ctx["dispute"],
            actor=a,
            outcome=Ruling.Outcome.REFUND,
            rationale="Refund.",
            refund_amount=Decimal("10.00"),
        ),
        frozenset({Role.STAFF}),
        frozenset({State.DISPUTED}),
    ),
]

# Who tries: the request's own parties, the platform, and two strangers who are never allowed.
ACTOR_ROLES = {
    "buyer": Role.BUYER,
    "seller": Role.SELLER,
    "arbitrator": Role.STAFF,
    "system": Role.SYSTEM,
    "other_buyer": None,
    "other_seller": None,
}

# Every state, with each kind whose actions differ there.
CASES = [
    (State.SUBMITTED, Kind.REFUND_ONLY),
    (State.SUBMITTED, Kind.RETURN_REFUND),
    (State.NEGOTIATING, Kind.RETURN_REFUND),
    (State.REJECTED, Kind.RETURN_REFUND),
    (State.AWAITING_RETURN, Kind.RETURN_REFUND),
    (State.RETURN_SHIPPED, Kind.RETURN_REFUND),
    (State.RETURN_SHIPPED, Kind.EXCHANGE),
    (State.INSPECTING, Kind.RETURN_REFUND),
    (State.INSPECTING, Kind.EXCHANGE),
    (State.INSPECTING, Kind.REPAIR),
    (State.REPAIRING, Kind.REPAIR),
    (State.REPLACEMENT_SHIPPED, Kind.EXCHANGE),
    (State.REPAIR_SHIPPED, Kind.REPAIR),
    (State.DISPUTED, Kind.RETURN_REFUND),
    (State.REFUNDED, Kind.REFUND_ONLY),
    (State.EXCHANGED, Kind.EXCHANGE),
    (State.REPAIRED, Kind.REPAIR),
    (State.CLOSED, Kind.RETURN_REFUND),
]


def test_every_state_is_covered():
    assert {state for state, _ in CASES} == set(State)


def test_every_action_applies_somewhere():
    for action in ACTIONS:
        assert any(action.applies(state, kind) for state, kind in CASES), action.name


@pytest.fixture
def actors(buyer, seller, arbitrator, other_buyer, other_seller):
    return {
        "buyer": buyer,
        "seller": seller,
        "arbitrator": arbitrator,
        "system": SYSTEM,
        "other_buyer": other_buyer,
        "other_seller": other_seller,
    }


def _dispute_for(request):
    """The open dispute a ruling would be made on. Outside ``disputed`` there is none, so one is
    written directly, as a stale staff page would still show it: only the request's state may
    stop the ruling."""
    if request.state == State.DISPUTED:
        return _open_dispute(request)
    return Dispute.objects.create(
        request=request,
        opened_by_role=Role.BUYER,
        reason=Dispute.Reason.OTHER,
        ruling_due_at=timezone.now() + timedelta(days=5),
    )


def snapshot(request):
    """Everything an action could change, as the database has it."""
    row = AfterSalesRequest.objects.values(
        "state",
        "kind",
        "reason",
        "quantity",
        "refund_amount",
        "description",
        "close_reason",
        "due_at",
        "due_action",
        "return_address",
        "finished_at",
        "updated_at",
    ).get(pk=request.pk)
    item = request.order_item
    item.refresh_from_db()
    return {
        "row": row,
        "events": list(request.events.values_list("pk", flat=True)),
        "ledger": list(LedgerEntry.objects.values_list("pk", "amount", "status")),
        "refunded": item.refunded_amount,
        "proposals": list(request.proposals.values_list("pk", "status", "answered_at")),
        "shipments": list(request.shipments.values_list("pk", "received_at")),
        "disputes": list(Dispute.objects.values_list("pk", "status")),
        "rulings": Ruling.objects.count(),
        "evidence": Evidence.objects.count(),
        "messages": request.messages.count(),
    }


@pytest.mark.parametrize(
    "state, kind", CASES, ids=[f"{state.value}-{kind.value}" for state, kind in CASES]
)
def test_wrong_actor_or_wrong_state_is_refused_and_changes_nothing(state, kind, item, actors):
    request = request_in(state, item, kind=kind)
    assert (request.state, request.kind) == (state, kind)
    ctx = {"dispute": _dispute_for(request), "photo": photo()}
    before = snapshot(request)

    for action in ACTIONS:
        for name, actor in actors.items():
            role = ACTOR_ROLES[name]
            allowed = role in action.roles
            if allowed and action.applies(state, kind):
                continue  # this one would succeed: see test_allowed_actor_succeeds
            expected = StaleAction if allowed else ActionNotAllowed

            with pytest.raises((ActionNotAllowed, StaleAction, InvalidInput)) as caught:
                action.call(request, actor, ctx)

            assert caught.type is expected, f"{action.name} as {name}: {caught.value!r}"
            assert snapshot(request) == before, f"{action.name} as {name} changed something"


# --- the positive control: the table's allowed actors really can act ---------------------------


def _allowed_cases():
    for action in ACTIONS:
        for state, kind in CASES:
            if action.applies(state, kind):
                for name, role in ACTOR_ROLES.items():
                    if role in action.roles:
                        yield pytest.param(
                            action,
                            state,
                            kind,
                            name,
                            id=f"{action.name}-{state.value}-{kind.value}-{name}",
                        )


@pytest.mark.parametrize("action, state, kind, actor_name", list(_allowed_cases()))
def test_allowed_actor_succeeds(action, state, kind, actor_name, item, actors):
    request = request_in(state, item, kind=kind)
    dispute = _open_dispute(request) if state == State.DISPUTED else None
    ctx = {"dispute": dispute, "photo": photo()}
    events = request.events.count()

    action.call(request, actors[actor_name], ctx)

    request.refresh_from_db()
    assert request.events.count() == events + 1
    last = request.events.last()
    assert (last.from_state, last.actor_role) == (state, ACTOR_ROLES[actor_name])
    assert request.state != state
