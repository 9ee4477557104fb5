"""What a shop's endpoint receives, and how: the events of its own requests, signed, each once,
retried with backoff after a failure, and the endpoint turned off when it keeps failing.

Every delivery here goes over real HTTP to a receiver on loopback (``tests/webhooks/receiver``)
that checks the signature with its own implementation of the specification."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from aftersales import services as aftersales_services
from aftersales.models import Action, RequestEvent, State
from aftersales.sweep import send_reminders
from aftersales.tasks import announce_transition, announce_transitions
from orders.models import ShopMember
from tests.aftersales.factories import file_request
from tests.orders.factories import OrderItemFactory, ShopMemberFactory, UserFactory
from tests.webhooks.receiver import Receiver
from webhooks import delivery, events, services
from webhooks.models import Delivery, Endpoint
from webhooks.tasks import send_due_deliveries

pytestmark = pytest.mark.django_db

SCHEDULE = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
]


def run_pass(at) -> int:
    """The per-minute pass, as beat runs it, at the moment ``at``."""
    return send_due_deliveries(at.isoformat())


def test_a_new_request_reaches_the_shops_endpoint_signed(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    # when the buyer files a request
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)
    # then the endpoint got it once, signed with its secret
    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    event = RequestEvent.objects.get(request=request, action=Action.SUBMIT)
    assert got.webhook_id == f"evt_{event.pk}_request_created"
    payload = got.payload
    assert payload["type"] == "aftersales.request.created"
    assert payload["data"]["request"] == {
        "id": request.pk,
        "state": State.SUBMITTED,
        "kind": request.kind,
        "version": 1,
        "url": f"http://127.0.0.1:8000/seller/requests/{request.pk}/",
        "api_url": f"http://127.0.0.1:8000/api/v1/requests/{request.pk}/",
    }
    assert payload["data"]["event"]["action"] == "submit"
    assert payload["data"]["event"]["by"] == "buyer"
    # and the log says so
    row = Delivery.objects.get(endpoint=endpoint)
    assert (row.status, row.status_code, row.attempts) == (Delivery.Status.DELIVERED, 200, 1)
    assert row.response_ms is not None and row.delivered_at is not None


def test_no_buyer_personal_data_in_payloads(
    shop, seller, endpoint, receiver, django_capture_on_commit_callbacks
):
    buyer = UserFactory(username="zhang-wei-1988", email="zhang.wei@example.cn")
    item = OrderItemFactory(order__buyer=buyer, order__shop=shop)
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)
    with django_capture_on_commit_callbacks(execute=True):
        aftersales_services.approve_request(request=request, actor=seller)
    assert len(receiver.received) == 2
    for got in receiver.received:
        text = got.body.decode()
        assert buyer.username not in text and buyer.email not in text
        assert item.order.number not in text


def test_the_announcing_task_running_twice_delivers_once(
    item, seller, endpoint, receiver, django_capture_on_commit_callbacks
):
    # given an approval announced and delivered
    request = file_request(item)
    with django_capture_on_commit_callbacks(execute=True):
        aftersales_services.approve_request(request=request, actor=seller)
    approval = RequestEvent.objects.get(request=request, action=Action.APPROVE)
    assert [g.payload["type"] for g in receiver.received] == ["aftersales.request.approved"]
    # when the broker hands the same announcements out again, alone and in a sweep's batch
    with django_capture_on_commit_callbacks(execute=True):
        announce_transition(approval.pk)
        announce_transitions([(approval.pk, None)])
    # then there is still one delivery of it, sent once
    assert Delivery.objects.filter(webhook_id__startswith=f"evt_{approval.pk}_").count() == 1
    assert len(receiver.received) == 1


def test_the_webhook_goes_out_even_when_the_e_mails_could_not(
    item, seller, endpoint, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    # given an approval whose e-mails fail to go out (the mail server is down)
    request = file_request(item)
    aftersales_services.approve_request(request=request, actor=seller)
    approval = RequestEvent.objects.get(request=request, action=Action.APPROVE)

    def mail_server_down(announcements):
        raise ConnectionRefusedError("smtp")

    monkeypatch.setattr("aftersales.tasks.announce", mail_server_down)
    # when the event is announced, the task fails (the e-mails are owed and made up later)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ConnectionRefusedError),
    ):
        announce_transition(approval.pk)
    # then the shop's system heard of it all the same
    assert [g.payload["type"] for g in receiver.received] == ["aftersales.request.approved"]


def test_an_approved_refund_only_request_is_approved_and_refunded(
    item, seller, endpoint, receiver, django_capture_on_commit_callbacks
):
    request = file_request(item, kind="refund_only")
    with django_capture_on_commit_callbacks(execute=True):
        aftersales_services.approve_request(request=request, actor=seller)
    types = [g.payload["type"] for g in receiver.received]
    assert types == ["aftersales.request.approved", "aftersales.request.refunded"]
    assert {g.payload["data"]["request"]["state"] for g in receiver.received} == {"refunded"}
    assert {g.payload["data"]["request"]["version"] for g in receiver.received} == {2}
    assert len({g.webhook_id for g in receiver.received}) == 2


def test_an_endpoint_hears_only_the_events_it_chose(
    item, seller, shop, owner, receiver, django_capture_on_commit_callbacks
):
    chosen = services.add_endpoint(
        shop=shop, actor=owner, url=receiver.url, event_types=["aftersales.request.approved"]
    )
    receiver.secret = chosen.secret
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)
    with django_capture_on_commit_callbacks(execute=True):
        aftersales_services.approve_request(request=request, actor=seller)
    assert [g.payload["type"] for g in receiver.received] == ["aftersales.request.approved"]


def test_another_shops_events_never_reach_this_shops_endpoint(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    # given another shop with its own endpoint and its own request
    other_owner = ShopMemberFactory(user__username="other-owner", role=ShopMember.Role.OWNER)
    other_item = OrderItemFactory(order__buyer=UserFactory(), order__shop=other_owner.shop)
    with Receiver() as theirs:
        their_endpoint = services.add_endpoint(
            shop=other_owner.shop, actor=other_owner.user, url=theirs.url, event_types=events.NAMES
        )
        theirs.secret = their_endpoint.secret
        # when a request is filed in each shop
        with django_capture_on_commit_callbacks(execute=True):
            mine = file_request(item)
            other = file_request(other_item)
        # then each endpoint heard of its own shop's request only
        assert [g.payload["data"]["request"]["id"] for g in receiver.received] == [mine.pk]
        assert [g.payload["data"]["request"]["id"] for g in theirs.received] == [other.pk]
    assert not Delivery.objects.filter(endpoint=endpoint, request=other).exists()


def test_a_message_goes_through_the_same_hook(
    item, seller, endpoint, receiver, django_capture_on_commit_callbacks
):
    request = file_request(item)
    with django_capture_on_commit_callbacks(execute=True):
        message = aftersales_services.post_message(
            request=request, actor=item.order.buyer, body="Any news about my refund?"
        )
    [got] = receiver.received
    assert got.signature_ok and got.webhook_id == f"msg_{message.pk}"
    assert got.payload["type"] == "aftersales.message.posted"
    assert got.payload["data"]["message"] == {
        "id": message.pk,
        "by": "buyer",
        "body": "Any news about my refund?",
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_a_deadline_reminder_goes_through_the_same_hook(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    request = file_request(item)
    # when the sweep reminds the seller a day before their deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(now=request.due_at - timedelta(hours=2)) == 1
    [got] = receiver.received
    assert got.signature_ok
    assert got.payload["type"] == "aftersales.deadline.reminder"
    assert got.payload["data"]["deadline"]["waiting_for"] == "seller"
    assert got.payload["data"]["deadline"]["due_at"] == request.due_at.isoformat().replace(
        "+00:00", "Z"
    )
    # and the reminder's task running again sends nothing more
    from aftersales.tasks import send_reminder

    with django_capture_on_commit_callbacks(execute=True):
        send_reminder(request.pk)
    assert len(receiver.received) == 1


def test_a_500_is_retried_after_a_minute_with_the_same_id(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    # given the endpoint answers 500 once
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)
    row = Delivery.objects.get(endpoint=endpoint)
    assert (row.status, row.status_code, row.attempts) == (Delivery.Status.PENDING, 500, 1)
    assert row.next_attempt_at == row.last_attempt_at + timedelta(minutes=1)
    # when the per-minute pass runs before the retry is due, nothing goes
    assert run_pass(row.next_attempt_at - timedelta(seconds=1)) == 0
    # and once it is due, the retry goes and is delivered
    assert run_pass(row.next_attempt_at) == 1
    row.refresh_from_db()
    assert (row.status, row.status_code, row.attempts) == (Delivery.Status.DELIVERED, 200, 2)
    first, second = receiver.received
    assert first.answered == 500 and second.answered == 200
    assert first.webhook_id == second.webhook_id and first.body == second.body
    assert first.signature_ok and second.signature_ok
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.enabled


def test_the_backoff_schedule_then_failed(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)
    row = Delivery.objects.get(endpoint=endpoint)
    waits = []
    while row.status == Delivery.Status.PENDING:
        waits.append(row.next_attempt_at - row.last_attempt_at)
        assert run_pass(row.next_attempt_at) == 1
        row.refresh_from_db()
    assert waits == SCHEDULE
    assert (row.status, row.attempts, row.next_attempt_at) == (Delivery.Status.FAILED, 7, None)
    assert len(receiver.received) == 7
    endpoint.refresh_from_db()
    assert endpoint.failed_deliveries == 1 and endpoint.enabled
    # a failed delivery is not sent again by the pass
    assert run_pass(timezone.now() + timedelta(days=2)) == 0


@override_settings(
    WEBHOOKS={
        **__import__("django.conf").conf.settings.WEBHOOKS,
        "BACKOFF": [timedelta(minutes=1)],
        "DISABLE_AFTER_FAILED_DELIVERIES": 2,
    }
)
def test_an_endpoint_failing_again_and_again_is_turned_off_and_its_owner_told(
    item, seller, owner, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500] * 10
    mail.outbox.clear()
    # given two events whose deliveries run out of attempts (two each)
    request = file_request(item)
    with django_capture_on_commit_callbacks(execute=True):
        announce_transition(request.events.get().pk)
        aftersales_services.approve_request(request=request, actor=seller)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_pass(timezone.now() + timedelta(minutes=2)) == 2
    # then the endpoint is off, because it kept failing
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_because == Endpoint.DisabledBecause.FAILING
    assert endpoint.failed_deliveries == 2
    # and its owner (only the owner) got one e-mail saying so, with the page to fix it
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert endpoint.url in message.subject
    assert f"/seller/webhooks/{endpoint.pk}/" in message.body
    # and nothing more is sent to it
    sent = len(receiver.received)
    with django_capture_on_commit_callbacks(execute=True):
        aftersales_services.post_message(request=request, actor=seller, body="Noted.")
    assert len(receiver.received) == sent
    assert run_pass(timezone.now() + timedelta(days=1)) == 0


def test_a_day_of_failures_turns_the_endpoint_off(
    item, owner, endpoint, receiver, django_capture_on_commit_callbacks
):
    # given the endpoint has not answered well since yesterday
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=25)
    )
    receiver.answers = [503]
    mail.outbox.clear()
    # when one more delivery fails
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)
    # then it is turned off and the owner told
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_because == "failing"
    assert [m.to for m in mail.outbox if "Webhook" in m.subject] == [[owner.email]]


def test_turned_on_again_it_gets_what_waited(
    item, owner, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)
    services.set_endpoint_enabled(endpoint=endpoint, actor=owner, enabled=False)
    assert run_pass(timezone.now() + timedelta(minutes=5)) == 0
    services.set_endpoint_enabled(endpoint=endpoint, actor=owner, enabled=True)
    assert run_pass(timezone.now() + timedelta(minutes=5)) == 1
    assert Delivery.objects.get(endpoint=endpoint).status == Delivery.Status.DELIVERED


def test_a_lost_task_is_made_up_by_the_pass_once_its_lease_expires(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    # given the first attempt's task never ran (the broker lost it)
    request = file_request(item)
    [written] = services.queue_deliveries(event_ids=[request.events.get().pk])
    row = Delivery.objects.get(pk=written)
    assert row.attempts == 0 and row.lease_until is not None
    # then the pass leaves it alone while its lease holds, and sends it after
    assert run_pass(row.lease_until - timedelta(seconds=1)) == 0
    assert run_pass(row.lease_until) == 1
    assert [g.webhook_id for g in receiver.received] == [row.webhook_id]
    # and the late original task, should it come after all, does nothing
    assert delivery.attempt(row.pk, lease=row.lease_until) is None
    assert len(receiver.received) == 1


def test_a_resend_goes_once_more_with_the_same_id(
    item, owner, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)
    row = Delivery.objects.get(endpoint=endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_delivery(delivery_row=row, actor=owner)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.DELIVERED, 2)
    assert [g.webhook_id for g in receiver.received] == [row.webhook_id] * 2


def test_a_test_event_is_sent_signed(owner, endpoint, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.send_test_event(endpoint=endpoint, actor=owner)
    [got] = receiver.received
    assert got.signature_ok and got.payload["type"] == "aftersales.webhook.test"
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.DELIVERED


def test_redirects_timeouts_and_refusals_are_failures(endpoint, receiver):
    assert not delivery.post("http://127.0.0.1:9/", b"{}", {}).delivered  # nothing listens
    receiver.answers = [302]
    outcome = delivery.post(receiver.url, b"{}", {})
    assert (outcome.status_code, outcome.delivered) == (302, False)


def test_every_action_is_announced_or_left_out_on_purpose():
    mapped = set(events.BY_ACTION) | events.NOT_ANNOUNCED
    assert mapped == set(Action.values)
    assert not set(events.BY_ACTION) & events.NOT_ANNOUNCED
    assert set(events.BY_END) == {State.REFUNDED, State.EXCHANGED, State.REPAIRED, State.CLOSED}
    assert len(events.NAMES) == len(set(events.NAMES))
