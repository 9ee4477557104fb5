"""Every change to an after-sales request, one function per action (SPEC §4).

Each action runs in one transaction and in this order: lock the request row, check that the
actor may take the action, call the model's transition, set the next deadline, save, append
the event, attach evidence, and register what must happen after commit (notifications,
payouts). A stale page or a double click finds the row already moved on and gets
:class:`StaleAction`; nothing changes.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

from orders.models import OrderItem, ReturnAddress

from . import deadlines, policy
from .actions import ACTIONS
from .actors import SYSTEM, Actor, role_of
from .errors import ActionNotAllowed, AfterSalesError, Ineligible, RefundLimitExceeded, StaleAction
from .evidence import PreparedFile
from .models import (
    AfterSalesRequest,
    Evidence,
    Kind,
    LedgerEntry,
    Message,
    Proposal,
    RejectionReason,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from .shipping import normalize_tracking_number, tracking_error

PARTIES = frozenset({Role.BUYER, Role.SELLER, Role.STAFF})


class InvalidInput(AfterSalesError):
    """Input the form should have caught (a tracking number, an amount); nothing was saved."""


# --- the one path every transition takes -----------------------------------------------------


def _lock(request: AfterSalesRequest) -> AfterSalesRequest:
    return (
        AfterSalesRequest.objects.select_for_update(of=("self",))
        .select_related("order_item", "order", "shop")
        .get(pk=request.pk)
    )


def _check_role(actor: Actor, request: AfterSalesRequest, roles: frozenset[Role]) -> Role:
    role = role_of(actor, request)
    if role not in roles:
        raise ActionNotAllowed()
    return role


def _log(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    role: Role,
    action: str,
    from_state: str,
    reason: str = "",
    note: str = "",
    now: datetime,
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        actor=None if actor is SYSTEM else actor,
        actor_role=role,
        action=action,
        from_state=from_state,
        to_state=request.state,
        reason=reason,
        note=note,
        created_at=now,
    )


def _store_evidence(
    request: AfterSalesRequest,
    files: Sequence[PreparedFile],
    *,
    uploader: Actor,
    role: Role,
    event: RequestEvent | None = None,
    message: Message | None = None,
) -> None:
    for prepared in files:
        evidence = Evidence(
            request=request,
            created_at=(event or message).created_at,
            uploaded_by=uploader,
            uploader_role=role,
            event=event,
            message=message,
            media_type=prepared.media_type,
            original_name=prepared.original_name,
            content_type=prepared.content_type,
            size=prepared.size,
        )
        evidence.file.save(prepared.content.name, prepared.content, save=False)
        if prepared.thumbnail is not None:
            evidence.thumbnail.save(prepared.thumbnail.name, prepared.thumbnail, save=False)
        evidence.save()


def _after_commit(event: RequestEvent, notify: Sequence[Role] = ()) -> None:
    """Tell whoever acts next (or the sides in ``notify``) once the transaction commits."""
    from .tasks import announce_transition

    audiences = [str(role) for role in notify] or None
    # robust: the action has committed; a broker hiccup must not turn it into an error page.
    transaction.on_commit(lambda: announce_transition.delay(event.pk, audiences), robust=True)


def apply_transition(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    action: str,
    apply: Callable[[AfterSalesRequest], None],
    reason: str = "",
    note: str = "",
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
    then: Callable[[AfterSalesRequest, RequestEvent], None] | None = None,
    notify: Sequence[Role] = (),
) -> AfterSalesRequest:
    """Lock, check, transition, schedule the next deadline, save, log, and defer side effects.

    Who may take ``action``, and in which states, comes from :data:`actions.ACTIONS`.
    ``apply`` calls the transition; ``then`` runs inside the transaction after the event is
    written: money movements and rows that belong to the action.
    """
    now = now or timezone.now()
    rule = ACTIONS[action]
    request = _lock(request)
    role = _check_role(actor, request, rule.roles)
    if rule.states is not None and request.state not in rule.states:
        raise StaleAction()
    from_state = request.state
    try:
        apply(request)
    except TransitionNotAllowed as exc:
        raise StaleAction() from exc
    request.due_at, request.due_action = deadlines.next_deadline(request, now=now)
    request.reminded_at = None
    if not request.is_open:
        request.finished_at = now
    request.save()
    event = _log(
        request,
        actor=actor,
        role=role,
        action=action,
        from_state=from_state,
        reason=reason,
        note=note,
        now=now,
    )
    _store_evidence(request, files, uploader=actor, role=role, event=event)
    if then is not None:
        then(request, event)
    _after_commit(event, notify=notify)
    return request


def record_activity(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    roles: frozenset[Role],
    action: str,
    note: str = "",
    files: Sequence[PreparedFile] = (),
    notify: Sequence[Role] = (),
    now: datetime | None = None,
) -> RequestEvent:
    """Log something that happens on a request without moving it (a dispute statement, an
    evidence request, a complaint): locked, checked and notified like a transition, so it
    shows on the same timeline with its evidence."""
    now = now or timezone.now()
    request = _lock(request)
    role = _check_role(actor, request, roles)
    event = _log(
        request,
        actor=actor,
        role=role,
        action=action,
        from_state=request.state,
        note=note,
        now=now,
    )
    _store_evidence(request, files, uploader=actor, role=role, event=event)
    _after_commit(event, notify=notify)
    return event


# --- money ---------------------------------------------------------------------------------


def _record_money(
    request: AfterSalesRequest, *, type: str, amount: Decimal, key: str
) -> LedgerEntry | None:
    """Write one ledger row; for refunds, raise the item's refunded total under its check.

    The item row is locked first, so of two concurrent refunds the second sees the first's
    total and gets :class:`RefundLimitExceeded`; the database check constraint on
    ``OrderItem.refunded_amount`` refuses an overdraft even from code that forgets the lock.
    """
    if amount <= 0:
        return None
    item = (
        OrderItem.objects.select_for_update().select_related("order").get(pk=request.order_item_id)
    )
    if type == LedgerEntry.Type.REFUND:
        if amount > item.refundable_amount:
            raise RefundLimitExceeded()
        try:
            with transaction.atomic():
                OrderItem.objects.filter(pk=item.pk).update(
                    refunded_amount=F("refunded_amount") + amount
                )
        except IntegrityError as exc:
            raise RefundLimitExceeded() from exc
    entry = LedgerEntry.objects.create(
        request=request,
        order_item=item,
        type=type,
        amount=amount,
        payment_method=item.order.payment_method,
        idempotency_key=key,
    )
    from .tasks import pay_out

    # robust: if the broker is unreachable the row stays pending and is paid by the retry sweep.
    transaction.on_commit(lambda: pay_out.delay(entry.pk), robust=True)
    return entry


def settle_money(
    request: AfterSalesRequest, event: RequestEvent, compensation: Decimal = Decimal(0)
) -> None:
    """Pay the request's agreed refund, plus any compensation. One key each per request: a
    request is refunded at most once, so a second call is refused by the unique key."""
    _record_money(
        request,
        type=LedgerEntry.Type.REFUND,
        amount=request.refund_amount,
        key=f"request-{request.pk}-refund",
    )
    _record_money(
        request,
        type=LedgerEntry.Type.COMPENSATION,
        amount=compensation,
        key=f"request-{request.pk}-compensation",
    )


def refund_if_refunded(request: AfterSalesRequest, event: RequestEvent) -> None:
    if request.state == State.REFUNDED:
        settle_money(request, event)


# --- the buyer files a request ---------------------------------------------------------------


@transaction.atomic
def submit_request(
    *,
    buyer: Actor,
    order_item: OrderItem,
    kind: str,
    reason: str,
    quantity: int,
    refund_amount: Decimal,
    description: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> AfterSalesRequest:
    """File a request. The item row is locked so two submissions cannot both pass the checks."""
    now = now or timezone.now()
    item = OrderItem.objects.select_for_update().select_related("order__shop").get(pk=order_item.pk)
    order = item.order
    if getattr(buyer, "pk", None) != order.buyer_id:
        raise ActionNotAllowed()
    if not Kind(kind).is_money:
        refund_amount = Decimal("0.00")
    policy.check_eligibility(
        item, kind=kind, reason=reason, quantity=quantity, refund_amount=refund_amount, now=now
    )
    request = AfterSalesRequest(
        order_item=item,
        order=order,
        buyer=buyer,
        shop=order.shop,
        kind=kind,
        reason=reason,
        quantity=quantity,
        refund_amount=refund_amount,
        description=description,
    )
    request.due_at, request.due_action = deadlines.next_deadline(request, now=now)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # the open-request constraint, if a race slipped past
        raise Ineligible(_("This item already has an after-sales request in progress.")) from exc
    event = _log(request, actor=buyer, role=Role.BUYER, action="submit", from_state="", now=now)
    _store_evidence(request, files, uploader=buyer, role=Role.BUYER, event=event)
    _after_commit(event)
    return request


@transaction.atomic
def resubmit_request(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    kind: str,
    reason: str,
    quantity: int,
    refund_amount: Decimal,
    description: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> AfterSalesRequest:
    """Revise a rejected request and send it to the seller again (修改申请)."""
    now = now or timezone.now()
    if not Kind(kind).is_money:
        refund_amount = Decimal("0.00")

    def apply(req: AfterSalesRequest) -> None:
        if req.state == State.REJECTED:
            policy.check_eligibility(
                req.order_item,
                kind=kind,
                reason=reason,
                quantity=quantity,
                refund_amount=refund_amount,
                now=now,
                replacing=req,
            )
        req.resubmit(
            kind=kind,
            reason=reason,
            quantity=quantity,
            refund_amount=refund_amount,
            description=description,
        )

    return apply_transition(
        request, actor=actor, action="resubmit", apply=apply, files=files, now=now
    )


@transaction.atomic
def withdraw_request(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    return apply_transition(
        request,
        actor=actor,
        action="withdraw",
        apply=lambda req: req.withdraw(),
        now=now,
        then=_lapse_pending_proposal,
    )


def _lapse_pending_proposal(req: AfterSalesRequest, event: RequestEvent) -> None:
    """A request that closes while an offer waits for the buyer leaves the offer lapsed."""
    req.proposals.filter(status=Proposal.Status.PENDING).update(
        status=Proposal.Status.LAPSED, answered_at=event.created_at
    )


# --- the seller answers --------------------------------------------------------------------


def _return_address_text(request: AfterSalesRequest, address: ReturnAddress | None) -> str:
    """The address the goods go back to: the chosen one of this shop, or the shop's default."""
    if address is None:
        address = request.shop.default_return_address
    elif address.shop_id != request.shop_id:
        raise ActionNotAllowed(_("That return address belongs to another shop."))
    if address is None:
        raise InvalidInput(_("The shop has no return address yet. Add one before approving."))
    return str(address)


