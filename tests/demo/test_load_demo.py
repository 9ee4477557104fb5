"""``./manage.py load_demo``: a believable marketplace, built through the services.

The demo is loaded once for the module (committed, so the payouts it triggers on commit run
eagerly) and deleted again afterwards; each test then runs in its own rolled-back transaction.
"""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image

from aftersales import trust
from aftersales.actors import ARBITRATORS_GROUP
from aftersales.models import (
    AfterSalesRequest,
    AutomationRule,
    BuyerStanding,
    Dispute,
    Evidence,
    Kind,
    LedgerEntry,
    Message,
    Proposal,
    RequestEvent,
    Ruling,
    Shipment,
    State,
)
from aftersales.shipping import tracking_error
from demo import loader
from demo.catalogue import SHOP_NAMES, SHOPS
from orders.models import Order, OrderItem, Shop
from tests.orders.factories import OrderFactory, ShopFactory

User = get_user_model()
PASSWORD = "demo-pass-2026"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The command's output. The data stays committed for the module, then is deleted."""
    with django_db_blocker.unblock():
        had_group = Group.objects.filter(name=ARBITRATORS_GROUP).exists()
        out = io.StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        with transaction.atomic():
            loader.delete()
            if not had_group:
                Group.objects.filter(name=ARBITRATORS_GROUP).delete()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Shop,
            Order,
            OrderItem,
            AfterSalesRequest,
            RequestEvent,
            Message,
            Evidence,
            Shipment,
            Proposal,
            LedgerEntry,
            Dispute,
            Ruling,
        )
    }


def fingerprint() -> list:
    """What the random generator decided, without the times (they follow the clock)."""
    orders = [
        (o.number[6:], o.shop.name, o.buyer.username, o.payment_method)  # [:6] is the date
        for o in Order.objects.select_related("shop", "buyer").order_by("pk")
    ]
    items = list(
        OrderItem.objects.order_by("pk").values_list(
            "title", "sku", "unit_price", "quantity", "amount_paid", "refunded_amount"
        )
    )
    requests = list(
        AfterSalesRequest.objects.order_by("pk").values_list(
            "shop__name",
            "buyer__username",
            "kind",
            "reason",
            "state",
            "refund_amount",
            "order_item__title",
        )
    )
    return [orders, items, requests]


def test_prints_the_summary_and_the_logins(loaded):
    assert "Demo data loaded" in loaded
    assert "http://127.0.0.1:8000/" in loaded
    for login in ("buyer", "seller", "staff", "admin"):
        assert f"  {login} " in loaded
    assert PASSWORD in loaded


def test_a_marketplace_of_shops_buyers_and_recent_orders(loaded):
    now = timezone.now()
    shops = Shop.objects.filter(name__in=SHOP_NAMES)
    assert shops.count() >= 3
    assert all(shop.default_return_address is not None for shop in shops)
    assert shops.filter(no_reason_return_days=15, pays_no_reason_return_shipping=True).exists()
    assert User.objects.filter(orders__isnull=False).distinct().count() >= 20

    orders = Order.objects.filter(shop__in=shops)
    assert orders.count() >= 300
    # recent, but for two of the main buyer's, bought before the shop's warranty began: a
    # repair of those is paid for; and the main buyer's everyday purchases of the two years
    # before (demo.faster.past_purchases, numbered H…), all delivered, none ever returned
    old = orders.filter(paid_at__lt=now - timedelta(days=60))
    assert {order.buyer.username for order in old} == {"buyer"}
    history = old.filter(number__startswith="H")
    assert old.exclude(pk__in=history).count() == 2
    assert history.count() >= 20
    assert not OrderItem.objects.filter(order__in=history, delivered_at__isnull=True).exists()
    assert not AfterSalesRequest.objects.filter(order__in=history).exists()
    assert all(
        order.paid_at < now - timedelta(days=order.shop.warranty_days + 14)
        for order in old.exclude(pk__in=history)
    )
    assert not orders.filter(paid_at__gt=now).exists()
    assert len(set(orders.values_list("payment_method", flat=True))) > 1

    items = OrderItem.objects.filter(order__in=orders).select_related("order")
    per_order = Counter(items.values_list("order_id", flat=True))
    assert len(per_order) == orders.count()
    assert set(per_order.values()) == {1, 2, 3}
    for item in items:
        assert 1 <= item.quantity <= 3
        assert 0 < item.amount_paid <= item.unit_price * item.quantity
        if item.shipped_at:
            assert item.order.paid_at < item.shipped_at <= now
        if item.delivered_at:
            assert item.shipped_at < item.delivered_at <= now
    assert items.filter(delivered_at__isnull=False).count() > items.count() / 2
    assert items.filter(shipped_at__isnull=False, delivered_at__isnull=True).exists()
    assert items.filter(shipped_at__isnull=True).exists()
    assert any(item.amount_paid < item.unit_price * item.quantity for item in items)


