"""Notifications (SPEC §8): on every transition, whoever must act next hears about it, in the
notification centre and by email, after the commit, in the site's language; the notification
centre shows each user only their own, counts the unread ones in the header, and opens the
request on the right side of the platform."""

import re
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales import services, tasks
from aftersales.actors import SYSTEM
from aftersales.models import (
    AfterSalesRequest,
    Carrier,
    Dispute,
    Kind,
    Notification,
    RejectionReason,
    Role,
    Ruling,
    State,
)
from aftersales.notifications import send_emails
from aftersales.sweep import send_owed_emails, sweep
from orders.preferences import remember_language
from tests.aftersales.factories import TRACKING, file_request, photo, request_in
from tests.orders.factories import (
    ArbitratorFactory,
    OrderItemFactory,
    ShopMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ZTO = {"carrier": Carrier.ZTO, "tracking_number": "73123456789012"}


@pytest.fixture
def people(buyer, shop, seller, arbitrator, other_seller):
    """Two members of the shop, two arbitrators, and staff who are not arbitrators."""
    return {
        "buyer": buyer,
        "seller": seller,
        "agent2": ShopMemberFactory(shop=shop, user__username="agent2").user,
        "arbitrator": arbitrator,
        "arbitrator2": ArbitratorFactory(username="arbitrator2"),
        "plain-staff": UserFactory(username="plain-staff", is_staff=True),
    }


def last_event(request):
    return AfterSalesRequest.objects.get(pk=request.pk).events.last()


# (state to start from, kind, action, audience, who is told)
SELLERS = {"seller", "agent2"}
ARBITRATORS = {"arbitrator", "arbitrator2"}
BUYER = {"buyer"}
NOBODY: set[str] = set()


class AtLeast(frozenset):
    """These are told; the shop's members may be told too. A ruling ends the request, so the
    buyer hears it; whether the shop does as well is the disputes rules' business
    (``tests/disputes/test_arbitration.py`` expects both parties)."""


def rule(outcome, amount="0.00"):
    def act(request, p):
        services.rule_dispute(
            dispute=request.disputes.get(),
            actor=p["arbitrator"],
            outcome=outcome,
            rationale="The photos settle it.",
            refund_amount=Decimal(amount),
        )

    return act


TRANSITIONS = [
    pytest.param(
        State.SUBMITTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.approve_request(request=r, actor=p["seller"]),
        Role.BUYER,
        BUYER,
        id="seller-approves-return-buyer-ships-next",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.REFUND_ONLY,
        lambda r, p: services.approve_request(request=r, actor=p["seller"]),
        Role.BUYER,
        BUYER,
        id="seller-approves-refund-buyer-hears-it-is-finished",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.propose_solution(
            request=r,
            actor=p["seller"],
            kind=Kind.REFUND_ONLY,
            refund_amount=Decimal("30.00"),
            compensation_amount=Decimal("0.00"),
            note="Keep it; ¥30 back.",
        ),
        Role.BUYER,
        BUYER,
        id="seller-proposes-buyer-answers",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.reject_request(
            request=r, actor=p["seller"], reason=RejectionReason.USED, explanation="Worn."
        ),
        Role.BUYER,
        BUYER,
        id="seller-rejects-buyer-answers",
    ),
    pytest.param(
        State.NEGOTIATING,
        Kind.RETURN_REFUND,
        lambda r, p: services.accept_proposal(request=r, actor=p["buyer"]),
        Role.BUYER,
        NOBODY,  # finished, and the buyer is the one who finished it
        id="buyer-accepts-refund-proposal-nobody-else-acts",
    ),
    pytest.param(
        State.NEGOTIATING,
        Kind.RETURN_REFUND,
        lambda r, p: services.decline_proposal(request=r, actor=p["buyer"]),
        Role.BUYER,
        NOBODY,  # rejected: the buyer acts next, and is the actor
        id="buyer-declines-proposal-buyer-acts-again",
    ),
    pytest.param(
        State.REJECTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.resubmit_request(
            request=r,
            actor=p["buyer"],
            kind=Kind.RETURN_REFUND,
            reason=r.reason,
            quantity=1,
            refund_amount=Decimal("100.00"),
            description="Another photo of the dent.",
        ),
        Role.SELLER,
        SELLERS,
        id="buyer-resubmits-sellers-answer",
    ),
    pytest.param(
        State.REJECTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.escalate_to_platform(
            request=r,
            actor=p["buyer"],
            reason=Dispute.Reason.UNFAIR_REJECTION,
            statement="The dent is on my photos.",
        ),
        Role.STAFF,
        ARBITRATORS,
        id="buyer-escalates-arbitrators-rule",
    ),
    pytest.param(
        State.SUBMITTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.withdraw_request(request=r, actor=p["buyer"]),
        Role.BUYER,
        NOBODY,
        id="buyer-withdraws-nobody-else-acts",
    ),
    pytest.param(
        State.AWAITING_RETURN,
        Kind.RETURN_REFUND,
        lambda r, p: services.ship_return(request=r, actor=p["buyer"], **TRACKING),
        Role.SELLER,
        SELLERS,
        id="buyer-ships-back-sellers-confirm",
    ),
    pytest.param(
        State.RETURN_SHIPPED,
        Kind.RETURN_REFUND,
        lambda r, p: services.confirm_return_received(request=r, actor=p["seller"]),
        Role.SELLER,
        {"agent2"},  # the seller's turn again: the other members hear it, not the actor
        id="seller-confirms-receipt-other-members-inspect",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.RETURN_REFUND,
        lambda r, p: services.pass_inspection(request=r, actor=p["seller"]),
        Role.BUYER,
        BUYER,
        id="seller-passes-inspection-buyer-refunded",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.REPAIR,
        lambda r, p: services.pass_inspection(request=r, actor=p["seller"]),
        Role.SELLER,
        {"agent2"},
        id="seller-passes-repair-inspection-members-repair",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.RETURN_REFUND,
        lambda r, p: services.fail_inspection(
            request=r,
            actor=p["seller"],
            reason=RejectionReason.USED,
            explanation="Scratched.",
            files=[photo()],
        ),
        Role.BUYER,
        BUYER,
        id="seller-fails-inspection-buyer-answers",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.EXCHANGE,
        lambda r, p: services.ship_replacement(request=r, actor=p["seller"], **ZTO),
        Role.BUYER,
        BUYER,
        id="seller-ships-replacement-buyer-confirms",
    ),
    pytest.param(
        State.REPAIRING,
        Kind.REPAIR,
        lambda r, p: services.ship_repaired(request=r, actor=p["seller"], **ZTO),
        Role.BUYER,
        BUYER,
        id="seller-ships-repaired-buyer-confirms",
    ),
    pytest.param(
        State.REPLACEMENT_SHIPPED,
        Kind.EXCHANGE,
        lambda r, p: services.confirm_delivery(request=r, actor=p["buyer"]),
        Role.BUYER,
        NOBODY,
        id="buyer-confirms-replacement-nobody-else-acts",
    ),
    pytest.param(
        State.DISPUTED,
        Kind.RETURN_REFUND,
        rule(Ruling.Outcome.REFUND, "100.00"),
        Role.BUYER,
        AtLeast(BUYER),
        id="platform-rules-refund-buyer-told",
    ),
    pytest.param(
        State.DISPUTED,
        Kind.RETURN_REFUND,
        rule(Ruling.Outcome.FOR_SELLER),
        Role.BUYER,
        AtLeast(BUYER),
        id="platform-rules-for-seller-buyer-told",
    ),
    # the system acting on deadlines
    pytest.param(
        State.SUBMITTED,
        Kind.RETURN_REFUND,
        lambda r, p: services.approve_request(request=r, actor=SYSTEM),
        Role.BUYER,
        BUYER,
        id="system-auto-approves-buyer-ships-next",
    ),
    pytest.param(
        State.NEGOTIATING,
        Kind.RETURN_REFUND,
        lambda r, p: services.close_for_timeout(request=r, actor=SYSTEM),
        Role.BUYER,
        BUYER,
        id="system-closes-buyer-told",
    ),
    pytest.param(
        State.RETURN_SHIPPED,
        Kind.RETURN_REFUND,
        lambda r, p: services.refund_without_receipt(request=r, actor=SYSTEM),
        Role.BUYER,
        BUYER,
        id="system-auto-refunds-buyer-told",
    ),
    pytest.param(
        State.RETURN_SHIPPED,
        Kind.EXCHANGE,
        lambda r, p: services.escalate_overdue(request=r, actor=SYSTEM),
        Role.STAFF,
        ARBITRATORS,
        id="system-escalates-arbitrators-rule",
    ),
    pytest.param(
        State.INSPECTING,
        Kind.REPAIR,
        lambda r, p: services.pass_inspection(request=r, actor=SYSTEM),
        Role.SELLER,
        SELLERS,
        id="system-passes-repair-inspection-all-members-repair",
    ),
    pytest.param(
        State.REPAIR_SHIPPED,
        Kind.REPAIR,
        lambda r, p: services.confirm_delivery(request=r, actor=SYSTEM),
        Role.BUYER,
        BUYER,
        id="system-confirms-repair-buyer-told",
    ),
]


@pytest.mark.parametrize(("state", "kind", "act", "audience", "told"), TRANSITIONS)
def test_each_transition_tells_whoever_acts_next(
    state, kind, act, audience, told, people, item, django_capture_on_commit_callbacks
):
    # given (set up without committing: the set-up's notifications are written, with their
    # events, but no e-mail goes out)
    request = request_in(state, item, kind=kind)
    earlier = list(Notification.objects.values_list("pk", flat=True))
    assert mail.outbox == []

    # when
    with django_capture_on_commit_callbacks(execute=True):
        act(request, people)

    # then: one notification per person told, tied to the transition
    event = last_event(request)
    notifications = Notification.objects.filter(request=request).exclude(pk__in=earlier)
    names = {n.recipient.username for n in notifications}
    if isinstance(told, AtLeast):
        assert told <= names <= told | SELLERS
    else:
        assert names == told
    assert notifications.count() == len(names)
    for notification in notifications:
        assert notification.kind == Notification.Kind.TRANSITION
        assert notification.event_id == event.pk
        side = Role.SELLER if notification.recipient.username in SELLERS else Role.BUYER
        assert notification.audience == (side if isinstance(told, AtLeast) else audience)
        assert notification.read_at is None
    # and one email each, addressed to that person alone
    assert sorted(m.to for m in mail.outbox) == sorted([f"{name}@example.com"] for name in names)
    for message in mail.outbox:
        assert f"#{request.pk}" in message.subject
        assert item.title in message.body
    assert "plain-staff@example.com" not in [m.to[0] for m in mail.outbox]


def test_submitting_tells_every_member_of_the_shop(
    people, item, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    notifications = Notification.objects.filter(request=request)
    assert sorted(notifications.values_list("recipient__username", "audience")) == [
        ("agent2", Role.SELLER),
        ("seller", Role.SELLER),
    ]
    assert sorted(m.to for m in mail.outbox) == [["agent2@example.com"], ["seller@example.com"]]
    assert all(f"#{request.pk}" in m.subject for m in mail.outbox)


def test_a_member_of_another_shop_hears_nothing(
    people, item, other_seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)

    assert not Notification.objects.filter(recipient=other_seller).exists()
    assert "other-seller@example.com" not in [m.to[0] for m in mail.outbox]


def test_nothing_is_sent_before_the_commit(people, item, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        request = file_request(item)

    assert callbacks  # registered, to run when the transaction commits
    assert mail.outbox == []
    # the notifications are written with the event, in its transaction: they stand or fall
    # with it, whatever happens to the task
    owed = Notification.objects.filter(request=request)
    assert sorted(owed.values_list("recipient__username", "email_pending", "emailed_at")) == [
        ("agent2", True, None),
        ("seller", True, None),
    ]


def test_notifications_roll_back_with_the_event(people, item):
    with pytest.raises(RuntimeError), transaction.atomic():
        file_request(item)
        raise RuntimeError("the action fails after the event was logged")

    assert not Notification.objects.exists()


def test_a_member_without_an_email_address_still_gets_the_notification(
    people, item, django_capture_on_commit_callbacks
):
    people["agent2"].email = ""
    people["agent2"].save()

    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)

    assert Notification.objects.filter(recipient=people["agent2"]).count() == 1
    assert [m.to for m in mail.outbox] == [["seller@example.com"]]


def test_the_sweep_notifies_for_what_it_does(people, item, django_capture_on_commit_callbacks):
    request = file_request(item, kind=Kind.RETURN_REFUND)

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=AfterSalesRequest.objects.get(pk=request.pk).due_at + timedelta(seconds=1))

    assert list(
        Notification.objects.filter(request=request, event__actor_role=Role.SYSTEM).values_list(
            "recipient__username", "kind"
        )
    ) == [("buyer", Notification.Kind.TRANSITION)]
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]