@transaction.atomic
def approve_request(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    return_address: ReturnAddress | None = None,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """Approve as asked. A refund-only request is refunded at once; others await the goods.

    The system approves requests the seller left past the response deadline, with the shop's
    default return address.
    """

    def apply(req: AfterSalesRequest) -> None:
        address = (
            _return_address_text(req, return_address) if Kind(req.kind).needs_goods_back else ""
        )
        req.approve(return_address=address)

    return apply_transition(
        request,
        actor=actor,
        action="approve",
        apply=apply,
        now=now,
        then=refund_if_refunded,
    )


@transaction.atomic
def propose_solution(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    kind: str,
    refund_amount: Decimal,
    compensation_amount: Decimal,
    note: str,
    repair_fee: Decimal = Decimal("0.00"),
    now: datetime | None = None,
) -> AfterSalesRequest:
    """Offer the buyer another solution: a partial refund with or without the goods coming
    back, compensation, another kind of service, or a repair outside the warranty for a fee.
    Money offers are bounded like requests."""
    kind = Kind(kind)
    refund_amount = refund_amount if kind.is_money else Decimal("0.00")
    if refund_amount < 0 or compensation_amount < 0 or repair_fee < 0:
        raise InvalidInput(_("Amounts cannot be negative."))
    if compensation_amount and kind != Kind.REFUND_ONLY:
        raise InvalidInput(
            _("Compensation can only be offered with a refund that keeps the goods.")
        )
    if repair_fee and kind != Kind.REPAIR:
        raise InvalidInput(_("A repair fee only goes with a repair."))
    if not note.strip():
        raise InvalidInput(_("Explain the proposal to the buyer."))

    def apply(req: AfterSalesRequest) -> None:
        item = req.order_item
        limit = item.refundable_amount
        if refund_amount > limit or max(compensation_amount, repair_fee) > item.amount_paid:
            raise InvalidInput(
                _("Amounts may not exceed what the buyer paid for the item (¥%(limit)s).")
                % {"limit": item.amount_paid if refund_amount <= limit else limit}
            )
        if kind.is_money and refund_amount + compensation_amount <= 0:
            raise InvalidInput(_("A money offer needs an amount above ¥0.00."))
        if kind == Kind.RETURN_REFUND and refund_amount <= 0:
            raise InvalidInput(_("A return needs a refund above ¥0.00."))
        req.propose()

    def record(req: AfterSalesRequest, event: RequestEvent) -> None:
        last = req.proposals.order_by("-version").values_list("version", flat=True).first() or 0
        Proposal.objects.create(
            request=req,
            created_at=event.created_at,
            version=last + 1,
            proposed_by=actor,
            kind=kind,
            refund_amount=refund_amount,
            compensation_amount=compensation_amount,
            repair_fee=repair_fee,
            note=note,
        )

    return apply_transition(
        request,
        actor=actor,
        action="propose",
        apply=apply,
        note=note,
        now=now,
        then=record,
    )


@transaction.atomic
def reject_request(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    reason: str,
    explanation: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> AfterSalesRequest:
    """拒绝: a reason from the list and an explanation the buyer (and later the platform) reads."""
    _check_refusal(reason, explanation, _("Explain to the buyer why you reject the request."))
    return apply_transition(
        request,
        actor=actor,
        action="reject",
        apply=lambda req: req.reject(),
        reason=reason,
        note=explanation,
        files=files,
        now=now,
    )


def _check_refusal(reason: str, explanation: str, missing_explanation: str) -> None:
    if reason not in RejectionReason.values:
        raise InvalidInput(_("Choose a reason from the list."))
    if not explanation.strip():
        raise InvalidInput(missing_explanation)


# --- the buyer answers a proposal ------------------------------------------------------------


def _pending_proposal(request: AfterSalesRequest) -> Proposal:
    proposal = request.proposals.filter(status=Proposal.Status.PENDING).order_by("-version").first()
    if proposal is None:
        raise StaleAction()
    return proposal


@transaction.atomic
def accept_proposal(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    """Take the seller's offer. The request becomes the proposal's kind and amount."""
    now = now or timezone.now()
    accepted: list[Proposal] = []

    def apply(req: AfterSalesRequest) -> None:
        proposal = _pending_proposal(req)
        address = _return_address_text(req, None) if Kind(proposal.kind).needs_goods_back else ""
        req.accept_proposal(
            kind=proposal.kind,
            refund_amount=proposal.refund_amount,
            return_address=address,
            repair_fee=proposal.repair_fee,
        )
        accepted.append(proposal)

    def settle(req: AfterSalesRequest, event: RequestEvent) -> None:
        proposal = accepted[0]
        Proposal.objects.filter(pk=proposal.pk).update(
            status=Proposal.Status.ACCEPTED, answered_at=now
        )
        if req.state == State.REFUNDED:
            settle_money(req, event, compensation=proposal.compensation_amount)

    return apply_transition(
        request,
        actor=actor,
        action="accept_proposal",
        apply=apply,
        now=now,
        then=settle,
    )


@transaction.atomic
def decline_proposal(
    *, request: AfterSalesRequest, actor: Actor, note: str = "", now: datetime | None = None
) -> AfterSalesRequest:
    now = now or timezone.now()

    def apply(req: AfterSalesRequest) -> None:
        req.decline_proposal()

    def record(req: AfterSalesRequest, event: RequestEvent) -> None:
        req.proposals.filter(status=Proposal.Status.PENDING).update(
            status=Proposal.Status.DECLINED, answered_at=now
        )

    return apply_transition(
        request,
        actor=actor,
        action="decline_proposal",
        apply=apply,
        note=note,
        now=now,
        then=record,
    )


# --- goods travelling ------------------------------------------------------------------------


def _checked_tracking(carrier: str, tracking_number: str) -> str:
    if error := tracking_error(carrier, tracking_number):
        raise InvalidInput(error)
    return normalize_tracking_number(tracking_number)


def _ship(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    action: str,
    purpose: str,
    carrier: str,
    tracking_number: str,
    apply: Callable[[AfterSalesRequest], None],
    now: datetime | None,
    shipping_fee: Decimal = Decimal("0.00"),
) -> AfterSalesRequest:
    number = _checked_tracking(carrier, tracking_number)

    def record(req: AfterSalesRequest, event: RequestEvent) -> None:
        Shipment.objects.create(
            request=req,
            shipped_at=event.created_at,
            purpose=purpose,
            carrier=carrier,
            tracking_number=number,
            shipping_fee=shipping_fee,
            shipped_by=actor,
        )

    return apply_transition(
        request,
        actor=actor,
        action=action,
        apply=apply,
        now=now,
        then=record,
    )


@transaction.atomic
def ship_return(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    shipping_fee: Decimal = Decimal("0.00"),
    now: datetime | None = None,
) -> AfterSalesRequest:
    """寄回商品. When the seller pays return shipping, the buyer may claim what it cost, up to
    ``RETURN_SHIPPING_REIMBURSEMENT_LIMIT``; it is paid once the seller has the goods."""
    limit = settings.RETURN_SHIPPING_REIMBURSEMENT_LIMIT
    if shipping_fee < 0 or shipping_fee > limit:
        raise InvalidInput(
            _("The shipping fee must be between ¥0.00 and ¥%(limit)s.") % {"limit": limit}
        )

    def apply(req: AfterSalesRequest) -> None:
        if shipping_fee and not req.seller_pays_return_shipping:
            raise InvalidInput(_("For a no-reason return you pay the return shipping yourself."))
        req.ship_return()

    return _ship(
        request,
        actor=actor,
        action="ship_return",
        purpose=Shipment.Purpose.RETURN,
        carrier=carrier,
        tracking_number=tracking_number,
        shipping_fee=shipping_fee,
        apply=apply,
        now=now,
    )


def _receive_return(req: AfterSalesRequest, event: RequestEvent) -> None:
    """The goods are back with the seller: mark the parcel received and reimburse the return
    shipping the buyer claimed (one ledger row per parcel)."""
    for shipment in req.shipments.filter(purpose=Shipment.Purpose.RETURN, received_at__isnull=True):
        shipment.received_at = event.created_at
        shipment.save(update_fields=["received_at"])
        if req.seller_pays_return_shipping:
            _record_money(
                req,
                type=LedgerEntry.Type.SHIPPING_REIMBURSEMENT,
                amount=shipment.shipping_fee,
                key=f"shipment-{shipment.pk}-shipping",
            )


@transaction.atomic
def confirm_return_received(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    return apply_transition(
        request,
        actor=actor,
        action="confirm_return_received",
        apply=lambda req: req.confirm_return_received(),
        now=now,
        then=_receive_return,
    )


def _settle_unconfirmed_return(req: AfterSalesRequest, event: RequestEvent) -> None:
    _receive_return(req, event)
    settle_money(req, event)


@transaction.atomic
def refund_without_receipt(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The seller did not confirm receipt of returned goods in time: refund the buyer."""
    return apply_transition(
        request,
        actor=actor,
        action="refund_without_receipt",
        apply=lambda req: req.refund_without_receipt(),
        now=now,
        then=_settle_unconfirmed_return,
    )


@transaction.atomic
def pass_inspection(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    """质检通过: a return is refunded, a repair starts. At the deadline the system deems it
    passed."""
    return apply_transition(
        request,
        actor=actor,
        action="pass_inspection",
        apply=lambda req: req.pass_inspection(),
        now=now,
        then=refund_if_refunded,
    )


@transaction.atomic
def fail_inspection(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    reason: str,
    explanation: str,
    files: Sequence[PreparedFile],
    now: datetime | None = None,
) -> AfterSalesRequest:
    """质检不通过: needs a reason and photos, and hands the request back to the buyer."""
    _check_refusal(reason, explanation, _("Explain why the goods failed inspection."))
    if not files:
        raise InvalidInput(_("Add at least one photo showing why the goods failed inspection."))
    return apply_transition(
        request,
        actor=actor,
        action="fail_inspection",
        apply=lambda req: req.fail_inspection(),
        reason=reason,
        note=explanation,
        files=files,
        now=now,
    )


@transaction.atomic
def ship_replacement(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> AfterSalesRequest:
    """The returned goods passed inspection and the replacement is on its way (换货)."""
    return _ship(
        request,
        actor=actor,
        action="ship_replacement",
        purpose=Shipment.Purpose.REPLACEMENT,
        carrier=carrier,
        tracking_number=tracking_number,
        apply=lambda req: req.ship_replacement(),
        now=now,
    )


@transaction.atomic
def ship_repaired(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> AfterSalesRequest:
    return _ship(
        request,
        actor=actor,
        action="ship_repaired",
        purpose=Shipment.Purpose.REPAIRED,
        carrier=carrier,
        tracking_number=tracking_number,
        apply=lambda req: req.ship_repaired(),
        now=now,
    )


@transaction.atomic
def confirm_delivery(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    """The buyer has the replacement or repaired item (the system confirms at the deadline)."""

    def record(req: AfterSalesRequest, event: RequestEvent) -> None:
        req.shipments.filter(
            purpose__in=[Shipment.Purpose.REPLACEMENT, Shipment.Purpose.REPAIRED],
            received_at__isnull=True,
        ).update(received_at=now or timezone.now())

    return apply_transition(
        request,
        actor=actor,
        action="confirm_delivery",
        apply=lambda req: req.confirm_delivery(),
        now=now,
        then=record,
    )


@transaction.atomic
def close_for_timeout(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The buyer let their deadline pass (answer a proposal or rejection, ship back)."""
    return apply_transition(
        request,
        actor=actor,
        action="close_for_timeout",
        apply=lambda req: req.close_for_timeout(),
        now=now,
        then=_lapse_pending_proposal,
    )


# --- the thread ------------------------------------------------------------------------------


@transaction.atomic
def post_message(
    *,
    request: AfterSalesRequest,
    actor: Actor,
    body: str,
    files: Sequence[PreparedFile] = (),
    now: datetime | None = None,
) -> Message:
    """Add to the negotiation thread (协商历史). Parties and staff may write while it is open."""
    request = _lock(request)
    role = _check_role(actor, request, PARTIES)
    if not request.is_open:
        raise StaleAction(_("This request is finished; the conversation is closed."))
    if not body.strip():
        raise InvalidInput(_("Write a message first."))
    message = Message.objects.create(
        request=request, author=actor, author_role=role, body=body, created_at=now or timezone.now()
    )
    _store_evidence(request, files, uploader=actor, role=role, message=message)
    return message
