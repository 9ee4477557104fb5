"""Every change to an after-sales request, one function per action (SPEC §4).

Each action runs in one transaction and reads top to bottom: lock the request row, check that
the actor may take the action (declared on the model's transition), take the transition, write
the row, its event and evidence and the money it moves, and register what must happen after
commit (notifications, payouts). A stale page or a double click finds the row already moved on
and gets :class:`~aftersales.errors.StaleAction`; nothing changes.

The modules are split by capability; the shared steps are in :mod:`.core`, money in
:mod:`.ledger`. Callers import the actions from here. The system's own steps also come as
functions that compute a :class:`Change` without writing it (``approval``, ``timeout_closure``,
…): the services write one, the deadline sweep writes many with :func:`write_together`.
"""

from .core import Change, record_activity, write_together
from .delivery import confirm_delivery, delivery_confirmation, ship_repaired, ship_replacement
from .fast_refunds import escalate_undelivered, undelivered_escalation
from .filing import resubmit_request, submit_request, withdraw_request
from .messages import mark_read, post_message
from .platform import escalate_overdue, escalate_to_platform, overdue_escalation, rule_dispute
from .returns import (
    confirm_return_received,
    fail_inspection,
    inspection_pass,
    pass_inspection,
    refund_on_sign_for,
    refund_without_receipt,
    ship_return,
    unconfirmed_return_refund,
)
from .seller_review import (
    accept_proposal,
    approval,
    approve_request,
    decline_proposal,
    propose_solution,
    quote_repair_fee,
    reject_request,
)
from .timeouts import close_for_timeout, close_unquoted, timeout_closure, unquoted_closure

__all__ = [
    "Change",
    "accept_proposal",
    "approval",
    "approve_request",
    "close_for_timeout",
    "close_unquoted",
    "confirm_delivery",
    "confirm_return_received",
    "delivery_confirmation",
    "decline_proposal",
    "escalate_overdue",
    "escalate_to_platform",
    "escalate_undelivered",
    "fail_inspection",
    "inspection_pass",
    "overdue_escalation",
    "pass_inspection",
    "mark_read",
    "post_message",
    "propose_solution",
    "quote_repair_fee",
    "record_activity",
    "refund_on_sign_for",
    "refund_without_receipt",
    "reject_request",
    "resubmit_request",
    "rule_dispute",
    "ship_repaired",
    "ship_replacement",
    "ship_return",
    "submit_request",
    "timeout_closure",
    "unconfirmed_return_refund",
    "undelivered_escalation",
    "unquoted_closure",
    "withdraw_request",
    "write_together",
]