# --- language ----------------------------------------------------------------------------------


def test_email_is_in_the_sites_language(people, item, settings, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "zh-hans"

    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    subjects = {m.subject for m in mail.outbox}
    assert subjects == {f"售后单 #{request.pk}：等待卖家处理"}
    assert all("等待卖家处理" in m.body for m in mail.outbox)


def test_reminder_email_names_the_state_in_the_sites_language(
    people, item, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "zh-hans"
    request = file_request(item)
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=due - timedelta(hours=23))

    assert sorted(m.to for m in mail.outbox) == [["agent2@example.com"], ["seller@example.com"]]
    for message in mail.outbox:
        assert f"#{request.pk}" in message.subject
        assert "等待卖家处理" in message.body


def test_email_is_in_english_when_the_site_is(
    people, item, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"

    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    assert {m.subject for m in mail.outbox} == {
        f"After-sales request #{request.pk}: Waiting for the seller"
    }


# --- the notification centre -------------------------------------------------------------------


@pytest.fixture
def history(people, shop, buyer, seller, django_capture_on_commit_callbacks):
    """Two requests of the buyer, each filed (the sellers are told) and one approved (the
    buyer is told), all committed as a user would do it."""
    first_item = OrderItemFactory(order__buyer=buyer, order__shop=shop, title="Tea tin")
    second_item = OrderItemFactory(order__buyer=buyer, order__shop=shop, title="Tea cup")
    with django_capture_on_commit_callbacks(execute=True):
        first = file_request(first_item)
        second = file_request(second_item)
        services.approve_request(request=first, actor=seller)
        services.approve_request(request=second, actor=seller)
    return first, second


def open_url(notification) -> str:
    return reverse("notifications:open", args=[notification.pk])


def unread_count(html: str) -> int | None:
    match = re.search(
        r'class="notifications-link".*?<span class="count"[^>]*>\s*(\d+)\s*<', html, re.S
    )
    return int(match.group(1)) if match else None


def test_the_list_shows_only_ones_own_notifications(client, people, history, buyer, seller):
    client.force_login(buyer)

    response = client.get(reverse("notifications:list"))

    assert response.status_code == 200
    html = response.content.decode()
    mine = Notification.objects.filter(recipient=buyer)
    theirs = Notification.objects.exclude(recipient=buyer)
    assert mine.count() == 2 and theirs.count() == 4
    for notification in mine:
        assert open_url(notification) in html
    for notification in theirs:
        assert open_url(notification) not in html
    assert "Tea tin" in html and "Tea cup" in html
    assert "Waiting for the buyer to ship back" in html


def test_header_shows_the_unread_count_in_the_buyer_portal_and_seller_center(
    client, people, history, buyer, seller
):
    client.force_login(buyer)
    assert unread_count(client.get("/").content.decode()) == 2

    client.force_login(seller)
    assert unread_count(client.get(reverse("seller:dashboard")).content.decode()) == 2
    assert unread_count(client.get("/").content.decode()) == 2


def test_no_count_when_everything_is_read(client, people, history, buyer):
    Notification.objects.filter(recipient=buyer).update(read_at=timezone.now())
    client.force_login(buyer)

    html = client.get("/").content.decode()

    assert unread_count(html) is None
    assert 'class="notifications-link"' in html


def test_opening_marks_read_and_goes_to_the_buyers_page(client, people, history, buyer):
    first, _ = history
    notification = Notification.objects.get(recipient=buyer, request=first)
    client.force_login(buyer)

    response = client.post(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == reverse("buyer:request_detail", args=[first.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread_count(client.get("/").content.decode()) == 1
    assert client.get(response["Location"]).status_code == 200


def test_opening_goes_to_the_sellers_page_for_a_seller(client, people, history, seller):
    first, _ = history
    notification = Notification.objects.get(recipient=seller, request=first)
    client.force_login(seller)

    response = client.post(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == reverse("seller:request_detail", args=[first.pk])
    assert Notification.objects.get(pk=notification.pk).read_at is not None
    assert client.get(response["Location"]).status_code == 200


def test_opening_goes_to_the_admin_for_an_arbitrator(
    client, people, item, arbitrator, django_capture_on_commit_callbacks
):
    request = request_in(State.REJECTED, item)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_to_platform(
            request=request,
            actor=people["buyer"],
            reason=Dispute.Reason.UNFAIR_REJECTION,
            statement="Look at my photos.",
        )
    notification = Notification.objects.get(recipient=arbitrator)
    client.force_login(arbitrator)

    response = client.post(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:aftersales_aftersalesrequest_change", args=[request.pk]
    )


def test_opening_twice_keeps_the_first_read_time(client, people, history, buyer):
    notification = Notification.objects.filter(recipient=buyer).first()
    client.force_login(buyer)
    client.post(open_url(notification))
    first_read = Notification.objects.get(pk=notification.pk).read_at

    client.post(open_url(notification))

    assert Notification.objects.get(pk=notification.pk).read_at == first_read


def test_someone_elses_notification_is_404_and_stays_unread(client, people, history, buyer, seller):
    theirs = Notification.objects.filter(recipient=seller).first()
    client.force_login(buyer)

    response = client.post(open_url(theirs))

    assert response.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_unknown_notification_is_404(client, people, buyer):
    client.force_login(buyer)

    assert client.post(reverse("notifications:open", args=[999999])).status_code == 404


def test_read_all_marks_only_ones_own(client, people, history, buyer, seller):
    client.force_login(buyer)

    response = client.post(reverse("notifications:read_all"))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    assert not Notification.objects.filter(recipient=buyer, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=seller, read_at__isnull=True).count() == 2
    assert unread_count(client.get("/").content.decode()) is None


@pytest.mark.parametrize("name", ["open", "read_all"])
def test_state_changing_urls_refuse_get(client, people, history, buyer, name):
    notification = Notification.objects.filter(recipient=buyer).first()
    args = [notification.pk] if name == "open" else []
    client.force_login(buyer)

    response = client.get(reverse(f"notifications:{name}", args=args))

    assert response.status_code == 405
    assert Notification.objects.filter(recipient=buyer, read_at__isnull=True).count() == 2


def test_state_changing_urls_need_csrf(people, history, buyer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    response = client.post(reverse("notifications:read_all"))

    assert response.status_code == 403
    assert Notification.objects.filter(recipient=buyer, read_at__isnull=True).count() == 2


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("notifications:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reminders_show_in_the_list(
    client, people, item, seller, django_capture_on_commit_callbacks
):
    request = file_request(item)
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=due - timedelta(hours=23))
    client.force_login(seller)

    html = client.get(reverse("notifications:list")).content.decode()

    assert "Reminder: it is your turn" in html
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in html


def test_list_query_count_does_not_grow_with_notifications(
    client,
    people,
    shop,
    buyer,
    seller,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    def add(n):
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(n):
                request = file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop))
                services.approve_request(request=request, actor=seller)

    client.force_login(buyer)
    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    add(10)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("notifications:list"))
    assert response.content.decode().count('class="card notification unread"') == 12


# Session, user, the page count, the page's notifications (with their request, item and event),
# and the header's seller link and unread count.
NOTIFICATION_LIST_QUERIES = 6


def test_list_query_count_is_pinned_with_more_than_a_page(
    client, shop, buyer, seller, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(25):
            request = file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop))
            services.approve_request(request=request, actor=seller)
    assert buyer.notifications.count() > 20  # more than a page
    client.force_login(buyer)
    for page in (1, 2):
        with django_assert_max_num_queries(NOTIFICATION_LIST_QUERIES):
            response = client.get(reverse("notifications:list") + f"?page={page}")
        assert response.status_code == 200


# --- exactly once, whatever the tasks do (issue 12) ----------------------------------------------


def sent_to(name):
    return [m for m in mail.outbox if m.to == [f"{name}@example.com"]]


def test_a_redelivered_announcement_writes_and_sends_nothing_more(
    people, item, django_capture_on_commit_callbacks
):
    # given: a request filed, its sellers told and e-mailed
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)
    event = request.events.get()
    told = sorted(Notification.objects.values_list("pk", "recipient__username"))
    assert len(told) == 2 and len(mail.outbox) == 2

    # when: the task is delivered again, twice (a worker died before acknowledging it)
    tasks.announce_transition.delay(event.pk, None)
    tasks.announce_transitions.delay([(event.pk, None)])

    # then: no second notification, no second e-mail
    assert sorted(Notification.objects.values_list("pk", "recipient__username")) == told
    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("email_pending", flat=True)) == {False}
    assert None not in set(Notification.objects.values_list("emailed_at", flat=True))


def test_a_redelivered_sweep_announcement_sends_nothing_more(
    people, item, django_capture_on_commit_callbacks
):
    request = file_request(item, kind=Kind.RETURN_REFUND)
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sweep(now=due + timedelta(seconds=1))
    event = last_event(request)
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]

    for callback in callbacks:  # everything the batch sent on commit, delivered again
        callback()
    tasks.announce_transitions.delay([(event.pk, None)])

    assert Notification.objects.filter(event=event).count() == 1
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]


