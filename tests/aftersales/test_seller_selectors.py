"""The seller's reads (issue 4): the dashboard counters, the queue and its filters, and the
buyer's history with the shop. Every read is limited to the shops the user is a member of."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Kind, Reason, State
from aftersales.selectors import buyer_history_count, seller_dashboard_counts, seller_queue
from orders.selectors import shops_for_member
from tests.aftersales.factories import file_request, request_in
from tests.orders.factories import OrderItemFactory, ShopMemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def set_due(request: AfterSalesRequest, due_at: datetime | None) -> AfterSalesRequest:
    AfterSalesRequest.objects.filter(pk=request.pk).update(due_at=due_at)
    request.refresh_from_db()
    return request


def set_created(request: AfterSalesRequest, created_at: datetime) -> AfterSalesRequest:
    AfterSalesRequest.objects.filter(pk=request.pk).update(created_at=created_at)
    request.refresh_from_db()
    return request


@pytest.fixture
def new_item(buyer, shop, seller):
    """A fresh delivered item of the shop, bought by ``buyer`` (or by whoever is given)."""

    def make(title: str = "Longjing green tea, 250 g tin", **order):
        order.setdefault("buyer", buyer)
        return OrderItemFactory(
            title=title, **{f"order__{k}": v for k, v in order.items()}, order__shop=shop
        )

    return make


@pytest.fixture
def other_shop_item(other_seller, buyer):
    """An item ``buyer`` bought from another shop, whose member is ``other_seller``."""
    return OrderItemFactory(
        order__buyer=buyer, order__shop=other_seller.shop_memberships.get().shop
    )


def shops_of(user) -> list[int]:
    """The user's shops, resolved once per page as the seller center does."""
    return [shop.pk for shop in shops_for_member(user)]


def pks(requests) -> list[int]:
    return [r.pk for r in requests]


# --- the dashboard counters --------------------------------------------------------------------


def test_counts_every_state_that_needs_the_seller(seller, new_item, other_shop_item):
    # given two waiting requests, one of each other seller state, and some that do not count
    for state in (
        State.SUBMITTED,
        State.SUBMITTED,
        State.RETURN_SHIPPED,
        State.INSPECTING,
        State.REPAIRING,
        State.DISPUTED,
        State.NEGOTIATING,  # the buyer's turn
        State.AWAITING_RETURN,  # the buyer's turn
        State.REFUNDED,  # finished
    ):
        request_in(state, new_item())
    request_in(State.SUBMITTED, other_shop_item)  # another shop's
    # when
    counts = seller_dashboard_counts(shops_of(seller), now=timezone.now())
    # then
    assert {state: counts[state] for state in counts if state not in ("due_soon", "overdue")} == {
        State.SUBMITTED: 2,
        State.RETURN_SHIPPED: 1,
        State.INSPECTING: 1,
        State.REPAIRING: 1,
        State.DISPUTED: 1,
    }


def test_counts_are_zero_for_an_empty_shop(seller):
    counts = seller_dashboard_counts(shops_of(seller), now=timezone.now())
    assert set(counts.values()) == {0}
    assert set(counts) == {
        *map(
            str,
            [
                State.SUBMITTED,
                State.RETURN_SHIPPED,
                State.INSPECTING,
                State.REPAIRING,
                State.DISPUTED,
            ],
        ),
        "due_soon",
        "overdue",
    }


def test_due_within_24_hours_and_overdue_count_the_sellers_deadlines_only(
    seller, new_item, other_shop_item
):
    # given the seller's deadlines at hand-picked moments around now
    now = timezone.now()
    for due_at in (
        now - timedelta(days=2),  # overdue
        now,  # overdue: the deadline is this very moment
        now + timedelta(minutes=1),  # due soon
        now + timedelta(hours=24),  # due soon: exactly 24 hours left
        now + timedelta(hours=24, seconds=1),  # later
        None,  # no deadline
    ):
        set_due(request_in(State.SUBMITTED, new_item()), due_at)
    set_due(request_in(State.INSPECTING, new_item()), now + timedelta(hours=3))  # due soon
    set_due(request_in(State.RETURN_SHIPPED, new_item()), now - timedelta(hours=3))  # overdue
    # and deadlines that are not the seller's: the buyer's turn, another shop's request
    set_due(request_in(State.NEGOTIATING, new_item()), now + timedelta(hours=1))
    set_due(request_in(State.AWAITING_RETURN, new_item()), now - timedelta(hours=1))
    set_due(request_in(State.SUBMITTED, other_shop_item), now + timedelta(hours=1))
    # when
    counts = seller_dashboard_counts(shops_of(seller), now=now)
    # then
    assert (counts["due_soon"], counts["overdue"]) == (3, 3)


