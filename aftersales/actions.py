"""Which role may take which action, and where: the one table the services enforce and the
pages use to decide which buttons to show."""

from dataclasses import dataclass

from django_fsm import can_proceed

from .models import AfterSalesRequest, Role, State

BUYER = frozenset({Role.BUYER})
SELLER = frozenset({Role.SELLER})
STAFF = frozenset({Role.STAFF})
SYSTEM = frozenset({Role.SYSTEM})
SELLER_OR_SYSTEM = SELLER | SYSTEM
BUYER_OR_SYSTEM = BUYER | SYSTEM

# The seller sat on the buyer's goods past a deadline: the system hands it to the platform.
OVERDUE_SELLER_STATES = (State.RETURN_SHIPPED, State.INSPECTING, State.REPAIRING)


@dataclass(frozen=True)
class Action:
    transition: str  # the model method
    roles: frozenset[Role]
    states: tuple[str, ...] | None = None  # narrower than the transition's sources, if set


ACTIONS: dict[str, Action] = {
    "resubmit": Action("resubmit", BUYER),
    "withdraw": Action("withdraw", BUYER),
    "approve": Action("approve", SELLER_OR_SYSTEM),
    "propose": Action("propose", SELLER),
    "reject": Action("reject", SELLER),
    "accept_proposal": Action("accept_proposal", BUYER),
    "decline_proposal": Action("decline_proposal", BUYER),
    "ship_return": Action("ship_return", BUYER),
    "confirm_return_received": Action("confirm_return_received", SELLER),
    "refund_without_receipt": Action("refund_without_receipt", SYSTEM),
    "pass_inspection": Action("pass_inspection", SELLER_OR_SYSTEM),
    "fail_inspection": Action("fail_inspection", SELLER),
    "ship_replacement": Action("ship_replacement", SELLER),
    "ship_repaired": Action("ship_repaired", SELLER),
    "confirm_delivery": Action("confirm_delivery", BUYER_OR_SYSTEM),
    "close_for_timeout": Action("close_for_timeout", SYSTEM),
    "escalate": Action("escalate", BUYER, states=(State.REJECTED,)),
    "escalate_overdue": Action("escalate", SYSTEM, states=OVERDUE_SELLER_STATES),
    "rule": Action("rule", STAFF),
}


def allows(name: str, request: AfterSalesRequest, role: Role | None) -> bool:
    """Whether ``role`` may take action ``name`` on ``request`` in its current state."""
    action = ACTIONS[name]
    return (
        role in action.roles
        and (action.states is None or request.state in action.states)
        and can_proceed(getattr(request, action.transition))
    )


def available(request: AfterSalesRequest, role: Role | None) -> set[str]:
    return {name for name in ACTIONS if allows(name, request, role)}
