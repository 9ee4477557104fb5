"""Shared fixtures: the people of a small marketplace, and access to real services.

Tests marked ``postgres`` or ``redis`` need those servers. Without them they skip locally;
with ``REQUIRE_SERVICES=1`` (set by ``.ci/run``) a missing server is a failure instead.
"""

import os

import pytest
from django.db import connection

from tests.aftersales.factories import reset_gateway
from tests.orders.factories import (
    ArbitratorFactory,
    OrderItemFactory,
    ShopFactory,
    ShopMemberFactory,
    UserFactory,
)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _service_missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _require_marked_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _service_missing("this test needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        _service_missing("this test needs Redis: set REDIS_URL=redis://…")


@pytest.fixture(autouse=True)
def _reset_gateway():
    reset_gateway()
    yield
    reset_gateway()


@pytest.fixture
def shop(db):
    return ShopFactory(name="Hangzhou Tea House")


@pytest.fixture
def seller(shop):
    return ShopMemberFactory(shop=shop, user__username="seller").user


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer")


@pytest.fixture
def other_buyer(db):
    return UserFactory(username="other-buyer")


@pytest.fixture
def other_seller(db):
    """A member of another shop: a stranger to this shop's requests."""
    return ShopMemberFactory(user__username="other-seller").user


@pytest.fixture
def arbitrator(db):
    return ArbitratorFactory(username="arbitrator")


@pytest.fixture
def item(buyer, shop, seller):
    """A delivered item, two days ago: every kind of request is open for it."""
    return OrderItemFactory(order__buyer=buyer, order__shop=shop)
