import pytest
from django.urls import reverse

from aftersales.models import AfterSalesRequest, LedgerEntry, RequestEvent, State
from tests.aftersales.factories import request_in


@pytest.fixture
def refunded(item):
    return request_in(State.REFUNDED, item)


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "orders.shop",
        "orders.order",
        "orders.shopmember",
        "aftersales.aftersalesrequest",
        "aftersales.requestevent",
        "aftersales.ledgerentry",
        "aftersales.message",
        "aftersales.shipment",
        "aftersales.proposal",
        "aftersales.evidence",
        "aftersales.dispute",
        "aftersales.ruling",
    ],
)
def test_every_model_has_a_working_admin_list(admin_client, refunded, model):
    app_label, model_name = model.split(".")
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_request_page_shows_its_history_and_never_an_editable_state(admin_client, refunded):
    response = admin_client.get(
        reverse("admin:aftersales_aftersalesrequest_change", args=[refunded.pk])
    )
    assert response.status_code == 200
    assert 'name="state"' not in response.content.decode()
    assert "approve" in response.content.decode()  # the event log inline


@pytest.mark.django_db
def test_history_and_money_cannot_be_edited_or_deleted_in_admin(admin_client, refunded):
    event = RequestEvent.objects.filter(request=refunded).first()
    entry = LedgerEntry.objects.get(request=refunded)
    for url in [
        reverse("admin:aftersales_requestevent_delete", args=[event.pk]),
        reverse("admin:aftersales_ledgerentry_delete", args=[entry.pk]),
        reverse("admin:aftersales_aftersalesrequest_add"),
    ]:
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert RequestEvent.objects.filter(pk=event.pk).exists()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    assert AfterSalesRequest.objects.count() == 1


@pytest.mark.django_db
def test_failed_payouts_are_listed_for_staff(admin_client, refunded):
    LedgerEntry.objects.filter(request=refunded).update(status=LedgerEntry.Status.FAILED)
    response = admin_client.get(
        reverse("admin:aftersales_ledgerentry_changelist") + "?payout=flagged"
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
