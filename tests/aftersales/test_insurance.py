"""退货运费险: the insurer pays an insured return's postage when the parcel is signed for, once,
and the shop reimburses only what the buyer claimed beyond it (README "Return-shipping
insurance")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from aftersales import policy, services
from aftersales.models import (
    Action,
    Kind,
    LedgerEntry,
    Notification,
    Reason,
    RequestEvent,
    Role,
    Shipment,
    State,
)
from aftersales.payments import SimulatedGateway
from aftersales.services import arrivals, insurance
from aftersales.services.core import lock
from aftersales.sweep import sweep
from aftersales.templatetags.aftersales import notification_text
from orders.models import Insurance, Region
from tests.aftersales.factories import TRACKING, file_request
from tests.aftersales.test_money import race


def insure(item, *, how=Insurance.BOUGHT, region=Region.EAST):
    order = item.order
    order.return_insurance = how
    order.region = region
    order.save()


def shipped_back(item, *, reason=Reason.QUALITY_PROBLEM, fee="0.00", kind=Kind.RETURN_REFUND):
    request = file_request(item, kind=kind, reason=reason)
    seller = item.order.shop.members.first().user
    request = services.approve_request(request=request, actor=seller)
    return services.ship_return(
        request=request, actor=item.order.buyer, shipping_fee=Decimal(fee), **TRACKING
    )


def return_parcel(request):
    return request.shipments.get(purpose=Shipment.Purpose.RETURN)


def sign_for(request, parcel=None):
    """What the tracking service does when the carrier reports the parcel signed for: lock
    the request, note the time, call the hook."""
    parcel = parcel or return_parcel(request)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(request)
        Shipment.objects.filter(pk=parcel.pk).update(signed_at=now)
        parcel.refresh_from_db()
        insurance.claim_on_sign_for(locked, parcel, now=now)


def claims():
    return list(
        LedgerEntry.objects.filter(type=LedgerEntry.Type.INSURANCE_CLAIM).values_list(
            "amount", flat=True
        )
    )


@pytest.mark.django_db
def test_an_insured_return_signed_for_pays_the_claim_once(item, django_capture_on_commit_callbacks):
    # given an insured order in East China, its quality return shipped back
    insure(item, region=Region.EAST)
    request = shipped_back(item)

    # when the parcel is signed for, and the carrier reports it again
    with django_capture_on_commit_callbacks(execute=True):
        sign_for(request)
    with django_capture_on_commit_callbacks(execute=True):
        sign_for(request)

    # then the insurer paid ¥8 once, through the gateway, to the order's payment method
    claim = LedgerEntry.objects.get(type=LedgerEntry.Type.INSURANCE_CLAIM)
    assert claim.amount == Decimal("8.00")
    assert claim.idempotency_key == f"request-{request.pk}-insurance"
    assert claim.status == LedgerEntry.Status.PAID
    assert claim.payment_method == item.order.payment_method
    assert [c.idempotency_key for c in SimulatedGateway.calls] == [claim.idempotency_key]
    # not the item's price: the refund cap is untouched
    item.refresh_from_db()
    assert item.refunded_amount == Decimal("0.00")
    # the system logged it on the timeline, the buyer is told, the request did not move
    event = RequestEvent.objects.get(action=Action.INSURANCE_CLAIM)
    assert event.actor is None and event.actor_role == Role.SYSTEM
    assert event.to_state == event.from_state == State.RETURN_SHIPPED
    assert Notification.objects.filter(event=event, recipient=item.order.buyer).exists()


@pytest.mark.django_db
def test_a_second_parcel_signed_for_pays_no_second_claim(item):
    insure(item)
    request = shipped_back(item)
    first = return_parcel(request)
    second = Shipment.objects.create(
        request=request,
        shipped_at=timezone.now(),
        purpose=Shipment.Purpose.RETURN,
        carrier=TRACKING["carrier"],
        tracking_number="SF1234567890999",
        shipped_by=item.order.buyer,
    )

    sign_for(request, first)
    sign_for(request, second)

    assert claims() == [Decimal("8.00")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "amount"),
    [(Region.EAST, "8.00"), (Region.NORTHWEST, "15.00"), (Region.REMOTE, "25.00"), ("", "10.00")],
)
def test_the_claim_is_the_table_amount_for_the_region(item, settings, region, amount):
    insure(item, how=Insurance.SHOP_GIFT, region=region)
    request = shipped_back(item)

    sign_for(request)

    assert claims() == [Decimal(amount)]
    assert settings.RETURN_INSURANCE_CLAIMS[region] == Decimal(amount)


@pytest.mark.django_db
def test_an_uninsured_order_gets_no_claim(item):
    request = shipped_back(item)

    sign_for(request)

    assert claims() == []
    assert not RequestEvent.objects.filter(action=Action.INSURANCE_CLAIM).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Kind.EXCHANGE, Kind.REPAIR])
def test_exchanges_and_warranty_repairs_are_covered(item, kind):
    insure(item)
    request = shipped_back(item, kind=kind)

    sign_for(request)

    assert claims() == [Decimal("8.00")]


@pytest.mark.django_db
def test_a_paid_repair_is_not_covered(item):
    """After the warranty the buyer pays for the repair as a whole, postage included."""
    insure(item)
    request = file_request(item, kind=Kind.REPAIR)
    request.out_of_warranty = True

    assert not policy.insurance_covers(request)
    assert policy.insurance_claim(request) == Decimal("0.00")


@pytest.mark.django_db
def test_a_refund_only_is_not_covered(item):
    insure(item)
    request = file_request(item, kind=Kind.REFUND_ONLY)

    assert not policy.insurance_covers(request)


# --- who pays the postage: insurer first, the shop the rest --------------------------------


@pytest.mark.django_db
def test_seller_fault_insured_return_the_shop_pays_only_the_remainder(
    item, seller, django_capture_on_commit_callbacks
):
    # given an insured quality return (the shop owes postage) with ¥12 claimed, ¥8 insured
    insure(item, region=Region.EAST)
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="12.00")

    # when it is signed for and the seller confirms receipt
    with django_capture_on_commit_callbacks(execute=True):
        sign_for(request)
        services.confirm_return_received(request=request, actor=seller)

    # then the insurer pays ¥8 and the shop only the ¥4 beyond it: ¥12 in all, once
    rows = dict(LedgerEntry.objects.values_list("type", "amount"))
    assert rows == {
        LedgerEntry.Type.INSURANCE_CLAIM: Decimal("8.00"),
        LedgerEntry.Type.SHIPPING_REIMBURSEMENT: Decimal("4.00"),
    }


@pytest.mark.django_db
def test_receipt_before_the_sign_for_still_deducts_the_insurance(item, seller):
    insure(item, region=Region.NORTHWEST)  # ¥15 insured
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="20.00")

    services.confirm_return_received(request=request, actor=seller)
    sign_for(request)

    rows = dict(LedgerEntry.objects.values_list("type", "amount"))
    assert rows == {
        LedgerEntry.Type.SHIPPING_REIMBURSEMENT: Decimal("5.00"),
        LedgerEntry.Type.INSURANCE_CLAIM: Decimal("15.00"),
    }


@pytest.mark.django_db
def test_goods_received_with_no_sign_for_reported_pay_the_claim_then(item, seller):
    """No tracking, or a push lost: the insurer still pays, once, when the goods arrive."""
    insure(item, region=Region.EAST)
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="12.00")

    services.confirm_return_received(request=request, actor=seller)
    sign_for(request)  # a late push finds it paid

    rows = sorted(LedgerEntry.objects.values_list("type", "amount"))
    assert rows == [
        (LedgerEntry.Type.INSURANCE_CLAIM, Decimal("8.00")),
        (LedgerEntry.Type.SHIPPING_REIMBURSEMENT, Decimal("4.00")),
    ]


@pytest.mark.django_db
def test_the_sweep_refunding_an_unsigned_insured_return_pays_the_claim_once(item):
    insure(item, region=Region.NORTH)
    request = shipped_back(item, reason=Reason.CHANGED_MIND)
    later = request.due_at + timedelta(minutes=1)

    sweep(now=later)
    sweep(now=later)

    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert claims() == [Decimal("10.00")]


@pytest.mark.django_db
def test_postage_below_the_claim_costs_the_shop_nothing(item, seller):
    insure(item, region=Region.EAST)
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="6.00")

    sign_for(request)
    services.confirm_return_received(request=request, actor=seller)

    assert list(LedgerEntry.objects.values_list("type", "amount")) == [
        (LedgerEntry.Type.INSURANCE_CLAIM, Decimal("8.00"))
    ]


@pytest.mark.django_db
def test_no_reason_insured_return_the_insurer_pays_the_shop_nothing(item, seller):
    insure(item, how=Insurance.SHOP_GIFT, region=Region.SOUTH)
    request = shipped_back(item, reason=Reason.CHANGED_MIND)

    sign_for(request)
    services.confirm_return_received(request=request, actor=seller)

    assert list(LedgerEntry.objects.values_list("type", "amount")) == [
        (LedgerEntry.Type.INSURANCE_CLAIM, Decimal("10.00"))
    ]


@pytest.mark.django_db
def test_uninsured_seller_fault_return_the_shop_pays_it_all(item, seller):
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="12.00")

    sign_for(request)
    services.confirm_return_received(request=request, actor=seller)

    assert list(LedgerEntry.objects.values_list("type", "amount")) == [
        (LedgerEntry.Type.SHIPPING_REIMBURSEMENT, Decimal("12.00"))
    ]


@pytest.mark.django_db
def test_the_sweep_refunding_without_receipt_deducts_the_insurance(item):
    insure(item, region=Region.EAST)
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="10.00")
    sign_for(request)

    services.refund_without_receipt(request=request)

    rows = sorted(LedgerEntry.objects.values_list("type", "amount"))
    assert rows == [
        (LedgerEntry.Type.INSURANCE_CLAIM, Decimal("8.00")),
        (LedgerEntry.Type.REFUND, Decimal("100.00")),
        (LedgerEntry.Type.SHIPPING_REIMBURSEMENT, Decimal("2.00")),
    ]


# --- the race: two tracking pushes and the seller at the same moment (PostgreSQL) -----------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sign_for_pushes_racing_the_seller_pay_the_postage_once(item, seller):
    # given an insured quality return with ¥12 postage claimed (¥8 insured)
    insure(item, region=Region.EAST)
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="12.00")
    parcel = return_parcel(request)

    def push():
        with transaction.atomic():
            locked = lock(request)
            arrivals.parcel_signed_for(locked, parcel, now=timezone.now())

    def confirm():
        return services.confirm_return_received(request=request, actor=seller)

    # when two tracking pushes and the seller's confirmation arrive together
    outcomes = race(push, push, confirm)

    # then nothing failed, one claim was paid, and the shop paid only the remainder
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert claims() == [Decimal("8.00")]
    rows = sorted(LedgerEntry.objects.values_list("type", "amount"))
    assert rows == [
        (LedgerEntry.Type.INSURANCE_CLAIM, Decimal("8.00")),
        (LedgerEntry.Type.SHIPPING_REIMBURSEMENT, Decimal("4.00")),
    ]
    # logged by the sign-for that paid it; none if the seller's receipt paid it first
    assert RequestEvent.objects.filter(action=Action.INSURANCE_CLAIM).count() <= 1


# --- the pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_both_sides_see_the_claim_as_its_own_line(item, buyer, seller, client):
    insure(item, how=Insurance.SHOP_GIFT, region=Region.NORTHWEST)
    request = shipped_back(item, reason=Reason.QUALITY_PROBLEM, fee="20.00")
    sign_for(request)

    client.force_login(buyer)
    page = client.get(reverse("buyer:request_detail", args=[request.pk])).content.decode()
    assert 'id="insurance-claim"' in page
    assert "Return-shipping insurance claim ¥15.00, paid by the insurer to your" in page
    assert "This order has return-shipping insurance: given by the shop (退货宝)." in page
    # the refund the buyer asked for is still ahead: the claim is no refund
    assert "You asked for ¥100.00. If the request succeeds" in page

    client.force_login(seller)
    page = client.get(reverse("seller:request_detail", args=[request.pk])).content.decode()
    assert "Return-shipping insurance claim ¥15.00, paid to the buyer by the insurer" in page
    assert "This order has return-shipping insurance" in page


@pytest.mark.django_db
def test_the_seller_page_says_it_in_chinese(item, seller, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    insure(item, how=Insurance.SHOP_GIFT)
    request = shipped_back(item)
    sign_for(request)
    client.force_login(seller)

    page = client.get(
        reverse("seller:request_detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "该订单有退货运费险（退货宝，店铺赠送）" in page


@pytest.mark.django_db
def test_the_ship_back_form_tells_an_insured_buyer_what_the_insurance_pays(item, buyer, client):
    insure(item, region=Region.EAST)
    seller = item.order.shop.members.first().user
    request = services.approve_request(
        request=file_request(item, reason=Reason.QUALITY_PROBLEM), actor=seller
    )
    client.force_login(buyer)

    page = client.get(reverse("buyer:request_detail", args=[request.pk])).content.decode()

    assert 'id="insurance-notice"' in page
    assert "the insurer pays you ¥8.00 for the postage" in page
    assert "The insurance pays ¥8.00 of it when the parcel is signed for" in page


@pytest.mark.django_db
def test_an_uninsured_buyer_is_told_nothing_of_insurance(item, buyer, client):
    seller = item.order.shop.members.first().user
    request = services.approve_request(request=file_request(item), actor=seller)
    client.force_login(buyer)

    page = client.get(reverse("buyer:request_detail", args=[request.pk])).content.decode()

    assert "insurance" not in page.lower()


@pytest.mark.django_db
def test_the_order_list_marks_insured_orders(item, buyer, client):
    insure(item)
    client.force_login(buyer)

    page = client.get(reverse("home")).content.decode()

    assert 'class="badge insured"' in page


@pytest.mark.django_db
def test_the_buyer_is_told_how_much_the_insurer_paid_and_where(item, buyer):
    insure(item, region=Region.REMOTE)
    request = shipped_back(item)
    sign_for(request)

    notification = Notification.objects.get(event__action=Action.INSURANCE_CLAIM)

    assert notification.recipient == buyer
    assert notification_text(notification) == (
        "System paid the return-shipping insurance claim: ¥25.00 for your return postage, "
        "to Alipay. It usually arrives within 1 day(s)."
    )


@pytest.mark.django_db
def test_a_claim_paid_at_receipt_shows_too(item, buyer, seller, client):
    insure(item)
    request = shipped_back(item, reason=Reason.CHANGED_MIND)
    services.confirm_return_received(request=request, actor=seller)  # no sign-for reported

    for user, url in ((buyer, "buyer:request_detail"), (seller, "seller:request_detail")):
        client.force_login(user)
        page = client.get(reverse(url, args=[request.pk])).content.decode()
        assert 'id="insurance-claim"' in page
