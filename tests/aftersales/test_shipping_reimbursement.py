from decimal import Decimal

import pytest

from aftersales import services
from aftersales.errors import InvalidInput
from aftersales.models import Kind, LedgerEntry, Reason, State
from tests.aftersales.factories import TRACKING, file_request


def shipped_back(item, *, reason, fee):
    request = file_request(item, kind=Kind.RETURN_REFUND, reason=reason)
    seller = item.order.shop.members.first().user
    request = services.approve_request(request=request, actor=seller)
    return services.ship_return(
        request=request, actor=item.order.buyer, shipping_fee=Decimal(fee), **TRACKING
    )


@pytest.mark.django_db
def test_seller_reimburses_return_shipping_once_the_goods_arrive(
    item, seller, django_capture_on_commit_callbacks
):
    # given a quality return shipped back with ¥12 postage claimed
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="12.00")
    assert not LedgerEntry.objects.filter(type=LedgerEntry.Type.SHIPPING_REIMBURSEMENT).exists()

    # when the seller confirms receipt
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_return_received(request=request, actor=seller)

    # then the buyer gets the postage back, once, separately from the refund
    reimbursement = LedgerEntry.objects.get(type=LedgerEntry.Type.SHIPPING_REIMBURSEMENT)
    assert reimbursement.amount == Decimal("12.00")
    assert reimbursement.status == LedgerEntry.Status.PAID
    item.refresh_from_db()
    assert item.refunded_amount == Decimal("0.00")


@pytest.mark.django_db
def test_unconfirmed_return_is_refunded_with_its_postage(item):
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="8.50")

    request = services.refund_without_receipt(request=request)

    assert request.state == State.REFUNDED
    types = sorted(LedgerEntry.objects.values_list("type", "amount"))
    assert types == [
        (LedgerEntry.Type.REFUND, Decimal("100.00")),
        (LedgerEntry.Type.SHIPPING_REIMBURSEMENT, Decimal("8.50")),
    ]


@pytest.mark.django_db
def test_no_reason_returns_cannot_claim_postage(item):
    with pytest.raises(InvalidInput):
        shipped_back(item, reason=Reason.CHANGED_MIND, fee="10.00")
    assert item.aftersales_requests.get().state == State.AWAITING_RETURN


@pytest.mark.django_db
@pytest.mark.parametrize("fee", ["-1.00", "30.01"])
def test_postage_claims_outside_the_limit_are_refused(item, fee):
    with pytest.raises(InvalidInput):
        shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee=fee)
    assert item.aftersales_requests.get().state == State.AWAITING_RETURN


@pytest.mark.django_db
def test_shop_that_pays_no_reason_shipping_reimburses_it(item, seller):
    item.order.shop.pays_no_reason_return_shipping = True
    item.order.shop.save()
    request = shipped_back(item, reason=Reason.CHANGED_MIND, fee="10.00")

    services.confirm_return_received(request=request, actor=seller)

    assert LedgerEntry.objects.get().type == LedgerEntry.Type.SHIPPING_REIMBURSEMENT
