"""Sign-in throttling (issue 12, row 1): too many wrong passwords lock the username, and too
many from one address lock the address, for the portal's and the admin's login alike; the
lockout page says when to try again; staff lift a lock in the admin.

Limits come from settings.LOGIN_THROTTLE (5 per user, 20 per address, 15 minutes). Time is
moved on by ageing the recorded failures, as the clock would.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.db.models import F
from django.test import Client, RequestFactory
from django.utils import timezone

from portals.accounts import client_address
from tests.aftersales.test_buyer_views import Page
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"
HOME = "10.1.1.1"
ELSEWHERE = "10.2.2.2"
LOCKED = "Signing in is paused"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def sign_in(username: str, password: str, *, address: str = HOME, client=None, url="/login/"):
    client = client or Client()
    response = client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(username: str, times: int, *, address: str = HOME, url="/login/"):
    responses = [sign_in(username, "wrong", address=address, url=url)[1] for _ in range(times)]
    return responses[-1]


def age_failures(by: timedelta) -> None:
    """What the clock does to the recorded failures."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def try_again_at(when) -> str:
    return f"Try again after {timezone.localtime(when):%H:%M} (Beijing time)"


# --- one username ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_refused(buyer):
    # given four wrong passwords: still a normal sign-in page
    fourth = fail("buyer", 4)
    assert fourth.status_code == 200
    assert "Please enter a correct username and password" in Page(fourth).text
    # when the fifth is wrong too
    before = timezone.now()
    fifth = fail("buyer", 1)
    after = timezone.now()
    # then signing in is paused, and the page says until when: 15 minutes after that failure
    assert fifth.status_code == 429
    assert LOCKED in Page(fifth).text
    client, right = sign_in("buyer", PASSWORD)
    page = Page(right)
    assert right.status_code == 429
    assert not signed_in(client)
    lifted = {try_again_at(when + timedelta(minutes=15)) for when in (before, after)}
    assert any(text in page.text for text in lifted), page.text
    assert "in about 15 minutes" in page.text
    assert "even with the right password" in page.text


def test_four_wrong_passwords_do_not_lock(buyer):
    fail("buyer", 4)

    client, response = sign_in("buyer", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_lock_is_for_that_username_from_anywhere(buyer, other_buyer):
    fail("buyer", 5, address=HOME)

    # the same username from another address: still refused
    client, response = sign_in("buyer", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 429
    assert not signed_in(client)
    # another username, from the same address or elsewhere: signs in
    for address in (HOME, ELSEWHERE):
        client, response = sign_in("other-buyer", PASSWORD, address=address)
        assert response.status_code == 302, address
        assert signed_in(client)


def test_attempts_while_locked_do_not_extend_the_lock(buyer):
    fail("buyer", 5)
    age_failures(timedelta(minutes=10))

    # five more tries during the lockout: refused, not counted
    assert fail("buyer", 5).status_code == 429
    assert "in about 5 minutes" in Page(sign_in("buyer", PASSWORD)[1]).text

    age_failures(timedelta(minutes=5, seconds=1))
    client, response = sign_in("buyer", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_after_the_cool_off_the_right_password_works_again(buyer):
    fail("buyer", 5)
    age_failures(timedelta(minutes=14, seconds=50))
    assert sign_in("buyer", PASSWORD)[1].status_code == 429

    age_failures(timedelta(seconds=11))
    client, response = sign_in("buyer", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


# --- one address ----------------------------------------------------------------------------------


def test_twenty_failures_from_one_address_lock_the_address_not_the_people(buyer, other_buyer):
    # one machine tries four passwords each on five usernames (none of them locked alone)
    for n in range(5):
        UserFactory(username=f"target{n}")
        fail(f"target{n}", 4, address=HOME)

    # that address may not sign anyone in any more
    client, response = sign_in("other-buyer", PASSWORD, address=HOME)
    assert response.status_code == 429
    assert LOCKED in Page(response).text
    assert not signed_in(client)
    # the people themselves, from their own addresses, sign in
    client, response = sign_in("target0", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_address_is_the_one_the_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    factory = RequestFactory()

    spoofed = factory.post(
        "/login/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.9.8.7"
    )
    direct = factory.post("/login/", REMOTE_ADDR="172.18.0.5")
    garbage = factory.post("/login/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="nonsense")

    # nginx appended the address it saw (10.9.8.7); "1.2.3.4" was sent by the client itself
    assert client_address(spoofed) == "10.9.8.7"
    assert client_address(direct) == "172.18.0.5"
    assert client_address(garbage) == "172.18.0.5"

    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(spoofed) == "172.18.0.5"


def test_behind_the_proxy_each_client_is_counted_apart(settings, buyer, other_buyer):
    """Every request arrives from nginx's address: the lock must follow the real client."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for n in range(20):
        Client().post(
            "/login/",
            {"username": f"nobody{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR=HOME,
            **proxy,
        )

    attacker = Client().post(
        "/login/",
        {"username": "other-buyer", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=HOME,
        **proxy,
    )
    honest = Client()
    response = honest.post(
        "/login/",
        {"username": "other-buyer", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=ELSEWHERE,
        **proxy,
    )

    assert attacker.status_code == 429
    assert response.status_code == 302
    assert signed_in(honest)


# --- the admin's login ----------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(Group.objects.get(name="arbitrators"))
    return user


def test_the_admin_login_is_throttled_the_same_way(staff):
    fail("staff", 4, url="/admin/login/")
    fifth = fail("staff", 1, url="/admin/login/")

    client, right = sign_in("staff", PASSWORD, url="/admin/login/")

    assert (fifth.status_code, right.status_code) == (429, 429)
    text = Page(right).text
    assert LOCKED in text
    assert "Try again after" in text
    assert "After-sales platform · staff" in text  # the admin's own look
    assert not signed_in(client)
    # and the portal's login knows it too: one throttle for both doors
    assert sign_in("staff", PASSWORD)[1].status_code == 429


def test_failures_at_the_portal_count_at_the_admin_login(staff):
    fail("staff", 5, url="/login/")

    client, response = sign_in("staff", PASSWORD, url="/admin/login/")

    assert response.status_code == 429
    assert not signed_in(client)


def test_staff_lift_a_lock_in_the_admin(buyer):
    fail("buyer", 5)
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    listing = admin.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200
    assert "buyer" in Page(listing).text
    attempt = AccessAttempt.objects.get(username="buyer")
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="buyer").exists()
    client, response = sign_in("buyer", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_support_staff_cannot_lift_a_lock(buyer):
    fail("buyer", 5)
    support = UserFactory(username="support", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    client = Client()
    client.force_login(support)

    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert AccessAttempt.objects.filter(username="buyer").exists()


# --- in Chinese -----------------------------------------------------------------------------------


def test_the_lockout_page_speaks_chinese(settings, buyer):
    settings.LANGUAGE_CODE = "zh-hans"
    fail("buyer", 5)

    response = sign_in("buyer", PASSWORD)[1]

    text = Page(response).text
    assert response.status_code == 429
    assert "登录已暂停" in text
    assert "约 15 分钟后" in text
