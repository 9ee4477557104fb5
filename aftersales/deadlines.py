"""The deadline each state carries and what happens when it passes (SPEC §4).

``next_deadline`` is the single table the services consult after every transition; the
deadline sweep (``due_at`` is indexed) applies ``due_action`` to whatever is overdue.
"""

from datetime import datetime, timedelta

from django.conf import settings

from .models import AfterSalesRequest, DueAction, Kind, State


def _limit(name: str) -> timedelta:
    return settings.AFTERSALES_DEADLINES[name]


def seller_response_limit(request: AfterSalesRequest) -> timedelta:
    if request.kind != Kind.REFUND_ONLY:
        return _limit("seller_response")
    if request.order_item.shipped_at is None:
        return _limit("seller_response_not_shipped")
    return _limit("seller_response_shipped")


def next_deadline(request: AfterSalesRequest, *, now: datetime) -> tuple[datetime | None, str]:
    """``(due_at, due_action)`` for the request's current state; ``(None, "")`` if none."""
    match request.state:
        case State.SUBMITTED:
            return now + seller_response_limit(request), DueAction.AUTO_APPROVE
        case State.NEGOTIATING:
            return now + _limit("buyer_answer_proposal"), DueAction.CLOSE
        case State.REJECTED:
            return now + _limit("buyer_after_rejection"), DueAction.CLOSE
        case State.AWAITING_RETURN:
            return now + _limit("buyer_ship_return"), DueAction.CLOSE
        case State.RETURN_SHIPPED:
            action = (
                DueAction.AUTO_REFUND if request.kind == Kind.RETURN_REFUND else DueAction.ESCALATE
            )
            return now + _limit("seller_confirm_receipt"), action
        case State.INSPECTING:
            # An exchange cannot be "deemed passed": the replacement still has to be shipped,
            # so the platform steps in instead.
            action = (
                DueAction.ESCALATE if request.kind == Kind.EXCHANGE else DueAction.PASS_INSPECTION
            )
            return now + _limit("seller_inspection"), action
        case State.REPAIRING:
            return now + _limit("seller_repair"), DueAction.ESCALATE
        case State.REPLACEMENT_SHIPPED | State.REPAIR_SHIPPED:
            return now + _limit("buyer_confirm_receipt"), DueAction.CONFIRM_RECEIPT
        case _:
            return None, ""
