"""极速退款 (issue 15): a trusted buyer's return is refunded when the carrier picks it up, paid
by the platform; the shop is charged when the goods are signed for; when they never arrive or
fail inspection the platform steps in and can recover the money. Never two refunds."""

import re
import time
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from aftersales import services
from aftersales.errors import InvalidInput, StaleAction
from aftersales.models import (
    Action,
    AfterSalesRequest,
    Dispute,
    Kind,
    LedgerEntry,
    Notification,
    RejectionReason,
    Ruling,
    State,
    TrustLevel,
)
from aftersales.payments import SimulatedGateway
from aftersales.sweep import sweep
from orders.models import OrderItem
from tests.aftersales.factories import photo, request_in
from tests.aftersales.fast_refund_helpers import (
    LOST_AFTER,
    give_history,
    pick_up,
    sign_for,
)
from tests.aftersales.test_money import race

pytestmark = pytest.mark.django_db

HUNDRED = Decimal("100.00")
A_MINUTE = timedelta(minutes=1)


@pytest.fixture
def trusted(buyer, shop, item):
    give_history(buyer, shop)
    return buyer


@pytest.fixture
def on_its_way(trusted, item):
    """A trusted buyer's ¥100 return, shipped back."""
    return request_in(State.RETURN_SHIPPED, item)


def refunded(item) -> Decimal:
    return OrderItem.objects.get(pk=item.pk).refunded_amount


def money(request) -> list[tuple[str, Decimal]]:
    return list(
        LedgerEntry.objects.filter(request=request).order_by("pk").values_list("type", "amount")
    )


def actions(request) -> list[str]:
    return list(request.events.order_by("pk").values_list("action", flat=True))


# --- the advance on pickup --------------------------------------------------------------------


