"""/seller/webhooks/: only a shop's owner, only the shop's own endpoints."""

import pytest
from django.urls import reverse

from orders.models import ShopMember
from tests.orders.factories import ShopMemberFactory
from webhooks import events, services
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(db):
    other = ShopMemberFactory(user__username="other-owner", role=ShopMember.Role.OWNER)
    endpoint = services.add_endpoint(
        shop=other.shop,
        actor=other.user,
        url="https://their.example.com/",
        event_types=events.NAMES,
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint, webhook_id="test_1", event_type=events.TEST, payload="{}"
    )
    return endpoint, delivery


def test_other_members_of_the_shop_are_refused(client, seller, owner):
    client.force_login(seller)
    response = client.get(reverse("seller:webhooks"))
    assert response.status_code == 403
    assert "Only a shop's owner manages its webhooks" in response.content.decode()
    assert (
        client.post(reverse("seller:webhooks"), {"url": "https://x.example.com/"}).status_code
        == 403
    )


def test_another_shops_endpoint_and_delivery_are_not_found(client, owner, theirs):
    endpoint, delivery = theirs
    client.force_login(owner)
    for name in ("seller:webhook",):
        assert client.get(reverse(name, args=[endpoint.pk])).status_code == 404
    for name in (
        "seller:webhook_secret",
        "seller:webhook_enabled",
        "seller:webhook_test",
        "seller:webhook_delete",
    ):
        assert client.post(reverse(name, args=[endpoint.pk]), {"enabled": "0"}).status_code == 404
    resend = reverse("seller:webhook_resend", args=[delivery.pk])
    assert client.post(resend).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.enabled and Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(client, owner, shop):
    client.force_login(owner)
    page = client.get(reverse("seller:webhooks")).content.decode()
    # every event is offered, and chosen to begin with
    for name in events.NAMES:
        assert f'value="{name}"' in page
    assert page.count("checked") == len(events.NAMES)
    response = client.post(
        reverse("seller:webhooks"),
        {"url": "https://erp.example.com/hooks", "event_types": events.NAMES},
    )
    endpoint = Endpoint.objects.get(shop=shop)
    assert response.status_code == 302 and response.url == reverse(
        "seller:webhook", args=[endpoint.pk]
    )
    assert endpoint.event_types == events.NAMES
    first = client.get(response.url).content.decode()
    assert endpoint.secret in first
    again = client.get(response.url).content.decode()
    assert endpoint.secret not in again and "Show the signing secret" in again
    shown = client.post(reverse("seller:webhook_secret", args=[endpoint.pk]))
    assert endpoint.secret in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"


def test_a_plain_http_url_is_refused_with_a_reason(client, owner, shop, settings):
    settings.WEBHOOKS = {**settings.WEBHOOKS, "ALLOW_HTTP_LOOPBACK": False}
    client.force_login(owner)
    response = client.post(
        reverse("seller:webhooks"),
        {"url": "http://erp.example.com/hooks", "event_types": events.NAMES},
    )
    assert response.status_code == 400
    assert "The URL must start with https://." in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_owner_turns_an_endpoint_off_and_on(client, owner, shop):
    endpoint = services.add_endpoint(
        shop=shop, actor=owner, url="https://erp.example.com/", event_types=events.NAMES
    )
    client.force_login(owner)
    client.post(reverse("seller:webhook_enabled", args=[endpoint.pk]), {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_because == "owner"
    client.post(reverse("seller:webhook_enabled", args=[endpoint.pk]), {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_because == ""


def test_the_dashboard_links_owners_to_webhooks(client, owner, seller):
    client.force_login(owner)
    assert reverse("seller:webhooks") in client.get(reverse("seller:dashboard")).content.decode()
    client.force_login(seller)
    assert (
        reverse("seller:webhooks") not in client.get(reverse("seller:dashboard")).content.decode()
    )
