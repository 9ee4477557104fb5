"""A shop's owner, keys of every kind, and an API client that sends one."""

import pytest
from rest_framework.test import APIClient

from apikeys import services as keys
from orders.models import ShopMember
from tests.orders.factories import ShopMemberFactory


@pytest.fixture
def owner(shop):
    return ShopMemberFactory(shop=shop, user__username="owner", role=ShopMember.Role.OWNER).user


def client_with(token: str | None, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def make_key(owner, shop):
    def make(scopes=("read", "act"), *, for_shop=None, by=None, name="Warehouse ERP"):
        key, token = keys.create_shop_key(
            shop=for_shop or shop, actor=by or owner, name=name, scopes=list(scopes)
        )
        return key, token

    return make


@pytest.fixture
def api(make_key):
    """A client with a read-and-act key of the shop."""
    key, token = make_key()
    client = client_with(token)
    client.key = key
    return client
