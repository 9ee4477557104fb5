"""Build a marketplace of a given size, for the page and lifecycle benchmarks.

    .venv/bin/python bench/make_marketplace.py --requests 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/aftersales_bench_100k [--reset]

The database's name must contain "bench"; it is created if missing and migrated. The demo
(``./manage.py load_demo``) goes in first, so its logins work as usual (password
``demo-pass-2026``); the rows around it are written with PostgreSQL ``COPY``:

* 50 shops. The demo ``seller``'s shop is the busy one: 20 % of all requests, 8 % of all
  requests open in it (20,000 and 8,000 of 100,000). The other shops share the rest unevenly;
  40 % of all requests are open.
* One order with one item per request, and as many orders again without a request.
* Requests in every state and kind, each with a history played through the model's own
  transitions and stamped with times (see ``bench/marketplace.py``): about 2.5 events per
  request, proposals, shipments, disputes and rulings, refunds in the ledger with the items'
  refunded totals raised, reviews on 9 % of the requests, complaints, and the notification
  centres of the demo ``buyer`` (a few hundred orders and requests), ``seller`` and ``staff``.

``--requests 0`` builds the demo alone: the small size to compare with. A database that holds
more than the demo is refused unless ``--reset`` (which empties it and builds afresh).
"""

import argparse
import io
import os
import random
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench"
SHOPS = 50
BUSY_SHARE, BUSY_OPEN_SHARE, OPEN_SHARE = 0.20, 0.08, 0.40
REVIEW_SHARE, COMPLAINT_SHARE = 0.09, 0.005
DEMO_BUYER_REQUESTS = 300  # of which a tenth still open
DEMO_LOGINS = ("buyer", "seller", "staff")


def beyond_demo() -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username__startswith="bench-").exists()


def shops(market, busy, password: str) -> list[dict]:
    """The shops other than the busy one: the demo's, and new ones up to :data:`SHOPS`."""
    from orders.models import ReturnAddress, Shop, ShopMember

    found = []
    for shop in Shop.objects.exclude(pk=busy.pk).prefetch_related("members", "return_addresses"):
        owner = next(m.user_id for m in shop.members.all() if m.role == ShopMember.Role.OWNER)
        found.append({"id": shop.pk, "owner": owner, "address": str(shop.return_addresses.first())})
    for number in range(SHOPS - 1 - len(found)):
        owner = market.user(f"bench-seller-{number:02d}", password)
        opened = market.now - timedelta(days=market.rng.uniform(400, 900))
        shop = market.add(Shop, name=f"测试店铺 {number:02d}", created_at=opened)
        market.add(ShopMember, shop_id=shop, user_id=owner, role=ShopMember.Role.OWNER)
        address = ("仓库收货组", f"1380000{number:04d}", f"浙江省杭州市余杭区仓前街道 {number} 号")
        market.add(
            ReturnAddress,
            shop_id=shop,
            recipient=address[0],
            phone=address[1],
            address=address[2],
            is_default=True,
        )
        found.append({"id": shop, "owner": owner, "address": " ".join(address)})
    return found


