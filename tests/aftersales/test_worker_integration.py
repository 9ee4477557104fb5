"""End to end through a real Celery worker and Redis (SPEC §1 "the system", §5): the periodic
sweep, sent through the broker, auto-approves an overdue refund-only request in the worker, and
the payout task it schedules on commit travels through Redis again and pays the refund.

Needs PostgreSQL (the worker is another process and must see the test's committed rows) and
Redis; skipped without them unless ``REQUIRE_SERVICES=1``.
"""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.db import connection
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Kind, LedgerEntry, Role, State
from tests.aftersales.factories import file_request

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
REDIS_DB = 9  # a database of its own: flushed before and after
WORKER_START_TIMEOUT = 45
END_TO_END_TIMEOUT = 30


def dedicated_redis_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


def worker_database_url() -> str:
    """The database pytest-django created, as the worker process must reach it."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{host}{port}/{db['NAME']}"


class Worker:
    """A ``celery worker`` subprocess whose output is collected line by line."""

    def __init__(self, env: dict[str, str]):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=aftersales-sweep-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode}):\n{self.output}")
            time.sleep(0.25)
        pytest.fail(
            f"timed out after {timeout} s waiting for {what}; worker output:\n{self.output}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: a task in hand is finished and acked
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.reader.join(timeout=5)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_overdue_refund_is_approved_and_paid_out_by_a_real_worker(buyer, shop, seller, item):
    from aftersales.sweep import sweep_deadlines
    from config.celery import app

    # given: a refund-only request the seller left past its deadline (committed: the worker is
    # another process)
    request = file_request(item, kind=Kind.REFUND_ONLY)
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    broker_url = dedicated_redis_url()
    broker = redis.Redis.from_url(broker_url, socket_timeout=5)
    broker.flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_EAGER": "0",
        "REDIS_URL": broker_url,
        "DATABASE_URL": worker_database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    saved = {key: getattr(app.conf, key) for key in ("task_always_eager", "broker_url")}
    worker = Worker(env)
    try:
        worker.wait_until(lambda: " ready." in worker.output, WORKER_START_TIMEOUT, "the worker")

        # when: the periodic task is sent through Redis, as beat sends it every minute
        app.conf.task_always_eager = False
        app.conf.broker_url = broker_url
        with app.connection_for_write(broker_url) as broker_connection:
            sweep_deadlines.apply_async(connection=broker_connection)

        # then: the worker approved and refunded it, and its payout went through Redis to the
        # worker and was paid
        def refunded_and_paid() -> bool:
            current = AfterSalesRequest.objects.get(pk=request.pk)
            entries = list(LedgerEntry.objects.filter(request=request))
            return (
                current.state == State.REFUNDED
                and len(entries) == 1
                and entries[0].status == LedgerEntry.Status.PAID
            )

        worker.wait_until(
            refunded_and_paid, END_TO_END_TIMEOUT, "the refund to be approved and paid out"
        )
        request = AfterSalesRequest.objects.get(pk=request.pk)
        event = request.events.last()
        assert (event.actor_id, event.actor_role, event.action) == (None, Role.SYSTEM, "approve")
        entry = LedgerEntry.objects.get(request=request)
        assert entry.type == LedgerEntry.Type.REFUND
        assert entry.amount == request.refund_amount
        assert entry.attempts == 1
        assert entry.gateway_reference == f"SIM-{entry.idempotency_key}"
        worker.wait_until(
            lambda: (
                "aftersales.tasks.pay_out" in worker.output
                and "aftersales.sweep.sweep_deadlines" in worker.output
            ),
            10,
            "the worker to log both tasks",
        )
    finally:
        worker.stop()
        for key, value in saved.items():
            setattr(app.conf, key, value)
        broker.flushdb()
        broker.close()
