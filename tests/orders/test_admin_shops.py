import pytest
from django.urls import reverse

from orders.models import Shop


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


def shop_form(**addresses):
    data = {
        "name": "新店",
        "no_reason_return_days": 7,
        "seller_fault_return_days": 15,
        "warranty_days": 365,
        "return_addresses-TOTAL_FORMS": len(addresses),
        "return_addresses-INITIAL_FORMS": 0,
        "return_addresses-MIN_NUM_FORMS": 1,
        "return_addresses-MAX_NUM_FORMS": 1000,
        "members-TOTAL_FORMS": 0,
        "members-INITIAL_FORMS": 0,
    }
    for i, (recipient, is_default) in enumerate(addresses.items()):
        data |= {
            f"return_addresses-{i}-recipient": recipient,
            f"return_addresses-{i}-phone": "13800000000",
            f"return_addresses-{i}-address": "杭州市西湖区 1 号",
            f"return_addresses-{i}-purpose": "return",
        }
        if is_default:
            data[f"return_addresses-{i}-is_default"] = "on"
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "addresses",
    [{}, {"张三": False}, {"张三": True, "李四": True}],
    ids=["none", "no default", "two defaults"],
)
def test_a_shop_cannot_be_saved_without_exactly_one_default_return_address(admin_client, addresses):
    response = admin_client.post(reverse("admin:orders_shop_add"), shop_form(**addresses))

    assert response.status_code == 200  # the form again, with the error
    assert not Shop.objects.filter(name="新店").exists()


@pytest.mark.django_db
def test_a_shop_with_one_default_return_address_is_saved(admin_client):
    response = admin_client.post(
        reverse("admin:orders_shop_add"), shop_form(**{"张三": True, "李四": False})
    )

    assert response.status_code == 302
    shop = Shop.objects.get(name="新店")
    assert shop.default_return_address.recipient == "张三"


@pytest.mark.django_db
def test_a_shop_keeps_a_repair_point_apart_from_its_return_addresses(admin_client):
    data = shop_form(**{"张三": True, "维修点": False})
    data["return_addresses-1-purpose"] = "repair"

    response = admin_client.post(reverse("admin:orders_shop_add"), data)

    assert response.status_code == 302
    shop = Shop.objects.get(name="新店")
    assert shop.default_return_address.recipient == "张三"
    assert shop.repair_point.recipient == "维修点"
    assert shop.destination(repair=True) == shop.repair_point
    assert shop.destination(repair=False) == shop.default_return_address


@pytest.mark.django_db
def test_a_repair_point_cannot_be_the_default_return_address(admin_client):
    data = shop_form(**{"维修点": True})
    data["return_addresses-0-purpose"] = "repair"

    response = admin_client.post(reverse("admin:orders_shop_add"), data)

    assert response.status_code == 200
    assert "The default address must be one for returns." in response.content.decode()
    assert not Shop.objects.filter(name="新店").exists()
