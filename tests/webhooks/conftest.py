import pytest

from orders.models import ShopMember
from tests.orders.factories import ShopMemberFactory
from tests.webhooks.receiver import Receiver
from webhooks import events, services


@pytest.fixture
def owner(shop, seller):
    """The shop's owner (the ``seller`` fixture is a customer-service agent of it)."""
    return ShopMemberFactory(shop=shop, user__username="owner", role=ShopMember.Role.OWNER).user


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(shop, owner, receiver):
    """An endpoint of the shop on the loopback receiver, for every event."""
    added = services.add_endpoint(
        shop=shop, actor=owner, url=receiver.url, event_types=events.NAMES
    )
    receiver.secret = added.secret
    return added
