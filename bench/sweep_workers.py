"""Does another worker process add throughput to the deadline sweep?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench_workers \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/sweep_workers.py [--requests 10000] [--workers 1 2] [--chunk 500]

For each worker count: the bench database (its name must contain "bench") is emptied and
filled with ``--requests`` overdue requests (``sweep_10k.build``: every state that carries a
deadline), a real Celery worker is started on Redis with that many processes, and beat's task
``sweep_deadlines`` is sent once. The backlog is larger than a chunk (``--chunk``, passed as
``AFTERSALES_SWEEP_CHUNK_SIZE``), so it fans out into chunk tasks the processes share. The
clock stops when no request is overdue any more. The notifications and payouts the batches send
run on the same worker, competing with the sweep, as in production.

Printed per worker count: requests/s, the ratio to one process, and to ``pgbench`` TPC-B
measured in the same run (the shared machine's pace).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "bench" not in os.environ.get("DATABASE_URL", "") or not os.environ.get("REDIS_URL"):
    sys.exit("set DATABASE_URL (a PostgreSQL database named *bench*) and REDIS_URL")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"


def start_worker(processes: int, chunk: int) -> subprocess.Popen:
    env = {**os.environ, "AFTERSALES_SWEEP_CHUNK_SIZE": str(chunk)}
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "-c", str(processes),
         "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    from config.celery import app

    for _ in range(120):
        if app.control.ping(timeout=0.5):
            return worker
        if worker.poll() is not None:
            sys.exit(worker.stderr.read().decode())
    sys.exit("the worker did not answer within a minute")


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk", type=int, default=500, help="requests per chunk task")
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    args = parser.parse_args()

    from bench.common import pgbench_tpcb
    from bench.sweep_10k import build, empty_tables, ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from aftersales.models import AfterSalesRequest
    from aftersales.sweep import sweep_deadlines
    from config.celery import app

    call_command("migrate", verbosity=0, interactive=False)
    tps = pgbench_tpcb(os.environ["DATABASE_URL"], seconds=args.pgbench_seconds)
    print(f"pgbench TPC-B (scale 10, 8 clients, {args.pgbench_seconds} s): {tps:.0f} TPS")
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
    rates: dict[int, float] = {}
    for processes in args.workers:
        empty_tables()
        app.control.purge()
        build(args.requests, timezone.now())
        worker = start_worker(processes, args.chunk)
        try:
            started = time.monotonic()
            sweep_deadlines.delay()
            while AfterSalesRequest.objects.filter(due_at__lte=timezone.now()).exists():
                time.sleep(0.2)
            seconds = time.monotonic() - started
        finally:
            stop(worker)
        rates[processes] = args.requests / seconds
        print(
            f"{processes} worker process(es): {seconds:6.1f} s, {rates[processes]:6.0f} "
            f"requests/s, × one process {rates[processes] / rates[args.workers[0]]:.2f}, "
            f"÷ pgbench {rates[processes] / tps:.2f}"
        )
    empty_tables()


if __name__ == "__main__":
    main()
