"""Chaos on the real services (issue 12): PostgreSQL, Redis and real Celery worker processes,
killed with ``kill -9`` in the middle of their work, and a Redis restarted empty in the middle of
a sweep. Whatever happens, every due action is applied once (one system event per request),
every payout is paid once (the gateway's calls are recorded in a file that survives the worker),
and every notification is written, and e-mailed, once.

The workers run ``tests.chaos.settings``: the same code, with the waits recovery depends on
(payout lease, the sweep's passes, Redis's visibility timeout) in seconds instead of minutes.
The test itself plays beat, sending the sweep every second.

Needs PostgreSQL (the workers are other processes and must see the test's committed rows) and
Redis; skipped without them unless ``REQUIRE_SERVICES=1``.
"""

import os
import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from aftersales.models import (
    Action,
    AfterSalesRequest,
    Kind,
    LedgerEntry,
    Notification,
    RequestEvent,
    Role,
    State,
)
from tests import workers
from tests.aftersales.factories import file_request
from tests.chaos import services
from tests.chaos.gateway import calls
from tests.orders.factories import OrderItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

RECOVERY_TIMEOUT = 45


class Chaos:
    """One test's workers, broker and records."""

    def __init__(self, folder: Path, broker_url: str):
        self.broker_url = broker_url
        self.mail_dir = folder / "mail"
        self.mail_dir.mkdir()
        self.gateway_log = folder / "gateway.log"
        self.workers: list[workers.Worker] = []
        self.beat: services.Beat | None = None

    def start_worker(self, **env: str) -> workers.Worker:
        worker = workers.Worker(
            {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.chaos.settings",
                "CELERY_EAGER": "0",
                "REDIS_URL": self.broker_url,
                "DATABASE_URL": workers.worker_database_url(),
                "CHAOS_MAIL_DIR": str(self.mail_dir),
                "CHAOS_GATEWAY_LOG": str(self.gateway_log),
                "PYTHONUNBUFFERED": "1",
                **env,
            }
        )
        self.workers.append(worker)
        return worker

    def start_beat(self) -> None:
        self.beat = services.Beat()
        self.beat.start()

    def output(self) -> str:
        """What the workers said, but for the sweeps that found nothing to do."""
        said = []
        for i, worker in enumerate(self.workers):
            lines = [line for line in worker.lines if "sweep.sweep_deadlines[" not in line]
            said.append(f"--- worker {i}\n" + "\n".join(lines[-60:]))
        return "\n\n".join(said)

    def stop(self) -> None:
        if self.beat:
            self.beat.stop()
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def chaos(tmp_path):
    """Workers on the chaos tests' own database of the shared Redis (flushed before and after)."""
    url = services.shared_redis_url()
    broker = redis.Redis.from_url(url, socket_timeout=5)
    broker.flushdb()
    run = Chaos(tmp_path, url)
    try:
        with services.sending_to(url):
            yield run
    finally:
        run.stop()
        broker.flushdb()
        broker.close()


@pytest.fixture
def private_redis():
    server = services.RedisServer()
    yield server
    server.stop()


def overdue_refunds(buyer, shop, count: int) -> list[int]:
    """``count`` refund-only requests the seller left past their deadline (the sweep will
    approve and refund them). Filed through the service, committed; their notifications to the
    seller are sent through the broker like any other."""
    ids = [
        file_request(
            OrderItemFactory(order__buyer=buyer, order__shop=shop), kind=Kind.REFUND_ONLY
        ).pk
        for _ in range(count)
    ]
    AfterSalesRequest.objects.filter(pk__in=ids).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    return ids


def system_events() -> int:
    return RequestEvent.objects.filter(actor_role=Role.SYSTEM).count()


def all_done(ids: list[int]) -> bool:
    """Every request refunded and paid, and every e-mail owed sent."""
    return (
        AfterSalesRequest.objects.filter(pk__in=ids, state=State.REFUNDED).count() == len(ids)
        and LedgerEntry.objects.filter(request__in=ids, status=LedgerEntry.Status.PAID).count()
        == len(ids)
        and not Notification.objects.filter(email_pending=True).exists()
    )


def assert_each_happened_once(ids: list[int], chaos: Chaos, *, calls_at_most: int) -> None:
    # every due action applied exactly once: one system event per request, one refund each
    events = Counter(
        RequestEvent.objects.filter(request__in=ids, actor_role=Role.SYSTEM).values_list(
            "request_id", "action"
        )
    )
    assert events == Counter({(pk, Action.APPROVE): 1 for pk in ids})
    entries = list(LedgerEntry.objects.filter(request__in=ids))
    assert sorted(e.request_id for e in entries) == sorted(ids)
    assert {e.status for e in entries} == {LedgerEntry.Status.PAID}
    assert all(e.gateway_reference == f"FILE-{e.idempotency_key}" for e in entries)
    assert all(e.payout_lease_until is None for e in entries)

    # every payout paid exactly once: the gateway was asked for each key, a key asked twice
    # only when a worker died waiting for the gateway's answer (the gateway pays a key once)
    keys = Counter(call["key"] for call in calls(chaos.gateway_log))
    assert set(keys) == {e.idempotency_key for e in entries}
    assert sum(keys.values()) <= calls_at_most, keys

    # every notification written once: the seller told of each filing, the buyer of each refund
    notified = Counter(
        Notification.objects.filter(request__in=ids).values_list(
            "request_id", "event__action", "recipient__username"
        )
    )
    assert notified == Counter(
        {
            (pk, action, name): 1
            for pk in ids
            for action, name in (("submit", "seller"), ("approve", "buyer"))
        }
    )

    # and e-mailed once: one message per notification, each under its own Message-ID
    sent = services.emails(chaos.mail_dir)
    by_id = Counter(message["Message-ID"] for message in sent)
    host = urlsplit(settings.SITE_URL).hostname
    expected = {
        f"<notification-{pk}@{host}>"
        for pk in Notification.objects.filter(request__in=ids).values_list("pk", flat=True)
    }
    assert set(by_id) == expected
    assert max(by_id.values()) == 1, [i for i, n in by_id.items() if n > 1]


