"""How fast each list and detail page is served, against the trivial signed-in page.

    .venv/bin/python bench/pages.py --database-url postgres://…/aftersales_bench_100k \\
        [--compare postgres://…/aftersales_bench_demo | --baseline before.json] \\
        [--duration 10] [--clients 10] [--only seller] [--json out.json]

The app is served by gunicorn as in production (``config.settings.production`` through
``bench.settings``, 3 sync workers, DEBUG off) on a free local port. The script signs in as
the demo's ``buyer``, ``seller`` and ``staff`` through the real login forms, then loads each page
with ``wrk`` (10 connections, a fixed time each) with that user's session cookie, and also
``/bench/ping/``: a signed-in page that does nothing, through the same middleware, before
and after the pages. Per page it prints requests/s, p50/p95/p99 latency, the SQL queries one
request makes (counted in-process with Django's test client and ``CaptureQueriesContext``,
as the same user, on the same database) and **requests/s as a share of the ping's**: what is
left once the machine's load and the framework's fixed cost are divided out.

``--compare URL`` first measures the other database (in a child process, its own server)
and then prints, per page, this size against that one; ``--baseline FILE`` compares with a
saved ``--json`` result instead (e.g. before and after a change).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    PYTHON,
    Browser,
    Server,
    database_name,
    ensure_database,
    machine_load,
    setup_django,
    wrk,
)

PING = "/bench/ping/"
PING_EVERY = 4  # pages between two measurements of the ping
MAX_SECONDS = 120  # the longest run a slow page gets
# (label, who, path); {…} are ids picked from the database by pick_ids().
PAGES = [
    ("frame: empty page, site header", "buyer", "/bench/frame/"),
    ("buyer: my orders", "buyer", "/"),
    ("buyer: my requests", "buyer", "/requests/"),
    ("buyer: request page", "buyer", "/requests/{buyer_request}/"),
    ("buyer: notifications", "buyer", "/notifications/"),
    ("seller: dashboard", "seller", "/seller/"),
    ("seller: queue, open, page 2", "seller", "/seller/?state=open&page=2"),
    ("seller: request page", "seller", "/seller/requests/{seller_request}/"),
    ("seller: export.csv", "seller", "/seller/export.csv"),
    ("staff: dispute queue", "staff", "/admin/aftersales/dispute/"),
    ("staff: dispute page", "staff", "/admin/aftersales/dispute/{dispute}/change/"),
    ("staff: complaints", "staff", "/admin/disputes/complaint/"),
    ("shop page (busy shop)", "buyer", "/shops/{shop}/"),
    # The seller API with a read key of the seller's shop: its sync's first page, as an ERP
    # asks for it (README "Integrate your ERP").
    ("api: requests list (50)", "api", "/api/v1/requests/?limit=50"),
]
DETAIL_PAGES = {"buyer: request page", "seller: request page", "staff: dispute page"}
LIST_PAGES = [page for page in PAGES if page[0] not in DETAIL_PAGES and "frame" not in page[0]]


def pick_ids() -> dict[str, int]:
    """Real ids: the demo buyer's open request with the longest history, the same in the
    seller's (busy) shop, the first open dispute of the staff queue, the seller's shop."""
    from django.db.models import Count

    from aftersales.models import OPEN_STATES, AfterSalesRequest, Dispute
    from orders.models import Shop

    def longest(requests) -> int:
        requests = requests.filter(state__in=OPEN_STATES).annotate(n=Count("events"))
        return requests.order_by("-n", "-pk").values_list("pk", flat=True)[0]

    shop = Shop.objects.get(members__user__username="seller", members__role="owner")
    disputes = Dispute.objects.filter(status=Dispute.Status.OPEN).order_by("ruling_due_at", "pk")
    return {
        "buyer_request": longest(AfterSalesRequest.objects.filter(buyer__username="buyer")),
        "seller_request": longest(AfterSalesRequest.objects.filter(shop=shop)),
        "dispute": disputes.values_list("pk", flat=True)[0],
        "shop": shop.pk,
    }


def api_key() -> str:
    """A fresh read key of the demo seller's shop (revoked when the run ends)."""
    from apikeys.services import create_shop_key
    from orders.models import ShopMember

    member = ShopMember.objects.select_related("shop", "user").get(
        user__username="seller", role=ShopMember.Role.OWNER
    )
    _, token = create_shop_key(shop=member.shop, actor=member.user, name="bench", scopes=["read"])
    return token