def test_counts_cover_every_shop_the_user_belongs_to(seller, new_item, other_seller, buyer):
    # given the seller also works for a second shop
    second_shop = other_seller.shop_memberships.get().shop
    ShopMemberFactory(shop=second_shop, user=seller)
    request_in(State.SUBMITTED, new_item())
    request_in(State.SUBMITTED, OrderItemFactory(order__buyer=buyer, order__shop=second_shop))
    # then both count for the seller, and only the second shop's for its other member
    assert seller_dashboard_counts(shops_of(seller), now=timezone.now())[State.SUBMITTED] == 2
    assert seller_dashboard_counts(shops_of(other_seller), now=timezone.now())[State.SUBMITTED] == 1


def test_a_user_without_a_shop_counts_nothing(buyer, item):
    request_in(State.SUBMITTED, item)
    assert set(seller_dashboard_counts(shops_of(buyer), now=timezone.now()).values()) == {0}


# --- the queue ---------------------------------------------------------------------------------


def test_queue_is_sorted_by_deadline_soonest_first_and_no_deadline_last(seller, new_item):
    # given requests filed in this order, with deadlines that do not follow it
    late = set_due(request_in(State.SUBMITTED, new_item()), timezone.now() + timedelta(days=3))
    none_old = set_due(request_in(State.SUBMITTED, new_item()), None)
    overdue = set_due(request_in(State.INSPECTING, new_item()), timezone.now() - timedelta(hours=5))
    soon = set_due(
        request_in(State.RETURN_SHIPPED, new_item()), timezone.now() + timedelta(hours=2)
    )
    none_new = set_due(request_in(State.REFUNDED, new_item()), None)
    # then: by deadline, then the ones without one, newest first
    assert pks(seller_queue(shops_of(seller))) == pks([overdue, soon, late, none_new, none_old])


def test_queue_never_contains_another_shops_requests(
    seller, other_seller, new_item, other_shop_item
):
    mine = request_in(State.SUBMITTED, new_item())
    theirs = request_in(State.SUBMITTED, other_shop_item)
    assert pks(seller_queue(shops_of(seller))) == [mine.pk]
    assert pks(seller_queue(shops_of(other_seller))) == [theirs.pk]
    # not even when searching for it or filtering for exactly its state
    assert pks(seller_queue(shops_of(seller), search=theirs.order.number)) == []
    assert pks(seller_queue(shops_of(seller), state=State.SUBMITTED, kind=theirs.kind)) == [mine.pk]


def test_queue_of_a_user_without_a_shop_is_empty(buyer, item):
    request_in(State.SUBMITTED, item)
    assert pks(seller_queue(shops_of(buyer))) == []


@pytest.fixture
def one_per_state(new_item) -> dict[str, AfterSalesRequest]:
    states = [
        State.SUBMITTED,
        State.NEGOTIATING,
        State.INSPECTING,
        State.REPAIRING,
        State.DISPUTED,
        State.REFUNDED,
        State.EXCHANGED,
        State.CLOSED,
    ]
    return {state: request_in(state, new_item(title=f"tea {state}")) for state in states}


def test_queue_state_open_means_still_in_progress(seller, one_per_state):
    shown = {r.state for r in seller_queue(shops_of(seller), state="open")}
    assert shown == {
        State.SUBMITTED,
        State.NEGOTIATING,
        State.INSPECTING,
        State.REPAIRING,
        State.DISPUTED,
    }


def test_queue_state_empty_means_all(seller, one_per_state):
    assert {r.state for r in seller_queue(shops_of(seller), state="")} == set(one_per_state)


@pytest.mark.parametrize("state", [State.SUBMITTED, State.REPAIRING, State.REFUNDED, State.CLOSED])
def test_queue_filters_by_one_state(seller, one_per_state, state):
    assert pks(seller_queue(shops_of(seller), state=state)) == [one_per_state[state].pk]


def test_queue_filters_by_kind(seller, new_item):
    refund = file_request(new_item(), kind=Kind.REFUND_ONLY)
    file_request(new_item(), kind=Kind.RETURN_REFUND)
    exchange = file_request(new_item(), kind=Kind.EXCHANGE)
    assert pks(seller_queue(shops_of(seller), kind=Kind.REFUND_ONLY)) == [refund.pk]
    assert pks(seller_queue(shops_of(seller), kind=Kind.EXCHANGE)) == [exchange.pk]
    assert pks(seller_queue(shops_of(seller), kind=Kind.REPAIR)) == []


