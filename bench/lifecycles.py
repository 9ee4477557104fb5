"""Full after-sales lifecycles over HTTP, as buyers and sellers click through them.

    .venv/bin/python bench/lifecycles.py --database-url postgres://…/aftersales_bench_100k \\
        [--clients 8] [--duration 30] [--json out.json]

The app is served as in ``bench/pages.py`` (gunicorn, production settings, 3 workers). Each of
``--clients`` clients is one buyer and one customer-service agent of the demo seller's (busy)
shop, both signed in through the real login form. Until the time is up, each client runs
return-and-refund lifecycles on fresh delivered items (created beforehand in bulk):

    buyer   opens the apply form, files the request            → its page (after the redirect)
    seller  opens the request, approves with the return address → its page
    buyer   opens the request, ships the goods back (SF + 13 digits) → its page
    seller  confirms receipt → page; passes the inspection (refunded) → page

every POST carrying the CSRF token of the page before it, every redirect followed by loading
the page, as a browser does. It prints lifecycles/s, HTTP requests/s, each step's latency, the
share of the time spent on pages after a redirect, and the ratio to ``/bench/ping/`` (the
trivial signed-in page) measured with ``wrk`` before and after, in the same run.

Afterwards the lifecycles' rows are deleted (``--keep`` leaves them), so the database keeps
the size it was built at, and the notification and payout tasks they queued are dropped from
the bench Redis DB (no worker runs during a bench).
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    DEFAULT_REDIS_URL,
    PASSWORD,
    Browser,
    Server,
    database_name,
    ensure_database,
    machine_load,
    purge_celery_queue,
    setup_django,
    wrk,
)

PRICE = "128.00"
REQUEST_ID = re.compile(r"/requests/(\d+)/")
RETURN_ADDRESS = re.compile(r'name="return_address"[^>]*>\s*<option value="(\d+)"')


class Failed(Exception):
    """A step did not do what it should (an HTTP status, or an error message on the page)."""


def prepare(clients: int, items_each: int) -> list[dict]:
    """Per client: a buyer, an agent of the busy shop, and ``items_each`` delivered items."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from orders.models import Order, OrderItem, Shop, ShopMember

    User = get_user_model()
    shop = Shop.objects.get(members__user__username="seller", members__role="owner")
    password, now, stamp = make_password(PASSWORD), timezone.now(), int(time.time())
    people = []
    for number in range(clients):
        buyer, _ = User.objects.get_or_create(
            username=f"bench-lc-buyer-{number}", defaults={"password": password}
        )
        agent, _ = User.objects.get_or_create(
            username=f"bench-lc-agent-{number}", defaults={"password": password}
        )
        ShopMember.objects.get_or_create(shop=shop, user=agent, defaults={"role": "agent"})
        orders = Order.objects.bulk_create(
            Order(
                number=f"LC{stamp}{number:02d}{n:05d}",
                buyer=buyer,
                shop=shop,
                payment_method="alipay",
                paid_at=now - timezone.timedelta(days=3),
            )
            for n in range(items_each)
        )
        items = OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                title="西湖龙井 250 g",
                sku="250 g",
                unit_price=PRICE,
                quantity=1,
                amount_paid=PRICE,
                shipped_at=now - timezone.timedelta(days=2),
                delivered_at=now - timezone.timedelta(days=1),
            )
            for order in orders
        )
        people.append(
            {"buyer": buyer.username, "agent": agent.username, "items": [i.pk for i in items]}
        )
    return people


def clean_up() -> int:
    """Remove what lifecycle runs left: their orders (numbered ``LC…``), items, requests and
    all that hangs off them, so the database keeps the size it was built at."""
    from django.db import transaction

    from aftersales.history import history_rewrite_allowed
    from aftersales.models import AfterSalesRequest, LedgerEntry
    from orders.models import Order

    # The database refuses to delete events and ledger rows (the history triggers); a bench
    # run's own rows are the one exception, inside this transaction.
    with transaction.atomic(), history_rewrite_allowed():
        orders = Order.objects.filter(number__startswith="LC")
        requests = AfterSalesRequest.objects.filter(order__in=orders)
        LedgerEntry.objects.filter(request__in=requests).delete()  # the ledger protects requests
        removed = requests.delete()[1].get("aftersales.AfterSalesRequest", 0)
        orders.delete()
    return removed


def lifecycle(buyer: Browser, seller: Browser, item: int, timings: dict) -> int:
    """One return and refund, from the apply form to the refund; the request's id."""

    def step(name: str, browser: Browser, path: str, form=None, expect=200):
        answer = browser.request("GET" if form is None else "POST", path, form)
        timings[name].append(answer.seconds)
        if answer.status != expect:
            raise Failed(f"{name}: HTTP {answer.status} for {path}")
        return answer

    def act(name: str, browser: Browser, path: str, form: dict):
        answer = step(name, browser, path, form, expect=302)
        page = step(f"{name} → page", browser, answer.location)
        if 'class="error"' in page.body:
            raise Failed(f"{name}: the page after it shows an error")
        return answer

    step("buyer: apply form", buyer, f"/items/{item}/apply/?kind=return_refund")
    filed = act(
        "buyer: file",
        buyer,
        f"/items/{item}/apply/",
        {
            "kind": "return_refund",
            "reason": "quality_problem",
            "quantity": "1",
            "refund_amount": PRICE,
            "description": "茶叶受潮结块，申请退货退款。",
        },
    )
    pk = int(REQUEST_ID.search(filed.location).group(1))
    mine, theirs = f"/requests/{pk}/", f"/seller/requests/{pk}/"
    page = step("seller: open", seller, theirs)
    address = RETURN_ADDRESS.search(page.body)
    if address is None:
        raise Failed("seller: no return address to choose on the page")
    act("seller: approve", seller, f"{theirs}approve/", {"return_address": address.group(1)})
    step("buyer: open", buyer, mine)
    tracking = f"SF{random.randrange(10**12, 10**13)}"
    act("buyer: ship back", buyer, f"{mine}ship/", {"carrier": "sf", "tracking_number": tracking})
    act("seller: confirm receipt", seller, f"{theirs}receipt/", {})
    act("seller: pass inspection", seller, f"{theirs}pass/", {})
    return pk


