"""The contract test: property-based requests generated from the OpenAPI schema
(schemathesis) against the app, through its WSGI handler, with a real key and real requests
in every state the seller acts in. Whatever a client sends, the API never answers 5xx."""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from aftersales.models import Kind, State
from apikeys import services as keys
from tests.aftersales.factories import request_in
from tests.orders.factories import OrderItemFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())

# Ids of the test's own requests, so that generated calls reach real rows (and the actions'
# checks) as often as they hit a 404.
EXISTING: list[int] = []


@schemathesis.serializer("application/x-ndjson")
def json_lines(ctx, value):
    lines = value if isinstance(value, list) else [value]
    return "\n".join(v if isinstance(v, str) else json.dumps(v) for v in lines).encode()


@schema.hook
def map_path_parameters(context, path_parameters):
    generated = path_parameters.get("id") if isinstance(path_parameters, dict) else None
    if isinstance(generated, int) and EXISTING and generated % 10 < 7:  # 7 in 10 hit a row
        path_parameters["id"] = EXISTING[generated % len(EXISTING)]
    return path_parameters


@pytest.fixture
def in_process():
    """As Django's test client does: the handler must not close the test's database
    connection (and its transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def shop_with_requests(in_process, shop, buyer, seller, make_key):
    EXISTING.clear()
    for state, kind in [
        (State.SUBMITTED, Kind.RETURN_REFUND),
        (State.SUBMITTED, Kind.REFUND_ONLY),
        (State.RETURN_SHIPPED, Kind.RETURN_REFUND),
        (State.INSPECTING, Kind.EXCHANGE),
        (State.REPAIRING, Kind.REPAIR),
        (State.DISPUTED, Kind.RETURN_REFUND),
    ]:
        item = OrderItemFactory(order__buyer=buyer, order__shop=shop)
        EXISTING.append(request_in(state, item, kind=kind).pk)
    _, token = make_key()
    _, platform = keys.create_platform_key(name="Order system")
    return {"shop": token, "platform": platform}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_the_schema_allows_makes_the_api_fail(case, shop_with_requests):
    key = "platform" if case.operation.path.startswith("/api/v1/orders/") else "shop"
    case.call_and_validate(
        headers={"Authorization": f"Bearer {shop_with_requests[key]}"},
        checks=[schemathesis.checks.not_a_server_error],
    )
