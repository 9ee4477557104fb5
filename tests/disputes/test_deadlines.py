"""A dispute's own deadlines (issue 12, row 10): reminders a day before an evidence request or
the seller's answer is due, what the deadline pass does when they pass unanswered, and events
and notifications for complaint handling."""

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from aftersales.actors import SYSTEM
from aftersales.models import Action, Dispute, Notification, RequestEvent, Role, State
from disputes.deadlines import sweep
from disputes.models import Complaint, EvidenceRequest
from disputes.selectors import with_readiness
from disputes.services import (
    answer_dispute,
    file_complaint,
    investigate_complaint,
    provide_evidence,
    request_evidence,
    resolve_complaint,
)
from disputes.tasks import sweep_dispute_deadlines
from tests.aftersales.factories import request_in
from tests.orders.factories import ShopMemberFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
QUESTION = "Please send a photo of the label on the tin."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def disputed(item):
    """A rejected return the buyer escalated: the seller has three days to answer."""
    return request_in(State.DISPUTED, item).disputes.get()


@pytest.fixture
def colleague(shop):
    return ShopMemberFactory(shop=shop, user__username="colleague").user


def ask(dispute, arbitrator, party=Role.BUYER, *, now=None) -> EvidenceRequest:
    now = now or timezone.now()
    return request_evidence(
        dispute=dispute,
        actor=arbitrator,
        party=party,
        question=QUESTION,
        due_at=now + 5 * DAY,  # two days after the seller's answer: one deadline at a time
        now=now,
    )


def reload(row):
    return type(row).objects.get(pk=row.pk)


def reminders(kind) -> list[tuple[str, str, object]]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list(
            "recipient__username", "audience", "due_at"
        )
    )


def events(dispute, action) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(request=dispute.request_id, action=action))


def notified(event) -> set[tuple[str, str]]:
    return set(
        Notification.objects.filter(event=event).values_list("recipient__username", "audience")
    )


def run(now, capture):
    with capture(execute=True):
        return sweep(now=now)


# --- a day before: reminders -------------------------------------------------------------------


def test_the_side_asked_for_evidence_is_reminded_once_a_day_before(
    disputed, arbitrator, buyer, seller, django_capture_on_commit_callbacks
):
    answer_dispute(dispute=disputed, actor=seller, statement="It left us intact.")
    evidence = ask(disputed, arbitrator)
    mail.outbox.clear()

    # 25 hours before: too early
    assert (
        run(evidence.due_at - 25 * timedelta(hours=1), django_capture_on_commit_callbacks).reminded
        == 0
    )
    assert reminders(Notification.Kind.EVIDENCE_DUE) == []

    # 23 hours before: once
    result = run(evidence.due_at - 23 * timedelta(hours=1), django_capture_on_commit_callbacks)
    assert result.reminded == 1
    assert reminders(Notification.Kind.EVIDENCE_DUE) == [("buyer", Role.BUYER, evidence.due_at)]
    assert [m.to for m in mail.outbox] == [[buyer.email]]
    assert "needs your evidence" in mail.outbox[0].subject
    assert QUESTION in mail.outbox[0].body
    assert reload(evidence).reminded_at is not None

    # and never again for this deadline
    assert (
        run(evidence.due_at - timedelta(hours=2), django_capture_on_commit_callbacks).reminded == 0
    )
    assert len(reminders(Notification.Kind.EVIDENCE_DUE)) == 1
    assert len(mail.outbox) == 1


def test_a_seller_asked_for_evidence_is_reminded_as_a_shop(
    disputed, arbitrator, seller, colleague, django_capture_on_commit_callbacks
):
    evidence = ask(disputed, arbitrator, Role.SELLER)

    run(evidence.due_at - 2 * timedelta(hours=1), django_capture_on_commit_callbacks)

    assert reminders(Notification.Kind.EVIDENCE_DUE) == [
        ("colleague", Role.SELLER, evidence.due_at),
        ("seller", Role.SELLER, evidence.due_at),
    ]