def test_requests_in_every_state_and_of_every_kind(loaded):
    requests = AfterSalesRequest.objects.all()
    assert set(requests.values_list("state", flat=True)) == set(State.values)
    assert set(requests.values_list("kind", flat=True)) == set(Kind.values)
    assert 60 <= requests.count() <= 100


def test_seller_owns_one_shop_which_has_every_state(loaded):
    seller = User.objects.get(username="seller")
    shops = Shop.objects.filter(members__user=seller)
    assert shops.count() == 1
    shop = shops.get()
    assert shop.name == SHOPS[0].name
    states = set(AfterSalesRequest.objects.filter(shop=shop).values_list("state", flat=True))
    assert states == set(State.values)


def test_buyer_has_requests_in_sellers_shop_and_in_others(loaded):
    buyer = User.objects.get(username="buyer")
    seller_shop = Shop.objects.get(members__user__username="seller")
    mine = AfterSalesRequest.objects.filter(buyer=buyer)
    in_seller_shop = set(mine.filter(shop=seller_shop).values_list("state", flat=True))
    assert len(in_seller_shop) >= 4
    assert mine.exclude(shop=seller_shop).values("shop").distinct().count() >= 2
    assert Order.objects.filter(buyer=buyer).values("shop").distinct().count() == len(SHOPS)


def test_logins(loaded):
    staff = User.objects.get(username="staff")
    assert staff.is_staff and not staff.is_superuser
    assert staff.groups.filter(name=ARBITRATORS_GROUP).exists()
    assert not staff.shop_memberships.exists()
    assert User.objects.get(username="admin").is_superuser
    # as the login form does: with the request (the sign-in throttle needs it)
    login = RequestFactory().post("/login/")
    for username in ("buyer", "seller", "staff", "admin", "seller-b", "liwei"):
        user = authenticate(login, username=username, password=PASSWORD)
        assert user is not None and user.username == username
    assert authenticate(login, username="buyer", password="wrong") is None


def test_every_request_was_driven_through_the_services(loaded):
    now = timezone.now()
    for request in AfterSalesRequest.objects.select_related("order_item"):
        events = list(request.events.order_by("pk"))
        assert events[0].action == "submit"
        assert events[-1].to_state == request.state
        times = [event.created_at for event in events]
        assert times == sorted(times) and times[-1] <= now
        assert request.created_at == times[0]
        if request.order_item.delivered_at:
            assert request.created_at > request.order_item.delivered_at
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_state == before.to_state
        if request.is_open and request.state != State.DISPUTED:
            assert request.due_at is not None
    # Deadlines still to come for most open requests, a few already overdue.
    open_requests = AfterSalesRequest.objects.exclude(
        state__in=[State.REFUNDED, State.EXCHANGED, State.REPAIRED, State.CLOSED, State.DISPUTED]
    )
    assert open_requests.filter(due_at__gt=now).count() > open_requests.count() / 2
    assert open_requests.filter(due_at__lt=now).exists()
    # The system acted when deadlines passed.
    assert RequestEvent.objects.filter(actor_role="system", actor__isnull=True).exists()


def test_negotiation_shipping_disputes_and_money(loaded):
    assert set(Proposal.objects.values_list("status", flat=True)) >= {"accepted", "declined"}
    assert Message.objects.filter(author_role="buyer").exists()
    assert Message.objects.filter(author_role="seller").exists()
    shipments = Shipment.objects.all()
    assert shipments.count() > 10
    for shipment in shipments:
        assert tracking_error(shipment.carrier, shipment.tracking_number) is None
    assert set(Ruling.objects.values_list("outcome", flat=True)) == set(Ruling.Outcome.values)
    assert Ruling.objects.filter(decided_by__username="staff").count() == Ruling.objects.count()
    assert Dispute.objects.filter(status=Dispute.Status.OPEN).exists()
    ledger = LedgerEntry.objects.all()
    assert ledger.filter(type=LedgerEntry.Type.REFUND).count() >= 5
    # The load committed with Celery eager: every payout went through the simulated gateway.
    assert set(ledger.values_list("status", flat=True)) == {LedgerEntry.Status.PAID}
    for item in OrderItem.objects.filter(refunded_amount__gt=0):
        assert item.refunded_amount <= item.amount_paid


