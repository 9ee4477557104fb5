"""Customer service (在线客服): who sees which conversation, the staff's answers and quick
replies in the admin, closing and rating, and the hand-over to the arbitrators through the
request's own services."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from aftersales.errors import ActionNotAllowed, InvalidInput, StaleAction
from aftersales.models import Action, Dispute, State
from disputes.models import Complaint
from orders.preferences import remember_language
from support import services
from support.models import Conversation, QuickReply
from tests.aftersales.factories import request_in
from tests.orders.factories import UserFactory

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def support_staff(db):
    user = UserFactory(username="support", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    return user


@pytest.fixture
def asked(buyer):
    return services.open_conversation(asker=buyer, body="Where is my refund?")


# --- opening and access ------------------------------------------------------------------------


def test_a_buyer_opens_a_conversation_about_their_request_from_the_page(buyer, item):
    request = request_in(State.SUBMITTED, item)
    client = client_for(buyer)

    page = client.get(f"/help/contact/new/?request={request.pk}")
    assert page.status_code == 200 and f"About request #{request.pk}" in text(page)
    response = client.post(
        "/help/contact/new/", {"request": request.pk, "body": "The seller does not answer."}
    )

    conversation = Conversation.objects.get()
    assert response.url == f"/help/contact/{conversation.pk}/"
    assert conversation.request == request and conversation.asker == buyer
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.waiting_since is not None
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "The seller does not answer."
    ]


def test_the_seller_may_ask_about_their_shops_request_too(seller, item):
    request = request_in(State.SUBMITTED, item)
    response = client_for(seller).post(
        "/help/contact/new/", {"request": request.pk, "body": "The buyer sent a brick."}
    )
    assert response.status_code == 302
    assert Conversation.objects.get().asker == seller


def test_another_persons_request_is_refused(other_buyer, other_seller, item):
    request = request_in(State.SUBMITTED, item)
    for stranger in (other_buyer, other_seller):
        client = client_for(stranger)
        assert client.get(f"/help/contact/new/?request={request.pk}").status_code == 404
        response = client.post("/help/contact/new/", {"request": request.pk, "body": "Hi"})
        assert response.status_code == 404
    assert client_for(other_buyer).get("/help/contact/new/?request=abc").status_code == 404
    assert not Conversation.objects.exists()
    with pytest.raises(ActionNotAllowed):
        services.open_conversation(asker=other_buyer, body="Hi", request=request)


def test_an_empty_message_is_refused_with_a_reason_and_nothing_is_saved(buyer):
    response = client_for(buyer).post("/help/contact/new/", {"body": "   "})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not Conversation.objects.exists()


def test_another_askers_conversation_does_not_exist_for_them(asked, other_buyer):
    client = client_for(other_buyer)
    assert client.get(f"/help/contact/{asked.pk}/").status_code == 404
    assert client.post(f"/help/contact/{asked.pk}/", {"body": "mine?"}).status_code == 404
    assert client.post(f"/help/contact/{asked.pk}/close/").status_code == 404
    assert client.post(f"/help/contact/{asked.pk}/rate/", {"score": 5}).status_code == 404
    assert "Conversation" not in text(client.get("/help/contact/")).split("Ask customer service")[1]


def test_the_asker_lists_their_conversations_and_sees_a_new_answer_marked(
    asked, buyer, support_staff
):
    services.answer(conversation=asked, actor=support_staff, body="It is on its way.")
    client = client_for(buyer)
    listing = client.get("/help/contact/")
    assert f"Conversation #{asked.pk}" in text(listing) and "New answer" in text(listing)
    thread = client.get(f"/help/contact/{asked.pk}/")
    assert "It is on its way." in text(thread) and "Customer service" in text(thread)
    asked.refresh_from_db()
    assert not asked.unread_by_asker
    assert "New answer" not in text(client.get("/help/contact/"))


# --- answering, closing, rating ----------------------------------------------------------------


def test_only_support_staff_answer(asked, buyer, arbitrator):
    for outsider in (buyer, arbitrator):
        with pytest.raises(ActionNotAllowed):
            services.answer(conversation=asked, actor=outsider, body="Hello")


def test_the_asker_writes_again_and_waits_from_their_first_unanswered_message(
    asked, buyer, support_staff
):
    services.answer(conversation=asked, actor=support_staff, body="Which order?")
    asked.refresh_from_db()
    assert asked.status == Conversation.Status.ANSWERED and asked.waiting_since is None
    first = services.ask(conversation=asked, actor=buyer, body="Order 123")
    services.ask(conversation=asked, actor=buyer, body="Are you there?")
    asked.refresh_from_db()
    assert asked.status == Conversation.Status.WAITING
    assert asked.waiting_since == first.created_at


def test_rating_once_only_by_the_asker_after_closing(asked, buyer, other_buyer, support_staff):
    with pytest.raises(StaleAction):
        services.rate(conversation=asked, actor=buyer, score=5)
    services.close(conversation=asked, actor=support_staff)
    with pytest.raises(ActionNotAllowed):
        services.rate(conversation=asked, actor=other_buyer, score=1)
    with pytest.raises(ActionNotAllowed):
        services.rate(conversation=asked, actor=support_staff, score=5)
    with pytest.raises(InvalidInput):
        services.rate(conversation=asked, actor=buyer, score=6)
    services.rate(conversation=asked, actor=buyer, score=4, comment="Quick, thanks")
    with pytest.raises(StaleAction):
        services.rate(conversation=asked, actor=buyer, score=1)
    asked.refresh_from_db()
    assert (asked.rating, asked.rating_comment) == (4, "Quick, thanks")


def test_the_asker_closes_and_rates_on_their_page(asked, buyer):
    client = client_for(buyer)
    client.post(f"/help/contact/{asked.pk}/close/")
    page = client.get(f"/help/contact/{asked.pk}/")
    assert "Rate the answer" in text(page)
    bad = client.post(f"/help/contact/{asked.pk}/rate/", {"score": 9})
    assert bad.status_code == 400 and "Select a valid choice" in text(bad)
    client.post(f"/help/contact/{asked.pk}/rate/", {"score": 5, "comment": "Great"})
    assert "You rated the answer 5 out of 5" in text(client.get(f"/help/contact/{asked.pk}/"))
    # Closed: nothing more can be written.
    response = client.post(f"/help/contact/{asked.pk}/", {"body": "one more thing"})
    assert response.status_code == 302 and asked.messages.count() == 1


# --- the staff's queue and page in the admin ---------------------------------------------------


def test_the_queue_shows_the_wait_the_person_and_their_open_requests(
    buyer, item, support_staff, other_buyer
):
    request = request_in(State.SUBMITTED, item)
    waiting = services.open_conversation(asker=buyer, body="Help", request=request)
    answered = services.open_conversation(asker=other_buyer, body="Hi")
    services.answer(conversation=answered, actor=support_staff, body="Hello")

    page = client_for(support_staff).get("/admin/support/conversation/")

    assert page.status_code == 200
    html = page.content.decode()
    ids = re.findall(r'href="/admin/support/conversation/(\d+)/change/', html)
    assert [int(i) for i in dict.fromkeys(ids)] == [waiting.pk, answered.pk]
    assert f'href="/admin/aftersales/aftersalesrequest/{request.pk}/change/"' in html
    row = text(page)
    assert "waiting for support" in row and "1: #" in row and "0 minutes" in row


def test_support_answers_with_a_quick_reply_in_the_askers_language_and_closes(
    asked, buyer, support_staff
):
    remember_language(user=buyer, language="zh-hans")
    quick = QuickReply.objects.get(title="Refund timing")
    client = client_for(support_staff)
    page = client.get(f"/admin/support/conversation/{asked.pk}/change/")
    assert "Where is my refund?" in text(page) and "Quick replies" in text(page)

    empty = client.post(f"/admin/support/conversation/{asked.pk}/answer/", {"body": ""})
    assert empty.status_code == 400
    assert "Write an answer or choose a quick reply." in text(empty)

    client.post(f"/admin/support/conversation/{asked.pk}/answer/", {"quick_reply": quick.pk})
    client.post(f"/admin/support/conversation/{asked.pk}/answer/", {"body": "Anything else?"})
    client.post(f"/admin/support/conversation/{asked.pk}/close/")

    asked.refresh_from_db()
    answers = list(asked.messages.filter(from_support=True).values_list("body", flat=True))
    assert answers == [quick.text_zh, "Anything else?"]
    assert asked.status == Conversation.Status.CLOSED


def test_quick_replies_are_seeded_in_both_languages_and_edited_in_the_admin(support_staff):
    assert QuickReply.objects.count() >= 4
    assert all(q.text_zh and q.text_en for q in QuickReply.objects.all())
    # Support staff read them (the staff groups' permissions are all read-only)...
    assert client_for(support_staff).get("/admin/support/quickreply/").status_code == 200
    form = {"title": "Hours", "text_zh": "客服时间 9:00–21:00", "text_en": "We answer 9–21."}
    refused = client_for(support_staff).post("/admin/support/quickreply/add/", form)
    assert refused.status_code == 403
    # ...and a superuser edits them.
    admin = UserFactory(username="lead", is_staff=True, is_superuser=True)
    response = client_for(admin).post("/admin/support/quickreply/add/", {**form, "position": 9})
    assert response.status_code == 302
    assert QuickReply.objects.get(title="Hours").text_for("en") == "We answer 9–21."


def test_who_may_read_the_queue(asked, buyer, arbitrator, support_staff):
    assert client_for(buyer).get("/admin/support/conversation/").status_code == 302
    # Arbitrators read only what support handed to them.
    page = client_for(arbitrator).get("/admin/support/conversation/")
    assert f"/admin/support/conversation/{asked.pk}/change/" not in page.content.decode()
    response = client_for(arbitrator).get(f"/admin/support/conversation/{asked.pk}/change/")
    assert response.status_code in (302, 404)
    # ...and cannot answer by posting anyway.
    client_for(arbitrator).post(f"/admin/support/conversation/{asked.pk}/answer/", {"body": "Hi"})
    assert asked.messages.count() == 1


# --- handing over to the arbitrators -----------------------------------------------------------


def test_handing_over_as_a_dispute_escalates_through_the_requests_rules(
    buyer, item, support_staff, arbitrator
):
    request = request_in(State.REJECTED, item)
    conversation = services.open_conversation(
        asker=buyer, body="The seller refused my broken kettle.", request=request
    )
    client = client_for(support_staff)
    response = client.post(
        f"/admin/support/conversation/{conversation.pk}/hand-over/",
        {
            "dispute-kind": "dispute",
            "dispute-reason": Dispute.Reason.UNFAIR_REJECTION,
            "dispute-statement": "The kettle arrived broken; the seller refused.",
        },
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    request.refresh_from_db()
    assert request.state == State.DISPUTED
    assert conversation.dispute == request.disputes.get()
    assert conversation.handed_over == "dispute" and conversation.handed_by == support_staff
    event = request.events.get(action=Action.ESCALATE)
    assert event.actor == buyer and event.actor_role == "buyer"
    # Now the arbitrator reads it.
    page = client_for(arbitrator).get(f"/admin/support/conversation/{conversation.pk}/change/")
    assert page.status_code == 200 and "The seller refused my broken kettle." in text(page)


def test_a_dispute_where_the_buyer_could_not_escalate_is_refused_and_nothing_moves(
    buyer, item, support_staff
):
    request = request_in(State.SUBMITTED, item)
    conversation = services.open_conversation(asker=buyer, body="Help", request=request)
    response = client_for(support_staff).post(
        f"/admin/support/conversation/{conversation.pk}/hand-over/",
        {
            "dispute-kind": "dispute",
            "dispute-reason": Dispute.Reason.UNFAIR_REJECTION,
            "dispute-statement": "Please look.",
        },
    )
    assert response.status_code == 400
    assert "Please look." in response.content.decode()  # what was typed is kept
    request.refresh_from_db()
    conversation.refresh_from_db()
    assert request.state == State.SUBMITTED and not conversation.handed_over


def test_handing_over_as_a_complaint_files_it_for_the_buyer(buyer, item, support_staff):
    request = request_in(State.REFUNDED, item)
    conversation = services.open_conversation(asker=buyer, body="Rude seller", request=request)
    services.hand_over(
        conversation=conversation,
        actor=support_staff,
        kind="complaint",
        reason=Complaint.Reason.BAD_SERVICE,
        statement="The seller insulted me in the chat.",
    )
    complaint = Complaint.objects.get()
    assert complaint.request == request and complaint.buyer == buyer
    assert complaint.description == "The seller insulted me in the chat."
    conversation.refresh_from_db()
    assert conversation.complaint == complaint
    with pytest.raises(StaleAction):
        services.hand_over(
            conversation=conversation,
            actor=support_staff,
            kind="complaint",
            reason="other",
            statement="again",
        )


def test_a_sellers_or_general_conversation_cannot_be_handed_over(seller, item, support_staff):
    request = request_in(State.REJECTED, item)
    conversation = services.open_conversation(asker=seller, body="Hm", request=request)
    with pytest.raises(InvalidInput):
        services.hand_over(
            conversation=conversation,
            actor=support_staff,
            kind="dispute",
            reason=Dispute.Reason.UNFAIR_REJECTION,
            statement="x",
        )
    with pytest.raises(ActionNotAllowed):
        services.hand_over(
            conversation=conversation,
            actor=seller,
            kind="dispute",
            reason=Dispute.Reason.UNFAIR_REJECTION,
            statement="x",
        )


def test_the_live_layer_hears_of_each_message_once_committed(
    asked, support_staff, django_capture_on_commit_callbacks
):
    heard = []

    def listen(sender, message, **kwargs):
        heard.append(message.body)

    services.message_posted.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.answer(conversation=asked, actor=support_staff, body="Here")
    finally:
        services.message_posted.disconnect(listen)
    assert len(callbacks) == 1 and heard == ["Here"]
