"""A user's language is remembered for what the platform sends them while they are away (their
e-mails): the language they switch to in the header, and the one they sign in with."""

import pytest
from django.conf import settings
from django.urls import reverse

from orders.models import Preferences
from orders.preferences import language_of, remember_language

pytestmark = pytest.mark.django_db


def stored(user) -> str | None:
    return Preferences.objects.filter(user=user).values_list("language", flat=True).first()


def test_without_a_choice_the_sites_language_applies(buyer, settings):
    settings.LANGUAGE_CODE = "zh-hans"

    assert stored(buyer) is None
    assert language_of(buyer) == "zh-hans"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_switching_the_language_remembers_it(client, buyer, language):
    client.force_login(buyer)

    response = client.post(reverse("set_language"), {"language": language, "next": "/requests/"})

    assert response.status_code == 302
    assert response["Location"] == "/requests/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    assert stored(buyer) == language
    buyer.refresh_from_db()
    assert language_of(buyer) == language


def test_switching_again_replaces_the_choice(client, buyer):
    client.force_login(buyer)
    client.post(reverse("set_language"), {"language": "en"})

    client.post(reverse("set_language"), {"language": "zh-hans"})

    assert list(Preferences.objects.values_list("user__username", "language")) == [
        ("buyer", "zh-hans")
    ]


def test_a_language_the_site_does_not_offer_is_not_remembered(client, buyer):
    client.force_login(buyer)

    client.post(reverse("set_language"), {"language": "fr"})
    client.post(reverse("set_language"), {"language": "<script>"})

    assert stored(buyer) is None


def test_an_anonymous_visitor_switches_without_anything_stored(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not Preferences.objects.exists()


def test_switching_needs_a_post(client, buyer):
    client.force_login(buyer)

    client.get(reverse("set_language"), {"language": "en"})

    assert stored(buyer) is None


@pytest.mark.parametrize(("cookie", "expected"), [("en", "en"), ("zh-hans", "zh-hans")])
def test_signing_in_remembers_the_language_the_page_was_in(client, buyer, cookie, expected):
    remember_language(user=buyer, language="zh-hans" if cookie == "en" else "en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    response = client.post(reverse("login"), {"username": "buyer", "password": "demo-pass-2026"})

    assert response.status_code == 302
    assert stored(buyer) == expected


def test_a_failed_sign_in_remembers_nothing(client, buyer):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    client.post(reverse("login"), {"username": "buyer", "password": "wrong"})

    assert stored(buyer) is None
