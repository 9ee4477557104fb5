import pytest

from aftersales.models import State
from tests.aftersales.factories import request_in


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(State))
def test_every_state_is_reachable(state, item):
    assert request_in(state, item).state == state
