"""The rows of a benchmark marketplace, built in memory for ``bench/make_marketplace.py``.

Every request follows a history drawn from :data:`OPEN` or :data:`FINISHED`. Each history is
played once through the model's own transitions (:func:`compile_history`), so every step is
one its role may take from that state; then each request stamps it with times: a person acts
before the deadline, the system just after it, and ``due_at``/``due_action`` come from
``aftersales.deadlines.next_deadline`` (:func:`derive`). The rows each step implies follow:
the event, a proposal, a shipment, a dispute and its ruling, the refund in the ledger.
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from aftersales.deadlines import next_deadline
from aftersales.models import (
    OPEN_STATES,
    TERMINAL_STATES,
    AfterSalesRequest,
    Dispute,
    LedgerEntry,
    Proposal,
    RejectionReason,
    RequestEvent,
    Role,
    Ruling,
    Shipment,
    State,
)
from aftersales.policy import REASONS_AFTER_DELIVERY
from orders.models import Order, OrderItem

DAY = 86400.0
CENT = Decimal("0.01")
ROLES = {"B": Role.BUYER, "S": Role.SELLER, "Y": Role.SYSTEM, "P": Role.STAFF}

# Each history: the kind, the steps after filing as "action:role" (B buyer, S seller, Y the
# system, P platform staff; a third part is the ruling's outcome), and how often it occurs.
RET = "approve:S ship_return:B"  # the goods on their way back
GOT = f"{RET} confirm_return_received:S"  # the goods back at the seller
OPEN = [
    ("refund_only", "", 14),
    ("return_refund", "", 16),
    ("exchange", "", 3),
    ("repair", "", 2),
    ("return_refund", "propose:S", 3),
    ("refund_only", "propose:S", 2),
    ("return_refund", "reject:S", 3),
    ("refund_only", "reject:S", 2),
    ("return_refund", "propose:S decline_proposal:B", 1),
    ("return_refund", f"{GOT} fail_inspection:S", 1),
    ("return_refund", "approve:S", 10),
    ("exchange", "approve:S", 2),
    ("repair", "approve:S", 1),
    ("return_refund", RET, 8),
    ("exchange", RET, 1),
    ("repair", RET, 1),
    ("return_refund", GOT, 5),
    ("exchange", GOT, 1),
    ("repair", GOT, 1),
    ("repair", f"{GOT} pass_inspection:S", 2),
    ("exchange", f"{GOT} ship_replacement:S", 2),
    ("repair", f"{GOT} pass_inspection:S ship_repaired:S", 1),
    ("refund_only", "reject:S escalate:B", 2),
    ("return_refund", "reject:S escalate:B", 2),
    ("exchange", f"{RET} escalate_overdue:Y", 1),
    ("return_refund", "propose:S decline_proposal:B escalate:B", 1),
]
FINISHED = [
    ("refund_only", "approve:S", 60),
    ("refund_only", "approve:Y", 8),
    ("return_refund", f"{GOT} pass_inspection:S", 13),
    ("return_refund", f"{RET} refund_without_receipt:Y", 3),
    ("return_refund", f"{GOT} pass_inspection:Y", 2),
    ("refund_only", "propose:S accept_proposal:B", 3),
    ("refund_only", "reject:S escalate:B rule:P:refunded", 2),
    ("exchange", f"{GOT} ship_replacement:S confirm_delivery:B", 5),
    ("exchange", f"{GOT} ship_replacement:S confirm_delivery:Y", 2),
    ("repair", f"{GOT} pass_inspection:S ship_repaired:S confirm_delivery:B", 3),
    ("return_refund", "withdraw:B", 22),
    ("refund_only", "withdraw:B", 12),
    ("return_refund", "reject:S close_for_timeout:Y", 4),
    ("return_refund", "approve:S close_for_timeout:Y", 3),
    ("return_refund", "propose:S close_for_timeout:Y", 1),
    ("refund_only", "reject:S escalate:B rule:P:closed", 2),
]
ESCALATION_REASON = {
    "reject": Dispute.Reason.UNFAIR_REJECTION,
    "decline_proposal": Dispute.Reason.UNACCEPTABLE_PROPOSAL,
    "fail_inspection": Dispute.Reason.DISPUTED_INSPECTION,
}
PROPOSAL_STATUS = {
    "accept_proposal": Proposal.Status.ACCEPTED,
    "decline_proposal": Proposal.Status.DECLINED,
    "close_for_timeout": Proposal.Status.LAPSED,
}


def compile_history(kind: str, text: str, weight: int) -> SimpleNamespace:
    """Play the steps once through the model's transitions; refuse a step its role may not
    take from the state it starts in. The steps come back with their states."""
    request = AfterSalesRequest(kind=kind, refund_amount=Decimal("1.00"))
    steps = []
    for word in text.split():
        action, letter, *outcome = word.split(":")
        before, role = request.state, ROLES[letter]
        if not request.allows(action, role):
            raise ValueError(f"{kind} '{text}': {action} is not open to {role} in {before}")
        arguments = {
            "approve": {"return_address": "-"},
            "accept_proposal": {"kind": kind, "refund_amount": Decimal("1.00")},
            "rule": {"outcome": "".join(outcome), "refund_amount": Decimal("1.00")},
        }
        getattr(request, action)(**arguments.get(action, {}))
        steps.append(SimpleNamespace(action=action, role=role, before=before, after=request.state))
    return SimpleNamespace(
        kind=kind, steps=steps, weight=weight, state=request.state, close=request.close_reason
    )


def derive(row: dict, history: SimpleNamespace, times: list[datetime], probe) -> None:
    """The request's fields that follow from its history, as the services would have set
    them: the state it reached, its next deadline and what the system does then
    (``next_deadline`` at the last step), when it ended.

    A column the app derives from the history is filled here, from the same steps and times:
    the seller's first answer (``first_response_at``) is the time of the first step the seller
    took, as ``services.core.advance`` sets it.
    """
    first_response = next(
        (times[i + 1] for i, step in enumerate(history.steps) if step.role == Role.SELLER), None
    )
    probe.state = history.state
    due_at, due_action = next_deadline(probe, now=times[-1])
    row.update(
        state=history.state,
        close_reason=history.close,
        due_at=due_at,
        due_action=str(due_action),
        finished_at=times[-1] if history.state in TERMINAL_STATES else None,
        first_response_at=first_response,
        updated_at=times[-1],
    )


class Marketplace:
    """The rows to write, by model, each with its id allocated here (rows refer to rows)."""

    def __init__(self, *, rng: random.Random, now: datetime, staff: int) -> None:
        self.rng, self.now, self.staff = rng, now, staff
        self.rows: dict = defaultdict(list)
        self.ids: dict = {}
        self.requests: list[tuple[dict, SimpleNamespace]] = []

    def add(self, model, **row) -> int:
        if model not in self.ids:
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.ids[model] = last or 0
        self.ids[model] += 1
        self.rows[model].append({"id": self.ids[model], **row})
        return self.ids[model]

    def user(self, username: str, password: str) -> int:
        return self.add(
            get_user_model(),
            username=username,
            email=f"{username}@example.com",
            password=password,
            date_joined=self.now - timedelta(days=self.rng.uniform(30, 900)),
        )

    def order(self, *, buyer: int, shop: int, filed=None, shipped=True) -> dict:
        """An order with one item, delivered a few days before ``filed`` (before the no-reason
        window ends); without ``filed``, paid at any time in the last 200 days."""
        rng = self.rng
        if filed is None:
            paid = self.now - timedelta(days=rng.uniform(0.2, 200))
            shipped_at = paid + timedelta(hours=rng.uniform(8, 48))
            delivered = shipped_at + timedelta(days=rng.uniform(1, 3))
            if delivered > self.now:
                delivered = None
            if shipped_at > self.now:
                shipped_at = None
        elif shipped:
            delivered = filed - timedelta(days=rng.uniform(0.1, 6.5))
            shipped_at = delivered - timedelta(days=rng.uniform(1, 3))
            paid = shipped_at - timedelta(hours=rng.uniform(8, 48))
        else:
            paid, shipped_at, delivered = filed - timedelta(hours=rng.uniform(1, 20)), None, None
        price = Decimal(rng.choice(["19.90", "39.00", "68.00", "128.00", "299.00", "899.00"]))
        quantity = rng.choices([1, 2, 3], [85, 12, 3])[0]
        order = self.add(
            Order,
            number=f"B{self.ids.get(Order, 0) + 1:011d}",
            buyer_id=buyer,
            shop_id=shop,
            payment_method=rng.choices(["alipay", "wechat", "card", "huabei"], [11, 4, 2, 3])[0],
            shipping_address="浙江省杭州市西湖区文三路 90 号",
            paid_at=paid,
        )
        self.add(
            OrderItem,
            order_id=order,
            title=f"商品 {order % 997}",
            sku="标准",
            unit_price=price,
            quantity=quantity,
            amount_paid=price * quantity,
            shipped_at=shipped_at,
            delivered_at=delivered,
        )
        return self.rows[OrderItem][-1]

    def request(self, history: SimpleNamespace, *, shop: dict, buyer: int) -> dict:
        """One request with its order, its history in time, and the rows its steps imply."""
        rng, kind = self.rng, history.kind
        shipped = not (kind == "refund_only" and rng.random() < 0.35)
        probe = SimpleNamespace(kind=kind, order_item=SimpleNamespace(shipped_at=shipped or None))

        def room(state: str) -> float:
            """Seconds the one who must act has in ``state`` (a dispute: the platform's days)."""
            probe.state = state
            due, _ = next_deadline(probe, now=self.now)
            return (due - self.now).total_seconds() if due else rng.uniform(0.5, 5) * DAY

        offsets = [0.0]  # seconds after filing: a person acts in time, the system when due
        for step in history.steps:
            if step.role == Role.SYSTEM:
                offsets.append(offsets[-1] + room(step.before) + rng.uniform(60, 1800))
            else:
                offsets.append(offsets[-1] + rng.uniform(0.03, 0.8) * room(step.before))
        if history.state in OPEN_STATES:  # the last step recently, about 3 % overdue
            age = offsets[-1] + rng.uniform(0, 1.03) * room(history.state)
        else:
            age = offsets[-1] + rng.uniform(0.05, 200) * DAY
        filed = self.now - timedelta(seconds=age)
        times = [filed + timedelta(seconds=offset) for offset in offsets]

        item = self.order(buyer=buyer, shop=shop["id"], filed=filed, shipped=shipped)
        actions = [step.action for step in history.steps]
        shipped_back = kind != "refund_only"  # approving it names where the goods go
        refund = Decimal("0.00")
        if kind in ("refund_only", "return_refund"):
            refund = item["amount_paid"] / (2 if "accept_proposal" in actions else 1)
        row = {
            "order_item_id": item["id"],
            "order_id": item["order_id"],
            "buyer_id": buyer,
            "shop_id": shop["id"],
            "kind": kind,
            "reason": rng.choice(REASONS_AFTER_DELIVERY[kind]) if shipped else "changed_mind",
            "quantity": item["quantity"],
            "refund_amount": refund.quantize(CENT),
            "description": "收到的商品有问题，申请售后。",
            "created_at": filed,
            "return_address": shop["address"] if "approve" in actions and shipped_back else "",
        }
        derive(row, history, times, probe)
        row["id"] = request = self.add(AfterSalesRequest, **row)
        self.requests.append((row, history))
        actors = {Role.BUYER: buyer, Role.SELLER: shop["owner"], Role.STAFF: self.staff}
        self.event(
            request,
            actor=buyer,
            role=Role.BUYER,
            action="submit",
            source="",
            to=State.SUBMITTED,
            at=filed,
        )
        previous = "submit"
        for index, step in enumerate(history.steps):
            at, then = times[index + 1], times[index + 2] if index + 2 < len(times) else None
            after = history.steps[index + 1].action if then else ""
            refusal = ""
            if step.action in ("reject", "fail_inspection"):
                refusal = rng.choice(RejectionReason.values)
            self.event(
                request,
                actor=actors.get(step.role),
                role=step.role,
                action=step.action,
                source=step.before,
                to=step.after,
                at=at,
                reason=refusal,
            )
            self.step_rows(
                step.action, row, actors, at=at, after=after, then=then, previous=previous
            )
            previous = step.action
        if history.state == State.REFUNDED:
            item["refunded_amount"] = row["refund_amount"]
            self.add(
                LedgerEntry,
                request_id=request,
                order_item_id=item["id"],
                type=LedgerEntry.Type.REFUND,
                amount=row["refund_amount"],
                payment_method=self.rows[Order][-1]["payment_method"],
                idempotency_key=f"request-{request}-refund",
                status=LedgerEntry.Status.PAID,
                attempts=1,
                created_at=times[-1],
                paid_at=times[-1] + timedelta(minutes=3),
            )
        return row

    def event(self, request, *, actor, role, action, source, to, at, reason="") -> None:
        self.add(
            RequestEvent,
            request_id=request,
            actor_id=actor,
            actor_role=role,
            action=action,
            from_state=source,
            to_state=to,
            reason=reason,
            created_at=at,
        )

    def step_rows(self, action, row, actors, *, at, after, then, previous) -> None:
        """The proposal, shipment or dispute (and ruling) that comes with a step; ``after`` is
        the next step's action and ``then`` its time (none if this step was the last)."""
        request, seller = row["id"], actors[Role.SELLER]
        if action == "propose":
            self.add(
                Proposal,
                request_id=request,
                version=1,
                proposed_by_id=seller,
                kind="refund_only",
                # Half of what was paid: the amount the request carries once it is accepted.
                refund_amount=row["refund_amount"]
                if after == "accept_proposal"
                else (row["refund_amount"] / 2).quantize(CENT),
                note="部分退款，商品不用寄回。",
                status=PROPOSAL_STATUS.get(after, Proposal.Status.PENDING),
                created_at=at,
                answered_at=then,
            )
        elif action.startswith("ship_"):
            purpose = {"ship_return": "return", "ship_replacement": "replacement"}
            purpose = purpose.get(action, "repaired")
            self.add(
                Shipment,
                request_id=request,
                purpose=purpose,
                carrier="sf",
                tracking_number=f"SF{self.rng.randrange(10**12, 10**13)}",
                shipped_by_id=row["buyer_id"] if purpose == "return" else seller,
                shipped_at=at,
                received_at=then if after == "confirm_return_received" else None,
            )
        elif action.startswith("escalate"):
            by_buyer = action == "escalate"
            dispute = self.add(
                Dispute,
                request_id=request,
                opened_by_id=row["buyer_id"] if by_buyer else None,
                opened_by_role=Role.BUYER if by_buyer else Role.SYSTEM,
                reason=ESCALATION_REASON.get(previous, Dispute.Reason.SELLER_UNRESPONSIVE),
                buyer_statement="卖家处理不公，请平台介入。" if by_buyer else "",
                status=Dispute.Status.RULED if then else Dispute.Status.OPEN,
                opened_at=at,
                seller_answer_due_at=at + timedelta(days=3),
                ruling_due_at=at + timedelta(days=5),
            )
            answered = at + timedelta(hours=self.rng.uniform(2, 48))
            if self.rng.random() < 0.6 and answered < (then or self.now):
                self.rows[Dispute][-1].update(
                    seller_statement="商品发出时完好，有发货视频。", seller_answered_at=answered
                )
                self.event(
                    request,
                    actor=seller,
                    role=Role.SELLER,
                    action="answer_dispute",
                    source=State.DISPUTED,
                    to=State.DISPUTED,
                    at=answered,
                )
            if then:
                refunded = row["state"] == State.REFUNDED
                self.add(
                    Ruling,
                    dispute_id=dispute,
                    outcome=Ruling.Outcome.REFUND if refunded else Ruling.Outcome.FOR_SELLER,
                    refund_amount=row["refund_amount"] if refunded else Decimal("0.00"),
                    rationale="依据双方提交的凭证裁决。",
                    decided_by_id=self.staff,
                    decided_at=then,
                )
