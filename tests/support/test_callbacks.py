"""Phone call backs (电话回访): the number checked (Chinese mobile numbers without a code,
others with +country), the window in business hours and the future, the staff's queue and the
outcome on the request's history, and the number kept from the other side everywhere."""

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.errors import ActionNotAllowed
from aftersales.models import Action, Notification, RequestEvent, State
from support import services
from support.forms import CallbackForm, normalize_phone
from support.models import Callback
from tests.aftersales.factories import request_in
from tests.api.conftest import client_with

pytestmark = pytest.mark.django_db

NUMBER = "138 0013 8000"
E164 = "+8613800138000"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def window(**over) -> dict:
    return {"phone": NUMBER, "day": tomorrow(), "from_hour": 10, "to_hour": 12, **over}


@pytest.fixture
def request_(item):
    return request_in(State.SUBMITTED, item)


def variants(number: str) -> list[str]:
    digits = re.sub(r"\D", "", number)
    return [number, digits, E164, digits[-8:]]


# --- the number --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", E164),
        ("138 0013 8000", E164),
        ("+86 138-0013-8000", E164),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_valid_numbers_are_kept_in_one_form(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "1380013800", "call me", "+44 12", "10086000000"])
def test_invalid_numbers_are_refused(typed):
    form = CallbackForm(window(phone=typed))
    assert not form.is_valid()
    assert "Enter a valid phone number" in form.errors["phone"][0]


def test_an_invalid_number_comes_back_with_a_translated_reason_and_nothing_is_lost(buyer, request_):
    client = client_for(buyer)
    response = client.post(
        f"/help/callback/new/{request_.pk}/", window(phone="12345", note="About the dent")
    )
    assert response.status_code == 400
    assert "Enter a valid phone number" in text(response)
    assert "About the dent" in response.content.decode()
    assert not Callback.objects.exists()
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(buyer)
    response = zh.post(f"/help/callback/new/{request_.pk}/", window(phone="12345"))
    assert "请输入有效的电话号码" in text(response)


# --- the window --------------------------------------------------------------------------------


def test_the_window_must_be_in_the_future_in_order_and_within_two_weeks():
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    far = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert "in the future" in str(CallbackForm(window(day=yesterday)).errors)
    assert "after its start" in str(CallbackForm(window(from_hour=12, to_hour=10)).errors)
    assert "within the next 14 days" in str(CallbackForm(window(day=far)).errors)
    # Outside business hours is not even offered.
    assert not CallbackForm(window(from_hour=7)).is_valid()
    form = CallbackForm(window())
    assert form.is_valid(), form.errors
    start = form.cleaned_data["window_start"]
    assert timezone.localtime(start).hour == 10
    assert isinstance(start, datetime) and start.tzinfo is not None


# --- asking, and the number's privacy ----------------------------------------------------------


def test_the_buyer_asks_and_the_history_says_so_without_the_number(
    buyer, seller, request_, arbitrator, django_capture_on_commit_callbacks
):
    client = client_for(buyer)
    page = client.get(f"/help/callback/new/{request_.pk}/")
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/help/callback/new/{request_.pk}/", window(note=f"My other phone is {NUMBER}")
        )
    assert response.status_code == 302
    assert response.url == f"/requests/{request_.pk}/"
    callback = Callback.objects.get()
    assert callback.phone == E164 and callback.asker_role == "buyer"
    event = RequestEvent.objects.get(request=request_, action=Action.CALLBACK_REQUESTED)
    assert event.actor == buyer and event.note == ""
    # The buyer sees their own number back on the form page.
    assert E164 in client.get(f"/help/callback/new/{request_.pk}/").content.decode()
    # Arbitrators are told, in words without the number.
    assert Notification.objects.filter(recipient=arbitrator, event=event).exists()

    # The seller's page, notifications and the shop's API never carry it.
    seller_client = client_for(seller)
    seller_pages = [
        seller_client.get(f"/seller/requests/{request_.pk}/"),
        seller_client.get("/notifications/"),
        seller_client.get("/seller/"),
    ]
    assert "asked the platform for a call back" in text(seller_pages[0])
    from apikeys import services as keys
    from tests.orders.factories import ShopMemberFactory

    owner = ShopMemberFactory(shop=request_.shop, role="owner").user
    _, token = keys.create_shop_key(shop=request_.shop, actor=owner, name="ERP", scopes=["read"])
    api = client_with(token).get(f"/api/v1/requests/{request_.pk}/")
    assert api.status_code == 200
    for body in [p.content.decode() for p in seller_pages] + [api.content.decode()]:
        for shown in variants(NUMBER):
            assert shown not in body
        assert "My other phone" not in body