def test_a_worker_killed_in_the_middle_of_a_batch_of_payouts(buyer, shop, seller, chaos):
    # given: twelve overdue refunds, a worker, a gateway that takes 0.4 s a call
    ids = overdue_refunds(buyer, shop, 12)
    first = chaos.start_worker(CHAOS_GATEWAY_DELAY="0.4")
    chaos.start_beat()

    # when: the sweep refunds them all in one batch, and the worker is killed while paying
    # them out, after the gateway took the fourth payment and before it answered
    workers.wait_until(
        lambda: len(calls(chaos.gateway_log)) >= 4, 60, "payouts", output=chaos.output
    )
    first.kill()
    paid_when_killed = LedgerEntry.objects.filter(status=LedgerEntry.Status.PAID).count()
    called_when_killed = len(calls(chaos.gateway_log))
    assert system_events() == len(ids)  # the sweep had committed
    assert paid_when_killed <= called_when_killed < len(ids)  # the batch had not
    [batch] = re.findall(r"pay_out_many\[([0-9a-f-]+)\] received", first.output)

    # and a worker is running again
    restarted = time.monotonic()
    second = chaos.start_worker(CHAOS_GATEWAY_DELAY="0.05")

    # then: everything is paid, and the killed worker's batch, delivered again by Redis, pays
    # nothing twice
    workers.wait_until(lambda: all_done(ids), RECOVERY_TIMEOUT, "recovery", output=chaos.output)
    recovered = time.monotonic() - restarted
    workers.wait_until(
        lambda: f"pay_out_many[{batch}] succeeded" in second.output,
        RECOVERY_TIMEOUT,
        "the killed worker's batch to be delivered again",
        output=chaos.output,
    )
    chaos.stop()
    # a payment the gateway took but whose answer the killed worker never heard is asked again
    in_flight = called_when_killed - paid_when_killed
    assert_each_happened_once(ids, chaos, calls_at_most=len(ids) + in_flight)
    print(f"recovered {recovered:.1f} s after the restart")


def test_a_worker_killed_in_the_middle_of_a_sweep(buyer, shop, seller, chaos):
    # given: forty overdue refunds, swept eight to a transaction, on a slow database
    ids = overdue_refunds(buyer, shop, 40)
    with services.slow_event_inserts(0.5):
        first = chaos.start_worker(CHAOS_SWEEP_BATCH_SIZE="8")
        chaos.start_beat()

        # when: the worker is killed after some batches committed, in the middle of another
        workers.wait_until(lambda: system_events() >= 8, 60, "a batch", output=chaos.output)
        first.kill()
        assert 8 <= system_events() < len(ids)

        # and a worker is running again
        chaos.start_worker(CHAOS_SWEEP_BATCH_SIZE="8")

        # then: the next sweeps apply the rest, each once
        workers.wait_until(
            lambda: all_done(ids),
            RECOVERY_TIMEOUT,
            "recovery",
            output=chaos.output,
        )
        chaos.stop()
    assert_each_happened_once(ids, chaos, calls_at_most=len(ids))


def test_redis_restarted_empty_in_the_middle_of_a_sweep(buyer, shop, seller, chaos, private_redis):
    # given: thirty overdue refunds, swept six to a transaction on a slow database, by a worker
    # on a Redis of its own (it is about to be restarted)
    chaos.broker_url = private_redis.url
    with services.sending_to(private_redis.url):
        ids = overdue_refunds(buyer, shop, 30)
        with services.slow_event_inserts(0.5):
            chaos.start_worker(CHAOS_SWEEP_BATCH_SIZE="6")
            chaos.start_beat()

            # when: Redis dies in the middle of the sweep and comes back empty: the sweep's own
            # message, the payouts and e-mails queued so far and those sent meanwhile are gone
            workers.wait_until(lambda: system_events() >= 6, 60, "a batch", output=chaos.output)
            private_redis.kill()
            time.sleep(1.5)
            private_redis.start()
            assert system_events() < len(ids)

            # then: the next sweeps and the passes for lost payouts and e-mails make it up
            workers.wait_until(
                lambda: all_done(ids),
                RECOVERY_TIMEOUT,
                "recovery",
                output=chaos.output,
            )
            chaos.stop()
    assert_each_happened_once(ids, chaos, calls_at_most=len(ids))
    # what Redis lost (the batches' payout and e-mail tasks, queued behind the sweep) came back
    # through the per-minute passes, not through the broker
    said = "\n".join(line for worker in chaos.workers for line in worker.lines)
    assert "aftersales.tasks.pay_out[" in said
    assert "aftersales.tasks.send_notification_emails[" in said
