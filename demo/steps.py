"""Playing the scenarios: every action through the service a person (or the deadline sweep)
would use, by the party whose turn it is, with a ``now=`` in the past.

So the timelines, deadlines, ledger rows and notifications are the ones the application itself
writes. Only what the services cannot be told is patched afterwards: the time the request and
its ledger rows were written (the wall clock), and a dispute's seller statement (see
:meth:`ScenarioPlayer._message`).

The demo's one module that calls the after-sales and dispute services.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from aftersales import policy, services
from aftersales.actors import SYSTEM
from aftersales.models import (
    AfterSalesRequest,
    Carrier,
    Dispute,
    Kind,
    LedgerEntry,
    Reason,
    RejectionReason,
    Replacement,
    Ruling,
    Shipment,
    State,
)
from aftersales.services import escalate_overdue, escalate_to_platform, insurance, rule_dispute
from aftersales.services.core import lock
from aftersales.shipping import tracking_error
from orders.models import Order, OrderItem

from . import texts
from .catalogue import STAFF
from .marketplace import Marketplace, Purchase
from .photos import Camera
from .scenarios import (
    MONEY_STEPS,
    SYSTEM_STEPS,
    DemoError,
    Scenario,
    pick_purchase,
    schedule,
)

User = get_user_model()

CENT = Decimal("0.01")
D = Decimal
# (carrier, weight) for returns and replacements; repaired goods go back by SF Express.
CARRIERS = (
    (Carrier.ZTO, 5),
    (Carrier.YTO, 4),
    (Carrier.STO, 3),
    (Carrier.YUNDA, 3),
    (Carrier.SF, 4),
    (Carrier.JD, 2),
    (Carrier.EMS, 1),
)


@dataclass
class Run:
    """One scenario being played: the request and who is who."""

    scenario: Scenario
    purchase: Purchase
    buyer: User
    seller: User
    request: AfterSalesRequest | None = None
    last_at: datetime | None = None


class ScenarioPlayer:
    """Plays scenarios on a built marketplace. Draws from the load's random generator (after the
    marketplace did), so two loads play the same way; remembers the requests it filed."""

    def __init__(self, marketplace: Marketplace, *, rng: random.Random, now: datetime) -> None:
        self.marketplace = marketplace
        self.rng = rng
        self.now = now
        self.camera = Camera(rng)
        self.request_ids: list[int] = []

    @property
    def arbitrator(self) -> User:
        return self.marketplace.users[STAFF[0]]

    def play(self, scenario: Scenario) -> None:
        """File the scenario's request and take each of its steps, then check where it ended."""
        offsets = schedule(scenario, self.rng)
        purchase, filed_at = pick_purchase(
            scenario, offsets, self.marketplace.purchases, rng=self.rng, now=self.now
        )
        purchase.used = True
        order = purchase.item.order
        if scenario.insured and not order.return_insurance:
            order.return_insurance = Order.Insurance.BOUGHT
            Order.objects.filter(pk=order.pk).update(return_insurance=order.return_insurance)
        run = Run(
            scenario=scenario,
            purchase=purchase,
            buyer=self.marketplace.users[purchase.buyer],
            seller=self.marketplace.sellers[scenario.shop],
        )
        self._submit(run, filed_at)
        for step, offset in zip(scenario.steps, offsets, strict=True):
            when = filed_at + offset
            name, _, arg = step.partition(":")
            if name in SYSTEM_STEPS and when < run.request.due_at:
                raise DemoError(f"{scenario}: {step} planned before the deadline")
            name = name.rstrip("+")
            getattr(self, f"_{name}")(run, arg, when, photo=step.endswith("+"))
            self._date_rows(run, name, when)
        request = run.request
        request.refresh_from_db()
        if request.state != scenario.until:
            raise DemoError(f"{scenario} ended in {request.state}")
        AfterSalesRequest.objects.filter(pk=request.pk).update(
            created_at=filed_at, updated_at=run.last_at
        )

    # --- the steps -----------------------------------------------------------------------

    def _submit(self, run: Run, when: datetime) -> None:
        scenario, purchase, rng = run.scenario, run.purchase, self.rng
        item, product = purchase.item, purchase.product
        quantity = item.quantity if rng.random() < 0.75 else rng.randint(1, item.quantity)
        refund = D("0.00")
        if Kind(scenario.kind).is_money:
            refund = policy.max_refund(item, quantity=quantity, quantity_left=item.quantity)
            minor = (Reason.QUALITY_PROBLEM, Reason.NOT_AS_DESCRIBED, Reason.MISSING_PARTS)
            if (
                scenario.kind == Kind.REFUND_ONLY
                and scenario.reason in minor
                and rng.random() < 0.5
            ):
                refund = max(D(int(refund * D(rng.uniform(0.3, 0.6)))), D(1)).quantize(CENT)
        if scenario.item == "not_shipped":
            description = rng.choice(texts.DESCRIPTIONS_NOT_SHIPPED)
        elif scenario.item == "in_transit" and scenario.reason != Reason.NOT_RECEIVED:
            description = rng.choice(texts.DESCRIPTIONS_IN_TRANSIT)
        else:
            description = rng.choice(texts.DESCRIPTIONS[scenario.reason]).format(
                title=item.title,
                sku=item.sku,
                fault=rng.choice(product.faults or ("用了几天就坏了",)),
                part=rng.choice(product.parts),
            )
        files = []
        with_photos = 0.1 if Reason(scenario.reason).is_no_reason else 0.75
        if scenario.item == "delivered" and rng.random() < with_photos:
            files = self.camera.photos(scenario.reason, when, count=rng.choice([1, 1, 2, 3]))
        run.request = services.submit_request(
            buyer=run.buyer,
            order_item=item,
            kind=scenario.kind,
            reason=scenario.reason,
            quantity=quantity,
            refund_amount=refund,
            description=description,
            files=files,
            now=when,
            **self._replacement(scenario),
        )
        run.last_at = when
        self.request_ids.append(run.request.pk)
        self._date_rows(run, "submit", when)

    @staticmethod
    def _replacement(scenario) -> dict[str, str]:
        """An exchange names what it wants: another size for a wrong size, else the same item."""
        if scenario.kind != Kind.EXCHANGE:
            return {}
        if scenario.reason == Reason.WRONG_SIZE:
            return {"replacement": Replacement.SIZE, "replacement_details": "换大一码"}
        return {"replacement": Replacement.SAME}

    def _approve(self, run, arg, when, photo) -> None:
        run.request = services.approve_request(request=run.request, actor=run.seller, now=when)

    def _auto_approve(self, run, arg, when, photo) -> None:
        run.request = services.approve_request(request=run.request, actor=SYSTEM, now=when)

    def _reject(self, run, arg, when, photo) -> None:
        reason, code = run.scenario.reason, RejectionReason.NO_EVIDENCE
        if Reason(reason).is_no_reason:
            explanations, code = texts.REJECTIONS_NO_REASON, RejectionReason.OUTSIDE_POLICY
        elif reason == Reason.NOT_RECEIVED:
            explanations = texts.REJECTIONS_NOT_RECEIVED
        else:
            explanations = texts.REJECTIONS
        files = self.camera.photos("qc", when, seller=True) if self.rng.random() < 0.5 else []
        run.request = services.reject_request(
            request=run.request,
            actor=run.seller,
            reason=code,
            explanation=self.rng.choice(explanations),
            files=files,
            now=when,
        )

    def _propose(self, run, arg, when, photo) -> None:
        item = run.purchase.item
        refundable = item.refundable_amount
        kind, refund, comp = Kind.REFUND_ONLY, D("0.00"), D("0.00")
        if arg == "partial_keep":
            refund = max(D(int(refundable * D(self.rng.uniform(0.2, 0.5)))), D(1)).quantize(CENT)
        elif arg == "comp":
            comp = min(D(self.rng.choice([5, 10, 15, 20, 30])), item.amount_paid).quantize(CENT)
        elif arg == "partial_return":
            kind = Kind.RETURN_REFUND
            refund = (refundable * D(self.rng.uniform(0.7, 0.9))).quantize(CENT, ROUND_DOWN)
        elif arg == "exchange":
            kind = Kind.EXCHANGE
        elif arg == "repair":
            kind = Kind.REPAIR
        note = texts.PROPOSAL_NOTES[arg].format(refund=refund, comp=comp)
        run.request = services.propose_solution(
            request=run.request,
            actor=run.seller,
            kind=kind,
            refund_amount=refund,
            compensation_amount=comp,
            note=note,
            now=when,
        )

    def _accept(self, run, arg, when, photo) -> None:
        run.request = services.accept_proposal(request=run.request, actor=run.buyer, now=when)

    def _decline(self, run, arg, when, photo) -> None:
        run.request = services.decline_proposal(
            request=run.request, actor=run.buyer, note=self.rng.choice(texts.DECLINES), now=when
        )

    def _resubmit(self, run, arg, when, photo) -> None:
        request = run.request
        refund = request.refund_amount
        if Kind(request.kind).is_money:
            refund = max((refund * D("0.8")).quantize(CENT, ROUND_DOWN), D("1.00"))
        run.request = services.resubmit_request(
            request=request,
            actor=run.buyer,
            kind=request.kind,
            reason=request.reason,
            quantity=request.quantity,
            refund_amount=refund,
            description=f"{request.description}\n补充：又拍了几张细节照片，金额也重新调整了。",
            files=self.camera.photos(request.reason, when, count=2),
            now=when,
        )

    def _withdraw(self, run, arg, when, photo) -> None:
        run.request = services.withdraw_request(request=run.request, actor=run.buyer, now=when)

    def _timeout(self, run, arg, when, photo) -> None:
        run.request = services.close_for_timeout(request=run.request, actor=SYSTEM, now=when)

    def _ship_return(self, run, arg, when, photo) -> None:
        fee = D("0.00")
        if run.request.seller_pays_return_shipping and self.rng.random() < 0.75:
            fee = D(self.rng.choice(["8.00", "10.00", "12.00", "15.00", "18.00"]))
        run.request = services.ship_return(
            request=run.request, actor=run.buyer, **self._tracking(), shipping_fee=fee, now=when
        )

    def _receive(self, run, arg, when, photo) -> None:
        self._signed_for(run, when)
        run.request = services.confirm_return_received(
            request=run.request, actor=run.seller, now=when
        )

    def _signed_for(self, run, before: datetime) -> None:
        """The carrier had the return parcels picked up an hour after they were sent and
        signed for a day later (before the seller confirmed receipt): the trace the tracking
        service would have recorded, and the insurer's claim on an insured return. Only the
        insurer's step of ``services.arrivals``: the shop's rules and fast refunds are no part
        of the demo's history (they are switched on after it, ``demo.faster``)."""
        parcels = run.request.shipments.filter(
            purpose=Shipment.Purpose.RETURN, signed_at__isnull=True
        )
        for parcel in parcels:
            picked_up = parcel.shipped_at + timedelta(hours=1)
            signed = max(picked_up, min(parcel.shipped_at + timedelta(hours=24), before))
            Shipment.objects.filter(pk=parcel.pk).update(picked_up_at=picked_up, signed_at=signed)
            parcel.picked_up_at, parcel.signed_at = picked_up, signed
            with transaction.atomic():
                insurance.claim_on_sign_for(lock(run.request), parcel, now=signed)
            LedgerEntry.objects.filter(
                request=run.request,
                type=LedgerEntry.Type.INSURANCE_CLAIM,
                created_at__gte=self.now,
            ).update(created_at=signed)

    def _auto_refund(self, run, arg, when, photo) -> None:
        self._signed_for(run, when)
        run.request = services.refund_without_receipt(request=run.request, actor=SYSTEM, now=when)

    def _pass(self, run, arg, when, photo) -> None:
        run.request = services.pass_inspection(request=run.request, actor=run.seller, now=when)

    def _auto_pass(self, run, arg, when, photo) -> None:
        run.request = services.pass_inspection(request=run.request, actor=SYSTEM, now=when)

    def _fail(self, run, arg, when, photo) -> None:
        explanations = texts.FAILED_INSPECTIONS
        if run.purchase.product.repairable:
            explanations = texts.FAILED_INSPECTIONS_DEVICES
        run.request = services.fail_inspection(
            request=run.request,
            actor=run.seller,
            reason=RejectionReason.USED,
            explanation=self.rng.choice(explanations),
            files=self.camera.photos("qc_fail", when, count=self.rng.choice([1, 2]), seller=True),
            now=when,
        )

    def _ship_replacement(self, run, arg, when, photo) -> None:
        run.request = services.ship_replacement(
            request=run.request, actor=run.seller, **self._tracking(), now=when
        )

    def _ship_repaired(self, run, arg, when, photo) -> None:
        run.request = services.ship_repaired(
            request=run.request, actor=run.seller, **self._tracking(express=True), now=when
        )

    def _confirm(self, run, arg, when, photo) -> None:
        run.request = services.confirm_delivery(request=run.request, actor=run.buyer, now=when)

    def _auto_confirm(self, run, arg, when, photo) -> None:
        run.request = services.confirm_delivery(request=run.request, actor=SYSTEM, now=when)

    def _escalate(self, run, arg, when, photo) -> None:
        reason = Dispute.Reason(arg)
        files = []
        if self.rng.random() < 0.7:
            files = self.camera.photos(run.scenario.reason, when, count=self.rng.choice([1, 2]))
        escalate_to_platform(
            request=run.request,
            actor=run.buyer,
            reason=reason,
            statement=self.rng.choice(texts.STATEMENTS[reason]),
            files=files,
            now=when,
        )
        run.request.refresh_from_db()

    def _escalate_overdue(self, run, arg, when, photo) -> None:
        run.request = escalate_overdue(request=run.request, actor=SYSTEM, now=when)

    def _rule(self, run, arg, when, photo) -> None:
        outcome = Ruling.Outcome(arg)
        item = OrderItem.objects.get(pk=run.purchase.item.pk)
        refund, comp = D("0.00"), D("0.00")
        if outcome == Ruling.Outcome.REFUND:
            share = D(self.rng.choice(["0.5", "0.8", "1"]))
            refund = max((item.refundable_amount * share).quantize(CENT, ROUND_DOWN), D("1.00"))
        elif outcome == Ruling.Outcome.RETURN_AND_REFUND:
            refund = item.refundable_amount
        elif outcome == Ruling.Outcome.COMPENSATION:
            comp = min(D(self.rng.choice([20, 30, 50])), item.amount_paid).quantize(CENT)
        dispute = Dispute.objects.get(request=run.request, status=Dispute.Status.OPEN)
        rule_dispute(
            dispute=dispute,
            actor=self.arbitrator,
            outcome=outcome,
            rationale=texts.RATIONALES[outcome].format(refund=refund, comp=comp),
            refund_amount=refund,
            compensation_amount=comp,
            now=when,
        )
        run.request.refresh_from_db()

    def _msg_b(self, run, arg, when, photo) -> None:
        self._message(run, "b", when, photo)

    def _msg_s(self, run, arg, when, photo) -> None:
        self._message(run, "s", when, photo)

    def _msg_p(self, run, arg, when, photo) -> None:
        self._message(run, "p", when, photo)

    def _message(self, run: Run, role: str, when: datetime, photo: bool) -> None:
        request = run.request
        state = request.state
        body = self.rng.choice(texts.MESSAGES.get((role, state)) or texts.MESSAGES[(role, None)])
        author = {"b": run.buyer, "s": run.seller, "p": self.arbitrator}[role]
        files = []
        if photo:
            label = run.scenario.reason if role == "b" else "packing"
            files = self.camera.photos(label, when, seller=role != "b")
        services.post_message(request=request, actor=author, body=body, files=files, now=when)
        if role == "s" and state == State.DISPUTED:
            # The seller's side of the story, written as the demo always has. (The service for
            # it, answer_dispute, also logs an event and notifies staff: more demo rows.)
            Dispute.objects.filter(
                request=request, status=Dispute.Status.OPEN, seller_statement=""
            ).update(seller_statement=body, seller_answered_at=when)

    # --- helpers -------------------------------------------------------------------------

    def _date_rows(self, run: Run, step: str, when: datetime) -> None:
        """Ledger rows are dated by the wall clock (``auto_now_add``): give them the step's time.

        Events, evidence, messages, shipments and proposals take the ``now=`` the services get.
        """
        if step.startswith("msg"):
            return
        run.last_at = when
        if step in MONEY_STEPS:
            LedgerEntry.objects.filter(request=run.request, created_at__gte=self.now).update(
                created_at=when
            )

    def _tracking(self, *, express: bool = False) -> dict[str, str]:
        rng = self.rng
        carrier = Carrier.SF if express else rng.choices(*zip(*CARRIERS, strict=True))[0]
        digits = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
        number = {
            Carrier.SF: lambda: f"SF{digits(13)}",
            Carrier.JD: lambda: f"JDV{rng.choice('ABCDEF')}{digits(11)}",
            Carrier.EMS: lambda: f"E{rng.choice('ABCDMR')}{digits(9)}CN",
            Carrier.ZTO: lambda: f"7{rng.choice('35')}{digits(12)}",
            Carrier.YTO: lambda: f"YT{digits(13)}",
            Carrier.STO: lambda: f"77{digits(11)}",
            Carrier.YUNDA: lambda: f"{rng.choice(['31', '43', '46'])}{digits(11)}",
        }[carrier]()
        assert tracking_error(carrier, number) is None, (carrier, number)
        return {"carrier": carrier, "tracking_number": number}