def test_insured_orders_with_regions(loaded):
    orders = Order.objects.all()
    insured = dict(
        Counter(orders.exclude(return_insurance="").values_list("return_insurance", flat=True))
    )
    assert insured.keys() == {"bought", "shop_gift"}
    # 退货宝: one shop gives it on every order
    gift_shops = orders.filter(return_insurance="shop_gift").values("shop").distinct()
    assert gift_shops.count() == 1
    assert not orders.filter(shop__in=gift_shops).exclude(return_insurance="shop_gift").exists()
    assert not orders.filter(region="").exists()
    assert orders.values("region").distinct().count() >= 4


def test_insured_returns_were_paid_their_claim_and_postage_once(loaded, settings):
    claims = LedgerEntry.objects.filter(type=LedgerEntry.Type.INSURANCE_CLAIM)
    assert claims.count() >= 3
    for claim in claims.select_related("request__order"):
        request = claim.request
        assert claim.amount == settings.RETURN_INSURANCE_CLAIMS[request.order.region]
        claimed = sum(
            s.shipping_fee
            for s in request.shipments.filter(purpose="return", received_at__isnull=False)
        )
        reimbursed = sum(
            e.amount
            for e in request.ledger_entries.filter(type=LedgerEntry.Type.SHIPPING_REIMBURSEMENT)
        )
        assert reimbursed == max(claimed - claim.amount, 0)
        assert request.events.filter(action="insurance_claim", actor__isnull=True).count() == 1


def test_the_sellers_shop_has_rules_switched_on(loaded):
    shop = Shop.objects.get(members__user__username="seller")
    rules = {rule.name: rule for rule in AutomationRule.objects.filter(shop=shop)}
    assert {"未发货仅退款", "签收即退款"} <= rules.keys()
    refund_only = rules["未发货仅退款"]
    assert refund_only.enabled and refund_only.order_shipped is False
    assert refund_only.action == AutomationRule.Do.APPROVE_REFUND_ONLY
    assert refund_only.amount_up_to == 200
    on_sign_for = rules["签收即退款"]
    assert on_sign_for.enabled and on_sign_for.action == AutomationRule.Do.REFUND_ON_SIGN_FOR
    assert set(on_sign_for.reasons) == {"changed_mind", "wrong_size"}
    assert any(not rule.enabled for rule in rules.values())


def test_the_main_buyer_is_trusted_from_their_history(loaded, settings):
    """Computed by the platform's own rules (``aftersales.trust``), not written by hand: two
    years of everyday purchases before the demo's two months make the buyer trusted."""
    standing = BuyerStanding.objects.get(buyer__username="buyer")
    assert standing.level >= settings.FAST_REFUND_MIN_TRUST
    assert standing.level == trust.level_for(
        orders_completed=standing.orders_completed,
        requests_filed=standing.requests_filed,
        disputes_lost=standing.disputes_lost,
        fast_refunds_lost=standing.fast_refunds_lost,
    )
    assert standing.orders_completed >= 20
    assert standing.disputes_lost == 0 and standing.fast_refunds_lost == 0
    assert standing.requests_filed == AfterSalesRequest.objects.filter(buyer=standing.buyer).count()


def test_the_main_buyers_return_parcels_move_within_minutes(loaded, settings):
    """Handed to the carrier so that the simulated tracker's next step for each is minutes away:
    one about to be picked up, one about to be in transit, one about to be signed for."""
    now = timezone.now()
    parcels = Shipment.objects.filter(
        purpose="return",
        request__buyer__username="buyer",
        request__state=State.RETURN_SHIPPED,
        signed_at__isnull=True,
    )
    hours = settings.SIMULATED_TRACKING_HOURS
    next_steps = []
    for parcel in parcels:
        age = (now - parcel.shipped_at) / timedelta(hours=1)
        ahead = [h - age for h in hours.values() if h > age]
        if ahead and min(ahead) <= 0.25:
            next_steps.append(min(hours, key=lambda step: abs(hours[step] - age)))
    assert {"picked_up", "in_transit", "signed"} <= set(next_steps)
    assert parcels.filter(request__order__return_insurance="").count() < parcels.count()