def test_a_trusted_buyers_return_is_refunded_on_pickup(
    on_its_way, item, buyer, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        request = pick_up(on_its_way, now=now)

    advance = LedgerEntry.objects.get(request=request)
    assert (advance.type, advance.amount) == (LedgerEntry.Type.FAST_REFUND, HUNDRED)
    assert advance.idempotency_key == f"request-{request.pk}-refund"  # the refund's own key
    assert advance.status == LedgerEntry.Status.PAID
    assert [(c.amount, c.charge) for c in SimulatedGateway.calls] == [(HUNDRED, False)]
    assert refunded(item) == HUNDRED  # counted against the cap
    # the request stays with the seller, who still receives and inspects the goods
    assert request.state == State.RETURN_SHIPPED
    assert request.fast_refund_at == now
    assert actions(request)[-1] == Action.FAST_REFUND
    assert request.events.last().actor_role == "system"
    assert Notification.objects.filter(recipient=buyer, event=request.events.last()).exists()
    # the parcel must now be signed for in time, or the platform steps in
    assert request.due_action == Action.ESCALATE_UNDELIVERED
    assert request.due_at == now + LOST_AFTER


def test_a_new_buyer_waits_for_the_seller(item, buyer):
    request = request_in(State.RETURN_SHIPPED, item)  # one item, one request: ordinary
    request = pick_up(request)
    assert request.fast_refund_at is None
    assert money(request) == []
    assert request.due_action == Action.REFUND_WITHOUT_RECEIPT


def test_a_refund_above_the_limit_waits_for_the_seller(on_its_way, settings):
    settings.FAST_REFUND_LIMIT = Decimal("99.99")
    request = pick_up(on_its_way)
    assert request.fast_refund_at is None and money(request) == []


def test_the_trust_level_setting_decides(on_its_way, settings):
    settings.FAST_REFUND_MIN_TRUST = TrustLevel.EXCELLENT
    assert pick_up(on_its_way).fast_refund_at is None


def test_an_exchange_is_not_fast_refunded(trusted, item):
    request = request_in(State.RETURN_SHIPPED, item, kind=Kind.EXCHANGE)
    assert pick_up(request).fast_refund_at is None
    assert money(request) == []


def test_goods_the_seller_already_has_are_not_fast_refunded(trusted, item, seller):
    request = request_in(State.RETURN_SHIPPED, item)
    services.confirm_return_received(request=request, actor=seller)
    assert pick_up(request).fast_refund_at is None  # a late scan of the parcel
    assert money(request) == []


def test_a_second_pickup_scan_pays_nothing_more(on_its_way, item):
    first = pick_up(on_its_way)
    again = pick_up(on_its_way, now=timezone.now() + timedelta(hours=1))
    assert again.fast_refund_at == first.fast_refund_at
    assert money(on_its_way) == [(LedgerEntry.Type.FAST_REFUND, HUNDRED)]
    assert refunded(item) == HUNDRED


# --- the advance is the refund: no path pays it again -----------------------------------------


def test_passing_inspection_after_a_fast_refund_pays_nothing_more(on_its_way, item, seller):
    pick_up(on_its_way)
    sign_for(on_its_way)
    services.confirm_return_received(request=on_its_way, actor=seller)
    request = services.pass_inspection(request=on_its_way, actor=seller)

    assert request.state == State.REFUNDED
    assert money(request) == [
        (LedgerEntry.Type.FAST_REFUND, HUNDRED),
        (LedgerEntry.Type.SHOP_SETTLEMENT, HUNDRED),
    ]
    assert refunded(item) == HUNDRED


def test_inspection_deemed_passed_by_the_sweep_pays_nothing_more(on_its_way, item, seller):
    pick_up(on_its_way)
    sign_for(on_its_way)
    request = services.confirm_return_received(request=on_its_way, actor=seller)
    request.refresh_from_db()
    sweep(now=request.due_at + A_MINUTE)

    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert [t for t, _ in money(request)] == [
        LedgerEntry.Type.FAST_REFUND,
        LedgerEntry.Type.SHOP_SETTLEMENT,
    ]
    assert refunded(item) == HUNDRED


def test_refund_without_receipt_after_a_fast_refund_pays_nothing_more(on_its_way, item):
    pick_up(on_its_way)
    request = sign_for(on_its_way)
    assert request.due_action == Action.REFUND_WITHOUT_RECEIPT  # the seller's receipt deadline

    sweep(now=request.due_at + A_MINUTE)

    request.refresh_from_db()
    assert request.state == State.REFUNDED
    assert [t for t, _ in money(request)] == [
        LedgerEntry.Type.FAST_REFUND,
        LedgerEntry.Type.SHOP_SETTLEMENT,
    ]
    assert refunded(item) == HUNDRED


def test_the_ordinary_refund_row_could_not_be_written_anyway(on_its_way):
    """The last line of defence: the advance holds the refund's idempotency key."""
    from django.db import IntegrityError

    from aftersales.services import ledger

    pick_up(on_its_way)
    row = ledger.entry(
        on_its_way,
        type=LedgerEntry.Type.REFUND,
        amount=Decimal("1.00"),
        key=f"request-{on_its_way.pk}-refund",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_a_fast_refunded_request_cannot_be_withdrawn(on_its_way, buyer):
    request = pick_up(on_its_way)
    assert Action.WITHDRAW not in request.available_actions("buyer")
    with pytest.raises(StaleAction):
        services.withdraw_request(request=request, actor=buyer)


# --- settlement with the shop -----------------------------------------------------------------


def test_the_shop_is_charged_once_when_the_goods_are_signed_for(
    on_its_way, shop, django_capture_on_commit_callbacks
):
    pick_up(on_its_way)
    SimulatedGateway.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = sign_for(on_its_way)
        sign_for(on_its_way, now=timezone.now() + A_MINUTE)  # a repeated push

    settlement = LedgerEntry.objects.get(request=request, type=LedgerEntry.Type.SHOP_SETTLEMENT)
    assert settlement.amount == HUNDRED
    assert settlement.idempotency_key == f"request-{request.pk}-settlement"
    assert [(c.amount, c.shop_id, c.charge) for c in SimulatedGateway.calls] == [
        (HUNDRED, shop.pk, True)
    ]
    assert actions(request).count(Action.SETTLE_FAST_REFUND) == 1
    assert request.state == State.RETURN_SHIPPED
    assert request.due_action == Action.REFUND_WITHOUT_RECEIPT


def test_sign_for_without_an_advance_charges_nobody(item, buyer):
    request = request_in(State.RETURN_SHIPPED, item)
    sign_for(request)
    assert money(request) == []


# --- goods that never arrive ------------------------------------------------------------------


def test_goods_never_signed_for_go_to_the_platform(on_its_way, buyer, seller):
    now = timezone.now()
    pick_up(on_its_way, now=now)

    sweep(now=now + LOST_AFTER - A_MINUTE)
    on_its_way.refresh_from_db()
    assert on_its_way.state == State.RETURN_SHIPPED

    sweep(now=now + LOST_AFTER + A_MINUTE)
    request = AfterSalesRequest.objects.get(pk=on_its_way.pk)
    assert request.state == State.DISPUTED
    dispute = request.disputes.get()
    assert dispute.reason == Dispute.Reason.GOODS_NEVER_ARRIVED
    assert dispute.opened_by_role == "system"
    assert request.events.last().action == Action.ESCALATE_UNDELIVERED
    assert Notification.objects.filter(event=request.events.last(), recipient=buyer).exists()
    assert Notification.objects.filter(event=request.events.last(), recipient=seller).exists()


def test_the_one_request_path_escalates_too(on_its_way):
    now = timezone.now()
    pick_up(on_its_way, now=now)
    request = services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)
    assert request.state == State.DISPUTED
    assert request.disputes.get().reason == Dispute.Reason.GOODS_NEVER_ARRIVED


def test_without_a_fast_refund_there_is_no_such_escalation(item, buyer):
    request = request_in(State.RETURN_SHIPPED, item)
    with pytest.raises(StaleAction):
        services.escalate_undelivered(request=request)


def rule(request, arbitrator, outcome, **amounts):
    return services.rule_dispute(
        dispute=request.disputes.get(status=Dispute.Status.OPEN),
        actor=arbitrator,
        outcome=outcome,
        rationale="The carrier's trace ends at the buyer's door.",
        **amounts,
    )


def test_a_ruling_for_the_seller_recovers_the_advance(
    on_its_way, item, buyer, arbitrator, django_capture_on_commit_callbacks
):
    now = timezone.now()
    pick_up(on_its_way, now=now)
    services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)
    SimulatedGateway.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        rule(on_its_way, arbitrator, Ruling.Outcome.FOR_SELLER)

    request = AfterSalesRequest.objects.get(pk=on_its_way.pk)
    assert request.state == State.CLOSED
    assert money(request) == [
        (LedgerEntry.Type.FAST_REFUND, HUNDRED),
        (LedgerEntry.Type.RECOVERY, HUNDRED),  # nothing settled: nothing to give the shop back
    ]
    recovery = LedgerEntry.objects.get(request=request, type=LedgerEntry.Type.RECOVERY)
    assert recovery.idempotency_key == f"request-{request.pk}-recovery"
    assert [(c.amount, c.charge, c.method) for c in SimulatedGateway.calls] == [
        (HUNDRED, True, item.order.payment_method)  # charged to the buyer's payment method
    ]
    assert refunded(item) == 0  # the cap is honest again
    assert actions(request)[-2:] == [Action.RULE, Action.RECOVER_FAST_REFUND]
    standing = buyer.standing
    standing.refresh_from_db()
    assert standing.fast_refunds_lost == 1
    assert standing.level == TrustLevel.ORDINARY


