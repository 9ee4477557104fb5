import pytest

from tests.browser.conftest import sign_in


@pytest.mark.django_db(transaction=True)
def test_a_buyer_signs_in_and_sees_their_orders(page, item, buyer):
    sign_in(page, "buyer")
    assert page.get_by_role("heading", name="My orders").is_visible()
    assert page.get_by_text(item.title).is_visible()