def test_queue_filters_by_reason(seller, new_item):
    dented = file_request(new_item(), reason=Reason.DAMAGED_IN_TRANSIT)
    file_request(new_item(), reason=Reason.QUALITY_PROBLEM)
    assert pks(seller_queue(shops_of(seller), reason=Reason.DAMAGED_IN_TRANSIT)) == [dented.pk]


def test_queue_filters_by_the_day_filed_in_shanghai_time(seller, new_item, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    # given requests filed at 23:30 UTC (07:30 the next morning in Shanghai) on three days
    utc = UTC
    first = set_created(file_request(new_item()), datetime(2026, 3, 1, 23, 30, tzinfo=utc))
    second = set_created(file_request(new_item()), datetime(2026, 3, 2, 23, 30, tzinfo=utc))
    third = set_created(file_request(new_item()), datetime(2026, 3, 3, 23, 30, tzinfo=utc))
    # then the dates are the Shanghai days: 2, 3 and 4 March, both ends included
    assert set(pks(seller_queue(shops_of(seller), created_from=date(2026, 3, 3)))) == {
        second.pk,
        third.pk,
    }
    assert set(pks(seller_queue(shops_of(seller), created_to=date(2026, 3, 3)))) == {
        first.pk,
        second.pk,
    }
    assert pks(
        seller_queue(shops_of(seller), created_from=date(2026, 3, 3), created_to=date(2026, 3, 3))
    ) == [second.pk]
    assert pks(seller_queue(shops_of(seller), created_to=date(2026, 3, 1))) == []


def test_queue_search_finds_an_order_number_or_a_buyer(seller, new_item):
    # given
    alice, bob = UserFactory(username="alice_tea"), UserFactory(username="bob")
    by_alice = file_request(new_item(buyer=alice, number="T2026LONGJING01"))
    by_bob = file_request(new_item(buyer=bob, number="T2026PUER0002"))
    # then the whole number, a piece of it in any case, or the buyer's name finds it
    assert pks(seller_queue(shops_of(seller), search="T2026LONGJING01")) == [by_alice.pk]
    assert pks(seller_queue(shops_of(seller), search="puer")) == [by_bob.pk]
    assert pks(seller_queue(shops_of(seller), search="  ALICE ")) == [by_alice.pk]
    assert pks(seller_queue(shops_of(seller), search="bob")) == [by_bob.pk]
    assert set(pks(seller_queue(shops_of(seller), search="T2026"))) == {by_alice.pk, by_bob.pk}
    assert pks(seller_queue(shops_of(seller), search="nobody")) == []


def test_queue_filters_combine(seller, new_item):
    alice = UserFactory(username="alice")
    wanted = file_request(new_item(buyer=alice), kind=Kind.REFUND_ONLY)
    file_request(new_item(buyer=alice), kind=Kind.RETURN_REFUND)  # other kind
    request_in(State.REFUNDED, new_item(buyer=alice), kind=Kind.REFUND_ONLY)  # other state
    file_request(new_item(), kind=Kind.REFUND_ONLY)  # other buyer
    assert pks(
        seller_queue(shops_of(seller), state=State.SUBMITTED, kind=Kind.REFUND_ONLY, search="alice")
    ) == [wanted.pk]


def test_queue_lists_a_request_once_although_the_shop_has_several_members(seller, shop, new_item):
    ShopMemberFactory.create_batch(3, shop=shop)
    request = file_request(new_item())
    assert pks(seller_queue(shops_of(seller))) == [request.pk]
    assert seller_dashboard_counts(shops_of(seller), now=timezone.now())[State.SUBMITTED] == 1


# --- the buyer's history with the shop ---------------------------------------------------------


def test_buyer_history_counts_the_buyers_earlier_requests_with_this_shop(
    buyer, new_item, other_shop_item
):
    # given two finished requests and one withdrawn, with this shop
    for state in (State.REFUNDED, State.EXCHANGED, State.CLOSED):
        request_in(state, new_item())
    request_in(State.REFUNDED, other_shop_item)  # with another shop
    request_in(State.REFUNDED, new_item(buyer=UserFactory(username="someone-else")))
    # when the buyer files again
    current = file_request(new_item())
    # then
    assert buyer_history_count(current) == 3


def test_buyer_history_does_not_count_later_requests_as_earlier(buyer, new_item):
    """The request page says "n earlier requests with this shop": a request the buyer filed
    after this one is not an earlier one."""
    first = file_request(new_item())
    second = file_request(new_item())
    assert buyer_history_count(second) == 1
    assert buyer_history_count(first) == 0
