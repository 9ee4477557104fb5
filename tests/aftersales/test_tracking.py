"""Parcel tracking (issue 15, part 2): the simulated provider, the service that records a
parcel's trace, the seller's receipt deadline from the sign-for, and the per-minute pull."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from aftersales import deadlines, services
from aftersales.models import Action, Carrier, Kind, RequestEvent, Shipment, State, TrackingEvent
from aftersales.parcel_watch import moving_parcels, pull_traces
from aftersales.services import arrivals
from aftersales.services.tracking import record_trace
from aftersales.tracking import SimulatedTracking, TraceLine, provider
from tests.aftersales.factories import TRACKING, request_in
from tests.aftersales.test_money import race

pytestmark = pytest.mark.django_db

Status = TrackingEvent.Status
HOURS = {"picked_up": 1, "in_transit": 6, "out_for_delivery": 20, "signed": 24}


@pytest.fixture(autouse=True)
def _hours(settings):
    settings.SIMULATED_TRACKING_HOURS = HOURS
    settings.TRACKING_PROVIDER = "aftersales.tracking.SimulatedTracking"


@pytest.fixture
def arrived(monkeypatch):
    """What the arrivals of a return parcel set off (other parts of issue 15), recorded
    instead: (step, request id, parcel id) in the order they were called."""
    calls: list[tuple[str, int, int]] = []

    def recorder(step):
        def record(request, parcel, *, now):
            calls.append((step, request.pk, parcel.pk))

        return record

    monkeypatch.setattr(arrivals.fast_refunds, "refund_on_pickup", recorder("pickup_refund"))
    monkeypatch.setattr(arrivals.fast_refunds, "settle_on_sign_for", recorder("settle"))
    monkeypatch.setattr(arrivals.insurance, "claim_on_sign_for", recorder("insurance"))
    monkeypatch.setattr(arrivals.automation, "apply_on_sign_for", recorder("rules"))
    return calls


def shipped(item, *, hours_ago: float = 0):
    """A return request whose parcel went out ``hours_ago``."""
    request = request_in(State.RETURN_SHIPPED, item)
    parcel = request.shipments.get()
    Shipment.objects.filter(pk=parcel.pk).update(
        shipped_at=timezone.now() - timedelta(hours=hours_ago)
    )
    parcel.refresh_from_db()
    return request, parcel


def line(status, at, *, ident=None, place="杭州 Hangzhou"):
    return TraceLine(status=status, happened_at=at, place=place, external_id=ident or status)


# --- the simulated provider -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "statuses"),
    [
        (0.5, []),
        (1, ["picked_up"]),
        (7, ["picked_up", "in_transit"]),
        (21, ["picked_up", "in_transit", "out_for_delivery"]),
        (30, ["picked_up", "in_transit", "out_for_delivery", "signed"]),
    ],
)
def test_the_simulated_carrier_moves_a_parcel_along_by_the_hours_set(item, hours, statuses):
    _request, parcel = shipped(item)
    now = parcel.shipped_at + timedelta(hours=hours)

    lines = SimulatedTracking().trace([parcel], now=now).get(parcel.pk, [])

    assert [line.status for line in lines] == statuses
    for traced in lines:
        assert traced.external_id == f"sim-{parcel.pk}-{traced.status}"
        assert traced.happened_at == parcel.shipped_at + timedelta(hours=HOURS[traced.status])
        assert traced.place  # a plausible place, in both languages
    # asking again gives the same lines
    assert SimulatedTracking().trace([parcel], now=now).get(parcel.pk, []) == lines


def test_the_provider_is_the_one_the_setting_names(settings):
    assert isinstance(provider(), SimulatedTracking)
    settings.TRACKING_PROVIDER = "tests.aftersales.test_tracking.NoNews"
    assert isinstance(provider(), NoNews)


class NoNews:
    source = TrackingEvent.Source.PUSH

    def trace(self, shipments, *, now):
        return {}


# --- recording a trace ------------------------------------------------------------------------


def test_a_trace_line_is_stored_once_however_often_it_comes(item, arrived):
    request, parcel = shipped(item, hours_ago=2)
    pickup = line(Status.PICKED_UP, parcel.shipped_at + timedelta(hours=1))

    first = record_trace(shipment=parcel, lines=[pickup, pickup], source="simulated")
    again = record_trace(shipment=parcel, lines=[pickup], source="simulated")

    assert len(first) == 1 and again == []
    parcel.refresh_from_db()
    assert parcel.picked_up_at == pickup.happened_at and parcel.signed_at is None
    assert list(parcel.trace.values_list("status", "external_id")) == [("picked_up", "picked_up")]
    assert arrived == [("pickup_refund", request.pk, parcel.pk)]


def test_lines_out_of_order_never_move_the_parcel_backwards(item, arrived):
    request, parcel = shipped(item, hours_ago=30)
    t = parcel.shipped_at
    # the sign-for comes first, then the earlier lines, then the sign-for again
    record_trace(
        shipment=parcel, lines=[line(Status.SIGNED, t + timedelta(hours=24))], source="push"
    )
    record_trace(
        shipment=parcel,
        lines=[
            line(Status.IN_TRANSIT, t + timedelta(hours=6)),
            line(Status.PICKED_UP, t + timedelta(hours=1)),
        ],
        source="push",
    )
    record_trace(
        shipment=parcel,
        lines=[line(Status.SIGNED, t + timedelta(hours=25), ident="s2")],
        source="push",
    )

    parcel.refresh_from_db()
    assert parcel.signed_at == t + timedelta(hours=24)  # the first signature stands
    assert parcel.picked_up_at == t + timedelta(hours=1)  # a fact, even when it came late
    assert parcel.trace.count() == 4
    # the late pickup set nothing off: the goods were already at the shop
    assert arrived == [
        ("settle", request.pk, parcel.pk),
        ("insurance", request.pk, parcel.pk),
        ("rules", request.pk, parcel.pk),
    ]
    assert request.events.filter(action=Action.PARCEL_SIGNED_FOR).count() == 1


def test_a_pickup_and_a_sign_for_learnt_together_act_in_that_order(item, arrived):
    request, parcel = shipped(item, hours_ago=30)
    t = parcel.shipped_at
    record_trace(
        shipment=parcel,
        lines=[
            line(Status.SIGNED, t + timedelta(hours=24)),
            line(Status.PICKED_UP, t + timedelta(hours=1)),
        ],
        source="simulated",
    )
    assert [step for step, _, _ in arrived] == ["pickup_refund", "settle", "insurance", "rules"]


def test_an_unknown_status_is_refused_and_nothing_is_stored(item, arrived):
    _request, parcel = shipped(item)
    with pytest.raises(ValueError, match="unknown tracking status"):
        record_trace(
            shipment=parcel,
            lines=[line(Status.PICKED_UP, timezone.now()), line("lost", timezone.now())],
            source="push",
        )
    assert not TrackingEvent.objects.exists() and arrived == []


def test_a_replacement_parcel_is_traced_but_sets_nothing_off(item, arrived):
    request = request_in(State.REPLACEMENT_SHIPPED, item, kind=Kind.EXCHANGE)
    parcel = request.shipments.get(purpose=Shipment.Purpose.REPLACEMENT)
    before = request.events.count()
    record_trace(shipment=parcel, lines=[line(Status.SIGNED, timezone.now())], source="simulated")
    parcel.refresh_from_db()
    assert parcel.signed_at is not None
    assert arrived == [] and request.events.count() == before


def test_a_new_line_marks_the_request_changed_for_sync_and_caches(item, arrived):
    request, parcel = shipped(item, hours_ago=2)
    request.refresh_from_db()
    before = request.updated_at
    later = timezone.now() + timedelta(minutes=5)
    record_trace(
        shipment=parcel, lines=[line(Status.PICKED_UP, timezone.now())], source="push", now=later
    )
    request.refresh_from_db()
    assert request.updated_at == later > before


# --- the seller's receipt deadline runs from the sign-for ------------------------------------


def test_the_sign_for_starts_the_sellers_receipt_deadline(item, seller, arrived):
    # given a return shipped an hour ago: the seller has 10 days to confirm receipt
    request, parcel = shipped(item, hours_ago=1)
    request.refresh_from_db()
    assert request.due_action == Action.REFUND_WITHOUT_RECEIPT
    signed_at = timezone.now()

    # when the carrier says it was signed for
    record_trace(shipment=parcel, lines=[line(Status.SIGNED, signed_at)], source="push")

    # then the seller has two days from the signature, and the timeline says why
    request.refresh_from_db()
    assert (
        request.due_at == signed_at + settings.AFTERSALES_DEADLINES["seller_confirm_after_sign_for"]
    )
    assert request.due_action == Action.REFUND_WITHOUT_RECEIPT
    assert request.state == State.RETURN_SHIPPED
    event = request.events.get(action=Action.PARCEL_SIGNED_FOR)
    assert event.actor is None and event.actor_role == "system"
    assert event.from_state == event.to_state == State.RETURN_SHIPPED
    # the seller is told
    assert event.notification_set.filter(recipient=seller).exists()


def test_the_sign_for_never_lengthens_the_deadline(item, arrived):
    request, parcel = shipped(item, hours_ago=1)
    request.refresh_from_db()
    sooner = timezone.now() + timedelta(hours=5)
    request.__class__.objects.filter(pk=request.pk).update(due_at=sooner)
    record_trace(shipment=parcel, lines=[line(Status.SIGNED, timezone.now())], source="push")
    request.refresh_from_db()
    assert request.due_at == sooner


def test_a_sign_for_after_the_seller_confirmed_receipt_changes_no_deadline(item, seller, arrived):
    request, parcel = shipped(item, hours_ago=30)
    request = services.confirm_return_received(request=request, actor=seller)
    due = request.due_at
    record_trace(shipment=parcel, lines=[line(Status.SIGNED, timezone.now())], source="push")
    request.refresh_from_db()
    assert request.state == State.INSPECTING and request.due_at == due
    assert not request.events.filter(action=Action.PARCEL_SIGNED_FOR).exists()
    assert [step for step, _, _ in arrived] == ["settle", "insurance", "rules"]


def test_the_deadline_table_says_the_rule(item):
    request, parcel = shipped(item)
    request.refresh_from_db()
    now = timezone.now()
    limits = settings.AFTERSALES_DEADLINES
    assert deadlines.next_deadline(request, now=now) == (
        now + limits["seller_confirm_receipt"],
        Action.REFUND_WITHOUT_RECEIPT,
    )
    signed = now + timedelta(days=1)
    assert deadlines.next_deadline(request, now=now, signed_at=signed)[0] == (
        signed + limits["seller_confirm_after_sign_for"]
    )
    # a signature late enough that the usual deadline comes first
    late = now + timedelta(days=9)
    assert deadlines.next_deadline(request, now=now, signed_at=late)[0] == (
        now + limits["seller_confirm_receipt"]
    )


# --- the per-minute pull ----------------------------------------------------------------------


def test_the_pull_records_what_is_new_and_sets_arrivals_off_once(item, arrived):
    request, parcel = shipped(item, hours_ago=2)
    now = timezone.now()

    first = pull_traces(now=now)
    second = pull_traces(now=now)

    assert (first.recorded, first.parcels, second.recorded) == (1, 1, 0)
    assert list(parcel.trace.values_list("status", "source")) == [("picked_up", "simulated")]
    assert arrived == [("pickup_refund", request.pk, parcel.pk)]

    later = pull_traces(now=now + timedelta(hours=30))
    assert later.recorded == 3
    parcel.refresh_from_db()
    assert parcel.signed_at == parcel.shipped_at + timedelta(hours=24)
    assert [step for step, _, _ in arrived] == ["pickup_refund", "settle", "insurance", "rules"]
    # a parcel signed for is no longer asked about
    assert not moving_parcels(now=now + timedelta(hours=31)).exists()


def test_the_pull_leaves_old_parcels_alone(item, arrived, settings):
    _request, parcel = shipped(item, hours_ago=24 * (settings.TRACKING_WATCH_DAYS + 1))
    assert pull_traces().recorded == 0
    assert not parcel.trace.exists()


def test_a_parcel_whose_step_fails_is_tried_again_by_the_next_pull(item, monkeypatch, arrived):
    _request, parcel = shipped(item, hours_ago=2)

    def refuse(request, parcel, *, now):
        raise RuntimeError("the gateway is down")

    recorder = arrivals.fast_refunds.refund_on_pickup
    monkeypatch.setattr(arrivals.fast_refunds, "refund_on_pickup", refuse)
    failed = pull_traces()
    assert failed.failed == [parcel.pk] and not parcel.trace.exists()

    monkeypatch.setattr(arrivals.fast_refunds, "refund_on_pickup", recorder)
    assert pull_traces().recorded == 1
    assert len(arrived) == 1


def test_the_pull_answers_a_whole_batch_in_few_queries(
    item, buyer, shop, arrived, django_assert_max_num_queries
):
    from tests.orders.factories import OrderItemFactory

    for _ in range(3):
        shipped(OrderItemFactory(order__buyer=buyer, order__shop=shop), hours_ago=0.1)
    with django_assert_max_num_queries(3):  # the ids, the batch with its orders, the known lines
        assert pull_traces().recorded == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pulls_at_once_record_each_line_and_set_off_each_arrival_once(item, arrived):
    request, parcel = shipped(item, hours_ago=30)
    now = timezone.now()

    outcomes = race(lambda: pull_traces(now=now), lambda: pull_traces(now=now))

    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert sum(o.recorded for o in outcomes) == 4
    assert parcel.trace.count() == 4
    assert [step for step, _, _ in arrived] == ["pickup_refund", "settle", "insurance", "rules"]
    assert (
        RequestEvent.objects.filter(request=request, action=Action.PARCEL_SIGNED_FOR).count() == 1
    )


def test_the_beat_pulls_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["parcel-traces"]
    assert entry == {"task": "aftersales.parcel_watch.pull_parcel_traces", "schedule": 60.0}


def test_the_carrier_places_name_the_carrier(item):
    request = request_in(State.RETURN_SHIPPED, item)
    parcel = request.shipments.get()
    assert parcel.carrier == TRACKING["carrier"] == Carrier.SF
    lines = SimulatedTracking().trace([parcel], now=parcel.shipped_at + timedelta(days=2))[
        parcel.pk
    ]
    assert "顺丰 SF" in lines[1].place