def test_a_refund_ruling_lets_the_buyer_keep_the_advance(on_its_way, item, arbitrator):
    now = timezone.now()
    pick_up(on_its_way, now=now)
    services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)

    ruling = rule(
        on_its_way, arbitrator, Ruling.Outcome.REFUND, compensation_amount=Decimal("10.00")
    )

    request = AfterSalesRequest.objects.get(pk=on_its_way.pk)
    assert request.state == State.REFUNDED
    assert ruling.refund_amount == HUNDRED  # the advance stands as the refund
    assert money(request) == [
        (LedgerEntry.Type.FAST_REFUND, HUNDRED),
        (LedgerEntry.Type.COMPENSATION, Decimal("10.00")),
    ]
    assert refunded(item) == HUNDRED


@pytest.mark.parametrize("outcome", [Ruling.Outcome.RETURN_AND_REFUND, Ruling.Outcome.COMPENSATION])
def test_other_rulings_are_refused_after_a_fast_refund(on_its_way, arbitrator, outcome):
    now = timezone.now()
    pick_up(on_its_way, now=now)
    services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)

    with pytest.raises(InvalidInput, match="fast refund"):
        rule(
            on_its_way,
            arbitrator,
            outcome,
            refund_amount=HUNDRED,
            compensation_amount=Decimal("5.00"),
        )
    assert AfterSalesRequest.objects.get(pk=on_its_way.pk).state == State.DISPUTED
    assert on_its_way.disputes.get().status == Dispute.Status.OPEN


# --- goods that fail inspection ---------------------------------------------------------------


def fail(request, seller):
    return services.fail_inspection(
        request=request,
        actor=seller,
        reason=RejectionReason.USED,
        explanation="The tin came back crushed.",
        files=[photo()],
    )


