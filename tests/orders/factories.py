from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from orders.models import Order, OrderItem, ReturnAddress, Shop, ShopMember


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("demo-pass-2026")


class ArbitratorFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    is_staff = True

    @factory.post_generation
    def arbitrators_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get_or_create(name="arbitrators")[0])


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Shop {n}")
    return_address = factory.RelatedFactory(
        "tests.orders.factories.ReturnAddressFactory", factory_related_name="shop"
    )


class ReturnAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnAddress

    shop = factory.SubFactory(ShopFactory)
    recipient = "王小明"
    phone = "13800000000"
    address = "浙江省杭州市余杭区文一西路 969 号 售后部"
    is_default = True


class ShopMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopMember

    shop = factory.SubFactory(ShopFactory)
    user = factory.SubFactory(UserFactory)
    role = ShopMember.Role.AGENT


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"T2026{n:08d}")
    buyer = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)
    payment_method = Order.PaymentMethod.ALIPAY
    paid_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))


class OrderItemFactory(factory.django.DjangoModelFactory):
    """By default delivered two days ago: inside every window."""

    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    title = "Longjing green tea, 250 g tin"
    sku = "250 g"
    unit_price = Decimal("100.00")
    quantity = 2
    amount_paid = Decimal("200.00")
    shipped_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=4))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))

    class Params:
        not_shipped = factory.Trait(shipped_at=None, delivered_at=None)
        in_transit = factory.Trait(delivered_at=None)


def an_order(in_shop, number="T20261201001", **changes) -> dict:
    """One order as the order system sends it to ``import_orders`` (a JSON line)."""
    order = {
        "number": number,
        "buyer": "lihua",
        "shop": in_shop.pk,
        "payment_method": "alipay",
        "shipping_address": "浙江省杭州市西湖区文三路 90 号",
        "paid_at": "2026-11-20T10:00:00+08:00",
        "items": [
            {
                "title": "西湖龙井 250g",
                "sku": "LJ-250",
                "unit_price": "128.00",
                "quantity": 2,
                "amount_paid": "240.00",
                "shipped_at": "2026-11-21T09:00:00+08:00",
                "delivered_at": None,
            }
        ],
    }
    order.update(changes)
    return order
