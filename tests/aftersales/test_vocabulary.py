"""One vocabulary of actions: the event log, the transitions, the deadlines and the pages speak
it, and each transition says who may take it."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from aftersales import deadlines
from aftersales.models import Action, AfterSalesRequest, RequestEvent, Role, State
from aftersales.sweep import SYSTEM_ACTIONS
from tests.aftersales.factories import file_request

TRANSITIONS = {
    name
    for name in dir(AfterSalesRequest)
    if hasattr(getattr(AfterSalesRequest, name), "_django_fsm")
}


def test_every_transition_is_an_action_and_declares_its_roles(item):
    request = file_request(item)
    assert set(Action.values) >= TRANSITIONS
    for name in TRANSITIONS:
        roles = request.roles_for(name)
        assert roles, name
        assert roles <= set(Role), name


def test_the_event_log_refuses_an_action_outside_the_vocabulary(item):
    request = file_request(item)

    with pytest.raises(IntegrityError), transaction.atomic():
        RequestEvent.objects.create(
            request=request, actor_role=Role.BUYER, action="approve_twice", to_state=State.CLOSED
        )

    assert list(request.events.values_list("action", flat=True)) == [Action.SUBMIT]


def test_every_due_action_is_a_system_transition_the_sweep_can_take():
    for action in deadlines.WHEN_DUE:
        assert action in TRANSITIONS
        assert Role.SYSTEM in AfterSalesRequest().roles_for(action), action
    assert set(SYSTEM_ACTIONS) == set(deadlines.WHEN_DUE)


def test_the_page_asks_the_transition_which_buttons_to_show(item):
    request = file_request(item)

    assert request.available_actions(Role.SELLER) == {
        Action.APPROVE,
        Action.PROPOSE,
        Action.REJECT,
    }
    assert request.available_actions(Role.BUYER) == {Action.WITHDRAW}
    assert request.allows(Action.WITHDRAW, Role.BUYER)
    assert not request.allows(Action.WITHDRAW, Role.SELLER)
    assert not request.allows(Action.ESCALATE, Role.BUYER)  # only after a rejection


def test_the_seller_dashboard_says_what_happens_at_each_deadline(item, seller):
    request = file_request(item)
    client = Client()
    client.force_login(seller)

    page = client.get("/seller/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert request.due_action == Action.APPROVE
    assert request.due_at > timezone.now()
    assert "approved automatically" in page


def test_old_admin_addresses_of_disputes_still_arrive(admin_client):
    response = admin_client.get("/admin/disputes/dispute/?status=open")

    assert response.status_code == 302
    assert response["Location"] == "/admin/aftersales/dispute/?status=open"
    assert admin_client.get(response["Location"]).status_code == 200