def capture(username: str, path: str, token: str = ""):
    """Load ``path`` in-process as ``username`` (or with the API key ``token`` for "api");
    the response and the queries it made."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if username == "api":
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    else:
        client.force_login(get_user_model().objects.get(username=username))
    client.get(path)  # warm: first-use caches (content types, templates) are not the page's
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    return response, queries.captured_queries


def measure(database_url: str, *, seconds: float, clients: int, only: str) -> dict:
    """Every page's figures on one database. The ping is measured before the first page and
    after every :data:`PING_EVERY` pages; each page is divided by the mean of the two around it,
    so a neighbour's test run that starts half-way skews one group, not the whole table."""
    from aftersales.models import AfterSalesRequest

    ids = pick_ids()
    pages = [(label, who, path.format(**ids)) for label, who, path in PAGES if only in label]
    results = {
        "database": database_name(database_url),
        "requests": AfterSalesRequest.objects.count(),
        "ids": ids,
        "seconds": seconds,
        "clients": clients,
        "load_before": machine_load(),
    }
    print(f"\n{results['database']}: {results['requests']} requests; ids {ids}")
    print(f"load: {results['load_before']}")
    token = api_key()
    with Server(database_url) as server:  # collects the static files the pages refer to
        queries = {}
        for label, who, path in pages:
            response, captured = capture(who, path, token)
            if response.status_code != 200:
                sys.exit(f"{label}: {path} answers HTTP {response.status_code} in-process")
            queries[label] = len(captured)
        browsers = {who: Browser(server.base) for who in ("buyer", "seller", "staff", "api")}
        for who, browser in browsers.items():
            if who == "api":
                browser.headers["Authorization"] = f"Bearer {token}"
            else:
                browser.login(who, admin=who == "staff")
        alone = {}  # one request's time, alone on the server
        for label, who, path in [("ping", "buyer", PING), *pages]:
            answer = browsers[who].get(path)
            if answer.status != 200:
                sys.exit(f"{label}: {path} answers HTTP {answer.status} over HTTP")
            alone[label] = answer.seconds

        def load(who: str, path: str, length: int = seconds) -> dict:
            server.wait_idle()
            browser = browsers[who]
            headers = tuple(f"{name}: {value}" for name, value in browser.headers.items())
            report = wrk(
                server.base + path,
                cookie=browser.cookie_header(),
                seconds=length,
                clients=clients,
                headers=headers,
            )
            return {**report, "run_seconds": length}

        pings, rows = [load("buyer", PING)], {}
        for index, (label, who, path) in enumerate(pages):
            print(f"  {label} …", flush=True)
            # A page that takes seconds gets a longer run, so that some requests complete.
            length = max(seconds, min(MAX_SECONDS, math.ceil(15 * alone[label])))
            rows[label] = {"path": path, "who": who, "queries": queries[label]}
            rows[label].update(alone_ms=alone[label] * 1e3, **load(who, path, length))
            rows[label]["ping_index"] = len(pings) - 1
            if (index + 1) % PING_EVERY == 0 or index + 1 == len(pages):
                pings.append(load("buyer", PING))
    for row in rows.values():  # the reference: the pings just before and just after
        row["ping_rps"] = (
            pings[row["ping_index"]]["rps"] + pings[row["ping_index"] + 1]["rps"]
        ) / 2
        row["of_ping"] = row["rps"] / row["ping_rps"]
    results.update(pings=pings, ping_rps=sum(p["rps"] for p in pings) / len(pings), pages=rows)
    results["load_after"] = machine_load()
    revoke_api_key(token)
    print(HEADER)
    for number, ping in enumerate(pings):
        show(f"ping {number + 1} of {len(pings)}", PING, ping, None, ping["rps"])
    for label, row in rows.items():
        show(label, row["path"], row, row["queries"], row["ping_rps"])
    print(f"load: {results['load_after']}")
    return results


