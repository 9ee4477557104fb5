"""Idempotent writes, the rate per key, and the order system's import endpoint."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import override_settings

from apikeys import services as keys
from apikeys.models import ApiKey
from apikeys.services import key_for_token
from orders.models import Order
from tests.aftersales.factories import file_request
from tests.api.conftest import client_with
from tests.orders.factories import UserFactory
from tests.orders.test_import_orders import an_order

pytestmark = pytest.mark.django_db


def approve(client, request, key=None, body=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/v1/requests/{request.pk}/approve/", body or {}, format="json", **headers
    )


def test_a_repeat_with_the_same_key_returns_the_first_answer_and_changes_nothing(api, item):
    request = file_request(item)
    first = approve(api, request, key="order-77-approve")
    again = approve(api, request, key="order-77-approve")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert request.events.filter(action="approve").count() == 1
    # Without the key, the same POST is a new attempt, and finds the request moved on.
    assert approve(api, request).status_code == 409


def test_the_same_key_with_another_body_is_refused(api, item):
    request = file_request(item)
    assert approve(api, request, key="k1").status_code == 200
    other = approve(api, request, key="k1", body={"return_address": 999})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_refusal_is_kept_too_and_keys_are_per_api_key(api, make_key, item):
    request = file_request(item)
    assert approve(api, request).status_code == 200
    stale = approve(api, request, key="k2")
    assert stale.status_code == 409
    assert approve(api, request, key="k2").json() == stale.json()
    _, token = make_key(name="Second ERP")
    assert approve(client_with(token), request, key="k2").status_code == 409  # its own attempt


def test_past_the_rate_the_key_gets_429_with_retry_after(api, make_key, item):
    cache.clear()
    request = file_request(item)
    _, other = make_key(name="Another ERP")
    with override_settings(API_RATE="3/minute"):
        answers = [api.get(f"/api/v1/requests/{request.pk}/") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[-1].json()["error"]["code"] == "throttled"
        assert 0 < int(answers[-1]["Retry-After"]) <= 60
        # Another key has a rate of its own.
        assert client_with(other).get(f"/api/v1/requests/{request.pk}/").status_code == 200
    cache.clear()


# --- the order import ------------------------------------------------------------------------


@pytest.fixture
def order_system(db):
    UserFactory(username="lihua")
    _, token = keys.create_platform_key(name="Order system")
    return client_with(token)


def test_the_order_system_imports_an_array_idempotent_by_number(order_system, shop):
    orders = [an_order(shop), an_order(shop, number="T2", payment_method="bitcoin")]

    response = order_system.post("/api/v1/orders/import", orders, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "refused": 1}
    assert body["outcomes"][1]["line"] == 2 and body["outcomes"][1]["errors"]
    assert Order.objects.get(number="T20261201001").items.get().amount_paid == 240
    again = order_system.post("/api/v1/orders/import", orders[:1], format="json")
    assert again.json()["counts"]["unchanged"] == 1


def test_the_order_system_imports_region_and_insurance_and_hears_of_bad_ones(order_system, shop):
    orders = [
        an_order(shop, region="remote", return_insurance="bought"),
        an_order(shop, number="T2", return_insurance="maybe"),
    ]

    response = order_system.post("/api/v1/orders/import", orders, format="json")

    assert response.status_code == 200
    outcomes = response.json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["created", "refused"]
    assert "return_insurance" in outcomes[1]["errors"][0]
    order = Order.objects.get(number="T20261201001")
    assert (order.region, order.return_insurance) == ("remote", "bought")


def test_the_order_system_sends_json_lines(order_system, shop):
    text = json.dumps(an_order(shop)) + "\n{oops\n"
    response = order_system.post("/api/v1/orders/import", text, content_type="application/x-ndjson")
    assert response.status_code == 200
    assert [o["status"] for o in response.json()["outcomes"]] == ["created", "refused"]


def test_a_shop_key_may_not_import_orders(api, shop):
    UserFactory(username="lihua")
    response = api.post("/api/v1/orders/import", [an_order(shop)], format="json")
    assert response.status_code == 403
    assert not Order.objects.filter(number="T20261201001").exists()


def test_staff_create_a_platform_key_in_the_admin_shown_once(admin_client):
    response = admin_client.post(
        "/admin/apikeys/apikey/add/", {"name": "Order system"}, follow=True
    )
    assert response.status_code == 200
    text = response.content.decode()
    token = re.search(r"(ak_[0-9a-f]{12}\.[A-Za-z0-9_-]+)", text).group(1)
    key = ApiKey.objects.get()
    assert key.shop is None and key.scopes == ["orders:import"] and key.name == "Order system"
    assert key_for_token(token) == key
    assert token not in admin_client.get(f"/admin/apikeys/apikey/{key.pk}/change/").content.decode()