def build(count: int, seed: int) -> Counter:
    """Add ``count`` requests' worth of marketplace around the demo; rows written per model."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from aftersales.models import OPEN_STATES, AfterSalesRequest
    from bench.marketplace import FINISHED, OPEN, Marketplace, compile_history
    from orders.models import Shop
    from reviews.models import Review

    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_LOGINS)}
    busy = Shop.objects.get(members__user=users["seller"], members__role="owner")
    rng = random.Random(seed)
    market = Marketplace(rng=rng, now=timezone.now(), staff=users["staff"].pk)
    password = make_password(None)  # bulk users cannot sign in
    others = shops(market, busy, password)
    address = str(busy.return_addresses.filter(is_default=True).first())
    busy_shop = {"id": busy.pk, "owner": users["seller"].pk, "address": address}

    existing = AfterSalesRequest.objects.all()
    in_busy = existing.filter(shop=busy)
    busy_new = max(0, round(BUSY_SHARE * count) - in_busy.count())
    busy_open = round(BUSY_OPEN_SHARE * count) - in_busy.filter(state__in=OPEN_STATES).count()
    busy_open = min(busy_new, max(0, busy_open))
    other_new = max(0, count - round(BUSY_SHARE * count) - existing.exclude(shop=busy).count())
    other_open = round(OPEN_SHARE * other_new)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(others))]
    plan = [(busy_shop, index < busy_open) for index in range(busy_new)]
    drawn = rng.choices(others, weights, k=other_new)
    plan += [(shop, index < other_open) for index, shop in enumerate(drawn)]
    rng.shuffle(plan)

    buyers = [market.user(f"bench-buyer-{n:05d}", password) for n in range(max(20, count // 5))]
    mine = min(DEMO_BUYER_REQUESTS, len(plan) // 300)
    open_ones = [i for i, (_, is_open) in enumerate(plan) if is_open]
    done_ones = [i for i, (_, is_open) in enumerate(plan) if not is_open]
    demo_buyer = set(rng.sample(open_ones, min(len(open_ones), mine // 10)))
    demo_buyer |= set(rng.sample(done_ones, min(len(done_ones), mine - len(demo_buyer))))

    histories = {
        True: [compile_history(*history) for history in OPEN],
        False: [compile_history(*history) for history in FINISHED],
    }
    chances = {key: [h.weight for h in value] for key, value in histories.items()}
    for index, (shop, is_open) in enumerate(plan):
        history = rng.choices(histories[is_open], chances[is_open])[0]
        buyer = users["buyer"].pk if index in demo_buyer else rng.choice(buyers)
        market.request(history, shop=shop, buyer=buyer)
    for index in range(len(plan)):  # as many orders again, without a request
        shop = busy_shop if rng.random() < BUSY_SHARE else rng.choices(others, weights)[0]
        buyer = users["buyer"].pk if index < len(demo_buyer) else rng.choice(buyers)
        market.order(buyer=buyer, shop=shop["id"])
    reviews = max(0, round(REVIEW_SHARE * count) - Review.objects.count())
    add_reviews(market, reviews, {shop["id"]: shop["owner"] for shop in [busy_shop, *others]})
    add_complaints(market, round(COMPLAINT_SHARE * count))
    add_notifications(market, buyer=users["buyer"].pk, shop=busy.pk, seller=users["seller"].pk)

    written = Counter()
    for model, rows in market.rows.items():
        copy(model, rows)
        written[model._meta.label] = len(rows)
    reset_sequences(list(market.rows))
    # Summaries the app keeps from these rows (a stored shop score, say) are rebuilt here,
    # by the app's own refresh function, now that every row is in.
    return written


def add_reviews(market, count: int, owners: dict[int, int]) -> None:
    """Ratings on ended requests (the ones a buyer may rate), some with the shop's reply."""
    from aftersales.models import SUCCESS_STATES, CloseReason
    from reviews.models import Review

    ended = [
        row
        for row, _ in market.requests
        if row["state"] in SUCCESS_STATES or row["close_reason"] == CloseReason.RULED_FOR_SELLER
    ]
    stars = ([5, 4, 3, 2, 1], [55, 25, 10, 5, 5])
    for row in market.rng.sample(ended, min(count, len(ended))):
        since = (market.now - row["finished_at"]).total_seconds()
        written = row["finished_at"] + timedelta(seconds=market.rng.uniform(0.01, 1) * since)
        reply = market.rng.random() < 0.3
        market.add(
            Review,
            request_id=row["id"],
            shop_id=row["shop_id"],
            buyer_id=row["buyer_id"],
            speed=market.rng.choices(*stars)[0],
            attitude=market.rng.choices(*stars)[0],
            result=market.rng.choices(*stars)[0],
            comment=market.rng.choice(["", "处理很快，满意。", "客服态度一般。", "退款及时。"]),
            created_at=written,
            reply="感谢您的评价！" if reply else "",
            replied_by_id=owners[row["shop_id"]] if reply else None,
            replied_at=min(written + timedelta(hours=5), market.now) if reply else None,
        )


