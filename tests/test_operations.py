"""Health and metrics for operators (issue 12, row 11): ``/health/`` answers 200 when the
database, cache, broker and storage work and 500 when one does not; ``/metrics`` shows the
sweep's and the payouts' counts and durations to Prometheus, and only to the scraper."""

import os
import socket
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import OperationalError, connections
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from aftersales.models import AfterSalesRequest, Kind, LedgerEntry, State
from aftersales.payments import SimulatedGateway, pay_out
from aftersales.sweep import sweep
from tests.aftersales.factories import file_request, request_in
from tests.aftersales.test_worker_integration import END_TO_END_TIMEOUT
from tests.workers import Worker, redis_url, wait_until, worker_database_url

ROOT = Path(__file__).resolve().parents[1]
REDIS_DB = 13  # a database of its own for the real-worker test: flushed before and after


def health(client=None, **params):
    return (client or Client()).get("/health/", {"format": "json", **params})


# --- /health/ -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_is_200_when_every_service_answers():
    # the file-system broker of one machine, or Redis when REDIS_URL is set (CI)
    response = health()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "Database(alias='default')": "OK",
        "Cache(alias='default')": "OK",
        "Broker()": "OK",
        "Storage(alias='default')": "OK",
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_is_500_when_the_database_does_not_answer_and_says_no_more(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "10.1.2.3", port 5432 failed: timeout')

    # on the class: the check opens its connection in another thread
    monkeypatch.setattr(type(connections["default"]), "temporary_connection", refuse)

    response = health()

    assert response.status_code == 500
    body = response.json()
    assert body["Database(alias='default')"] == "Unavailable: the database does not answer"
    assert body["Cache(alias='default')"] == "OK"
    assert "10.1.2.3" not in response.content.decode()


@pytest.mark.django_db
def test_health_is_500_when_the_redis_broker_does_not_answer(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

    response = health()

    assert response.status_code == 500
    assert response.json()["Broker()"] == "Unavailable: the broker does not answer"


@pytest.mark.redis
@pytest.mark.django_db
def test_health_pings_the_real_redis_broker(settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]

    response = health()

    assert response.status_code == 200, response.json()
    assert response.json()["Broker()"] == "OK"


@pytest.mark.django_db
def test_health_without_format_is_a_page_for_people_anyone_may_open():
    response = Client().get("/health/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]
    assert "Database" in response.content.decode()


# --- /metrics -----------------------------------------------------------------------------------


def scrape(client=None, **headers) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_count_the_sweep_and_the_payouts(item, buyer, shop):
    # given: a refund-only request past its deadline
    request = file_request(item, kind=Kind.REFUND_ONLY)
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    before = scrape()
    assert value(before, "aftersales_requests_overdue") == 1

    # when: the sweep approves and refunds it (no commit here: its payout is still pending),
    result = sweep(now=timezone.now())
    assert result.applied == 1
    pending = scrape()
    entry = LedgerEntry.objects.get(request=request)
    # ... then the payout fails once and goes through on the retry
    SimulatedGateway.fail_next = 1
    with pytest.raises(Exception, match="simulated gateway failure"):
        pay_out(entry_id=entry.pk)
    entry.refresh_from_db()  # the retry holds the failed attempt's lease
    pay_out(entry_id=entry.pk, lease=entry.payout_lease_until)
    pay_out(entry_id=entry.pk)  # a duplicate task finds it paid
    after = scrape()

    # then
    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("aftersales_sweep_requests_total", outcome="applied") == 1
    assert grew("aftersales_sweep_requests_total", outcome="failed") == 0
    assert grew("aftersales_sweep_duration_seconds_count") == 1
    assert grew("aftersales_sweep_duration_seconds_sum") > 0
    assert grew("aftersales_payouts_total", outcome="paid") == 1
    assert grew("aftersales_payouts_total", outcome="failed") == 1
    assert grew("aftersales_payouts_total", outcome="skipped") == 1
    assert grew("aftersales_payout_duration_seconds_count") == 2
    assert value(pending, "aftersales_payouts_pending") == 1
    assert value(pending, "aftersales_payouts_oldest_pending_seconds") >= 0
    assert value(pending, "aftersales_requests_overdue") == 0
    assert value(after, "aftersales_payouts_pending") == 0
    assert value(after, "aftersales_payouts_failed") == 0


@pytest.mark.django_db
def test_metrics_count_the_payouts_flagged_for_staff(item):
    entry = LedgerEntry.objects.get(request=request_in(State.REFUNDED, item))
    LedgerEntry.objects.filter(pk=entry.pk).update(status=LedgerEntry.Status.FAILED)

    assert value(scrape(), "aftersales_payouts_failed") == 1


@pytest.mark.django_db
def test_metrics_from_another_machine_need_the_token(settings):
    elsewhere = {"REMOTE_ADDR": "10.0.0.7"}

    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", **elsewhere).status_code == 403

    settings.METRICS_TOKEN = "s3cret-scrape-token"
    refused = Client().get("/metrics", **elsewhere)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **elsewhere)
    assert wrong.status_code == 401
    assert b"aftersales_" not in refused.content + wrong.content
    # with the token, from anywhere (also from this machine: the token is then always needed)
    good = {"HTTP_AUTHORIZATION": "Bearer s3cret-scrape-token"}
    assert "aftersales_payouts_pending" in {name for name, _ in scrape(**good, **elsewhere)}
    assert Client().get("/metrics").status_code == 401


@pytest.mark.django_db
def test_metrics_add_up_what_other_processes_counted(tmp_path, monkeypatch):
    """A worker is another process: in multiprocess mode its counts reach the web's scrape."""
    worker = (
        "from prometheus_client import values;"
        "assert values.ValueClass.__name__ != 'MutexValue', 'not in multiprocess mode';"
        "from aftersales import metrics;"
        "metrics.PAYOUTS.labels('paid').inc(3);"
        "metrics.SWEEP_REQUESTS.labels('applied').inc(5)"
    )
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    workers = [  # two worker processes
        subprocess.Popen(
            [sys.executable, "-c", f"import django; django.setup(); {worker}"], cwd=ROOT, env=env
        )
        for _ in range(2)
    ]
    assert [process.wait(timeout=60) for process in workers] == [0, 0]
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    seen = scrape()

    assert value(seen, "aftersales_payouts_total", outcome="paid") == 6
    assert value(seen, "aftersales_sweep_requests_total", outcome="applied") == 10
    assert value(seen, "aftersales_payouts_pending") == 0  # the gauges are still there


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_workers_sweep_and_payout_reach_the_scrape(item, tmp_path, monkeypatch):
    from aftersales.sweep import sweep_deadlines
    from config.celery import app

    request = file_request(item, kind=Kind.REFUND_ONLY)
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    broker_url = redis_url(REDIS_DB)
    broker = redis.Redis.from_url(broker_url, socket_timeout=5)
    broker.flushdb()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = Worker(
        {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_EAGER": "0",
            "REDIS_URL": broker_url,
            "DATABASE_URL": worker_database_url(),
            "PYTHONUNBUFFERED": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
            "WORKER_METRICS_PORT": str(port),
        },
        name="metrics-test",
    )
    saved = {key: getattr(app.conf, key) for key in ("task_always_eager", "broker_url")}
    try:
        app.conf.task_always_eager = False
        app.conf.broker_url = broker_url
        with app.connection_for_write(broker_url) as broker_connection:
            sweep_deadlines.apply_async(connection=broker_connection)
        wait_until(
            lambda: LedgerEntry.objects.filter(
                request=request, status=LedgerEntry.Status.PAID
            ).exists(),
            END_TO_END_TIMEOUT,
            "the refund to be paid",
            output=worker.tail,
        )

        # the web process's scrape, sharing the folder (one machine, as `make run`)
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        seen = scrape()
        # the worker's own port (a worker on another machine)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            own = samples(answer.read().decode())
    finally:
        worker.stop()
        for key, setting in saved.items():
            setattr(app.conf, key, setting)
        broker.flushdb()
        broker.close()

    for counted in (seen, own):
        assert value(counted, "aftersales_sweep_requests_total", outcome="applied") == 1
        assert value(counted, "aftersales_payouts_total", outcome="paid") == 1
        assert value(counted, "aftersales_payout_duration_seconds_count") == 1
    assert value(seen, "aftersales_payouts_pending") == 0
    assert ("aftersales_payouts_pending", ()) not in own  # gauges come from the web's scrape


@pytest.mark.django_db
def test_a_scrape_costs_two_queries(django_assert_num_queries):
    with django_assert_num_queries(2):
        assert Client().get("/metrics").status_code == 200
