"""For operators, not people: ``/health/`` for load balancers and orchestrators, ``/metrics``
for Prometheus (README "Operations").

``/health/`` checks what a web process needs (the database, the cache, the Celery broker, media
storage) and answers 200 or 500; ``?format=json`` gives one line per check. Anyone may ask:
it names services and says whether each answers, never their addresses (the reason of a
failure goes to the log). ``/metrics`` is for the scraper only: a bearer token when
``METRICS_TOKEN`` is set, otherwise requests from this machine.
"""

import dataclasses
import datetime
import hmac
import ipaddress
import logging
import os

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from health_check.views import HealthCheckView

from aftersales import metrics as aftersales_metrics

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Database(checks.Database):
    """``SELECT 1`` on a connection of its own; a failure says no more than that (a driver's
    message can hold the server's address)."""

    def run(self) -> None:
        try:
            super().run()
        except HealthCheckException as error:
            logger.warning("Database health check failed: %s", error)
            raise ServiceUnavailable("the database does not answer") from error


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker takes tasks: Redis answers a PING (``REDIS_URL``), or the file-system
    broker's folders are writable (one machine, no Redis)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        url = settings.CELERY_BROKER_URL
        if url.startswith(("redis://", "rediss://", "unix://")):
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            try:
                client.ping()
            except redis.RedisError as error:
                logger.warning("Broker health check failed: %r", error)
                raise ServiceUnavailable("the broker does not answer") from error
            finally:
                client.close()
            return
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for name in ("data_folder_in", "data_folder_out"):
            if not os.access(options[name], os.W_OK):
                raise ServiceUnavailable("the broker's folder is not writable")


class Health(HealthCheckView):
    checks = (Database, checks.Cache, Broker, checks.Storage)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition (see :mod:`aftersales.metrics`)."""
    refusal = _refuse_scrape(request)
    if refusal is not None:
        return refusal
    body, content_type = aftersales_metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def _refuse_scrape(request: HttpRequest) -> HttpResponse | None:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        response = HttpResponse("A token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    try:
        local = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        local = False
    if local:
        return None
    return HttpResponse(
        "Set METRICS_TOKEN to scrape from another machine.\n", status=403, content_type="text/plain"
    )
