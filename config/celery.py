"""The Celery app. Its settings live in Django settings under the ``CELERY_`` prefix."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("aftersales")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The periodic deadline sweep sits above the services it calls, so not in ``tasks``.
app.autodiscover_tasks(related_name="sweep")
app.autodiscover_tasks(related_name="parcel_watch")  # the per-minute pull of parcel traces


@signals.worker_init.connect
def serve_worker_metrics(**_) -> None:
    """With ``WORKER_METRICS_PORT`` set, the worker serves its own sweep and payout counters
    for Prometheus (every pool process's, through ``PROMETHEUS_MULTIPROC_DIR``): for a worker
    on a machine whose web process does not share that folder (README "Operations")."""
    port = os.environ.get("WORKER_METRICS_PORT")
    if port:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            logging.getLogger(__name__).warning(
                "WORKER_METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: pool processes' "
                "counts will not show"
            )
        from prometheus_client import start_http_server

        from aftersales.metrics import registry

        start_http_server(int(port), registry=registry(database=False))