def test_the_shop_is_reminded_once_that_its_answer_is_due(
    disputed, seller, colleague, django_capture_on_commit_callbacks
):
    due = disputed.seller_answer_due_at
    mail.outbox.clear()

    assert run(due - 2 * DAY, django_capture_on_commit_callbacks).reminded == 0
    assert run(due - 12 * timedelta(hours=1), django_capture_on_commit_callbacks).reminded == 1
    assert run(due - 11 * timedelta(hours=1), django_capture_on_commit_callbacks).reminded == 0

    assert reminders(Notification.Kind.ANSWER_DUE) == [
        ("colleague", Role.SELLER, due),
        ("seller", Role.SELLER, due),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([seller.email, colleague.email])
    assert all("answer the dispute" in m.subject for m in mail.outbox)


def test_an_answered_deadline_gets_no_reminder(
    disputed, arbitrator, buyer, seller, django_capture_on_commit_callbacks
):
    now = timezone.now()
    evidence = ask(disputed, arbitrator, now=now)
    provide_evidence(evidence_request=evidence, actor=buyer, answer="Here it is.", now=now)
    answer_dispute(dispute=disputed, actor=seller, statement="It left us intact.", now=now)

    result = run(evidence.due_at - timedelta(hours=2), django_capture_on_commit_callbacks)

    assert result.reminded == 0
    assert not Notification.objects.filter(
        kind__in=[Notification.Kind.EVIDENCE_DUE, Notification.Kind.ANSWER_DUE]
    ).exists()


def test_the_notification_centre_says_what_is_due(
    disputed, arbitrator, buyer, seller, django_capture_on_commit_callbacks
):
    evidence = ask(disputed, arbitrator)
    run(disputed.seller_answer_due_at - timedelta(hours=2), django_capture_on_commit_callbacks)
    run(evidence.due_at - timedelta(hours=2), django_capture_on_commit_callbacks)

    as_buyer, as_seller = Client(), Client()
    as_buyer.force_login(buyer)
    as_seller.force_login(seller)
    buyer_page = as_buyer.get("/notifications/").content.decode()
    seller_page = as_seller.get("/notifications/").content.decode()

    assert "the platform is waiting for the evidence it asked you for" in buyer_page
    assert "answer the dispute for the platform by" in seller_page


# --- when a deadline passes --------------------------------------------------------------------


def test_an_unanswered_evidence_request_is_closed_when_its_deadline_passes(
    disputed, arbitrator, buyer, django_capture_on_commit_callbacks
):
    evidence = ask(disputed, arbitrator)
    # the seller answered in time, so only the evidence is awaited
    disputed.seller_answered_at = timezone.now()
    disputed.save(update_fields=["seller_answered_at"])
    assert not with_readiness(Dispute.objects).get(pk=disputed.pk).ready_for_ruling

    # not a moment before the deadline
    assert (
        run(evidence.due_at - timedelta(seconds=1), django_capture_on_commit_callbacks).lapsed == 0
    )
    assert reload(evidence).lapsed_at is None

    result = run(evidence.due_at, django_capture_on_commit_callbacks)

    assert result.lapsed == 1
    assert reload(evidence).lapsed_at == evidence.due_at
    [event] = events(disputed, Action.BUYER_MISSED_EVIDENCE)
    assert (event.actor, event.actor_role, event.note, event.created_at) == (
        None,
        Role.SYSTEM,
        QUESTION,
        evidence.due_at,
    )
    assert (event.from_state, event.to_state) == (State.DISPUTED, State.DISPUTED)
    assert notified(event) == {("arbitrator", Role.STAFF)}
    # nothing is awaited any more: the case is ready for a ruling, still with the platform
    assert with_readiness(Dispute.objects).get(pk=disputed.pk).ready_for_ruling
    assert reload(disputed).status == Dispute.Status.OPEN
    # the buyer's page no longer offers an answer form for it
    client = Client()
    client.force_login(buyer)
    page = client.get(f"/requests/{disputed.request_id}/").content.decode()
    assert f'id="ask-{evidence.pk}"' not in page
    assert "did not send the requested evidence in time" in page


def test_a_seller_asked_for_evidence_who_misses_it_is_named_on_the_timeline(
    disputed, arbitrator, django_capture_on_commit_callbacks
):
    evidence = ask(disputed, arbitrator, Role.SELLER)

    run(evidence.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)

    assert len(events(disputed, Action.SELLER_MISSED_EVIDENCE)) == 1
    assert events(disputed, Action.BUYER_MISSED_EVIDENCE) == []


def test_a_seller_who_lets_the_answer_window_pass_is_noted_and_the_case_is_ready(
    disputed, arbitrator, django_capture_on_commit_callbacks
):
    due = disputed.seller_answer_due_at
    readiness = with_readiness(Dispute.objects).get(pk=disputed.pk)
    assert (readiness.ready_for_ruling, readiness.seller_has_spoken) == (False, False)

    result = run(due + timedelta(minutes=1), django_capture_on_commit_callbacks)

    assert result.lapsed == 1
    disputed = with_readiness(Dispute.objects).get(pk=disputed.pk)
    assert disputed.seller_answer_lapsed_at == due + timedelta(minutes=1)
    assert disputed.ready_for_ruling
    [event] = events(disputed, Action.SELLER_MISSED_ANSWER)
    assert (event.actor_role, event.to_state) == (Role.SYSTEM, State.DISPUTED)
    assert notified(event) == {("arbitrator", Role.STAFF)}


def test_a_case_waits_for_open_evidence_even_after_the_seller_missed_the_answer(
    disputed, arbitrator, django_capture_on_commit_callbacks
):
    due = disputed.seller_answer_due_at
    evidence = ask(disputed, arbitrator, now=due - timedelta(hours=1))

    run(due + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert not with_readiness(Dispute.objects).get(pk=disputed.pk).ready_for_ruling

    run(evidence.due_at, django_capture_on_commit_callbacks)
    assert with_readiness(Dispute.objects).get(pk=disputed.pk).ready_for_ruling


def test_the_pass_twice_does_nothing_twice(
    disputed, arbitrator, django_capture_on_commit_callbacks
):
    evidence = ask(disputed, arbitrator)
    later = max(evidence.due_at, disputed.seller_answer_due_at) + timedelta(minutes=1)
    mail.outbox.clear()

    first = run(later, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    notifications = Notification.objects.count()
    second = run(later, django_capture_on_commit_callbacks)
    third = run(later + DAY, django_capture_on_commit_callbacks)

    assert (first.lapsed, second.lapsed, third.lapsed) == (2, 0, 0)
    assert len(events(disputed, Action.BUYER_MISSED_EVIDENCE)) == 1
    assert len(events(disputed, Action.SELLER_MISSED_ANSWER)) == 1
    assert Notification.objects.count() == notifications
    assert len(mail.outbox) == sent
    assert reload(evidence).lapsed_at == later


def test_a_deadline_answered_in_time_has_no_consequence(
    disputed, arbitrator, buyer, seller, django_capture_on_commit_callbacks
):
    evidence = ask(disputed, arbitrator)
    answer_dispute(
        dispute=disputed,
        actor=seller,
        statement="It left us intact.",
        now=disputed.seller_answer_due_at - timedelta(minutes=1),
    )
    provide_evidence(
        evidence_request=evidence,
        actor=buyer,
        answer="Here it is.",
        now=evidence.due_at - timedelta(minutes=1),
    )

    result = run(evidence.due_at + 30 * DAY, django_capture_on_commit_callbacks)

    assert result.lapsed == 0
    assert (reload(evidence).lapsed_at, reload(disputed).seller_answer_lapsed_at) == (None, None)
    assert not RequestEvent.objects.filter(
        action__in=[
            Action.BUYER_MISSED_EVIDENCE,
            Action.SELLER_MISSED_EVIDENCE,
            Action.SELLER_MISSED_ANSWER,
        ]
    ).exists()
    assert with_readiness(Dispute.objects).get(pk=disputed.pk).ready_for_ruling


def test_a_ruled_dispute_has_no_deadlines_left(
    disputed, arbitrator, django_capture_on_commit_callbacks
):
    from aftersales.services import rule_dispute

    evidence = ask(disputed, arbitrator)
    rule_dispute(
        dispute=disputed, actor=arbitrator, outcome="for_seller", rationale="Nothing shown."
    )

    result = run(evidence.due_at + DAY, django_capture_on_commit_callbacks)

    assert (result.lapsed, result.reminded) == (0, 0)
    assert reload(evidence).lapsed_at is None
    assert reload(disputed).seller_answer_lapsed_at is None


def test_the_dispute_pass_runs_every_minute_beside_the_sweep(
    disputed, django_capture_on_commit_callbacks
):
    schedules = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "disputes.tasks.sweep_dispute_deadlines"
    ]
    assert [entry["schedule"] for entry in schedules] == [60.0]
    Dispute.objects.filter(pk=disputed.pk).update(
        seller_answer_due_at=timezone.now() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        summary = sweep_dispute_deadlines.delay().get()

    assert summary == "dispute deadlines passed 1, reminded 0"
    assert len(events(disputed, Action.SELLER_MISSED_ANSWER)) == 1


def test_the_event_log_accepts_the_new_actions(disputed):
    for action in (
        Action.INVESTIGATE_COMPLAINT,
        Action.RESOLVE_COMPLAINT,
        Action.SELLER_MISSED_ANSWER,
        Action.BUYER_MISSED_EVIDENCE,
        Action.SELLER_MISSED_EVIDENCE,
    ):
        with transaction.atomic():  # the check constraint, as migrated, lets each through
            RequestEvent.objects.create(
                request=disputed.request,
                actor_role=Role.SYSTEM,
                action=action,
                from_state=State.DISPUTED,
                to_state=State.DISPUTED,
            )


# --- two passes at once (PostgreSQL: real row locks) ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_apply_each_deadline_once(item, shop, seller, buyer, arbitrator):
    from tests.orders.factories import OrderItemFactory

    disputes = [disputed_on(OrderItemFactory(order__buyer=buyer, order__shop=shop)) for _ in "abcd"]
    asks = [ask(d, arbitrator) for d in disputes]
    later = max(a.due_at for a in asks) + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    outcomes = []

    def one_pass():
        try:
            barrier.wait(timeout=10)
            outcomes.append(sweep(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_pass) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(o.lapsed for o in outcomes) == 8, [str(o) for o in outcomes]
    for dispute in disputes:
        assert len(events(dispute, Action.BUYER_MISSED_EVIDENCE)) == 1
        assert len(events(dispute, Action.SELLER_MISSED_ANSWER)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_case_someone_holds_is_skipped_not_waited_for(item, arbitrator):
    dispute = disputed_on(item)
    evidence = ask(dispute, arbitrator)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Dispute.objects.select_for_update().get(pk=dispute.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        result = sweep(now=evidence.due_at + timedelta(minutes=1))
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert result.lapsed == 0 and took < 10
    assert sweep(now=evidence.due_at + timedelta(minutes=2)).lapsed == 2


def disputed_on(item) -> Dispute:
    return request_in(State.DISPUTED, item).disputes.get()


# --- complaints: every status change is an event, and the buyer hears of it ------------------


@pytest.fixture
def complaint(item, buyer):
    finished = request_in(State.REFUNDED, item)
    return file_complaint(
        request=finished,
        actor=buyer,
        reason=Complaint.Reason.BAD_SERVICE,
        description="The agent was rude on the phone.",
    )


def test_investigating_a_complaint_is_an_event_the_buyer_hears_of(
    complaint, arbitrator, buyer, django_capture_on_commit_callbacks
):
    now = timezone.now()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        investigate_complaint(complaint=complaint, actor=arbitrator, now=now)

    [event] = RequestEvent.objects.filter(
        request=complaint.request_id, action=Action.INVESTIGATE_COMPLAINT
    )
    assert (event.actor, event.actor_role, event.created_at) == (arbitrator, Role.STAFF, now)
    assert (event.from_state, event.to_state) == (State.REFUNDED, State.REFUNDED)
    assert notified(event) == {("buyer", Role.BUYER)}
    assert [m.to for m in mail.outbox] == [[buyer.email]]


def test_resolving_a_complaint_is_an_event_and_the_buyer_reads_the_result(
    complaint, arbitrator, buyer, seller, django_capture_on_commit_callbacks
):
    investigate_complaint(complaint=complaint, actor=arbitrator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        resolve_complaint(complaint=complaint, actor=arbitrator, result="The shop was warned.")

    [event] = RequestEvent.objects.filter(
        request=complaint.request_id, action=Action.RESOLVE_COMPLAINT
    )
    assert event.actor_role == Role.STAFF
    # the result is for the buyer: the shared timeline only says it was resolved
    assert event.note == ""
    assert notified(event) == {("buyer", Role.BUYER)}
    assert [m.to for m in mail.outbox] == [[buyer.email]]

    client = Client()
    client.force_login(buyer)
    page = client.get(f"/requests/{complaint.request_id}/").content.decode()
    assert "resolved the complaint" in page
    assert "started investigating the complaint" in page
    assert "The shop was warned." in page
    client.force_login(seller)
    seller_page = client.get(f"/seller/requests/{complaint.request_id}/").content.decode()
    assert "resolved the complaint" in seller_page
    assert "The shop was warned." not in seller_page


def test_the_buyer_sees_the_complaint_status_change(complaint, arbitrator, buyer):
    client = Client()
    client.force_login(buyer)
    url = f"/requests/{complaint.request_id}/"
    assert "received" in client.get(url).content.decode()

    investigate_complaint(complaint=complaint, actor=arbitrator)

    page = client.get(url).content.decode()
    assert "being investigated" in page
    assert "started investigating the complaint" in page


def test_a_refused_complaint_step_writes_no_event(complaint, buyer):
    from aftersales.errors import ActionNotAllowed

    with pytest.raises(ActionNotAllowed):
        investigate_complaint(complaint=complaint, actor=SYSTEM)

    assert not RequestEvent.objects.filter(action=Action.INVESTIGATE_COMPLAINT).exists()


# --- what staff see -----------------------------------------------------------------------------


def staff_text(client, url) -> str:
    import re
    from html import unescape

    html = client.get(url).content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_staff_see_the_missed_deadlines_on_the_case_page_and_in_the_queue(
    item, buyer, shop, arbitrator, django_capture_on_commit_callbacks
):
    from tests.orders.factories import OrderItemFactory

    waiting = disputed_on(item)
    missed = disputed_on(OrderItemFactory(order__buyer=buyer, order__shop=shop))
    evidence = ask(missed, arbitrator)
    run(evidence.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    # the other case's seller still has time
    Dispute.objects.filter(pk=waiting.pk).update(
        seller_answer_due_at=timezone.now() + DAY, seller_answer_lapsed_at=None
    )
    client = Client()
    client.force_login(arbitrator)

    case = staff_text(client, f"/admin/aftersales/dispute/{missed.pk}/change/")
    assert "not answered in time" in case
    assert "Did not answer in time" in case
    assert "no answer in time: closed" in case
    assert "Ready for a ruling" in case
    assert "did not send the requested evidence in time" in case
    ask(waiting, arbitrator, Role.SELLER)
    waiting_case = staff_text(client, f"/admin/aftersales/dispute/{waiting.pk}/change/")
    assert "Waiting for: the seller's answer evidence from the seller" in waiting_case

    queue = "/admin/aftersales/dispute/"
    assert "ready for a ruling" in staff_text(client, queue)
    ready = client.get(queue, {"waiting": "nobody"}).content.decode()
    seller = client.get(queue, {"waiting": "seller"}).content.decode()
    assert f"/dispute/{missed.pk}/change/" in ready
    assert f"/dispute/{waiting.pk}/change/" not in ready
    assert f"/dispute/{waiting.pk}/change/" in seller
    assert f"/dispute/{missed.pk}/change/" not in seller


def test_the_seller_page_says_the_answer_window_passed(
    disputed, seller, django_capture_on_commit_callbacks
):
    Dispute.objects.filter(pk=disputed.pk).update(
        seller_answer_due_at=timezone.now() - timedelta(minutes=1)
    )
    run(timezone.now(), django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(seller)

    page = client.get(f"/seller/requests/{disputed.request_id}/").content.decode()

    assert "You did not answer in time" in page
    assert "did not answer the dispute in time" in page


def test_a_dispute_reminder_is_written_in_its_readers_language_with_a_link(
    disputed, arbitrator, buyer, django_capture_on_commit_callbacks
):
    # given: the site speaks English here, the buyer last chose Chinese in the header
    from orders.models import Preferences

    Preferences.objects.create(user=buyer, language="zh-hans")
    evidence = ask(disputed, arbitrator)
    mail.outbox.clear()

    # when: the evidence is due in a day
    run(evidence.due_at - 23 * timedelta(hours=1), django_capture_on_commit_callbacks)

    # then
    [message] = [m for m in mail.outbox if m.to == [buyer.email]]
    assert "需要您补充" in message.subject or "凭证" in message.subject, message.subject
    assert QUESTION in message.body
    assert f"http://127.0.0.1:8000/requests/{disputed.request.pk}/" in message.body
