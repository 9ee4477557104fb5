"""Buyers' trust levels (issue 15): computed from their history, stored, refreshed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales import services, trust
from aftersales.models import BuyerStanding, LedgerEntry, Ruling, State, TrustLevel
from aftersales.services import ledger
from tests.aftersales.factories import request_in
from tests.aftersales.fast_refund_helpers import give_history
from tests.orders.factories import OrderItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("completed", "filed", "lost", "fast_lost", "level"),
    [
        (0, 0, 0, 0, TrustLevel.NEW),
        (1, 1, 0, 0, TrustLevel.ORDINARY),
        (4, 0, 0, 0, TrustLevel.ORDINARY),  # too little history for GOOD
        (5, 0, 0, 0, TrustLevel.GOOD),
        (8, 2, 1, 0, TrustLevel.GOOD),  # 25 %, one dispute lost
        (8, 3, 0, 0, TrustLevel.ORDINARY),  # 37.5 % after-sales
        (10, 1, 2, 0, TrustLevel.ORDINARY),  # two disputes lost
        (20, 2, 0, 0, TrustLevel.EXCELLENT),
        (20, 3, 0, 0, TrustLevel.GOOD),  # 15 %: good, not excellent
        (20, 0, 1, 0, TrustLevel.GOOD),
        (50, 0, 0, 1, TrustLevel.ORDINARY),  # a fast refund that had to be recovered
    ],
)
def test_the_levels_table(completed, filed, lost, fast_lost, level):
    assert (
        trust.level_for(
            orders_completed=completed,
            requests_filed=filed,
            disputes_lost=lost,
            fast_refunds_lost=fast_lost,
        )
        == level
    )


def test_fast_refunds_are_for_good_standing_and_above(settings):
    settings.FAST_REFUND_MIN_TRUST = TrustLevel.GOOD
    assert not trust.is_trusted(TrustLevel.ORDINARY)
    assert trust.is_trusted(TrustLevel.GOOD)
    assert trust.is_trusted(TrustLevel.EXCELLENT)


def test_a_buyer_without_history_is_new(buyer):
    standing = trust.standing_of(buyer.pk, now=timezone.now())
    assert standing.level == TrustLevel.NEW
    assert BuyerStanding.objects.get(buyer=buyer).orders_completed == 0


def test_standing_counts_the_buyers_own_history(item, buyer, shop, other_buyer):
    # given: ten delivered items, one not yet delivered, one request; another buyer's orders
    give_history(buyer, shop, items=9)
    OrderItemFactory(order__buyer=buyer, order__shop=shop, in_transit=True)
    request_in(State.SUBMITTED, item)
    give_history(other_buyer, shop, items=3)

    standing = trust.standing_of(buyer.pk, now=timezone.now())

    assert (standing.orders_completed, standing.requests_filed) == (10, 1)
    assert (standing.disputes_lost, standing.fast_refunds_lost) == (0, 0)
    assert standing.level == TrustLevel.GOOD


def test_a_dispute_lost_counts_once_ruled(item, buyer, shop, arbitrator):
    give_history(buyer, shop, items=24)  # 25 items, one request: excellent
    request = request_in(State.DISPUTED, item)
    assert trust.standing_of(buyer.pk, now=timezone.now()).level == TrustLevel.EXCELLENT

    services.rule_dispute(
        dispute=request.disputes.get(),
        actor=arbitrator,
        outcome=Ruling.Outcome.FOR_SELLER,
        rationale="The photos show no damage.",
    )

    # the ruling refreshed the stored standing by itself
    standing = BuyerStanding.objects.get(buyer=buyer)
    assert standing.disputes_lost == 1
    assert standing.level == TrustLevel.GOOD


def test_a_recovered_fast_refund_counts_against_the_buyer(item, buyer, shop):
    give_history(buyer, shop, items=24)
    request = request_in(State.DISPUTED, item)
    LedgerEntry.objects.create(
        request=request,
        order_item=item,
        type=LedgerEntry.Type.RECOVERY,
        amount=request.refund_amount,
        payment_method=item.order.payment_method,
        idempotency_key=f"request-{request.pk}-recovery",
    )
    standing = trust.standing_of(buyer.pk, now=timezone.now())
    assert standing.fast_refunds_lost == 1
    assert standing.level == TrustLevel.ORDINARY


def test_many_buyers_are_computed_in_a_fixed_number_of_queries(shop, django_assert_max_num_queries):
    buyers = [UserFactory() for _ in range(12)]
    for index, buyer in enumerate(buyers):
        give_history(buyer, shop, items=index)
    with django_assert_max_num_queries(2):  # the facts, the upsert
        rows = trust.refresh_standings([b.pk for b in buyers], now=timezone.now())
    assert sorted(row.orders_completed for row in rows) == list(range(12))
    assert BuyerStanding.objects.count() == 12
    assert BuyerStanding.objects.get(buyer=buyers[11]).level == TrustLevel.GOOD


def test_the_daily_pass_refreshes_only_stale_standings(buyer, other_buyer, shop):
    now = timezone.now()
    give_history(buyer, shop, items=6)
    give_history(other_buyer, shop, items=6)
    trust.refresh_standings([buyer.pk], now=now - timedelta(days=2))  # stale
    trust.refresh_standings([other_buyer.pk], now=now - timedelta(hours=2))  # fresh

    assert trust.refresh_stale(now=now) == 1

    assert BuyerStanding.objects.get(buyer=buyer).computed_at == now
    assert BuyerStanding.objects.get(buyer=other_buyer).computed_at == now - timedelta(hours=2)
    assert trust.refresh_stale(now=now) == 0


def test_the_beat_task_runs_the_pass(buyer, shop):
    from aftersales.tasks import refresh_trust_levels

    give_history(buyer, shop, items=1)
    assert refresh_trust_levels.delay().get() == 1
    assert BuyerStanding.objects.get(buyer=buyer).level == TrustLevel.ORDINARY


def test_a_recovery_lowers_the_refunded_total(item, buyer):
    """The ledger side of a recovery (see test_fast_refund for the whole story)."""
    request = request_in(State.DISPUTED, item)
    advance = ledger.fast_refund_advance(request)
    ledger.write_entries([advance])
    item.refresh_from_db()
    assert item.refunded_amount == request.refund_amount
    ledger.write_entries([ledger.recovery(request, advance)])
    item.refresh_from_db()
    assert item.refunded_amount == 0
