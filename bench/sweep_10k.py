"""How long one deadline sweep takes over 10,000 overdue after-sales requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench \\
        .venv/bin/python bench/sweep_10k.py [--requests 10000] [--no-side-effects] [--keep] \\
        [--pgbench-seconds 20 | --no-pgbench]

The database must be a dedicated one whose name contains "bench" (it is created if missing,
migrated, and emptied afterwards); without DATABASE_URL a throw-away SQLite file is used. The
rows are built with ``bulk_create`` (shops, members, return addresses, buyers, orders, items and
requests whose state matches their ``due_action``), then ONE ``sweep(now=...)`` is timed.

By default Celery runs eagerly, so what each transaction registers on commit (the notification
task and, for refunds, the payout through the simulated gateway) runs inline and is part of the
time, as if the worker were infinitely close; e-mail goes to the dummy backend. With
``--no-side-effects`` those tasks are only counted, which times the sweep as the worker
executes it when it hands tasks to a broker.

On PostgreSQL the same run first measures the database's own pace: ``pgbench``'s TPC-B-like
script (scale 10, 8 clients, 2 threads, 20 s) in a database of its own, dropped afterwards.
The sweep's requests/s are printed as a share of that TPS, which holds still when the shared
machine is busy. See bench/README.md.
"""

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_FILE = None
if not os.environ.get("DATABASE_URL"):
    SQLITE_FILE = Path(tempfile.mkdtemp(prefix="aftersales-bench-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: it would skew time and memory
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"


def ensure_database() -> None:
    """Create the PostgreSQL database if missing; refuse anything not named as a bench DB."""
    import dj_database_url

    config = dj_database_url.config()
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return
    name = config["NAME"]
    if "bench" not in name:
        sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# (state, kind, due action, share): every state that carries a deadline, in its due action
# (the system transition ``aftersales.deadlines.next_deadline`` names).
MIX = [
    ("submitted", "refund_only", "approve", 30),
    ("submitted", "return_refund", "approve", 15),
    ("negotiating", "return_refund", "close_for_timeout", 5),
    ("rejected", "return_refund", "close_for_timeout", 5),
    ("awaiting_return", "return_refund", "close_for_timeout", 10),
    ("return_shipped", "return_refund", "refund_without_receipt", 10),
    ("return_shipped", "exchange", "escalate_overdue", 3),
    ("inspecting", "return_refund", "pass_inspection", 5),
    ("inspecting", "repair", "pass_inspection", 2),
    ("inspecting", "exchange", "escalate_overdue", 2),
    ("repairing", "repair", "escalate_overdue", 3),
    ("replacement_shipped", "exchange", "confirm_delivery", 5),
    ("repair_shipped", "repair", "confirm_delivery", 5),
]


def build(total: int, now) -> list[int]:
    """Bulk-create ``total`` overdue requests; return their ids."""
    from django.contrib.auth import get_user_model

    from aftersales.models import AfterSalesRequest, Reason
    from orders.models import Order, OrderItem, ReturnAddress, Shop, ShopMember

    User = get_user_model()
    tag = f"bench{int(time.time())}"
    shops = Shop.objects.bulk_create(Shop(name=f"{tag} shop {i}") for i in range(50))
    ReturnAddress.objects.bulk_create(
        ReturnAddress(
            shop=shop, recipient="王小明", phone="13800000000", address="杭州", is_default=True
        )
        for shop in shops
    )
    sellers = User.objects.bulk_create(
        User(username=f"{tag}-seller{i}", email=f"{tag}-seller{i}@example.com")
        for i in range(len(shops))
    )
    ShopMember.objects.bulk_create(
        ShopMember(shop=shop, user=user, role="owner")
        for shop, user in zip(shops, sellers, strict=True)
    )
    buyers = User.objects.bulk_create(
        User(username=f"{tag}-buyer{i}", email=f"{tag}-buyer{i}@example.com") for i in range(500)
    )
    paid = now - timedelta(days=20)
    orders = Order.objects.bulk_create(
        (
            Order(
                number=f"{tag}-{i:06d}",
                buyer=buyers[i % len(buyers)],
                shop=shops[i % len(shops)],
                payment_method="alipay",
                paid_at=paid,
            )
            for i in range(total)
        ),
        batch_size=2000,
    )
    plan = [row for row in MIX for _ in range(row[3])]
    items = OrderItem.objects.bulk_create(
        (
            OrderItem(
                order=order,
                title=f"Longjing tea {i}",
                sku="250 g",
                unit_price=Decimal("100.00"),
                quantity=1,
                amount_paid=Decimal("100.00"),
                shipped_at=None if plan[i % len(plan)][1] == "refund_only" else paid,
                delivered_at=None if plan[i % len(plan)][1] == "refund_only" else paid,
            )
            for i, order in enumerate(orders)
        ),
        batch_size=2000,
    )
    requests = []
    for i, (order, item) in enumerate(zip(orders, items, strict=True)):
        state, kind, due_action, _ = plan[i % len(plan)]
        money = kind in ("refund_only", "return_refund")
        requests.append(
            AfterSalesRequest(
                order_item=item,
                order=order,
                buyer_id=order.buyer_id,
                shop_id=order.shop_id,
                kind=kind,
                reason=Reason.CHANGED_MIND if kind == "refund_only" else Reason.QUALITY_PROBLEM,
                quantity=1,
                refund_amount=Decimal("100.00") if money else Decimal("0.00"),
                description="bench",
                state=state,
                due_at=now - timedelta(minutes=1 + i % 600),
                due_action=due_action,
                return_address="王小明 13800000000 杭州" if state != "submitted" else "",
            )
        )
    created = AfterSalesRequest.objects.bulk_create(requests, batch_size=2000)
    return [r.pk for r in created]


def empty_tables() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument(
        "--no-side-effects",
        action="store_true",
        help="count the on-commit tasks (notifications, payouts) instead of running them inline",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also report the Python heap peak of the sweep (slows the sweep down)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the rows in the database")
    parser.add_argument(
        "--pgbench-seconds", type=int, default=20, help="length of the pgbench reference run"
    )
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench reference")
    args = parser.parse_args()

    ensure_database()
    from bench.common import machine_load, pgbench_tpcb

    print(f"load: {machine_load()}")
    tps = None
    if SQLITE_FILE is None and not args.no_pgbench:
        tps = pgbench_tpcb(os.environ["DATABASE_URL"], seconds=args.pgbench_seconds)
        print(f"pgbench TPC-B (scale 10, 8 clients, {args.pgbench_seconds} s): {tps:.0f} TPS")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from aftersales import tasks
    from aftersales.models import AfterSalesRequest, LedgerEntry, Notification
    from aftersales.payments import SimulatedGateway
    from aftersales.sweep import sweep
    from config.celery import app

    app.conf.task_always_eager = True  # no broker needed
    logging.getLogger("celery").setLevel(logging.WARNING)  # one INFO line per eager task
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    queued: Counter = Counter()
    if args.no_side_effects:
        side_effects = (tasks.announce_transition, tasks.announce_transitions, tasks.pay_out)
        for task in (*side_effects, tasks.pay_out_many, tasks.send_reminder):
            task.delay = lambda *a, _name=task.name, **k: queued.update([_name])

    call_command("migrate", verbosity=0, interactive=False)
    if AfterSalesRequest.objects.exists():
        sys.exit("the bench database is not empty: run with a fresh one (or without --keep)")
    db = connection.settings_dict
    print(f"database: {connection.vendor} {db['NAME']}")

    now = timezone.now()
    started = time.perf_counter()
    ids = build(args.requests, now)
    print(f"built {len(ids)} overdue requests in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            if tps is not None:
                cursor.execute("CHECKPOINT")  # pgbench's dirty pages are not the sweep's to write

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    result = sweep(now=now)
    seconds = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    states = Counter(AfterSalesRequest.objects.values_list("state", flat=True))
    print(f"requests:         {len(ids)}")
    print(f"sweep seconds:    {seconds:.2f}")
    print(f"requests/second:  {len(ids) / seconds:.0f}")
    if tps is not None:
        print(f"÷ pgbench TPC-B:   {len(ids) / seconds / tps:.3f} (pgbench {tps:.0f} TPS)")
    print(f"applied / failed: {result.applied} / {len(result.failed)}")
    print(f"skipped:          {result.skipped}, reminded: {result.reminded}")
    grown = (rss_after - rss_before) / 1024
    print(f"peak RSS:         {rss_after / 1024:.0f} MiB (+{grown:.0f} MiB during the sweep)")
    if heap_peak is not None:
        print(f"Python heap peak: {heap_peak / 2**20:.1f} MiB during the sweep (tracemalloc)")
    effects = f"queued only {dict(queued)}" if args.no_side_effects else "run inline (eager)"
    print(f"side effects:     {effects}")
    paid = LedgerEntry.objects.filter(status="paid").count()
    print(
        f"ledger rows:      {LedgerEntry.objects.count()} ({paid} paid), "
        f"notifications: {Notification.objects.count()}, "
        f"gateway calls: {len(SimulatedGateway.calls)}"
    )
    print("states after:     " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    print(f"load: {machine_load()}")

    if not args.keep:
        empty_tables()
        print("bench rows removed")
    if SQLITE_FILE is not None:
        connection.close()
        if not args.keep:
            SQLITE_FILE.unlink(missing_ok=True)
            SQLITE_FILE.parent.rmdir()


if __name__ == "__main__":
    main()