def test_the_database_refuses_a_second_notice_of_an_event_or_deadline_to_a_person(
    people, item, seller
):
    request = file_request(item)
    event = request.events.get()
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at
    notice = {"recipient": seller, "request": request, "audience": Role.SELLER}
    Notification.objects.create(**notice, kind=Notification.Kind.REMINDER, due_at=due)

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(**notice, kind=Notification.Kind.TRANSITION, event=event)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(**notice, kind=Notification.Kind.REMINDER, due_at=due)
    # another deadline is another reminder
    Notification.objects.create(
        **notice, kind=Notification.Kind.REMINDER, due_at=due + timedelta(days=1)
    )


def test_an_email_whose_task_was_lost_is_sent_by_the_per_minute_pass_once(people, item):
    # given: a request filed, but its task never reached a worker (the broker was down)
    request = file_request(item)
    written = Notification.objects.get(recipient__username="seller").created_at
    assert mail.outbox == []

    # the pass waits two minutes for the task, then sends what is owed, once
    assert send_owed_emails(now=written + timedelta(seconds=100)) == 0
    assert send_owed_emails(now=written + timedelta(seconds=130)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["agent2@example.com", "seller@example.com"]
    assert all(f"#{request.pk}" in m.subject for m in mail.outbox)
    assert send_owed_emails(now=written + timedelta(minutes=3)) == 0
    tasks.announce_transition.delay(request.events.get().pk, None)  # the lost task, at last
    assert len(mail.outbox) == 2


def test_a_late_email_says_what_its_event_said_and_that_the_request_moved_on(
    people, item, seller, django_capture_on_commit_callbacks
):
    # given: the buyer shipped the goods back; the e-mail telling the sellers is late, and by
    # the time it runs the seller has confirmed receipt and the refund is through
    request = request_in(State.AWAITING_RETURN, item)
    request = services.ship_return(request=request, actor=people["buyer"], **TRACKING)
    shipped = last_event(request)
    request = services.confirm_return_received(request=request, actor=seller)
    services.pass_inspection(request=request, actor=seller)
    assert AfterSalesRequest.objects.get(pk=request.pk).state == State.REFUNDED
    mail.outbox.clear()

    # when the late task runs
    tasks.announce_transition.delay(shipped.pk, None)

    # then: subject and body speak of the same moment, and say where the request is now
    [to_agent2] = sent_to("agent2")  # the seller shipped nothing: agent2 is told as well
    for message in sent_to("seller") + [to_agent2]:
        assert message.subject == (
            f"After-sales request #{request.pk}: Waiting for the seller to confirm receipt"
        )
        headline = message.body.splitlines()[0]
        assert headline == f"{item.title} — Waiting for the seller to confirm receipt"
        assert "It has moved on since: now Refunded." in message.body
        assert "Deadline" not in message.body  # the deadline of that moment is gone


def test_an_email_on_time_carries_the_deadline(people, item, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    due = timezone.localtime(AfterSalesRequest.objects.get(pk=request.pk).due_at)
    for message in mail.outbox:
        assert message.body.splitlines()[0] == f"{item.title} — Waiting for the seller"
        assert "Buyer filed the request: Waiting for the seller. Next:" in message.body
        assert f"Deadline: {due:%Y-%m-%d %H:%M} (Beijing time)." in message.body
        assert "moved on" not in message.body


def test_each_recipient_reads_their_own_language(
    people, item, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"  # the site's default, for those who never chose
    remember_language(user=people["seller"], language="zh-hans")

    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    [chinese] = sent_to("seller")
    assert chinese.subject == f"售后单 #{request.pk}：等待卖家处理"
    assert chinese.body.splitlines()[0] == f"{item.title} — 等待卖家处理"
    assert "截止时间" in chinese.body and "打开售后单" in chinese.body
    [english] = sent_to("agent2")
    assert english.subject == f"After-sales request #{request.pk}: Waiting for the seller"
    assert "Open the request" in english.body


def test_a_reminder_is_in_the_recipients_language(
    people, item, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "zh-hans"
    remember_language(user=people["agent2"], language="en")
    request = file_request(item)
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=due - timedelta(hours=23))

    [english] = sent_to("agent2")
    assert english.subject == f"Reminder: after-sales request #{request.pk} is due soon"
    assert "Waiting for the seller" in english.body
    [chinese] = sent_to("seller")
    assert chinese.subject == f"提醒：售后单 #{request.pk}即将超时"
    assert "等待卖家处理" in chinese.body


def links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def test_the_link_opens_the_request_on_each_recipients_side(
    people, item, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://aftersales.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        request = request_in(State.REJECTED, item)  # the buyer is told of the rejection
        services.escalate_to_platform(
            request=request,
            actor=people["buyer"],
            reason=Dispute.Reason.UNFAIR_REJECTION,
            statement="Look at my photos.",
        )  # the arbitrators are told

    site = "https://aftersales.example.com"
    assert {link for m in sent_to("seller") for link in links(m)} == {
        f"{site}/seller/requests/{request.pk}/"
    }
    assert {link for m in sent_to("buyer") for link in links(m)} == {
        f"{site}/requests/{request.pk}/"
    }
    for name in ARBITRATORS:
        [message] = sent_to(name)
        assert links(message) == [f"{site}/admin/aftersales/aftersalesrequest/{request.pk}/change/"]
    # each e-mail carries its notification's own Message-ID, so a copy sent twice shows once
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(ids) == len(mail.outbox)
    assert all(re.fullmatch(r"<notification-\d+@aftersales\.example\.com>", i) for i in ids)


def test_a_redelivered_reminder_is_sent_once(people, item, django_capture_on_commit_callbacks):
    request = file_request(item)
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=due - timedelta(hours=23))
    assert len(mail.outbox) == 2

    tasks.send_reminder.delay(request.pk)
    tasks.send_reminder.delay(request.pk)

    assert len(mail.outbox) == 2
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 2


def test_a_reminder_of_a_deadline_that_moved_on_is_not_sent(
    people, item, seller, django_capture_on_commit_callbacks
):
    # given: the sweep reminded the sellers, but the e-mail task is late, and meanwhile the
    # seller approved (a new deadline, the buyer's)
    request = file_request(item)
    due = AfterSalesRequest.objects.get(pk=request.pk).due_at
    sweep(now=due - timedelta(hours=23))
    services.approve_request(request=request, actor=seller)
    mail.outbox.clear()

    tasks.send_reminder.delay(request.pk)

    assert mail.outbox == []
    assert not Notification.objects.filter(
        kind=Notification.Kind.REMINDER, email_pending=True
    ).exists()
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 2


class SlowMailBackend(locmem.EmailBackend):
    """Takes its time, so that two tasks sending the same e-mails overlap."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tasks_at_once_send_each_email_once(people, item, settings, monkeypatch):
    # given: a request filed, its e-mails owed (committed; the task did not run)
    settings.EMAIL_BACKEND = "tests.aftersales.test_notifications.SlowMailBackend"
    monkeypatch.setattr(tasks.announce_transition, "delay", lambda *args: None)
    with transaction.atomic():
        request = file_request(item)
    event = request.events.get()
    mail.outbox = []
    barrier = threading.Barrier(2)
    sent = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            sent.append(send_emails(Notification.objects.filter(event=event)))
        finally:
            connection.close()

    # when: the task and its redelivered twin run at the same moment
    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    # then: one e-mail per person, whichever task sent it (SKIP LOCKED claims row by row: one
    # task may take both, or each one)
    assert sum(sent) == 2 and sorted(sent) in ([0, 2], [1, 1])
    assert sorted(m.to[0] for m in mail.outbox) == ["agent2@example.com", "seller@example.com"]
