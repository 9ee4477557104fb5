import pytest

from aftersales.templatetags.aftersales import display_name
from tests.orders.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("小明", "王", "王小明"), ("Ann", "Lee", "Ann Lee"), ("", "", "ann")],
)
def test_the_header_names_people_the_way_they_write_their_name(first, last, shown):
    user = UserFactory(username="ann", first_name=first, last_name=last)
    assert display_name(user) == shown


@pytest.mark.django_db
def test_the_header_shows_the_buyers_name(client):
    user = UserFactory(username="buyer", first_name="小明", last_name="王")
    client.force_login(user)
    assert '<span class="who"' in (page := client.get("/").content.decode())
    assert "王小明</span>" in page