def test_failed_inspection_after_a_fast_refund_goes_to_the_platform(on_its_way, seller, buyer):
    pick_up(on_its_way)
    sign_for(on_its_way)
    services.confirm_return_received(request=on_its_way, actor=seller)

    request = fail(on_its_way, seller)

    assert request.state == State.DISPUTED
    dispute = request.disputes.get()
    assert dispute.reason == Dispute.Reason.FAILED_AFTER_FAST_REFUND
    assert request.events.last().action == Action.FAIL_INSPECTION
    assert Notification.objects.filter(event=request.events.last(), recipient=buyer).exists()


def test_failed_inspection_without_a_fast_refund_goes_back_to_the_buyer(item, seller):
    request = request_in(State.INSPECTING, item)
    assert fail(request, seller).state == State.REJECTED


def test_recovery_after_settlement_makes_the_shop_whole(
    on_its_way, item, shop, seller, arbitrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pick_up(on_its_way)
        sign_for(on_its_way)
        services.confirm_return_received(request=on_its_way, actor=seller)
        fail(on_its_way, seller)
        rule(on_its_way, arbitrator, Ruling.Outcome.FOR_SELLER)

    request = AfterSalesRequest.objects.get(pk=on_its_way.pk)
    assert request.state == State.CLOSED
    assert money(request) == [
        (LedgerEntry.Type.FAST_REFUND, HUNDRED),  # platform → buyer
        (LedgerEntry.Type.SHOP_SETTLEMENT, HUNDRED),  # shop → platform
        (LedgerEntry.Type.RECOVERY, HUNDRED),  # buyer → platform
        (LedgerEntry.Type.SETTLEMENT_RETURN, HUNDRED),  # platform → shop
    ]
    assert refunded(item) == 0
    calls = [
        (c.idempotency_key.rsplit("-", 1)[-1], c.charge, c.shop_id) for c in SimulatedGateway.calls
    ]
    assert calls == [
        ("refund", False, None),
        ("settlement", True, shop.pk),
        ("recovery", True, None),
        ("return", False, shop.pk),
    ]


# --- races on PostgreSQL: tracking, the sweep and people at the same moment ---------------------


def kinds_paid(request) -> list[str]:
    return sorted(LedgerEntry.objects.filter(request=request).values_list("type", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pickup_pushes_at_once_advance_once(on_its_way, item):
    outcomes = race(lambda: pick_up(on_its_way), lambda: pick_up(on_its_way))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert kinds_paid(on_its_way) == [LedgerEntry.Type.FAST_REFUND]
    assert refunded(item) == HUNDRED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pickup_racing_the_sweeps_refund_pays_once(on_its_way, item):
    # given: the seller's receipt deadline has passed just as the carrier scans the parcel
    due = timezone.now()
    AfterSalesRequest.objects.filter(pk=on_its_way.pk).update(due_at=due - A_MINUTE)

    def tracking():
        with transaction.atomic():
            pick_up(on_its_way, now=due)
            time.sleep(0.2)  # hold the request while the sweep comes for it

    outcomes = race(tracking, lambda: sweep(now=due))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    paid = kinds_paid(on_its_way)
    # whichever came first, the request is refunded exactly once
    assert paid in ([LedgerEntry.Type.FAST_REFUND], [LedgerEntry.Type.REFUND]), paid
    assert refunded(item) == HUNDRED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pickup_racing_the_sellers_receipt_and_inspection_pays_once(on_its_way, item, seller):
    def seller_works():
        request = services.confirm_return_received(request=on_its_way, actor=seller)
        return services.pass_inspection(request=request, actor=seller)

    outcomes = race(lambda: pick_up(on_its_way), seller_works)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert AfterSalesRequest.objects.get(pk=on_its_way.pk).state == State.REFUNDED
    paid = kinds_paid(on_its_way)
    assert paid in ([LedgerEntry.Type.FAST_REFUND], [LedgerEntry.Type.REFUND]), paid
    assert refunded(item) == HUNDRED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sign_for_pushes_at_once_settle_once(on_its_way):
    pick_up(on_its_way)
    outcomes = race(lambda: sign_for(on_its_way), lambda: sign_for(on_its_way))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert kinds_paid(on_its_way) == sorted(
        [LedgerEntry.Type.FAST_REFUND, LedgerEntry.Type.SHOP_SETTLEMENT]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_late_signature_racing_the_ruling_leaves_everyone_square(on_its_way, item, arbitrator):
    # given: the parcel was declared lost and the platform rules for the seller just as the
    # carrier reports it signed for after all
    now = timezone.now()
    pick_up(on_its_way, now=now)
    services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)

    outcomes = race(
        lambda: sign_for(on_its_way),
        lambda: rule(on_its_way, arbitrator, Ruling.Outcome.FOR_SELLER),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    rows = dict(LedgerEntry.objects.filter(request=on_its_way).values_list("type", "amount"))
    buyer_net = rows.get("fast_refund", 0) - rows.get("recovery", 0)
    shop_net = rows.get("settlement_return", 0) - rows.get("shop_settlement", 0)
    assert (buyer_net, shop_net) == (0, 0), rows
    assert refunded(item) == 0


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def page_text(response) -> str:
    """The page's words, tags dropped, spaces collapsed."""
    assert response.status_code == 200
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_buyer_reads_why_the_refund_came_first(english, on_its_way, buyer, client):
    pick_up(on_its_way)
    client.force_login(buyer)
    shown = page_text(client.get(reverse("buyer:request_detail", args=[on_its_way.pk])))

    assert "Fast refund: your account is in good standing, so the platform advanced" in shown
    assert "Fast refund advanced by the platform ¥100.00 back to your Alipay" in shown
    assert "If the parcel is not signed for by then, the platform" in shown
    assert "Withdraw" not in shown


def test_the_buyer_sees_a_recovery_as_a_charge(english, on_its_way, buyer, arbitrator, client):
    now = timezone.now()
    pick_up(on_its_way, now=now)
    services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)
    rule(on_its_way, arbitrator, Ruling.Outcome.FOR_SELLER)
    client.force_login(buyer)
    shown = page_text(client.get(reverse("buyer:request_detail", args=[on_its_way.pk])))

    assert "Fast refund recovered from the buyer ¥100.00 charged to your Alipay" in shown
    assert "settled by the shop" not in shown  # between the shop and the platform


def test_the_seller_reads_that_the_platform_advanced_it(english, on_its_way, seller, client):
    pick_up(on_its_way)
    client.force_login(seller)
    url = reverse("seller:request_detail", args=[on_its_way.pk])
    shown = page_text(client.get(url))
    assert "The platform refunded the buyer ¥100.00 on" in shown
    assert "Your shop is charged ¥100.00 when the parcel is signed for." in shown

    sign_for(on_its_way)
    shown = page_text(client.get(url))
    assert "Fast refund settled by the shop ¥100.00" in shown
    assert "Your shop is charged" not in shown


def test_staff_see_advances_outstanding_and_rule_on_them(english, on_its_way, item, arbitrator):
    from django.test import Client

    from tests.orders.factories import OrderItemFactory

    now = timezone.now()
    pick_up(on_its_way, now=now)
    # another advance, already settled by its shop: not outstanding
    other = request_in(
        State.RETURN_SHIPPED,
        OrderItemFactory(order__buyer=item.order.buyer, order__shop=item.order.shop),
    )
    pick_up(other, now=now)
    sign_for(other, now=now)
    staff = Client()
    staff.force_login(arbitrator)

    listed = staff.get(reverse("admin:aftersales_ledgerentry_changelist") + "?advance=outstanding")
    shown = page_text(listed)
    assert f"#{on_its_way.pk} " in shown and f"#{other.pk} " not in shown
    assert "fast refund advanced by the platform" in shown

    services.escalate_undelivered(request=on_its_way, now=now + LOST_AFTER)
    dispute = on_its_way.disputes.get()
    case = page_text(staff.get(reverse("admin:aftersales_dispute_change", args=[dispute.pk])))
    assert "For the seller: recover the fast refund of ¥100.00 from the buyer" in case
    assert "Refund: the buyer keeps the fast refund of ¥100.00 already paid" in case
    assert "not settled by the shop yet" in case

    response = staff.post(
        reverse("admin:aftersales_dispute_rule", args=[dispute.pk]),
        {"outcome": "for_seller", "rationale": "The trace shows no hand-over to the carrier."},
    )
    assert response.status_code == 302
    assert kinds_paid(on_its_way) == sorted(
        [LedgerEntry.Type.FAST_REFUND, LedgerEntry.Type.RECOVERY]
    )
    listed = page_text(
        staff.get(reverse("admin:aftersales_ledgerentry_changelist") + "?advance=outstanding")
    )
    assert f"#{on_its_way.pk} " not in listed