def add_complaints(market, count: int) -> None:
    """Complaints about the shop on ended requests, in every status of the staff queue."""
    from disputes.models import Complaint

    ended = [row for row, _ in market.requests if row["finished_at"] is not None]
    for row in market.rng.sample(ended, min(count, len(ended))):
        status = market.rng.choice(Complaint.Status.values)
        filed = row["finished_at"] + (market.now - row["finished_at"]) / 3
        market.add(
            Complaint,
            request_id=row["id"],
            buyer_id=row["buyer_id"],
            shop_id=row["shop_id"],
            reason=market.rng.choice(Complaint.Reason.values),
            description="卖家没有按约定处理。",
            status=status,
            result="已核实并处理。" if status == Complaint.Status.RESOLVED else "",
            handled_by_id=None if status == Complaint.Status.OPEN else market.staff,
            created_at=filed,
            resolved_at=market.now if status == Complaint.Status.RESOLVED else None,
        )


def add_notifications(market, *, buyer: int, shop: int, seller: int) -> None:
    """The demo users' notification centres: every event on the demo buyer's requests and
    on the busy shop's that asks them to act (or ends the request), and each escalation
    for the staff arbitrator. Read once they are two days old."""
    from aftersales.models import Notification, RequestEvent, Role
    from aftersales.notifications import audience_of

    requests = {row["id"]: row for row, _ in market.requests}
    for event in market.rows[RequestEvent]:
        audience = audience_of(event["to_state"])
        if event["action"] == "answer_dispute" or audience is None:
            continue
        row = requests[event["request_id"]]
        recipient = {
            Role.BUYER: buyer if row["buyer_id"] == buyer else None,
            Role.SELLER: seller if row["shop_id"] == shop else None,
            Role.STAFF: market.staff,
        }[audience]
        if recipient is None or recipient == event["actor_id"]:
            continue
        old = market.now - event["created_at"] > timedelta(days=2)
        market.add(
            Notification,
            recipient_id=recipient,
            request_id=row["id"],
            event_id=event["id"],
            kind=Notification.Kind.TRANSITION,
            audience=audience,
            created_at=event["created_at"],
            read_at=event["created_at"] + timedelta(hours=1) if old else None,
        )


def copy(model, rows: list[dict]) -> None:
    """``COPY`` the rows (dicts by attribute name) into the model's table; a field a row leaves
    out gets its default, so a new nullable column needs no change here."""
    from django.db import connection

    fields = model._meta.concrete_fields
    defaults = [field.get_default() for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as stream:
        for row in rows:
            stream.write_row([row.get(f.attname, d) for f, d in zip(fields, defaults, strict=True)])


def reset_sequences(models: list) -> None:
    """The ids were chosen here: move each table's id sequence past them."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def report(written: Counter, seconds: float) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from aftersales.models import OPEN_STATES, AfterSalesRequest, RequestEvent
    from orders.models import Order

    requests = AfterSalesRequest.objects.all()
    total = requests.count()
    print(f"built in {seconds:.1f} s: " + ", ".join(f"{n} {k}" for k, n in written.items()))
    busy = requests.filter(shop__members__user__username="seller")
    buyer = get_user_model().objects.get(username="buyer")
    print(
        f"requests: {total}, open {requests.filter(state__in=OPEN_STATES).count()}; "
        f"busy shop (seller's): {busy.count()}, open {busy.filter(state__in=OPEN_STATES).count()}"
    )
    print(f"events per request: {RequestEvent.objects.count() / max(total, 1):.2f}")
    print(
        f"demo buyer: {Order.objects.filter(buyer=buyer).count()} orders, "
        f"{requests.filter(buyer=buyer).count()} requests"
    )
    for field in ("state", "kind"):
        counts = requests.values_list(field).annotate(n=Count("pk")).order_by(field)
        print(f"by {field}: " + ", ".join(f"{value} {n}" for value, n in counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000, help="0: the demo only")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL), metavar="URL"
    )
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection, transaction

    from demo import loader

    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    if beyond_demo() and not args.reset:
        sys.exit("the database holds more than the demo: pass --reset to empty it and rebuild")
    started = time.perf_counter()
    if args.reset:
        call_command("flush", interactive=False, verbosity=0)
    if not loader.is_loaded():
        call_command("load_demo", stdout=io.StringIO())
        print(f"demo loaded in {time.perf_counter() - started:.1f} s")
    with transaction.atomic():
        written = build(args.requests, args.seed) if args.requests else Counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # statistics and visibility map, as after a day
    report(written, time.perf_counter() - started)


if __name__ == "__main__":
    main()
