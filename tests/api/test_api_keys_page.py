"""/seller/api-keys/: the shop's owner creates and revokes keys; nobody else does."""

import re

import pytest
from django.test import Client

from apikeys.models import ApiKey
from apikeys.services import key_for_token
from orders.models import ShopMember
from tests.orders.factories import ShopFactory, ShopMemberFactory

pytestmark = pytest.mark.django_db


def signed_in(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_owner_creates_a_key_shown_once(owner, shop):
    client = signed_in(owner)
    response = client.post(
        "/seller/api-keys/", {"name": "Warehouse ERP", "scopes": ["read", "act"], "shop": shop.pk}
    )
    assert response.status_code == 302
    page = client.get("/seller/api-keys/").content.decode()
    token = re.search(r'id="new-api-key">(ak_[^<]+)<', page).group(1)
    key = key_for_token(token)
    assert key.shop == shop and key.scopes == ["read", "act"] and key.name == "Warehouse ERP"
    assert key.secret_hash not in page and token.split(".")[1] not in key.secret_hash
    again = client.get("/seller/api-keys/").content.decode()
    assert token not in again and f"ak_{key.prefix}…" in again  # only its start, from now on


def test_a_key_needs_a_name_and_a_scope(owner, shop):
    response = signed_in(owner).post("/seller/api-keys/", {"name": "", "shop": shop.pk})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_the_owner_revokes_a_key(owner, make_key):
    key, token = make_key()
    client = signed_in(owner)
    response = client.post(f"/seller/api-keys/{key.pk}/revoke/", follow=True)
    assert "is revoked" in response.content.decode()
    assert key_for_token(token) is None


def test_an_agent_gets_403_and_another_shops_key_is_404(owner, seller, make_key):
    key, _ = make_key(name="Tea House sync")
    assert signed_in(seller).get("/seller/api-keys/").status_code == 403
    assert signed_in(seller).post(f"/seller/api-keys/{key.pk}/revoke/").status_code == 403

    other_owner = ShopMemberFactory(
        shop=ShopFactory(name="Other Shop"), role=ShopMember.Role.OWNER
    ).user
    client = signed_in(other_owner)
    assert client.post(f"/seller/api-keys/{key.pk}/revoke/").status_code == 404
    assert "Tea House sync" not in client.get("/seller/api-keys/").content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_page_speaks_chinese(owner):
    page = signed_in(owner, "zh-hans").get("/seller/api-keys/").content.decode()
    assert "API 密钥" in page
