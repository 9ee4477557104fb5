"""What operators watch (README "Operations"): how the deadline sweep and the payouts go, for
Prometheus.

Counters and durations are counted where the work happens, which is a Celery worker, not the
web process that answers the scrape. So, with ``PROMETHEUS_MULTIPROC_DIR`` set (``bin/serve``
sets it), every process writes its samples to files in that folder and a scrape adds them up
(prometheus_client's multiprocess mode): on one machine ``/metrics`` shows the worker's counts.
A worker on another machine serves its own on ``WORKER_METRICS_PORT`` (``config/celery.py``).
Without the folder the samples stay in the process (tests, a lone ``run_deadlines``).

The gauges (payouts waiting or failed, the sweep's backlog) are counted in the database when
scraped, so they are right whichever process answers.
"""

import functools
import os
import time
from collections.abc import Callable, Iterator

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .models import AfterSalesRequest, LedgerEntry

# Not registered anywhere: each scrape builds its registry (see ``registry``).
SWEEP_REQUESTS = Counter(
    "aftersales_sweep_requests",
    "Overdue requests the deadline sweep took up, by outcome: applied (the automatic action "
    "happened), skipped (another sweep or a person had the row, or it had moved on), failed "
    "(logged; the next sweep tries again).",
    ["outcome"],
    registry=None,
)
SWEEP_REMINDERS = Counter(
    "aftersales_sweep_reminders",
    "Reminders the sweep sent, a day before a request's deadline.",
    registry=None,
)
SWEEP_DURATION = Histogram(
    "aftersales_sweep_duration_seconds",
    "Time to apply the due actions: one sweep, or one chunk of a large backlog.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 240),
    registry=None,
)
PAYOUTS = Counter(
    "aftersales_payouts",
    "Payout attempts, by outcome: paid, failed (the gateway refused or did not answer; "
    "retried with backoff, then flagged for staff), skipped (already paid).",
    ["outcome"],
    registry=None,
)
PAYOUT_DURATION = Histogram(
    "aftersales_payout_duration_seconds",
    "Time of one payout attempt that reached the gateway, the gateway's answer included.",
    registry=None,
)
OWN = (SWEEP_REQUESTS, SWEEP_REMINDERS, SWEEP_DURATION, PAYOUTS, PAYOUT_DURATION)
for _outcome in ("applied", "skipped", "failed"):
    SWEEP_REQUESTS.labels(_outcome)  # every outcome shows from the start, at 0
for _outcome in ("paid", "failed", "skipped"):
    PAYOUTS.labels(_outcome)


def observe_sweep(apply: Callable) -> Callable:
    """Count and time :func:`aftersales.sweep.apply_due_actions` (it returns a SweepResult)."""

    @functools.wraps(apply)
    def observed(*args, **kwargs):
        started = time.perf_counter()
        try:
            result = apply(*args, **kwargs)
        finally:
            SWEEP_DURATION.observe(time.perf_counter() - started)
        SWEEP_REQUESTS.labels("applied").inc(result.applied)
        SWEEP_REQUESTS.labels("skipped").inc(result.skipped)
        SWEEP_REQUESTS.labels("failed").inc(len(result.failed))
        return result

    return observed


def observe_reminders(send: Callable[..., int]) -> Callable[..., int]:
    """Count the reminders :func:`aftersales.sweep.send_reminders` sends."""

    @functools.wraps(send)
    def observed(*args, **kwargs) -> int:
        sent = send(*args, **kwargs)
        SWEEP_REMINDERS.inc(sent)
        return sent

    return observed


def observe_payout(pay: Callable[..., LedgerEntry]) -> Callable[..., LedgerEntry]:
    """Count and time :func:`aftersales.payments.pay_out`: an error is a failed attempt; a row
    it did not pay now (paid before, or left to another worker) is skipped."""

    @functools.wraps(pay)
    def observed(*args, **kwargs):
        started_at, started = timezone.now(), time.perf_counter()
        try:
            entry = pay(*args, **kwargs)
        except Exception:
            PAYOUT_DURATION.observe(time.perf_counter() - started)
            PAYOUTS.labels("failed").inc()
            raise
        paid_now = entry is not None and entry.paid_at is not None and entry.paid_at >= started_at
        if paid_now:
            PAYOUT_DURATION.observe(time.perf_counter() - started)
        PAYOUTS.labels("paid" if paid_now else "skipped").inc()
        return entry

    return observed


class DatabaseGauges(Collector):
    """Gauges counted in the database at scrape time (two queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        pending = Q(status=LedgerEntry.Status.PENDING)
        payouts = LedgerEntry.objects.aggregate(
            pending=Count("pk", filter=pending),
            failed=Count("pk", filter=Q(status=LedgerEntry.Status.FAILED)),
            oldest=Min("created_at", filter=pending),
        )
        yield GaugeMetricFamily(
            "aftersales_payouts_pending",
            "Ledger rows waiting to be paid out.",
            value=payouts["pending"],
        )
        yield GaugeMetricFamily(
            "aftersales_payouts_failed",
            "Ledger rows whose payout failed after every retry: staff must act.",
            value=payouts["failed"],
        )
        oldest = payouts["oldest"]
        yield GaugeMetricFamily(
            "aftersales_payouts_oldest_pending_seconds",
            "Age of the oldest payout still pending (0 when none is).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        # The same rows as ``selectors.overdue_requests``: the sweep's backlog.
        yield GaugeMetricFamily(
            "aftersales_requests_overdue",
            "Requests past their deadline whose automatic action is not applied yet.",
            value=AfterSalesRequest.objects.filter(due_at__lte=now).count(),
        )


def registry(*, database: bool = True) -> CollectorRegistry:
    """What one scrape reports: every process's samples (multiprocess mode) or this one's, and
    the database gauges unless ``database`` is off (a worker's own port leaves them out)."""
    scrape = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(scrape)
    else:
        for metric in OWN:
            scrape.register(metric)
    if database:
        scrape.register(DatabaseGauges())
    return scrape


def exposition() -> tuple[bytes, str]:
    """The text a Prometheus scrape reads, and its content type."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST
