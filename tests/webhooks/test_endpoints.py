"""Endpoints: who may manage them, and which URLs they may have."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from aftersales.errors import ActionNotAllowed, InvalidInput
from webhooks import events, services

pytestmark = pytest.mark.django_db


def test_only_the_owner_adds_endpoints(shop, seller, owner):
    with pytest.raises(ActionNotAllowed):
        services.add_endpoint(
            shop=shop, actor=seller, url="https://erp.example.com/hooks", event_types=events.NAMES
        )
    endpoint = services.add_endpoint(
        shop=shop, actor=owner, url="https://erp.example.com/hooks", event_types=events.NAMES
    )
    assert endpoint.secret.startswith("whsec_") and endpoint.enabled


def test_an_endpoint_needs_an_event(shop, owner):
    with pytest.raises(InvalidInput):
        services.add_endpoint(shop=shop, actor=owner, url="https://a.example.com/", event_types=[])


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://erp.example.com/hooks", True),
        ("http://erp.example.com/hooks", False),
        ("http://127.0.0.1:8080/hooks", False),
        ("https://localhost/hooks", False),
        ("ftp://erp.example.com/hooks", False),
    ],
)
def test_production_urls_are_https_to_another_machine(url, allowed):
    settings_off = {"DEBUG": False}
    from django.conf import settings

    with override_settings(
        **settings_off, WEBHOOKS={**settings.WEBHOOKS, "ALLOW_HTTP_LOOPBACK": False}
    ):
        if allowed:
            services.check_url(url)
        else:
            with pytest.raises(ValidationError):
                services.check_url(url)


def test_loopback_http_is_allowed_while_developing():
    with override_settings(DEBUG=True):
        services.check_url("http://127.0.0.1:8080/hooks")
        services.check_url("http://localhost:8080/hooks")
        with pytest.raises(ValidationError):
            services.check_url("http://erp.example.com/hooks")