def test_evidence_photos_are_stored_jpegs_without_exif(loaded):
    evidence = Evidence.objects.all()
    assert evidence.count() >= 30
    assert evidence.filter(uploader_role="seller", event__action="fail_inspection").exists()
    assert evidence.filter(event__action="escalate").exists()
    assert evidence.filter(message__isnull=False).exists()
    for photo in evidence:
        assert photo.content_type == "image/jpeg"
        with default_storage.open(photo.file.name) as stored:
            data = stored.read()
        assert data[:3] == b"\xff\xd8\xff"
        assert len(data) == photo.size
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert "exif" not in image.info
        assert default_storage.exists(photo.thumbnail.name)


def test_running_it_again_changes_nothing(loaded):
    before = counts()
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    assert "already loaded" in out.getvalue()
    assert "demo-pass-2026" in out.getvalue()
    assert counts() == before


def test_reset_loads_the_same_data_afresh(loaded):
    before, decided = counts(), fingerprint()
    old_request_ids = set(AfterSalesRequest.objects.values_list("pk", flat=True))
    out = io.StringIO()

    call_command("load_demo", "--reset", stdout=out)

    assert "Deleted the demo data" in out.getvalue()
    assert counts() == before
    assert fingerprint() == decided
    assert not AfterSalesRequest.objects.filter(pk__in=old_request_ids).exists()


def test_reset_leaves_rows_outside_the_demo_alone(loaded):
    # given: a demo buyer's order in a shop that is not the demo's
    OrderFactory(buyer=User.objects.get(username="liwei"), shop=ShopFactory(name="Not the demo"))
    requests_before = set(AfterSalesRequest.objects.values_list("pk", flat=True))

    with pytest.raises(CommandError, match="orders.Order rows outside the demo data"):
        call_command("load_demo", "--reset", stdout=io.StringIO())

    assert set(AfterSalesRequest.objects.values_list("pk", flat=True)) == requests_before
    assert Order.objects.filter(shop__name="Not the demo").exists()


# --- the URLs printed: the address the site is served at ----------------------------------------


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("0.0.0.0:8010", "http://0.0.0.0:8010/"),
        ("localhost:9000", "http://localhost:9000/"),
        ("8001", "http://127.0.0.1:8001/"),  # runserver takes a bare port for 127.0.0.1
        ("", "http://127.0.0.1:8000/"),  # bin/serve's ${ADDRESS:-127.0.0.1:8000}
    ],
)
def test_the_logins_are_urls_of_the_address_bin_serve_serves(loaded, monkeypatch, address, url):
    monkeypatch.setenv("ADDRESS", address)
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    printed = out.getvalue()
    assert f"Open {url} and sign in" in printed
    assert f"  buyer   {url} " in printed
    assert f"  seller  {url}seller/  owner of" in printed
    assert f"  staff   {url}admin/ " in printed
    assert f"  admin   {url}admin/ " in printed
    if url != "http://127.0.0.1:8000/":
        assert "127.0.0.1:8000" not in printed


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://demo.example.com", "https://demo.example.com/"),
        ("https://demo.example.com:8443/", "https://demo.example.com:8443/"),
        ("http://[::1]:8000", "http://[::1]:8000/"),
    ],
)
def test_a_base_url_overrides_the_address(loaded, monkeypatch, base_url, url):
    monkeypatch.setenv("ADDRESS", "0.0.0.0:8010")
    out = io.StringIO()

    call_command("load_demo", "--base-url", base_url, stdout=out)

    printed = out.getvalue()
    assert f"Open {url} and sign in" in printed
    assert f"{url}seller/  owner of" in printed
    assert f"{url}admin/ " in printed
    assert "8010" not in printed


@pytest.mark.parametrize(
    "base_url",
    [
        "127.0.0.1:8000",
        "ftp://demo.example.com/",
        "http://",
        "http://demo.example.com/shop/",
        "http://demo.example.com/?next=/",
        "http://demo.example.com:80a/",
        "http://demo.example.com:99999/",
        "http://user@demo.example.com/",
        "http://demo example.com/",
        "",
    ],
)
def test_a_bad_base_url_is_refused_before_anything_is_deleted(loaded, base_url):
    requests_before = set(AfterSalesRequest.objects.values_list("pk", flat=True))

    with pytest.raises(CommandError, match=r"--base-url must look like http\(s\)://host\[:port\]/"):
        call_command("load_demo", "--reset", "--base-url", base_url, stdout=io.StringIO())

    assert set(AfterSalesRequest.objects.values_list("pk", flat=True)) == requests_before


def test_an_address_runserver_would_refuse_is_an_error(loaded, monkeypatch):
    monkeypatch.setenv("ADDRESS", "localhost 8000")

    with pytest.raises(CommandError, match="ADDRESS must look like host:port"):
        call_command("load_demo", stdout=io.StringIO())
