import pytest

from aftersales import tasks
from aftersales.models import AfterSalesRequest, State
from tests.aftersales.factories import file_request


@pytest.mark.django_db
def test_an_unreachable_broker_does_not_undo_or_fail_a_committed_action(
    item, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    # given a broker that refuses every task
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.announce_transition, "delay", broker_down)

    # when the buyer files a request
    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(item)

    # then the request stands, and the failure is logged for operators
    assert AfterSalesRequest.objects.get(pk=request.pk).state == State.SUBMITTED
    assert "broker unreachable" in caplog.text
