"""The buyer files, revises and withdraws a request (SPEC §3, §5)."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import OrderItem

from .. import deadlines, policy
from ..actors import Actor
from ..errors import ActionNotAllowed, Ineligible
from ..evidence import PreparedFile
from ..models import ZERO, Action, AfterSalesRequest, Kind, RequestEvent, Role
from . import automation
from .core import advance, attach_evidence, check_may, lock, notify_on_commit, write


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
    replacement: str = "",
    replacement_details: str = "",
    delivery_address: str = "",
    now: datetime | None = None,
) -> AfterSalesRequest:
    """File a request. The item row is locked so two submissions cannot both pass the checks."""
    now = now or timezone.now()
    item = OrderItem.objects.select_for_update().select_related("order__shop").get(pk=order_item.pk)
    order = item.order
    if getattr(buyer, "pk", None) != order.buyer_id:
        raise ActionNotAllowed()
    if not Kind(kind).is_money:
        refund_amount = ZERO
    policy.check_eligibility(
        item, kind=kind, reason=reason, quantity=quantity, refund_amount=refund_amount, now=now
    )
    replacement, replacement_details, delivery_address = policy.exchange_terms(
        kind,
        replacement=replacement,
        details=replacement_details,
        delivery_address=delivery_address,
        order=order,
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
        out_of_warranty=kind == Kind.REPAIR and policy.out_of_warranty(item, now=now),
        replacement=replacement,
        replacement_details=replacement_details,
        delivery_address=delivery_address,
    )
    request.due_at, request.due_action = deadlines.next_deadline(request, now=now)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # the open-request constraint, if a race slipped past
        raise Ineligible(policy.ONE_OPEN_REQUEST) from exc
    event = RequestEvent.objects.create(
        request=request,
        actor=buyer,
        actor_role=Role.BUYER,
        action=Action.SUBMIT,
        from_state="",
        to_state=request.state,
        created_at=now,
    )
    attach_evidence(request, files, event=event)
    notify_on_commit(event)
    # The shop's rules may agree at once (售后自动化), in this same transaction.
    return automation.apply_on_submission(request, now=now) or request


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
    replacement: str = "",
    replacement_details: str = "",
    delivery_address: str = "",
    now: datetime | None = None,
) -> AfterSalesRequest:
    """Revise a rejected request and send it to the seller again (修改申请)."""
    now = now or timezone.now()
    if not Kind(kind).is_money:
        refund_amount = ZERO
    request = lock(request)
    role = check_may(actor, Action.RESUBMIT, request)
    policy.check_eligibility(
        request.order_item,
        kind=kind,
        reason=reason,
        quantity=quantity,
        refund_amount=refund_amount,
        now=now,
        replacing=request,
    )
    replacement, replacement_details, delivery_address = policy.exchange_terms(
        kind,
        replacement=replacement,
        details=replacement_details,
        delivery_address=delivery_address,
        order=request.order,
    )
    change = advance(
        request,
        Action.RESUBMIT,
        role=role,
        actor=actor,
        now=now,
        files=files,
        kind=kind,
        reason=reason,
        quantity=quantity,
        refund_amount=refund_amount,
        description=description,
        out_of_warranty=kind == Kind.REPAIR and policy.out_of_warranty(request.order_item, now=now),
        replacement=replacement,
        replacement_details=replacement_details,
        delivery_address=delivery_address,
    )
    write(change)
    return automation.apply_on_submission(request, now=now) or request


@transaction.atomic
def withdraw_request(
    *, request: AfterSalesRequest, actor: Actor, now: datetime | None = None
) -> AfterSalesRequest:
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.WITHDRAW, request)
    change = advance(request, Action.WITHDRAW, role=role, actor=actor, now=now)
    change.lapse_offers = True  # an offer still waiting for the buyer lapses
    write(change)
    return request
