"""The query plans behind each list page: ``EXPLAIN (ANALYZE, BUFFERS)`` of its slowest queries.

    .venv/bin/python bench/explain.py --database-url postgres://…/aftersales_bench_100k \\
        [--top 3] [--only seller] [--markdown]

Each list page of ``bench/pages.py`` is loaded in-process as its user (Django's test client,
production settings); every SELECT it sends is captured with ``CaptureQueriesContext`` and
run again under ``EXPLAIN (ANALYZE, BUFFERS)``. Per page it prints how many queries there
were, their total execution time, and the ``--top`` slowest (those over ``--min-ms``; always
the slowest) with their SQL and plan: the queries an index or a stored summary should change,
and the proof that it did.
``--markdown`` prints collapsible ``<details>`` blocks for bench/README.md.
"""

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ensure_database, setup_django  # noqa: E402

EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")
CURSOR = re.compile(r"^DECLARE \S+ .*?CURSOR .*?FOR ", re.IGNORECASE)


def explain(sql: str) -> tuple[float, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return float(EXECUTION.search(plan).group(1)), plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), metavar="URL")
    parser.add_argument("--top", type=int, default=3, help="slowest queries shown per page (3)")
    parser.add_argument(
        "--min-ms", type=float, default=1.0, help="beyond the slowest, skip faster ones (1 ms)"
    )
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--markdown", action="store_true", help="<details> blocks for a README")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (or DATABASE_URL)")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    from bench.pages import LIST_PAGES, capture, pick_ids

    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' static manifest
    ids = pick_ids()
    for label, who, path in LIST_PAGES:
        if args.only not in label:
            continue
        path = path.format(**ids)
        _, captured = capture(who, path)
        # A streamed queryset (``.iterator()``) arrives as DECLARE … CURSOR … FOR SELECT.
        statements = [CURSOR.sub("", q["sql"].lstrip()) for q in captured]
        selects = [sql for sql in statements if sql.upper().startswith("SELECT")]
        plans = sorted((explain(sql) + (sql,) for sql in selects), reverse=True)
        total = sum(ms for ms, _, _ in plans)
        shown = plans[:1] + [plan for plan in plans[1 : args.top] if plan[0] >= args.min_ms]
        title = (
            f"{label} — {path} — {len(captured)} queries, {total:.1f} ms executing the "
            f"{len(selects)} SELECTs; the {len(shown)} slowest"
        )
        if args.markdown:
            print(f"<details><summary>{title}</summary>\n")
        else:
            print(f"\n=== {title}")
        for ms, plan, sql in shown:
            if args.markdown:
                print(f"**{ms:.1f} ms**\n\n```sql\n{sql}\n```\n\n```\n{plan}\n```\n")
            else:
                print(f"\n--- {ms:.1f} ms\n{sql}\n\n{plan}")
        if args.markdown:
            print("</details>\n")


if __name__ == "__main__":
    main()