def test_the_seller_asks_too_and_the_buyer_never_sees_the_number(buyer, seller, request_):
    client_for(seller).post(f"/help/callback/new/{request_.pk}/", window())
    assert Callback.objects.get().asker_role == "seller"
    page = client_for(buyer).get(f"/requests/{request_.pk}/")
    assert "asked the platform for a call back" in text(page)
    for shown in variants(NUMBER):
        assert shown not in page.content.decode()


def test_a_stranger_cannot_ask_on_another_persons_request(other_buyer, other_seller, request_):
    for stranger in (other_buyer, other_seller):
        client = client_for(stranger)
        assert client.get(f"/help/callback/new/{request_.pk}/").status_code == 404
        assert client.post(f"/help/callback/new/{request_.pk}/", window()).status_code == 404
    with pytest.raises(ActionNotAllowed):
        services.ask_for_callback(
            request=request_,
            actor=other_buyer,
            phone=E164,
            window_start=timezone.now() + timedelta(hours=1),
            window_end=timezone.now() + timedelta(hours=2),
        )
    assert not Callback.objects.exists()


# --- the staff's queue and the outcome ---------------------------------------------------------


def ask(request_, actor, *, hours: int) -> Callback:
    start = timezone.now() + timedelta(hours=hours)
    return services.ask_for_callback(
        request=request_,
        actor=actor,
        phone=E164,
        window_start=start,
        window_end=start + timedelta(hours=2),
    )


def test_the_queue_lists_the_soonest_window_first_with_the_number(
    buyer, seller, request_, arbitrator
):
    later = ask(request_, buyer, hours=30)
    sooner = ask(request_, seller, hours=3)
    page = client_for(arbitrator).get("/admin/support/callback/")
    assert page.status_code == 200
    ids = re.findall(r'href="/admin/support/callback/(\d+)/change/', page.content.decode())
    assert [int(i) for i in dict.fromkeys(ids)] == [sooner.pk, later.pk]
    assert "+86 138 0013 8000" in page.content.decode()


def test_the_outcome_is_recorded_on_the_history_and_the_asker_told(
    buyer, seller, request_, arbitrator, django_capture_on_commit_callbacks
):
    callback = ask(request_, buyer, hours=3)
    client = client_for(arbitrator)
    bad = client.post(f"/admin/support/callback/{callback.pk}/outcome/", {"outcome": "maybe"})
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/admin/support/callback/{callback.pk}/outcome/",
            {"outcome": "no_answer", "note": f"Rang {E164} twice"},
        )
    callback.refresh_from_db()
    assert callback.outcome == "no_answer" and callback.handled_by == arbitrator
    event = RequestEvent.objects.get(request=request_, action=Action.CALLBACK_NO_ANSWER)
    assert event.actor == arbitrator and event.actor_role == "staff" and event.note == ""
    assert Notification.objects.filter(recipient=buyer, event=event).exists()
    assert not Notification.objects.filter(recipient=seller, event=event).exists()
    page = client_for(buyer).get(f"/requests/{request_.pk}/")
    assert "called back: nobody answered" in text(page)
    seller_page = client_for(seller).get(f"/seller/requests/{request_.pk}/").content.decode()
    assert E164 not in seller_page and "Rang" not in seller_page
    # Recorded once: a second try says so above the page.
    again = client.post(
        f"/admin/support/callback/{callback.pk}/outcome/", {"outcome": "reached"}, follow=True
    )
    assert "already recorded" in text(again)
    assert RequestEvent.objects.filter(action__startswith="callback_").count() == 2


def test_support_staff_read_the_queue_but_arbitrators_record(buyer, request_):
    from django.contrib.auth.models import Group

    from tests.orders.factories import UserFactory

    support = UserFactory(username="support", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    callback = ask(request_, buyer, hours=3)
    client = client_for(support)
    page = client.get(f"/admin/support/callback/{callback.pk}/change/")
    assert page.status_code == 200 and E164 in page.content.decode()
    assert "Arbitrators record the outcome" in text(page)
    response = client.post(
        f"/admin/support/callback/{callback.pk}/outcome/", {"outcome": "reached"}
    )
    assert response.status_code == 403 and "Not for your role" in text(response)
    callback.refresh_from_db()
    assert not callback.outcome
