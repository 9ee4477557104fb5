"""Every query of the list pages, with the plan PostgreSQL chose for it and its time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench \\
        .venv/bin/python bench/explain_pages.py [--all] [login:/path ...]

Signs in as the demo users (``load_demo`` makes them; ``bench/make_marketplace.py`` gives the
demo seller the busy shop), loads each page once to warm the caches, loads it again while
capturing its queries, and runs ``EXPLAIN (ANALYZE, BUFFERS)`` on each SELECT. It prints, per
page, the number of queries and, for each query slower than 1 ms (every query with ``--all``),
its time and its plan, so that an index that is missing (a ``Seq Scan`` on a big table, a
``Sort`` over thousands of rows) shows. Nothing is written: the EXPLAINs run in a transaction
that is rolled back.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

PAGES = [
    "buyer:/",
    "buyer:/requests/",
    "buyer:/requests/?status=processing",
    "buyer:/notifications/",
    "seller:/seller/",
    "seller:/seller/?state=",
    "seller:/seller/?state=submitted",
    "seller:/notifications/",
    "buyer:/shops/{shop}/",
    "staff:/admin/aftersales/dispute/",
    "staff:/admin/aftersales/dispute/?status__exact=open",
    "staff:/admin/disputes/complaint/",
    "staff:/admin/disputes/complaint/?status__exact=open",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="login:/path (default: every list page)")
    parser.add_argument("--all", action="store_true", help="show the plan of every query")
    parser.add_argument("--threshold", type=float, default=1.0, help="ms; slower plans shown")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.models import ShopMember

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database")
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["buyer", "seller", "staff"])
    }
    shop = ShopMember.objects.filter(user=users["seller"]).values_list("shop_id", flat=True).first()
    for spec in args.pages or PAGES:
        login, path = spec.split(":", 1)
        path = path.format(shop=shop)
        client = Client()
        client.force_login(users[login])
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        queries = [q["sql"] for q in captured.captured_queries]
        print(f"\n=== {login} {path}: HTTP {response.status_code}, {len(queries)} queries")
        with transaction.atomic(), connection.cursor() as cursor:
            for n, sql in enumerate(queries, 1):
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
                took = float(plan[-1].split(":")[1].split()[0])  # "Execution Time: 0.123 ms"
                if args.all or took >= args.threshold:
                    print(f"--- query {n}: {took:.2f} ms\n{sql[:600]}")
                    print("\n".join(f"    {line}" for line in plan))
                else:
                    print(f"--- query {n}: {took:.2f} ms  {sql[:110]}")
            transaction.set_rollback(True)


if __name__ == "__main__":
    main()
