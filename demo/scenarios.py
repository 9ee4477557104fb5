"""Which after-sales requests the demo has, and how each got where it is.

A :class:`Scenario` is one request: the shop, the kind and reason, the actions taken after
filing, and the state it must have reached. :data:`SCENARIOS` covers every state in the
seller's shop and the main buyer's requests in several shops. :func:`schedule` decides when
each action happened and :func:`pick_purchase` which order item the request is about, so that
every rule the services check (windows, deadlines) holds. :mod:`demo.steps` plays them.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from aftersales import policy
from aftersales.models import Kind, Reason, State

from .catalogue import MAIN_BUYER
from .marketplace import Purchase


class DemoError(Exception):
    """The demo data could not be built (a scenario found no fitting order item) or removed."""


@dataclass(frozen=True)
class Scenario:
    """One request: its shop, filer, kind and reason, the actions after filing, where it ends.

    ``steps`` are action names, each played by ``ScenarioPlayer._<name>`` in :mod:`demo.steps`
    (a trailing ``+`` attaches a photo, ``:`` adds an argument); ``until`` is the state the
    request must be in afterwards. ``recency`` is how many days ago the last action happened
    (a range); ``late`` files the request late in the shop's window.
    """

    shop: int
    kind: Kind
    reason: Reason
    steps: tuple[str, ...]
    until: State
    buyer: str | None = None  # None: any buyer except the main demo buyer
    item: str = "delivered"  # delivered / in_transit / not_shipped
    recency: tuple[float, float] | None = None
    late: bool = False
    insured: bool = False  # the order carries return-shipping insurance (the buyer bought it)


def _s(shop, kind, reason, steps, until, **kwargs) -> Scenario:
    return Scenario(shop, kind, reason, tuple(steps.split()) if steps else (), until, **kwargs)


K, R, S = Kind, Reason, State
B = MAIN_BUYER
RET = "approve ship_return receive"  # the goods back at the seller, inspection pending

# fmt: off
SCENARIOS: tuple[Scenario, ...] = (
    # 杭州茶香旗舰店 — seller's shop: every state, the main buyer in many of them.
    _s(0, K.REFUND_ONLY, R.CHANGED_MIND, "", S.SUBMITTED,
       buyer=B, item="not_shipped", recency=(0.01, 0.1)),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "msg_s+ msg_b+ propose:partial_keep", S.NEGOTIATING,
       buyer=B),
    _s(0, K.REFUND_ONLY, R.DAMAGED_IN_TRANSIT, "reject msg_b+", S.REJECTED, buyer=B),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "approve msg_b", S.AWAITING_RETURN, buyer=B),
    _s(0, K.EXCHANGE, R.DAMAGED_IN_TRANSIT, f"{RET} ship_replacement msg_s", S.REPLACEMENT_SHIPPED,
       buyer=B),
    _s(0, K.RETURN_REFUND, R.NOT_AS_DESCRIBED, f"{RET} pass", S.REFUNDED, buyer=B),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "reject escalate:unfair_rejection msg_p msg_s+",
       S.DISPUTED, buyer=B),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "withdraw", S.CLOSED, buyer=B),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "approve ship_return msg_b", S.RETURN_SHIPPED),
    _s(0, K.RETURN_REFUND, R.NOT_AS_DESCRIBED, f"{RET} msg_s", S.INSPECTING),
    _s(0, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass msg_b msg_s", S.REPAIRING),
    _s(0, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired", S.REPAIR_SHIPPED),
    _s(0, K.REPAIR, R.DAMAGED_IN_TRANSIT, f"{RET} pass ship_repaired auto_confirm", S.REPAIRED),
    _s(0, K.EXCHANGE, R.WRONG_ITEM, f"{RET} ship_replacement confirm", S.EXCHANGED),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "approve", S.REFUNDED),
    _s(0, K.REFUND_ONLY, R.MISSING_PARTS, "propose:comp accept", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       "propose:partial_keep decline escalate:unacceptable_proposal msg_s rule:refund", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND,
       f"{RET} fail escalate:disputed_inspection msg_p msg_s+ rule:for_seller", S.CLOSED),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "msg_b auto_approve", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.WRONG_ITEM, "approve timeout", S.CLOSED),
    _s(0, K.REPAIR, R.QUALITY_PROBLEM, "approve ship_return escalate_overdue msg_p", S.DISPUTED),
    _s(0, K.RETURN_REFUND, R.DAMAGED_IN_TRANSIT, "approve ship_return auto_refund", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "reject resubmit approve", S.AWAITING_RETURN),
    _s(0, K.REFUND_ONLY, R.NOT_AS_DESCRIBED,
       "reject escalate:unfair_rejection msg_s rule:compensation", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       "reject escalate:unfair_rejection rule:return_and_refund ship_return receive pass",
       S.REFUNDED),
    _s(0, K.EXCHANGE, R.DAMAGED_IN_TRANSIT,
       "reject escalate:unfair_rejection msg_p rule:return_and_refund", S.AWAITING_RETURN),
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "", S.SUBMITTED, recency=(5.2, 6.0)),  # overdue
    _s(0, K.EXCHANGE, R.QUALITY_PROBLEM, "propose:partial_keep", S.NEGOTIATING,
       recency=(5.1, 5.8)),  # overdue
    _s(0, K.REFUND_ONLY, R.NOT_RECEIVED, "approve", S.REFUNDED, item="in_transit"),
    _s(0, K.EXCHANGE, R.QUALITY_PROBLEM, RET, S.INSPECTING),
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       "propose:partial_return accept ship_return receive pass", S.REFUNDED),
    _s(0, K.RETURN_REFUND, R.WRONG_ITEM, "propose:exchange accept ship_return", S.RETURN_SHIPPED),
    _s(0, K.REFUND_ONLY, R.QUALITY_PROBLEM, "reject timeout", S.CLOSED),
    _s(0, K.REFUND_ONLY, R.MISSING_PARTS, "msg_s", S.SUBMITTED, recency=(0.05, 0.9)),
    # 优衣小铺 — clothing, 15-day no-reason returns with return shipping paid by the shop.
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"{RET} ship_replacement", S.REPLACEMENT_SHIPPED, buyer=B),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, f"{RET} pass", S.REFUNDED, buyer=B, late=True),
    _s(1, K.RETURN_REFUND, R.WRONG_SIZE, "approve", S.AWAITING_RETURN, buyer=B),
    _s(1, K.REFUND_ONLY, R.NOT_AS_DESCRIBED, "reject escalate:unfair_rejection msg_s+",
       S.DISPUTED, buyer=B),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"msg_b {RET} ship_replacement confirm", S.EXCHANGED),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"{RET} ship_replacement auto_confirm", S.EXCHANGED),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, f"{RET} pass", S.REFUNDED, late=True),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, "", S.SUBMITTED),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, "msg_b", S.SUBMITTED),
    _s(1, K.RETURN_REFUND, R.QUALITY_PROBLEM, "propose:partial_keep accept", S.REFUNDED),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, f"{RET} fail msg_b", S.REJECTED),
    _s(1, K.RETURN_REFUND, R.WRONG_SIZE, "approve withdraw", S.CLOSED),
    _s(1, K.REFUND_ONLY, R.CHANGED_MIND, "approve", S.REFUNDED, item="in_transit"),
    _s(1, K.EXCHANGE, R.NOT_AS_DESCRIBED, f"{RET} ship_replacement msg_b", S.REPLACEMENT_SHIPPED),
    _s(1, K.RETURN_REFUND, R.QUALITY_PROBLEM,
       f"{RET} fail escalate:disputed_inspection msg_p rule:refund", S.REFUNDED),
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, "propose:partial_keep decline withdraw", S.CLOSED),
    _s(1, K.EXCHANGE, R.WRONG_SIZE, f"{RET} escalate_overdue", S.DISPUTED),
    _s(1, K.RETURN_REFUND, R.DAMAGED_IN_TRANSIT, "approve ship_return", S.RETURN_SHIPPED),
    # 数码优选 — electronics with a two-year warranty: repairs.
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass msg_b", S.REPAIRING, buyer=B),
    _s(2, K.RETURN_REFUND, R.QUALITY_PROBLEM, "approve ship_return", S.RETURN_SHIPPED, buyer=B),
    _s(2, K.REFUND_ONLY, R.MISSING_PARTS, "propose:comp msg_b", S.NEGOTIATING, buyer=B),
    _s(2, K.EXCHANGE, R.QUALITY_PROBLEM, f"{RET} ship_replacement confirm", S.EXCHANGED, buyer=B),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired confirm", S.REPAIRED),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass escalate_overdue msg_p rule:refund",
       S.REFUNDED),
    _s(2, K.RETURN_REFUND, R.QUALITY_PROBLEM, "propose:repair accept ship_return receive pass",
       S.REPAIRING),
    _s(2, K.RETURN_REFUND, R.NOT_AS_DESCRIBED, f"{RET} auto_pass", S.REFUNDED),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM,
       f"{RET} fail escalate:disputed_inspection msg_s+ msg_p rule:for_seller", S.CLOSED),
    _s(2, K.REFUND_ONLY, R.MISSING_PARTS, "approve", S.REFUNDED),
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, "approve", S.AWAITING_RETURN),
    _s(2, K.EXCHANGE, R.MISSING_PARTS, RET, S.INSPECTING),
    _s(2, K.RETURN_REFUND, R.WRONG_ITEM, f"{RET} pass", S.REFUNDED),
    _s(2, K.REPAIR, R.DAMAGED_IN_TRANSIT, "", S.SUBMITTED),
    _s(2, K.RETURN_REFUND, R.CHANGED_MIND, "reject msg_b escalate:unfair_rejection", S.DISPUTED,
       recency=(5.5, 7.0)),  # the ruling is overdue
    _s(2, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired msg_s", S.REPAIR_SHIPPED),
    _s(2, K.RETURN_REFUND, R.QUALITY_PROBLEM, "reject resubmit", S.SUBMITTED),
    # 家居生活馆
    _s(3, K.RETURN_REFUND, R.DAMAGED_IN_TRANSIT, f"{RET} pass", S.REFUNDED, buyer=B),
    _s(3, K.REFUND_ONLY, R.DAMAGED_IN_TRANSIT, "propose:partial_keep accept", S.REFUNDED),
    _s(3, K.RETURN_REFUND, R.CHANGED_MIND, "approve timeout", S.CLOSED),
    _s(3, K.REPAIR, R.QUALITY_PROBLEM, f"{RET} pass ship_repaired confirm", S.REPAIRED),
    _s(3, K.EXCHANGE, R.DAMAGED_IN_TRANSIT,
       "auto_approve ship_return receive ship_replacement confirm", S.EXCHANGED),
    _s(3, K.REFUND_ONLY, R.QUALITY_PROBLEM, "reject", S.REJECTED),
    _s(3, K.RETURN_REFUND, R.QUALITY_PROBLEM, "msg_b+", S.SUBMITTED),
    _s(3, K.REFUND_ONLY, R.NOT_RECEIVED, "reject escalate:unfair_rejection rule:refund",
       S.REFUNDED, item="in_transit"),
    _s(3, K.RETURN_REFUND, R.CHANGED_MIND, "approve ship_return", S.RETURN_SHIPPED,
       recency=(10.1, 10.8)),  # overdue: the deadline sweep refunds it
    _s(3, K.EXCHANGE, R.QUALITY_PROBLEM, f"{RET} ship_replacement", S.REPLACEMENT_SHIPPED),
    # The main buyer's insured returns on their way back, handed to the carrier at different
    # times: the simulated tracker (SIMULATED_TRACKING_HOURS: picked up after 1 h, in transit
    # after 6 h, signed for after 24 h) moves each one on within minutes of `make run`, and the
    # one signed for pays its insurance claim.
    _s(0, K.RETURN_REFUND, R.QUALITY_PROBLEM, "approve ship_return", S.RETURN_SHIPPED,
       buyer=B, recency=(0.9935, 0.9965), insured=True),  # signed for in 5–10 minutes
    _s(0, K.RETURN_REFUND, R.CHANGED_MIND, "approve ship_return", S.RETURN_SHIPPED,
       buyer=B, recency=(0.2445, 0.2465), insured=True),  # in transit in 5–8 minutes
    _s(1, K.RETURN_REFUND, R.CHANGED_MIND, "approve ship_return", S.RETURN_SHIPPED,
       buyer=B, recency=(0.0375, 0.0395)),  # picked up in 3–6 minutes (退货宝)
)
# fmt: on

# Hours between one action and the next, for the people who take them.
HUMAN_GAPS: dict[str, tuple[float, float]] = {
    "approve": (1, 30),
    "reject": (1, 30),
    "propose": (1, 30),
    "accept": (1, 40),
    "decline": (1, 40),
    "resubmit": (2, 40),
    "withdraw": (1, 60),
    "ship_return": (3, 50),
    "receive": (28, 90),
    "pass": (2, 30),
    "fail": (2, 30),
    "ship_replacement": (3, 30),
    "ship_repaired": (50, 190),
    "confirm": (24, 90),
    "escalate": (2, 60),
    "rule": (20, 110),
    "msg_b": (0.2, 6),
    "msg_s": (0.2, 6),
    "msg_p": (1, 20),
}
SYSTEM_STEPS = frozenset(
    {"auto_approve", "timeout", "auto_refund", "auto_pass", "auto_confirm", "escalate_overdue"}
)
# What a ``timeout`` or ``escalate_overdue`` waits for, by the last transition before it.
_WAITS_AFTER = {
    "propose": "buyer_answer_proposal",
    "reject": "buyer_after_rejection",
    "decline": "buyer_after_rejection",
    "fail": "buyer_after_rejection",
    "approve": "buyer_ship_return",
    "auto_approve": "buyer_ship_return",
    "accept": "buyer_ship_return",
    "rule": "buyer_ship_return",
    "ship_return": "seller_confirm_receipt",
    "receive": "seller_inspection",
    "pass": "seller_repair",
}
# Steps that may write ledger rows (the player dates them to the step's time).
MONEY_STEPS = frozenset(
    {"approve", "auto_approve", "accept", "receive", "pass", "auto_pass", "auto_refund", "rule"}
)


def schedule(scenario: Scenario, rng: random.Random) -> list[timedelta]:
    """When each step happens, counted from filing: people take a while, the system acts
    a little after the deadline it enforces."""
    limits = settings.AFTERSALES_DEADLINES
    offsets, at, last_transition = [], timedelta(0), "submit"
    transition_at = at
    for step in scenario.steps:
        name = step.partition(":")[0].rstrip("+")
        if name in SYSTEM_STEPS:
            if name == "auto_approve":
                wait = limits["seller_response"]
                if scenario.kind == Kind.REFUND_ONLY:
                    wait = limits[
                        "seller_response_not_shipped"
                        if scenario.item == "not_shipped"
                        else "seller_response_shipped"
                    ]
            elif name == "auto_refund":
                wait = limits["seller_confirm_receipt"]
            elif name == "auto_pass":
                wait = limits["seller_inspection"]
            elif name == "auto_confirm":
                wait = limits["buyer_confirm_receipt"]
            else:  # timeout, escalate_overdue
                wait = limits[_WAITS_AFTER[last_transition]]
            at = max(at, transition_at + wait) + timedelta(minutes=rng.uniform(2, 50))
        else:
            low, high = HUMAN_GAPS[name]
            at += timedelta(hours=rng.uniform(low, high))
        offsets.append(at)
        if not name.startswith("msg"):
            last_transition, transition_at = name, at
    return offsets


def pick_purchase(
    scenario: Scenario,
    offsets: list[timedelta],
    purchases: list[Purchase],
    *,
    rng: random.Random,
    now: datetime,
) -> tuple[Purchase, datetime]:
    """An unused item of the right shop, buyer and shipping state, and a filing time that
    keeps every eligibility check inside the item's window and ends ``recency`` ago."""
    duration = offsets[-1] if offsets else timedelta(0)
    # Resubmitting re-checks the window, so the last resubmission must also be inside it.
    checks = [o for s, o in zip(scenario.steps, offsets, strict=True) if s == "resubmit"]
    last_check = max(checks, default=timedelta(0))
    recency = scenario.recency or (
        (0.04, 2.0)
        if scenario.until not in (State.REFUNDED, State.EXCHANGED, State.REPAIRED, State.CLOSED)
        else (0.3, 30)
    )
    low_r, high_r = (timedelta(days=d) for d in recency)
    candidates = [
        purchase
        for purchase in purchases
        if not purchase.used
        and purchase.shop == scenario.shop
        and (purchase.buyer == scenario.buyer if scenario.buyer else purchase.buyer != MAIN_BUYER)
        and purchase.category == scenario.item
        and (scenario.kind != Kind.REPAIR or purchase.product.repairable)
    ]
    rng.shuffle(candidates)
    for purchase in candidates:
        item = purchase.item
        if scenario.item == "delivered":
            days = policy.window_days(item, scenario.kind, scenario.reason)
            earliest = item.delivered_at + timedelta(days=8 if scenario.late else 0.25)
            latest = item.delivered_at + timedelta(days=days - 0.1) - last_check
        elif scenario.item == "in_transit":
            wait = 3 if scenario.reason == Reason.NOT_RECEIVED else 0.1
            earliest, latest = item.shipped_at + timedelta(days=wait), now
        else:
            earliest, latest = item.order.paid_at + timedelta(minutes=15), now
        # filed_at = now - recency - duration must fall in [earliest, latest].
        low = max(low_r, now - duration - latest)
        high = min(high_r, now - duration - earliest)
        if low <= high:
            recency_chosen = low + (high - low) * rng.random()
            return purchase, now - recency_chosen - duration
    raise DemoError(f"No order item fits {scenario}")
