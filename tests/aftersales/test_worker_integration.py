"""End to end through a real Celery worker and Redis (SPEC §1 "the system", §5): the periodic
sweep, sent through the broker, auto-approves an overdue refund-only request in the worker, and
the payout task it schedules on commit travels through Redis again and pays the refund.

Needs PostgreSQL (the worker is another process and must see the test's committed rows) and
Redis; skipped without them unless ``REQUIRE_SERVICES=1``.
"""

import os
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Kind, LedgerEntry, Role, State
from tests.aftersales.factories import file_request
from tests.workers import Worker, redis_url, wait_until, worker_database_url

REDIS_DB = 9  # a database of its own: flushed before and after
END_TO_END_TIMEOUT = 30


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
    broker_url = redis_url(REDIS_DB)
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
    worker = Worker(env, name="aftersales-sweep-test")
    try:
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

        wait_until(
            refunded_and_paid,
            END_TO_END_TIMEOUT,
            "the refund to be approved and paid out",
            output=worker.tail,
        )
        request = AfterSalesRequest.objects.get(pk=request.pk)
        event = request.events.last()
        assert (event.actor_id, event.actor_role, event.action) == (None, Role.SYSTEM, "approve")
        entry = LedgerEntry.objects.get(request=request)
        assert entry.type == LedgerEntry.Type.REFUND
        assert entry.amount == request.refund_amount
        assert entry.attempts == 1
        assert entry.gateway_reference == f"SIM-{entry.idempotency_key}"
        wait_until(
            lambda: (
                "aftersales.tasks.pay_out" in worker.output
                and "aftersales.sweep.sweep_deadlines" in worker.output
            ),
            10,
            "the worker to log both tasks",
            output=worker.tail,
        )
    finally:
        worker.stop()
        for key, value in saved.items():
            setattr(app.conf, key, value)
        broker.flushdb()
        broker.close()