def run(base: str, people: list[dict], seconds: float) -> dict:
    """All clients at once until ``seconds`` have passed (each finishes its lifecycle)."""
    timings: dict[str, list[float]] = defaultdict(list)
    done, failures, ids = [], [], []
    lock = threading.Lock()
    browsers = []
    for person in people:
        buyer, seller = Browser(base), Browser(base)
        buyer.login(person["buyer"])
        seller.login(person["agent"])
        browsers.append((buyer, seller))
    started = time.perf_counter()

    def client(number: int) -> None:
        buyer, seller = browsers[number]
        mine: dict[str, list[float]] = defaultdict(list)
        for item in people[number]["items"]:
            if time.perf_counter() - started > seconds:
                break
            try:
                pk = lifecycle(buyer, seller, item, mine)
            except Failed as failure:
                with lock:
                    failures.append(str(failure))
                continue
            with lock:
                done.append(time.perf_counter() - started)
                ids.append(pk)
        else:
            print(f"client {number} ran out of items: raise --items", file=sys.stderr)
        with lock:
            for name, values in mine.items():
                timings[name].extend(values)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "elapsed": elapsed,
        "lifecycles": len(done),
        "failures": failures,
        "ids": ids,
        "timings": dict(timings),
    }


def report(result: dict, ping: float) -> dict:
    timings, elapsed = result["timings"], result["elapsed"]
    calls = sum(len(values) for values in timings.values())
    total = sum(sum(values) for values in timings.values())
    after = sum(sum(values) for name, values in timings.items() if name.endswith("→ page"))
    rate, http = result["lifecycles"] / elapsed, calls / elapsed
    print(f"\n{'step':<34} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'share':>6}")
    for name, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"{name:<34} {len(values):>6} {statistics.median(values) * 1e3:>8.1f} "
            f"{p95 * 1e3:>8.1f} {statistics.fmean(values) * 1e3:>8.1f} "
            f"{sum(values) / total:>6.1%}"
        )
    print(
        f"\nlifecycles: {result['lifecycles']} in {elapsed:.1f} s = {rate:.2f} per s "
        f"({len(result['failures'])} failed)"
    )
    print(f"HTTP requests: {calls} = {http:.1f} per s; pages after a redirect: {after / total:.0%}")
    print(f"ping (trivial signed-in page, wrk): {ping:.1f} requests/s")
    print(
        f"lifecycles/s ÷ ping requests/s: {rate / ping:.4f}; HTTP requests/s ÷ ping: "
        f"{http / ping:.2f}"
    )
    for failure in result["failures"][:5]:
        print(f"failed: {failure}")
    return {
        "lifecycles_per_s": rate,
        "http_per_s": http,
        "ping_rps": ping,
        "of_ping": rate / ping,
        "redirect_page_share": after / total,
    }


def check(ids: list[int]) -> None:
    """What the database says the lifecycles did: every one refunded, with its ledger row."""
    from aftersales.models import AfterSalesRequest, LedgerEntry

    states = AfterSalesRequest.objects.filter(pk__in=ids).values_list("state", flat=True)
    refunded = sum(1 for state in states if state == "refunded")
    ledger = LedgerEntry.objects.filter(request_id__in=ids, type="refund").count()
    print(f"database: {refunded} of {len(ids)} lifecycles refunded, {ledger} refund ledger rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), metavar="URL")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=int, default=30, help="seconds of lifecycles (30)")
    parser.add_argument("--ping-seconds", type=int, default=10, help="wrk on the ping (10)")
    parser.add_argument("--items", type=int, default=0, help="items per client (default: enough)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--json", metavar="FILE", help="save the results here")
    parser.add_argument("--keep", action="store_true", help="leave the lifecycles' rows")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (or DATABASE_URL)")

    ensure_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    if removed := clean_up():
        print(f"removed {removed} requests an earlier run left")
    people = prepare(args.clients, args.items or args.duration * 8)
    load_before = machine_load()
    print(f"{database_name(args.database_url)}, {args.clients} clients; load: {load_before}")
    with Server(args.database_url, redis_url=args.redis_url) as server:
        probe = Browser(server.base)
        probe.login("buyer")

        def ping() -> float:
            server.wait_idle()
            cookie = probe.cookie_header()
            return wrk(f"{server.base}/bench/ping/", cookie=cookie, seconds=args.ping_seconds)[
                "rps"
            ]

        before = ping()
        result = run(server.base, people, args.duration)
        after = ping()
    print(f"ping before {before:.1f}, after {after:.1f} requests/s")
    summary = report(result, (before + after) / 2)
    check(result["ids"])
    print(f"queued tasks dropped from Redis: {purge_celery_queue(args.redis_url)}")
    if not args.keep:
        print(f"removed the {clean_up()} requests of this run (--keep leaves them)")
    print(f"load: {machine_load()}")
    if args.json:
        summary.update(
            database=database_name(args.database_url),
            clients=args.clients,
            load_before=load_before,
            timings=result["timings"],
        )
        Path(args.json).write_text(json.dumps(summary, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
