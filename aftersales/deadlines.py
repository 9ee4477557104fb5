"""The deadline each state carries and what the system does when it passes (SPEC §4).

``next_deadline`` is the one table every transition consults: it sets ``due_at`` (indexed) and
``due_action``, the system's transition to take then. The lengths live in
``settings.AFTERSALES_DEADLINES``. ``WHEN_DUE`` says each automatic step in words, for the
pages and the emails.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, npgettext, pgettext
from django.utils.translation import gettext_lazy as _

from .models import Action, AfterSalesRequest, Kind, State


def _limit(name: str) -> timedelta:
    return settings.AFTERSALES_DEADLINES[name]


def seller_response_limit(request: AfterSalesRequest) -> timedelta:
    if request.kind != Kind.REFUND_ONLY:
        return _limit("seller_response")
    if request.order_item.shipped_at is None:
        return _limit("seller_response_not_shipped")
    return _limit("seller_response_shipped")


def next_deadline(
    request: AfterSalesRequest, *, now: datetime, signed_at: datetime | None = None
) -> tuple[datetime | None, str]:
    """``(due_at, due_action)`` for the request's current state, entered at ``now``;
    ``(None, "")`` if none. ``signed_at``: when the carrier says the return parcel was signed
    for, if it was (the seller's receipt deadline then runs from the signature)."""
    match request.state:
        case State.SUBMITTED if request.buyer_pays_repair():
            # Approving by itself would be a free repair: without a quote, nothing is owed.
            return now + _limit("seller_quote_repair_fee"), Action.CLOSE_UNQUOTED
        case State.SUBMITTED:
            return now + seller_response_limit(request), Action.APPROVE
        case State.NEGOTIATING:
            return now + _limit("buyer_answer_proposal"), Action.CLOSE_FOR_TIMEOUT
        case State.REJECTED:
            return now + _limit("buyer_after_rejection"), Action.CLOSE_FOR_TIMEOUT
        case State.AWAITING_RETURN:
            return now + _limit("buyer_ship_return"), Action.CLOSE_FOR_TIMEOUT
        case State.RETURN_SHIPPED if request.fast_refund_at and signed_at is None:
            # 极速退款: the platform has paid on pickup; the parcel must be signed for in time,
            # or the platform steps in.
            return (
                request.fast_refund_at + _limit("fast_refund_parcel_lost"),
                Action.ESCALATE_UNDELIVERED,
            )
        case State.RETURN_SHIPPED:
            action = (
                Action.REFUND_WITHOUT_RECEIPT
                if request.kind == Kind.RETURN_REFUND
                else Action.ESCALATE_OVERDUE
            )
            due = now + _limit("seller_confirm_receipt")
            if signed_at is not None:
                due = min(due, signed_at + _limit("seller_confirm_after_sign_for"))
            return due, action
        case State.INSPECTING:
            # An exchange cannot be "deemed passed": the replacement still has to be shipped,
            # so the platform steps in instead.
            action = (
                Action.ESCALATE_OVERDUE if request.kind == Kind.EXCHANGE else Action.PASS_INSPECTION
            )
            return now + _limit("seller_inspection"), action
        case State.REPAIRING:
            return now + _limit("seller_repair"), Action.ESCALATE_OVERDUE
        case State.REPLACEMENT_SHIPPED | State.REPAIR_SHIPPED:
            return now + _limit("buyer_confirm_receipt"), Action.CONFIRM_DELIVERY
        case _:
            return None, ""


# Each automatic step: a short label, and a sentence around the time left.
WHEN_DUE = {
    Action.APPROVE: (
        _("approved automatically"),
        _("%(left)s left: approved automatically if the seller does not respond."),
    ),
    Action.CLOSE_FOR_TIMEOUT: (
        _("closed automatically"),
        _("%(left)s left: closed automatically if the buyer does not act."),
    ),
    Action.CLOSE_UNQUOTED: (
        _("closed if no fee is quoted"),
        _("%(left)s left: closed automatically if the seller quotes no fee; nothing is charged."),
    ),
    Action.REFUND_WITHOUT_RECEIPT: (
        _("refunded automatically"),
        _("%(left)s left: refunded automatically if the seller does not confirm receipt."),
    ),
    Action.PASS_INSPECTION: (
        _("inspection deemed passed"),
        _("%(left)s left: the inspection counts as passed if the seller records no result."),
    ),
    Action.ESCALATE_OVERDUE: (
        _("handed to the platform"),
        _("%(left)s left: handed to the platform if the seller does not act."),
    ),
    Action.ESCALATE_UNDELIVERED: (
        _("handed to the platform if not delivered"),
        _("%(left)s left: handed to the platform if the parcel is not signed for."),
    ),
    Action.CONFIRM_DELIVERY: (
        _("receipt confirmed automatically"),
        _("%(left)s left: receipt is confirmed automatically if the buyer does not confirm it."),
    ),
}


def time_left(moment: datetime, *, now: datetime | None = None) -> str:
    """The time until ``moment`` in its largest unit and the next one, as a person says it:
    "4 days 23 hours", "3 hours 5 minutes" (in Chinese "4天23小时", no spaces); at least
    "1 minute"."""
    seconds = max(0, int((moment - (now or timezone.now())).total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes = max(seconds // 60, 0 if days or hours else 1)
    units = [
        (days, npgettext("time left", "%(num)d day", "%(num)d days", days)),
        (hours, npgettext("time left", "%(num)d hour", "%(num)d hours", hours)),
        (minutes, npgettext("time left", "%(num)d minute", "%(num)d minutes", minutes)),
    ]
    first = next(i for i, (n, _unit) in enumerate(units) if n)
    said = [unit % {"num": n} for n, unit in units[first : first + 2] if n]
    if len(said) == 1:
        return said[0]
    return pgettext("time left", "%(larger)s %(smaller)s") % {
        "larger": said[0],
        "smaller": said[1],
    }


def when_due_label(request: AfterSalesRequest) -> str:
    """What happens at the request's deadline, in a few words ("approved automatically")."""
    return str(WHEN_DUE[request.due_action][0]) if request.due_action else ""


def deadline_sentence(request: AfterSalesRequest) -> str:
    """What happens at the request's deadline, and how long until then."""
    if not request.due_at:
        return ""
    if request.due_at <= timezone.now():
        return gettext("Overdue: the automatic step runs within minutes.")
    return WHEN_DUE[request.due_action][1] % {"left": time_left(request.due_at)}


# What happens at the deadline if nobody acts, as the buyer's page says it beside the date.
IF_NOBODY_ACTS = {
    Action.APPROVE: _("If the seller does not respond by then, your request is approved."),
    Action.CLOSE_FOR_TIMEOUT: _(
        "If you do nothing by then, the request is closed and nothing is refunded."
    ),
    Action.CLOSE_UNQUOTED: _(
        "If the shop quotes no repair fee by then, the request is closed and nothing is charged."
    ),
    Action.REFUND_WITHOUT_RECEIPT: _(
        "If the seller does not confirm receipt by then, you are refunded automatically."
    ),
    Action.PASS_INSPECTION: _(
        "If the seller records no inspection result by then, the goods count as having passed."
    ),
    Action.ESCALATE_OVERDUE: _("If the seller does not act by then, the platform steps in."),
    Action.ESCALATE_UNDELIVERED: _(
        "If the parcel is not signed for by then, the platform, which advanced your refund, "
        "looks into where the goods went."
    ),
    Action.CONFIRM_DELIVERY: _(
        "If you do not confirm by then, receipt is confirmed automatically and the request is "
        "complete."
    ),
}
APPROVED_AND_REFUNDED = _(
    "If the seller does not respond by then, your request is approved and refunded at once."
)
QUOTE_LAPSES = _(
    "If you neither accept nor decline the fee by then, the request is closed and nothing is "
    "charged."
)


def if_nobody_acts(request: AfterSalesRequest) -> str:
    """The automatic consequence of the request's deadline, addressed to the buyer; ``""``
    when it has none."""
    if not request.due_action:
        return ""
    if request.due_action == Action.APPROVE and request.kind == Kind.REFUND_ONLY:
        return str(APPROVED_AND_REFUNDED)
    # The fee's quote lapses while the buyer is answering it, not later (a rejection, a parcel).
    if (
        request.due_action == Action.CLOSE_FOR_TIMEOUT
        and request.state == State.NEGOTIATING
        and request.buyer_pays_repair()
    ):
        return str(QUOTE_LAPSES)
    return str(IF_NOBODY_ACTS[request.due_action])


def ruling_target() -> timedelta:
    """How long the platform aims to take to rule on a dispute."""
    return _limit("ruling_target")
