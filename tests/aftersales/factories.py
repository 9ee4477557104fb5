"""Requests are built the way users build them: through the services, step by step."""

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from aftersales import services
from aftersales.evidence import PreparedFile, prepare_photo
from aftersales.models import (
    AfterSalesRequest,
    Carrier,
    Dispute,
    Kind,
    Reason,
    RejectionReason,
    State,
)
from aftersales.payments import SimulatedGateway
from orders.models import OrderItem


def reset_gateway() -> None:
    SimulatedGateway.calls.clear()
    SimulatedGateway.fail_next = 0


def jpeg_upload(name: str = "photo.jpg", size=(64, 48), color="orange") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def photo(name: str = "photo.jpg") -> PreparedFile:
    return prepare_photo(jpeg_upload(name))


DEFAULT_REASON = {
    Kind.REFUND_ONLY: Reason.QUALITY_PROBLEM,
    Kind.RETURN_REFUND: Reason.QUALITY_PROBLEM,
    Kind.EXCHANGE: Reason.WRONG_SIZE,
    Kind.REPAIR: Reason.QUALITY_PROBLEM,
}

# The kind each state is reached with when the test does not say.
DEFAULT_KIND = {
    State.REPAIRING: Kind.REPAIR,
    State.REPAIR_SHIPPED: Kind.REPAIR,
    State.REPAIRED: Kind.REPAIR,
    State.REPLACEMENT_SHIPPED: Kind.EXCHANGE,
    State.EXCHANGED: Kind.EXCHANGE,
}

TRACKING = {"carrier": Carrier.SF, "tracking_number": "SF1234567890123"}


def file_request(
    item: OrderItem,
    *,
    kind: str = Kind.RETURN_REFUND,
    reason: str | None = None,
    quantity: int = 1,
    refund_amount: Decimal | None = None,
    files=(),
) -> AfterSalesRequest:
    kind = Kind(kind)
    if refund_amount is None:
        refund_amount = item.amount_paid * quantity / item.quantity if kind.is_money else Decimal(0)
    return services.submit_request(
        buyer=item.order.buyer,
        order_item=item,
        kind=kind,
        reason=reason or DEFAULT_REASON[kind],
        quantity=quantity,
        refund_amount=refund_amount,
        description="The lid of the tin was dented and the seal broken.",
        files=files,
    )


def request_in(state: str, item: OrderItem, *, kind: str | None = None) -> AfterSalesRequest:
    """A request on ``item`` brought to ``state`` along its kind's normal path."""
    kind = Kind(kind or DEFAULT_KIND.get(state, Kind.RETURN_REFUND))
    if state == State.REFUNDED and kind == Kind.RETURN_REFUND:
        kind = Kind.REFUND_ONLY  # the shortest way to a refund
    buyer = item.order.buyer
    seller = item.order.shop.members.first().user
    request = file_request(item, kind=kind)

    def step(target: str) -> bool:
        return request.state == target

    if state == State.SUBMITTED:
        return request
    if state == State.NEGOTIATING:
        return services.propose_solution(
            request=request,
            actor=seller,
            kind=Kind.REFUND_ONLY,
            refund_amount=Decimal("30.00"),
            compensation_amount=Decimal("0.00"),
            note="Keep the tin; we refund ¥30 for the dent.",
        )
    if state in (State.REJECTED, State.DISPUTED):
        request = services.reject_request(
            request=request,
            actor=seller,
            reason=RejectionReason.NO_EVIDENCE,
            explanation="The photos show no damage.",
        )
        if state == State.DISPUTED:
            services.escalate_to_platform(
                request=request,
                actor=buyer,
                reason=Dispute.Reason.UNFAIR_REJECTION,
                statement="The dent is clearly visible in my photos.",
            )
            request.refresh_from_db()
        return request
    if state == State.CLOSED:
        return services.withdraw_request(request=request, actor=buyer)
    request = services.approve_request(request=request, actor=seller)
    if step(state):
        return request
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    if step(state):
        return request
    request = services.confirm_return_received(request=request, actor=seller)
    if step(state):
        return request
    if kind == Kind.EXCHANGE:
        request = services.ship_replacement(
            request=request, actor=seller, carrier=Carrier.ZTO, tracking_number="73123456789012"
        )
    else:
        request = services.pass_inspection(request=request, actor=seller)
    if step(state):
        return request
    if kind == Kind.REPAIR:
        request = services.ship_repaired(
            request=request, actor=seller, carrier=Carrier.ZTO, tracking_number="73123456789012"
        )
        if step(state):
            return request
    request = services.confirm_delivery(request=request, actor=buyer)
    assert request.state == state, f"cannot reach {state} as {kind}: stopped at {request.state}"
    return request