def revoke_api_key(token: str) -> None:
    from apikeys.services import key_for_token, revoke_key

    if key := key_for_token(token):
        revoke_key(key=key, actor=key.created_by)


HEADER = (
    f"{'page':<28} {'path':<34} {'req/s':>6} {'×ping':>5} {'p50 ms':>7} {'p95 ms':>7} "
    f"{'p99 ms':>7} {'queries':>7} {'alone ms':>8} {'run s':>5}"
)


def show(label: str, path: str, row: dict, queries: int | None, ping: float) -> None:
    errors = row["socket_errors"] + row["bad_status"]
    print(
        f"{label[:28]:<28} {path[:34]:<34} {row['rps']:>6.1f} {row['rps'] / max(ping, 1e-9):>5.2f} "
        f"{row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} {row['p99_ms']:>7.0f} "
        f"{'' if queries is None else queries:>7} {row.get('alone_ms', 0):>8.0f} "
        f"{row['run_seconds']:>5}" + (f"  ({errors} errors)" if errors else "")
    )


def compare(here: dict, there: dict) -> None:
    """Per page: this database's figures over the other's. Two runs are minutes apart on a
    shared machine, so the ratio of the ping-relative figures is the one to trust; the raw
    ratio is printed beside it."""
    print(
        f"\n{here['database']} ({here['requests']} requests) ÷ "
        f"{there['database']} ({there['requests']} requests)"
    )
    print(f"ping: {here['ping_rps']:.1f} / {there['ping_rps']:.1f} requests/s")
    print(
        f"{'page':<30} {'req/s':>14} {'raw':>5} {'×ping':>10} {'ratio':>6} {'p95 ms':>14} "
        f"{'queries':>9}"
    )
    for label, row in here["pages"].items():
        other = there["pages"].get(label)
        if other is None:
            continue
        raw = row["rps"] / max(other["rps"], 1e-9)
        relative = row["of_ping"] / max(other["of_ping"], 1e-9)
        print(
            f"{label:<30} {row['rps']:>6.1f} /{other['rps']:>6.1f} {raw:>5.2f} "
            f"{row['of_ping']:>4.2f} /{other['of_ping']:>4.2f} {relative:>6.2f} "
            f"{row['p95_ms']:>6.0f} /{other['p95_ms']:>6.0f} "
            f"{row['queries']:>4} /{other['queries']:>3}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), metavar="URL")
    parser.add_argument("--compare", metavar="URL", help="measure this database too, compare")
    parser.add_argument("--baseline", metavar="FILE", help="compare with a saved --json result")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (10)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent connections (10)")
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--json", metavar="FILE", help="save the results here")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (or DATABASE_URL)")

    there = None
    if args.compare:
        with tempfile.NamedTemporaryFile(suffix=".json") as saved:
            command = [PYTHON, __file__, "--database-url", args.compare, "--json", saved.name]
            command += ["--duration", str(args.duration), "--clients", str(args.clients)]
            subprocess.run([*command, "--only", args.only], check=True)
            there = json.loads(Path(saved.name).read_text())
    elif args.baseline:
        there = json.loads(Path(args.baseline).read_text())

    ensure_database(args.database_url)
    setup_django(args.database_url)
    here = measure(args.database_url, seconds=args.duration, clients=args.clients, only=args.only)
    if args.json:
        saved = {**here, "compared_with": there} if there is not None else here
        Path(args.json).write_text(json.dumps(saved, indent=2, ensure_ascii=False))
    if there is not None:
        compare(here, there)


if __name__ == "__main__":
    main()
